/** The model precisions a deployment may choose (`BGR_PRECISION`), and the default. */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];
/**
 * fp32 is the default by the issue's rule — the precision whose worst-photo alpha IoU vs fp32 is ≥ 0.99 —
 * since int8's worst shared photo is below that (engine README, "Precision").
 */
export const DEFAULT_PRECISION: Precision = 'fp32';
