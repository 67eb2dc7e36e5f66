/** Percentile calibration: a histogram of |x| per tensor, merged over images, read at a percentile. */
import type { QuantParams } from './int8.ts';

const BINS = 2048;
const MERGED_BINS = 65536;

/** One image's view of one tensor. */
interface Partial {
  absMax: number;
  min: number;
  counts: Float64Array;
}

export class RangeHistogram {
  private parts: Partial[] = [];

  add(x: Float32Array): void {
    let absMax = 0,
      min = Infinity;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v < min) min = v;
      const a = v < 0 ? -v : v;
      if (a > absMax) absMax = a;
    }
    const counts = new Float64Array(BINS);
    if (absMax > 0) {
      const k = BINS / absMax;
      for (let i = 0; i < x.length; i++) {
        const a = x[i]! < 0 ? -x[i]! : x[i]!;
        counts[Math.min(BINS - 1, Math.floor(a * k))]! += 1;
      }
    }
    this.parts.push({ absMax, min, counts });
  }

  /** All images' counts on one scale: MERGED_BINS bins over [0, max]. */
  private merged(): { merged: Float64Array; max: number; total: number } {
    const max = Math.max(0, ...this.parts.map((p) => p.absMax));
    const merged = new Float64Array(MERGED_BINS);
    let total = 0;
    for (const p of this.parts) {
      const w = p.absMax / BINS;
      for (let b = 0; b < BINS; b++) {
        if (!p.counts[b]) continue;
        // Each source bin lands, whole, in the merged bin holding its upper edge (never underestimates).
        merged[Math.min(MERGED_BINS - 1, Math.floor((((b + 1) * w) / max) * MERGED_BINS - 1e-9))]! += p.counts[b]!;
        total += p.counts[b]!;
      }
    }
    return { merged, max, total };
  }

  /** The |x| below which `percentile` (e.g. 99.999) of all values seen lie. */
  threshold(percentile: number): number {
    const { merged, max, total } = this.merged();
    if (max === 0) return 0;
    const target = total * (percentile / 100);
    let acc = 0;
    for (let b = 0; b < MERGED_BINS; b++) {
      acc += merged[b]!;
      if (acc >= target) return ((b + 1) / MERGED_BINS) * max;
    }
    return max;
  }

  /**
   * The clipping threshold t minimising the expected squared quantization error of |x| with `levels` steps
   * over [0, t]: rounding (step²/12 per value inside) plus clipping ((|x| − t)² per value beyond).
   */
  mseThreshold(levels: number): number {
    const { merged, max } = this.merged();
    if (max === 0) return 0;
    const w = max / MERGED_BINS;
    // Suffix sums of count, Σx and Σx² beyond each bin edge, to price clipping in O(1) per candidate.
    const n = new Float64Array(MERGED_BINS + 1),
      s1 = new Float64Array(MERGED_BINS + 1),
      s2 = new Float64Array(MERGED_BINS + 1);
    for (let b = MERGED_BINS - 1; b >= 0; b--) {
      const x = (b + 0.5) * w,
        c = merged[b]!;
      n[b] = n[b + 1]! + c;
      s1[b] = s1[b + 1]! + c * x;
      s2[b] = s2[b + 1]! + c * x * x;
    }
    let best = max,
      bestErr = Infinity;
    for (let b = 16; b <= MERGED_BINS; b += 16) {
      const t = b * w,
        step = t / levels;
      const err = ((n[0]! - n[b]!) * (step * step)) / 12 + (s2[b]! - 2 * t * s1[b]! + t * t * n[b]!);
      if (err < bestErr) {
        bestErr = err;
        best = t;
      }
    }
    return best;
  }

  get nonNegative(): boolean {
    return this.parts.every((p) => p.min >= 0);
  }

  /** uint8 parameters: [0, t] with zero point 0 for non-negative tensors, else [−t, t] with zero point 128. */
  params(percentile: number | 'mse'): QuantParams {
    const levels = this.nonNegative ? 255 : 127.5;
    const t = (percentile === 'mse' ? this.mseThreshold(levels) : this.threshold(percentile)) || 1e-6;
    return this.nonNegative ? { scale: t / 255, zeroPoint: 0 } : { scale: (2 * t) / 255, zeroPoint: 128 };
  }
}
