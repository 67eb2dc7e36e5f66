import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadFixtures } from './fixtures.ts';
import { alphaIoU, inspectImage, maskDifference, sniffFormat, transparentShare } from './image.ts';
import { percentile } from './checks/latency.ts';

describe('fixtures', () => {
  it('are PNGs of the declared size with a non-trivial known alpha', async () => {
    const f = await loadFixtures();
    for (const fx of [f.disc, f.roundedOnGradient, f.personScene]) {
      const info = await inspectImage(fx.png);
      expect(info).toMatchObject({ format: 'png', width: fx.width, height: fx.height, hasAlpha: false });
      expect(fx.alpha.length).toBe(fx.width * fx.height);
      expect(transparentShare(fx.alpha)).toBeGreaterThan(0.3);
      expect(transparentShare(fx.alpha)).toBeLessThan(0.9);
      expect(Buffer.from(fx.base64, 'base64').equals(fx.png)).toBe(true);
    }
    expect(await inspectImage(Buffer.from(f.undecodableBase64, 'base64'))).toBeUndefined();
    expect(new URL(f.unreachableUrl).hostname.endsWith('.invalid')).toBe(true);
  });
});

describe('image analysis', () => {
  it('sniffs PNG and WebP by their magic bytes', async () => {
    const img = sharp({ create: { width: 4, height: 3, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } });
    expect(sniffFormat(await img.clone().png().toBuffer())).toBe('png');
    expect(sniffFormat(await img.clone().webp().toBuffer())).toBe('webp');
    expect(sniffFormat(Buffer.from('GIF89a'))).toBe('unknown');
  });

  it('computes IoU and mask differences at threshold 0.5', () => {
    const a = Uint8Array.from([255, 255, 0, 0]);
    const b = Uint8Array.from([255, 0, 255, 0]);
    expect(alphaIoU(a, a)).toBe(1);
    expect(alphaIoU(a, b)).toBeCloseTo(1 / 3);
    expect(maskDifference(a, b)).toBe(0.5);
    expect(alphaIoU(new Uint8Array(4), new Uint8Array(4))).toBe(1);
  });

  it('takes nearest-rank percentiles', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
  });
});
