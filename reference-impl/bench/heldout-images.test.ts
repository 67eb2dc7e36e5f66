import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generatedScenes } from './heldout-images.ts';

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
});
