/** Tensor conversions for ISNet: RGB bytes → planar float input, sigmoid output → alpha bytes. */

/** The model's fixed input side; its resize targets are baked into the graph. */
export const MODEL_SIZE = 1024;

// byte → input value, computed as the loop did (v × (1/255) − 0.5, rounded to float32 once): a lookup is
// ~2× faster than the arithmetic per byte, with the same floats (tensor.test.ts).
const INPUT_VALUE = Float32Array.from({ length: 256 }, (_, v) => v * (1 / 255) - 0.5);

/**
 * Interleaved RGB uint8 (size×size×3) → planar float32 [3,size,size], value/255 − 0.5 (std 1), which is the
 * normalisation ISNet's authors trained with.
 */
export function toPlanarInput(rgb: Uint8Array, size: number = MODEL_SIZE, out?: Float32Array): Float32Array {
  const plane = size * size;
  if (rgb.length !== plane * 3) throw new RangeError(`expected ${plane * 3} RGB bytes, got ${rgb.length}`);
  const data = out ?? new Float32Array(plane * 3);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    data[i] = INPUT_VALUE[rgb[j]!]!;
    data[i + plane] = INPUT_VALUE[rgb[j + 1]!]!;
    data[i + 2 * plane] = INPUT_VALUE[rgb[j + 2]!]!;
  }
  return data;
}

/** The share of `prob` strictly between lo and hi: how much of the image the model is unsure about. */
export function unsureShare(prob: Float32Array, [lo, hi]: readonly [number, number]): number {
  let n = 0;
  for (let i = 0; i < prob.length; i++) if (prob[i]! > lo && prob[i]! < hi) n++;
  return prob.length ? n / prob.length : 0;
}

/** Model output (already through a sigmoid, 0..1) → alpha bytes. No min-max stretch: it amplifies noise. */
export function toAlpha(prob: Float32Array, out?: Uint8Array): Uint8Array {
  const alpha = out ?? new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) {
    const v = prob[i]! * 255 + 0.5;
    alpha[i] = v <= 0 ? 0 : v >= 255 ? 255 : v; // Uint8Array assignment truncates, so +0.5 rounds
  }
  return alpha;
}
