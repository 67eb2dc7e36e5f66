/** Pure helpers shared by the benchmarks: quantiles, summaries, memory snapshots and number formatting. */

/** Linear-interpolated quantile (q in [0, 1]); NaN for an empty sample. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    p50: quantile(xs, 0.5),
    p95: quantile(xs, 0.95),
    p99: quantile(xs, 0.99),
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

export interface MemorySnapshot {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = process.memoryUsage();
  const mb = (n: number) => n / 2 ** 20;
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external + m.arrayBuffers) };
}

/** Element-wise max, for tracking a peak across samples. */
export function peakOf(a: MemorySnapshot, b: MemorySnapshot): MemorySnapshot {
  return {
    rssMB: Math.max(a.rssMB, b.rssMB),
    heapUsedMB: Math.max(a.heapUsedMB, b.heapUsedMB),
    externalMB: Math.max(a.externalMB, b.externalMB),
  };
}

/** Fixed decimals, '—' for missing/NaN: reports must never print "NaN". */
export function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);
}
