/** Tensor conversions for ISNet: RGB bytes → planar float input, sigmoid output → alpha bytes. */

/** The model's fixed input side; its resize targets are baked into the graph. */
export const MODEL_SIZE = 1024;

/**
 * Interleaved RGB uint8 (size×size×3) → planar float32 [3,size,size], value/255 − 0.5 (std 1), which is the
 * normalisation ISNet's authors trained with.
 */
export function toPlanarInput(rgb: Uint8Array, size: number = MODEL_SIZE, out?: Float32Array): Float32Array {
  const plane = size * size;
  if (rgb.length !== plane * 3) throw new RangeError(`expected ${plane * 3} RGB bytes, got ${rgb.length}`);
  const data = out ?? new Float32Array(plane * 3);
  const k = 1 / 255;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    data[i] = rgb[j]! * k - 0.5;
    data[i + plane] = rgb[j + 1]! * k - 0.5;
    data[i + 2 * plane] = rgb[j + 2]! * k - 0.5;
  }
  return data;
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
