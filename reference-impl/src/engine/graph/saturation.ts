/** Whether an int8 graph can saturate the 16-bit pair sums of x86 int8 kernels without VNNI (its largest weights). */
// onnxruntime's x86 u8×s8 kernels before VNNI (AVX2, AVX-512 BW) multiply with VPMADDUBSW: two adjacent
// uint8 × int8 products are added into one saturating int16 lane. Which two weights share a lane depends on
// the kernel's packing, so the bound is taken over any pair: 2 × 255 × max|w| must stay ≤ 32 767.
import { INT8, type Model, rawBytes } from './onnx.ts';

/** Largest |int8 weight| for which no pair of uint8 × int8 products can leave the int16 range. */
export const SAFE_WEIGHT_MAX = Math.floor(32767 / (2 * 255));

export interface WeightRange {
  tensor: string;
  maxAbs: number;
}

/** Every int8 initializer that a DequantizeLinear reads as its data (the quantized weights), with its largest |value|. */
export function int8WeightRanges(model: Model): WeightRange[] {
  const data = new Set(
    (model.graph?.node ?? []).filter((n) => n.opType === 'DequantizeLinear').map((n) => n.input![0]!),
  );
  return (model.graph?.initializer ?? [])
    .filter((t) => t.dataType === INT8 && data.has(t.name!))
    .map((t) => {
      const q = new Int8Array(rawBytes(t).buffer);
      let maxAbs = 0;
      for (const v of q) maxAbs = Math.max(maxAbs, Math.abs(v));
      return { tensor: t.name!, maxAbs };
    });
}

/** The int8 weight tensors whose products could saturate a 16-bit pair sum (empty: safe on every CPU). */
export function saturatingWeights(model: Model): WeightRange[] {
  return int8WeightRanges(model).filter((r) => r.maxAbs > SAFE_WEIGHT_MAX);
}
