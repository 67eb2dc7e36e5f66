/** A seeded PRNG (mulberry32): the same seed gives the same workload and fault schedule. */
export type Rng = () => number;

export { rng } from '../../src/engine/seeded-random.ts';

/** An integer in [lo, hi]. */
export const between = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
