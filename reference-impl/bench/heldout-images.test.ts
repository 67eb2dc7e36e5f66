import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  FRESH_HELDOUT_SEEDS,
  generatedScenes,
  HELDOUT_SEED,
  TUNING_SEEDS,
  VALIDATION_SEEDS,
} from './heldout-images.ts';

describe('generatedScenes', () => {
  it('draws the same eight scenes for a seed, each with a true matte that covers its subject only', async () => {
    const [a, b] = await Promise.all([generatedScenes(9000), generatedScenes(9000)]);
    expect(a.map((s) => s.name)).toHaveLength(8);
    for (const [i, scene] of a.entries()) {
      expect(scene.data.equals(b[i]!.data), scene.name).toBe(true);
      expect(scene.matte.length, scene.name).toBe(scene.width * scene.height);
      const covered = scene.matte.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0) / scene.matte.length;
      // A subject, not the whole frame and not nothing; the corners are background.
      expect(covered, scene.name).toBeGreaterThan(0.005);
      expect(covered, scene.name).toBeLessThan(0.6);
      expect(scene.matte[0], scene.name).toBe(0);
      const meta = await sharp(scene.data).metadata();
      expect([meta.width, meta.height]).toEqual([scene.width, scene.height]);
    }
  });

  // Scene k of a draw uses rng(seed + k): draws closer than eight apart would share scenes across the sets.
  it('the tuning, held-out, fresh and validation draws share no scene', () => {
    const seeds = [...TUNING_SEEDS, HELDOUT_SEED, ...FRESH_HELDOUT_SEEDS, ...VALIDATION_SEEDS];
    const used = seeds.flatMap((s) => Array.from({ length: 8 }, (_, k) => s + k));
    expect(new Set(used).size).toBe(used.length);
  });
});
