/** The model precisions a deployment may choose (`BGR_PRECISION`), and the default. */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];
/**
 * fp32 is the default by the issue's rule — the precision whose worst-photo alpha IoU vs fp32 is ≥ 0.99 —
 * since int8's worst shared photo is below that (engine README, "Precision").
 */
export const DEFAULT_PRECISION: Precision = 'fp32';

/**
 * int8's fp32 fallback: an image whose int8 alpha has more than `share` of its pixels strictly inside `band`
 * (the model unsure there, where int8's small shifts flip whole regions across 0.5) is run again in fp32, and
 * fp32's answer is kept. 2.5 %: about two thirds of the lowest share among the 92 images seen so far whose
 * int8 IoU vs fp32 was under 0.95 (3.89 %); validated on draws made after it was fixed (engine README,
 * "fp32 fallback").
 */
export const INT8_FALLBACK: FallbackRule = { band: [0.2, 0.8], share: 0.025 };

/** When a graph hands an image to its fallback: more than `share` of its output strictly inside `band`. */
export interface FallbackRule {
  band: readonly [number, number];
  share: number;
}

/** The decision itself, from the share of the image unsure (tensor.ts `unsureShare` over `rule.band`). */
export const fallsBack = (unsure: number, rule: FallbackRule = INT8_FALLBACK): boolean => unsure > rule.share;
