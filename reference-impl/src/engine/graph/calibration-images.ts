/** Calibration inputs the project generates itself: textured, shaded objects over textured backgrounds (1024² RGB). */
// Deterministic (seeded), so `npm run calibrate` reproduces the committed ranges. Photos carry more texture
// and contrast than the two test scenes; multi-octave noise, hard and soft edges, saturated and dull
// colours and dark and bright exposures bring the activation ranges closer to a photo's.
import { decode, resizeRgb } from '../decode.ts';
import { MODEL_SIZE } from '../tensor.ts';
import { rng } from '../seeded-random.ts';
import { render, scenes } from '../synthetic.ts';

/** How many generated images the committed calibration used (besides the synthetic.ts scenes). */
export const CALIBRATION_IMAGES = 12;

/** The calibration set: the synthetic.ts scenes, then calibrationImage(1..count), as 1024² RGB. */
export async function calibrationSet(count: number = CALIBRATION_IMAGES): Promise<Uint8Array[]> {
  const images: Uint8Array[] = [];
  for (const scene of scenes())
    images.push(await resizeRgb(await decode((await render(scene)).image, 5e7), MODEL_SIZE));
  for (let seed = 1; seed <= count; seed++) images.push(calibrationImage(seed));
  return images;
}

/** Smooth value noise in [0,1] over a size×size image, octaves from `cell` px down to 2 px. */
function valueNoise(size: number, cell: number, rand: () => number, persistence: number): Float32Array {
  const out = new Float32Array(size * size);
  let amp = 1,
    total = 0;
  for (let c = cell; c >= 2; c = Math.floor(c / 2)) {
    const g = Math.ceil(size / c) + 2;
    const grid = Float32Array.from({ length: g * g }, () => rand());
    for (let y = 0; y < size; y++) {
      const gy = y / c,
        y0 = Math.floor(gy),
        fy = gy - y0,
        sy = fy * fy * (3 - 2 * fy);
      for (let x = 0; x < size; x++) {
        const gx = x / c,
          x0 = Math.floor(gx),
          fx = gx - x0,
          sx = fx * fx * (3 - 2 * fx);
        const a = grid[y0 * g + x0]!,
          b = grid[y0 * g + x0 + 1]!,
          d = grid[(y0 + 1) * g + x0]!,
          e = grid[(y0 + 1) * g + x0 + 1]!;
        out[y * size + x]! += amp * ((a + (b - a) * sx) * (1 - sy) + (d + (e - d) * sx) * sy);
      }
    }
    total += amp;
    amp *= persistence;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

type Rgb = [number, number, number];
const palette = (rand: () => number): Rgb => [rand() * 255, rand() * 255, rand() * 255];

/** One generated image: a noisy two-colour background and 1–4 shaded, textured shapes with edges of varied softness. */
export function calibrationImage(seed: number, size = MODEL_SIZE): Uint8Array {
  const rand = rng(seed);
  const bgNoise = valueNoise(size, 2 ** (4 + Math.floor(rand() * 4)), rand, 0.4 + rand() * 0.3);
  const [bgA, bgB] = [palette(rand), palette(rand)];
  const exposure = 0.5 + rand();
  const shapes = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({
    cx: size * (0.2 + 0.6 * rand()),
    cy: size * (0.2 + 0.6 * rand()),
    rx: size * (0.08 + 0.3 * rand()),
    ry: size * (0.08 + 0.3 * rand()),
    power: [1, 2, 6][Math.floor(rand() * 3)]!, // diamond, ellipse, rounded box
    soft: [0.5, 2, 12][Math.floor(rand() * 3)]!,
    a: palette(rand),
    b: palette(rand),
    noise: valueNoise(size, 2 ** (2 + Math.floor(rand() * 4)), rand, 0.5 + rand() * 0.4),
    light: [rand() - 0.5, rand() - 0.5] as const,
  }));
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const t = bgNoise[i]!;
      const px: Rgb = [bgA[0] + (bgB[0] - bgA[0]) * t, bgA[1] + (bgB[1] - bgA[1]) * t, bgA[2] + (bgB[2] - bgA[2]) * t];
      for (const s of shapes) {
        const u = (x - s.cx) / s.rx,
          v = (y - s.cy) / s.ry;
        const r = (Math.abs(u) ** s.power + Math.abs(v) ** s.power) ** (1 / s.power);
        const alpha = Math.max(0, Math.min(1, ((1 - r) * Math.min(s.rx, s.ry)) / s.soft + 0.5));
        if (alpha === 0) continue;
        const n = s.noise[i]!;
        const shade = Math.max(0.15, 1 + s.light[0] * u + s.light[1] * v);
        for (let c = 0; c < 3; c++) px[c] = px[c]! * (1 - alpha) + alpha * shade * (s.a[c]! + (s.b[c]! - s.a[c]!) * n);
      }
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(px[c]! * exposure)));
    }
  }
  return rgb;
}
