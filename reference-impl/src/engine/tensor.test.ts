import { describe, expect, it } from 'vitest';
import { toAlpha, toPlanarInput, unsureShare } from './tensor.ts';

describe('tensor conversions', () => {
  it('makes planar RGB, value/255 − 0.5', () => {
    const rgb = Uint8Array.from([0, 255, 51, 255, 0, 102, 128, 128, 128, 10, 20, 30]); // 2×2
    const t = toPlanarInput(rgb, 2);
    const r = (v: number) => v / 255 - 0.5;
    expect([...t.subarray(0, 4)].map((v) => v.toFixed(4))).toEqual([0, 255, 128, 10].map((v) => r(v).toFixed(4)));
    expect([...t.subarray(4, 8)].map((v) => v.toFixed(4))).toEqual([255, 0, 128, 20].map((v) => r(v).toFixed(4)));
    expect([...t.subarray(8, 12)].map((v) => v.toFixed(4))).toEqual([51, 102, 128, 30].map((v) => r(v).toFixed(4)));
  });

  it('gives every byte value the float the arithmetic gives (v × (1/255) − 0.5 in float32), in every plane', () => {
    const rgb = Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 7 + (i % 3) * 85) % 256);
    const t = toPlanarInput(rgb, 16);
    const seen = new Set<number>();
    for (let i = 0; i < 256; i++) {
      for (let c = 0; c < 3; c++) {
        const v = rgb[i * 3 + c]!;
        seen.add(v);
        expect(t[c * 256 + i]).toBe(Math.fround(v * (1 / 255) - 0.5));
      }
    }
    expect(seen.size).toBe(256);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => toPlanarInput(new Uint8Array(5), 2)).toThrow(RangeError);
  });

  it('maps probabilities to rounded, clamped bytes without stretching', () => {
    expect([...toAlpha(Float32Array.from([0, 1, 0.5, -0.2, 1.3, 0.1, NaN]))]).toEqual([0, 255, 128, 0, 255, 26, 0]);
  });

  it.each([
    { probs: [0, 1, 0.5, 0.3, 0.9, 0.1], share: 2 / 6 },
    { probs: [0.25, 0.75, 0.2501, 0.7499], share: 2 / 4 }, // the band's ends count as sure
    { probs: [0, 1], share: 0 },
    { probs: [], share: 0 },
  ])('counts the share of unsure pixels (strictly inside 0.25–0.75): $probs', ({ probs, share }) => {
    expect(unsureShare(Float32Array.from(probs), [0.25, 0.75])).toBeCloseTo(share, 10);
  });
});
