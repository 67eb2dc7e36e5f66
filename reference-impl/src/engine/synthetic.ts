/** Synthetic test images: deterministic composites of a shaded, textured object over a background, with the exact alpha. */
import sharp from 'sharp';

export interface Composite {
  name: string;
  /** PNG of the composite (opaque RGB). */
  image: Buffer;
  /** The ground-truth foreground alpha, width×height bytes. */
  alpha: Uint8Array;
  width: number;
  height: number;
}

export interface Scene {
  name: string;
  width: number;
  height: number;
  /** Signed distance-like coverage of the object at a pixel centre: > 0 inside. Anti-aliased over ~1 px. */
  inside: (x: number, y: number) => number;
  foreground: (x: number, y: number) => [number, number, number];
  background: (x: number, y: number) => [number, number, number];
}

const clamp8 = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** Renders a scene: alpha from the coverage function, colour = fg·α + bg·(1−α). */
export async function render(scene: Scene): Promise<Composite> {
  const { width, height } = scene;
  const rgb = Buffer.alloc(width * height * 3);
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const a = Math.max(0, Math.min(1, scene.inside(x + 0.5, y + 0.5) + 0.5));
      alpha[i] = clamp8(a * 255);
      const f = scene.foreground(x, y);
      const b = scene.background(x, y);
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = clamp8(f[c]! * a + b[c]! * (1 - a));
    }
  }
  const image = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { name: scene.name, image, alpha, width, height };
}

/** A ball: red-orange sphere with Lambert shading, a highlight and stripes, on a pale vertical gradient. */
export function ballScene(width = 320, height = 240): Scene {
  const cx = width * 0.5,
    cy = height * 0.52,
    r = Math.min(width, height) * 0.36;
  return {
    name: 'ball-on-gradient',
    width,
    height,
    inside: (x, y) => r - Math.hypot(x - cx, y - cy),
    foreground: (x, y) => {
      const nx = (x - cx) / r,
        ny = (y - cy) / r;
      const nz = Math.sqrt(Math.max(0, 1 - nx * nx - ny * ny));
      const light = 0.25 + 0.75 * Math.max(0, -0.4 * nx - 0.5 * ny + 0.77 * nz);
      const stripe = Math.sin((nx + ny * 0.3) * 12) > 0.2 ? 1 : 0.55;
      const spec = Math.pow(Math.max(0, -0.4 * nx - 0.5 * ny + 0.77 * nz), 40) * 200;
      return [230 * light * stripe + spec, 90 * light + 60 * (1 - stripe) + spec, 30 * light + spec];
    },
    background: (_x, y) => {
      const t = y / height;
      return [236 - 30 * t, 238 - 24 * t, 242 - 12 * t];
    },
  };
}

/** A product: rounded rectangle with a colourful checker label and soft shading, on a plain blue-grey wall. */
export function boxScene(width = 240, height = 320): Scene {
  const cx = width * 0.5,
    cy = height * 0.5,
    hw = width * 0.28,
    hh = height * 0.32,
    rad = 18;
  return {
    name: 'rounded-box-on-plain',
    width,
    height,
    inside: (x, y) => {
      // Signed distance to a rounded rectangle (negative outside).
      const qx = Math.abs(x - cx) - (hw - rad),
        qy = Math.abs(y - cy) - (hh - rad);
      const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - rad;
      return -outside;
    },
    foreground: (x, y) => {
      const u = (x - cx + hw) / (2 * hw),
        v = (y - cy + hh) / (2 * hh);
      const shade = 0.7 + 0.3 * (1 - u);
      const check = (Math.floor(u * 6) + Math.floor(v * 8)) % 2 === 0;
      const c: [number, number, number] = check ? [40, 170, 90] : [250, 200, 40];
      if (v > 0.4 && v < 0.6) return [200 * shade, 30 * shade, 60 * shade];
      return [c[0] * shade, c[1] * shade, c[2] * shade];
    },
    background: () => [120, 135, 150],
  };
}

export function scenes(): Scene[] {
  return [ballScene(), boxScene()];
}

/** Intersection over union of two masks thresholded at `t` (0..255 scale: 0.5 → 128). */
export function iou(a: Uint8Array, b: Uint8Array, t = 128): number {
  if (a.length !== b.length) throw new RangeError(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0,
    union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! >= t,
      y = b[i]! >= t;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
