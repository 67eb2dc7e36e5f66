/** Tests for the person mask (real model, small inputs) and the dilate helper (synthetic masks). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERSON_SIZE, dilate, loadPersonModel, personMask } from './index.ts';

const S = PERSON_SIZE;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The shared photos sit in `../shared` beside the checkout. A git worktree lives one level deeper
 * (e.g. wt/<branch>), so also look in the parents' `shared`. Absent in some setups: tests skip.
 */
function findPhotos(): string | undefined {
  if (process.env.BGR_SHARED_DIR) return join(process.env.BGR_SHARED_DIR, 'fixtures/photos');
  for (let dir = REPO_ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, '..', 'shared', 'fixtures', 'photos');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
const PHOTOS = findPhotos();
const photo = (name: string) => (PHOTOS ? join(PHOTOS, name) : '');

/** The photo squashed to 256×256 RGB, as the engine feeds the model. */
async function rgb256(file: string): Promise<Buffer> {
  return sharp(file).rotate().resize(S, S, { fit: 'fill' }).removeAlpha().raw().toBuffer();
}

/** Mean of the mask over the box [x0, x1) × [y0, y1). */
function boxMean(m: Float32Array, x0: number, y0: number, x1: number, y1: number): number {
  let sum = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += m[y * S + x]!;
  return sum / ((x1 - x0) * (y1 - y0));
}

const mean = (m: Float32Array) => m.reduce((a, v) => a + v, 0) / m.length;

describe('personMask', () => {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  let listenersBefore: number[] = [];
  beforeAll(async () => {
    listenersBefore = events.map((e) => process.listenerCount(e));
    await loadPersonModel();
  });

  it('leaves no process-wide error listeners behind (the wasm glue adds some)', () => {
    expect(events.map((e) => process.listenerCount(e))).toEqual(listenersBefore);
  });

  it('returns 256*256 probabilities in 0..1', async () => {
    const rgb = Buffer.alloc(S * S * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7919) % 256; // deterministic noise
    const m = await personMask(rgb);
    expect(m).toBeInstanceOf(Float32Array);
    expect(m.length).toBe(S * S);
    let min = Infinity,
      max = -Infinity;
    for (const v of m) [min, max] = [Math.min(min, v), Math.max(max, v)];
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
  });

  it('sees no person in a uniform grey image', async () => {
    const m = await personMask(Buffer.alloc(S * S * 3, 128));
    expect(mean(m)).toBeLessThan(0.2);
  });

  it('rejects a buffer of the wrong size', async () => {
    await expect(personMask(Buffer.alloc(10))).rejects.toThrow(RangeError);
  });

  it('loads once (idempotent) and gives the same answer twice', async () => {
    await Promise.all([loadPersonModel(), loadPersonModel()]);
    const rgb = Buffer.alloc(S * S * 3, 90);
    expect(await personMask(rgb)).toEqual(await personMask(rgb));
  });

  // Boxes were read off the 256×256 squashed photos (mask overlays checked by eye).
  it.skipIf(!existsSync(photo('car-1.jpg')))('car-1: the person is kept, the car is not', async () => {
    const m = await personMask(await rgb256(photo('car-1.jpg')));
    expect(boxMean(m, 216, 80, 230, 180)).toBeGreaterThan(0.8); // the woman on the right, torso and legs
    expect(boxMean(m, 30, 130, 190, 195)).toBeLessThan(0.05); // the car body
    expect(boxMean(m, 0, 40, 256, 60)).toBeLessThan(0.1); // trees above the car
  });

  it.skipIf(!existsSync(photo('anime-girl-1.jpg')))('anime-girl-1: the girl is a person', async () => {
    const m = await personMask(await rgb256(photo('anime-girl-1.jpg')));
    expect(boxMean(m, 108, 100, 156, 180)).toBeGreaterThan(0.8); // torso and skirt
    expect(boxMean(m, 0, 0, 60, 256)).toBeLessThan(0.1); // left side: seats and jellyfish
    expect(boxMean(m, 200, 0, 256, 256)).toBeLessThan(0.1); // right side
  });
});

/** Brute-force max filter to check the separable one against. */
function dilateNaive(m: Float32Array, w: number, h: number, r: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = -Infinity;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) best = Math.max(best, m[yy * w + xx]!);
      }
      out[y * w + x] = best;
    }
  }
  return out;
}

describe('dilate', () => {
  it('grows a single pixel into a (2r+1)² square, clipped at the borders', () => {
    const w = 9,
      h = 7;
    const m = new Float32Array(w * h);
    m[3 * w + 4] = 1;
    const d = dilate(m, w, h, 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        expect(d[y * w + x]).toBe(Math.abs(x - 4) <= 2 && Math.abs(y - 3) <= 2 ? 1 : 0);
      }
    }
    const corner = new Float32Array(w * h);
    corner[0] = 0.5;
    const dc = dilate(corner, w, h, 3);
    expect(dc[3 * w + 3]).toBe(0.5);
    expect(dc[4 * w + 0]).toBe(0);
    expect(dc[0 * w + 4]).toBe(0);
  });

  it('matches a brute-force max filter on random masks (non-square, several radii)', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const [w, h] of [
      [17, 11],
      [1, 5],
      [6, 1],
      [32, 32],
    ] as const) {
      const m = Float32Array.from({ length: w * h }, rand);
      for (const r of [1, 2, 5, 40]) expect(dilate(m, w, h, r)).toEqual(dilateNaive(m, w, h, r));
    }
  });

  it('radius 0 returns an equal copy; input is never modified', () => {
    const m = Float32Array.from([0, 0.2, 1, 0.3]);
    const before = m.slice();
    const d0 = dilate(m, 2, 2, 0);
    expect(d0).toEqual(m);
    expect(d0).not.toBe(m);
    dilate(m, 2, 2, 1);
    expect(m).toEqual(before);
  });

  it('rejects a mask whose length is not w*h', () => {
    expect(() => dilate(new Float32Array(5), 2, 2, 1)).toThrow(RangeError);
  });

  it('is fast on a 1024² mask with a large radius', () => {
    const m = new Float32Array(1024 * 1024);
    m[512 * 1024 + 512] = 1;
    const t = performance.now();
    const d = dilate(m, 1024, 1024, 25);
    expect(performance.now() - t).toBeLessThan(1000); // O(w*h): tens of ms; generous for slow CI
    expect(d[(512 + 25) * 1024 + 512 + 25]).toBe(1);
    expect(d[(512 + 26) * 1024 + 512]).toBe(0);
  });
});
