/** Unit tests of the benchmark's pure helpers (no timing here: benchmarks are not tests). */
import { describe, expect, it } from 'vitest';
import { fmt, peakOf, quantile, summarize } from './stats.ts';

describe('bench stats', () => {
  it('interpolates quantiles and ignores input order', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.99)).toBe(10);
    expect(quantile([0, 100], 0.95)).toBeCloseTo(95);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarizes a sample', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toEqual({ n: 101, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('tracks the element-wise peak', () => {
    expect(peakOf({ rssMB: 1, heapUsedMB: 5, externalMB: 2 }, { rssMB: 3, heapUsedMB: 4, externalMB: 2 })).toEqual({
      rssMB: 3,
      heapUsedMB: 5,
      externalMB: 2,
    });
  });

  it('formats missing numbers as a dash', () => {
    expect(fmt(NaN)).toBe('—');
    expect(fmt(undefined)).toBe('—');
    expect(fmt(1.234, 1)).toBe('1.2');
  });
});
