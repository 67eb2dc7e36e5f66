/** Calibration: runs the fp32 graph with its quantized activations as extra outputs and derives their uint8 ranges. */
import * as ort from 'onnxruntime-node';
import { OUTPUT } from './fp32.ts';
import { RangeHistogram } from './histogram.ts';
import type { QuantParams } from './int8.ts';
import { decodeModel, encodeModel, FLOAT } from './onnx.ts';
import { quantPlan } from './plan.ts';
import { MODEL_SIZE, toPlanarInput } from '../tensor.ts';

// p99.99 beat p99.9, p99.95, p99.98, p99.999, p99.9999, max and an MSE-optimal clip on the shared photos (README).
export const PERCENTILE = 99.99;

/**
 * Per-tensor uint8 parameters for `fp32Bytes` (the pruned fp32 graph) from `images` (1024² RGB bytes).
 * The tensors are fetched in `groups` sessions so that one run's intermediates stay within memory.
 */
export async function calibrate(
  fp32Bytes: Uint8Array,
  images: Uint8Array[],
  options: CalibrateOptions = {},
): Promise<Record<string, QuantParams>> {
  return paramsAt(await histograms(fp32Bytes, images, options), PERCENTILE);
}

export interface CalibrateOptions {
  groups?: number;
  /** Only the tensors whose name matches (calibration sweeps); default: every one the int8 plan calibrates. */
  only?: RegExp;
  threads?: number;
  log?: (s: string) => void;
}

export function paramsAt(hists: Map<string, RangeHistogram>, percentile: number | 'mse'): Record<string, QuantParams> {
  return Object.fromEntries([...hists].map(([n, h]) => [n, h.params(percentile)]));
}

/** The |x| histograms of every tensor the int8 plan calibrates, over `images` (1024² RGB bytes). */
export function histograms(
  fp32Bytes: Uint8Array,
  images: Uint8Array[],
  options: CalibrateOptions = {},
): Promise<Map<string, RangeHistogram>> {
  return histogramsOf(
    fp32Bytes,
    images.map((rgb) => ({ data: toPlanarInput(rgb, MODEL_SIZE), dims: [1, 3, MODEL_SIZE, MODEL_SIZE] })),
    options,
  );
}

/** The same over raw model inputs of any shape. */
export async function histogramsOf(
  fp32Bytes: Uint8Array,
  feeds: { data: Float32Array; dims: number[] }[],
  options: CalibrateOptions = {},
): Promise<Map<string, RangeHistogram>> {
  const plan = quantPlan(decodeModel(fp32Bytes).graph!, OUTPUT);
  const names = plan.calibrated.filter((n) => !options.only || options.only.test(n));
  const groups = options.groups ?? 4;
  const hist = new Map(names.map((n) => [n, new RangeHistogram()]));
  const inputs = feeds.map((f) => new ort.Tensor('float32', f.data, f.dims));
  for (let g = 0; g < groups; g++) {
    const fetch = names.filter((_, i) => i % groups === g);
    const model = decodeModel(fp32Bytes);
    for (const name of fetch) {
      if (name === model.graph!.input![0]!.name) continue;
      model.graph!.output!.push({ name, type: { tensorType: { elemType: FLOAT } } });
    }
    const session = await ort.InferenceSession.create(encodeModel(model), {
      intraOpNumThreads: options.threads ?? 2,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    for (const [i, input] of inputs.entries()) {
      const feeds = { [session.inputNames[0]!]: input };
      const result = await session.run(
        feeds,
        fetch.filter((n) => n !== session.inputNames[0]),
      );
      for (const name of fetch) {
        const data =
          name === session.inputNames[0] ? (input.data as Float32Array) : (result[name]!.data as Float32Array);
        hist.get(name)!.add(data);
      }
      for (const t of Object.values(result)) t.dispose();
      options.log?.(`group ${g + 1}/${groups} image ${i + 1}/${inputs.length}`);
    }
    await session.release();
  }
  return hist;
}
