/**
 * The sandbox's subject mask: each pixel's colour distance from the background the image's borders suggest,
 * softly thresholded. No model: a cheap, deterministic statistic that finds a subject on a plain or graded
 * backdrop (product shots, the conformance fixtures) and gives a plausible soft alpha elsewhere.
 */
import sharp from 'sharp';
import type { Decoded } from '../decode.ts';
import type { Mask8 } from '../compose.ts';

/** The mask is computed at most this many pixels on its long side, then resized to the image (bilinear). */
export const MASK_SIDE = 256;
/** Colour distances (0–441, Euclidean RGB) below LOW are background, above HIGH subject; a smooth step between. */
const LOW = 28;
const HIGH = 64;
/** Border samples are median-filtered over this many neighbours, so a thin intrusion does not become background. */
const MEDIAN = 9;

/** The decoded image at mask resolution as RGB (transparent areas on white, as a viewer shows them). */
async function small(img: Decoded): Promise<{ rgb: Buffer; width: number; height: number }> {
  const scale = Math.min(1, MASK_SIDE / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  let pipeline = sharp(img.rgba, { raw: { width: img.width, height: img.height, channels: 4 } }).resize(width, height, {
    fit: 'fill',
  });
  pipeline = img.hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline.removeAlpha();
  const rgb = await pipeline.raw().toBuffer();
  return { rgb, width, height };
}

/** A median filter over a line of RGB samples (per channel), with the window clipped at the ends. */
function medianLine(line: Float32Array): Float32Array {
  const n = line.length / 3;
  const out = new Float32Array(line.length);
  const half = MEDIAN >> 1;
  const window: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      window.length = 0;
      for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half); j++) window.push(line[j * 3 + c]!);
      window.sort((a, b) => a - b);
      out[i * 3 + c] = window[window.length >> 1]!;
    }
  }
  return out;
}

/** The pixels of one border (top, bottom, left or right), median-filtered. */
function border(rgb: Buffer, width: number, height: number, side: 'top' | 'bottom' | 'left' | 'right'): Float32Array {
  const horizontal = side === 'top' || side === 'bottom';
  const n = horizontal ? width : height;
  const line = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const x = horizontal ? i : side === 'left' ? 0 : width - 1;
    const y = horizontal ? (side === 'top' ? 0 : height - 1) : i;
    for (let c = 0; c < 3; c++) line[i * 3 + c] = rgb[(y * width + x) * 3 + c]!;
  }
  return medianLine(line);
}

const smoothstep = (d: number) => {
  const t = Math.min(1, Math.max(0, (d - LOW) / (HIGH - LOW)));
  return t * t * (3 - 2 * t);
};

/**
 * The soft subject mask at mask resolution. The background expected at (x, y) blends the borders: the left
 * and right border pixels of its row, and the top and bottom ones of its column, each interpolated
 * linearly, then averaged — exact on a plain or linearly graded backdrop.
 */
export async function subjectMask(img: Decoded): Promise<Mask8> {
  const { rgb, width, height } = await small(img);
  const top = border(rgb, width, height, 'top');
  const bottom = border(rgb, width, height, 'bottom');
  const left = border(rgb, width, height, 'left');
  const right = border(rgb, width, height, 'right');
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = height > 1 ? y / (height - 1) : 0.5;
    for (let x = 0; x < width; x++) {
      const u = width > 1 ? x / (width - 1) : 0.5;
      let d2 = 0;
      for (let c = 0; c < 3; c++) {
        const across = left[y * 3 + c]! * (1 - u) + right[y * 3 + c]! * u;
        const down = top[x * 3 + c]! * (1 - v) + bottom[x * 3 + c]! * v;
        const diff = rgb[(y * width + x) * 3 + c]! - (across + down) / 2;
        d2 += diff * diff;
      }
      alpha[y * width + x] = Math.round(smoothstep(Math.sqrt(d2)) * 255);
    }
  }
  // A light blur softens the edge the way a matting model's does (and fills single-pixel speckle).
  const blurred = await sharp(alpha, { raw: { width, height, channels: 1 } })
    .blur(0.8)
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return { data: new Uint8Array(blurred.buffer, blurred.byteOffset, blurred.length), width, height };
}

/**
 * `method: "human"` in the sandbox: only the largest connected subject (8-neighbours, at alpha ≥ 128) is kept —
 * a person is one figure — so a scene with a person and a separate object loses the object.
 */
export function largestSubject(mask: Mask8): Mask8 {
  const { data, width, height } = mask;
  const label = new Int32Array(width * height).fill(-1);
  const sizes: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < data.length; start++) {
    if (data[start]! < 128 || label[start] !== -1) continue;
    const id = sizes.length;
    let size = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      size++;
      const px = p % width,
        py = (p - px) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const qx = px + dx,
            qy = py + dy;
          if (qx < 0 || qy < 0 || qx >= width || qy >= height) continue;
          const q = qy * width + qx;
          if (label[q] === -1 && data[q]! >= 128) {
            label[q] = id;
            stack.push(q);
          }
        }
      }
    }
    sizes.push(size);
  }
  if (sizes.length <= 1) return mask;
  const keep = sizes.indexOf(Math.max(...sizes));
  const out = new Uint8Array(data.length);
  // The soft rim (below 128) is kept where it touches the kept figure, so its edge stays soft.
  for (let p = 0; p < data.length; p++) {
    if (label[p] === keep) out[p] = data[p]!;
    else if (label[p] === -1 && data[p]! > 0) {
      const px = p % width,
        py = (p - px) / width;
      let near = false;
      for (let dy = -1; dy <= 1 && !near; dy++) {
        for (let dx = -1; dx <= 1 && !near; dx++) {
          const qx = px + dx,
            qy = py + dy;
          if (qx >= 0 && qy >= 0 && qx < width && qy < height && label[qy * width + qx] === keep) near = true;
        }
      }
      if (near) out[p] = data[p]!;
    }
  }
  return { data: out, width, height };
}
