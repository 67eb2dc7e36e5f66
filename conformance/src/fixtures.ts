/** Synthetic test images generated with sharp, each with the alpha it should get; sent inline as base64. */
import sharp from 'sharp';

export interface Fixture {
  name: string;
  width: number;
  height: number;
  /** The image as sent (PNG, no alpha). */
  png: Buffer;
  base64: string;
  /** The known foreground mask, one byte per pixel (255 foreground, 0 background). */
  alpha: Uint8Array;
}

export interface Fixtures {
  /** A shaded disc on a plain background (landscape, so swapped dimensions show). */
  disc: Fixture;
  /** A shaded rounded square on a vertical gradient (portrait). */
  roundedOnGradient: Fixture;
  /** A crude person (head, shirt, legs) beside a blue box; `alpha` is the person only. */
  personScene: Fixture;
  /** Base64 that decodes to bytes no image decoder accepts. */
  undecodableBase64: string;
  /** An image URL on a host that can never resolve (RFC 6761 `.invalid`). */
  unreachableUrl: string;
}

type Rgb = [number, number, number];
type Painter = (x: number, y: number) => { rgb: Rgb; fg: boolean } | undefined;

async function paint(
  name: string,
  width: number,
  height: number,
  background: (x: number, y: number) => Rgb,
  shapes: Painter[],
  mask: (x: number, y: number, shapeIndex: number) => boolean = () => true,
): Promise<Fixture> {
  const rgb = Buffer.alloc(width * height * 3);
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let px = background(x, y);
      let fg = false;
      shapes.forEach((shape, i) => {
        const hit = shape(x, y);
        if (hit) {
          px = hit.rgb;
          fg = mask(x, y, i);
        }
      });
      const o = (y * width + x) * 3;
      rgb[o] = px[0];
      rgb[o + 1] = px[1];
      rgb[o + 2] = px[2];
      alpha[y * width + x] = fg ? 255 : 0;
    }
  }
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { name, width, height, png, base64: png.toString('base64'), alpha };
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** A disc shaded from a lit upper-left towards a darker rim. */
function shadedDisc(cx: number, cy: number, r: number, base: Rgb): Painter {
  return (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    if (d > r) return undefined;
    const light = 1 - 0.45 * (Math.hypot(x - (cx - r / 3), y - (cy - r / 3)) / (1.4 * r));
    return { rgb: [clamp(base[0] * light), clamp(base[1] * light), clamp(base[2] * light)], fg: true };
  };
}

function roundedRect(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  colour: (x: number, y: number) => Rgb,
): Painter {
  return (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return undefined;
    const cx = Math.min(Math.max(x, x0 + radius), x1 - radius);
    const cy = Math.min(Math.max(y, y0 + radius), y1 - radius);
    return Math.hypot(x - cx, y - cy) <= radius ? { rgb: colour(x, y), fg: true } : undefined;
  };
}

/** The blue box of the person scene (the object a `human` method should drop). */
export const personSceneBox = { x0: 280, y0: 170, x1: 400, y1: 290 } as const;

let cached: Promise<Fixtures> | undefined;

/** Builds the fixtures once per process (deterministic: no randomness). */
export function loadFixtures(): Promise<Fixtures> {
  cached ??= build();
  return cached;
}

async function build(): Promise<Fixtures> {
  const disc = await paint('disc', 384, 256, () => [232, 228, 220], [shadedDisc(192, 128, 90, [220, 110, 40])]);
  const roundedOnGradient = await paint(
    'rounded-on-gradient',
    256,
    352,
    (_x, y) => [clamp(200 + (40 * y) / 352), clamp(212 + (30 * y) / 352), clamp(232 + (10 * y) / 352)],
    [roundedRect(48, 80, 208, 280, 36, (x, y) => [clamp(30 + x / 12), clamp(110 - y / 8), clamp(50 + y / 16)])],
  );
  // The person is the head, shirt and legs (shapes 0–2); the blue box (shape 3) is an object a `human` method drops.
  const personScene = await paint(
    'person-scene',
    448,
    320,
    () => [242, 239, 233],
    [
      shadedDisc(140, 70, 34, [224, 164, 128]),
      roundedRect(100, 104, 180, 210, 18, () => [190, 48, 48]),
      roundedRect(110, 206, 170, 300, 8, () => [64, 64, 64]),
      roundedRect(personSceneBox.x0, personSceneBox.y0, personSceneBox.x1, personSceneBox.y1, 10, (x) => [
        clamp(30 + x / 20),
        70,
        210,
      ]),
    ],
    (_x, _y, i) => i < 3,
  );
  const junk = Buffer.from('this is not an image, just bytes no decoder accepts: \x00\x01\x02\x03', 'latin1');
  return {
    disc,
    roundedOnGradient,
    personScene,
    undecodableBase64: junk.toString('base64'),
    unreachableUrl: 'https://bgr-conformance.invalid/fixture.png',
  };
}
