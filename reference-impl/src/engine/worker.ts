/** Inference worker: owns one onnxruntime session (two with int8's fp32 fallback) and turns a 1024² RGB image into a 1024² alpha mask. */
// onnxruntime-node's `run` blocks its thread for the whole inference (seconds), so it lives here, off the
// main thread; the float conversions run here too so the main event loop only sees sharp's async calls.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { fallsBack } from './graph/precision.ts';
import type { JobMessage, WorkerInit, WorkerMessage } from './protocol.ts';
import { MODEL_SIZE, toAlpha, toPlanarInput, unsureShare } from './tensor.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (msg: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

function providers(device: WorkerInit['device']): string[] {
  // Keep cpu as a fallback for nodes the GPU provider cannot place; the main thread has already checked
  // that the requested provider exists.
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}

function start(modelPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: providers(init.device),
    executionMode: 'sequential', // measured faster than 'parallel' for this graph on few cores
    intraOpNumThreads: init.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

const input = new Float32Array(3 * MODEL_SIZE * MODEL_SIZE);

/** The model's `output` (probabilities) for one prepared input: the graph has 11 side outputs, left unfetched. */
async function run(session: ort.InferenceSession, tensor: ort.Tensor): Promise<ort.Tensor> {
  const out = (await session.run({ [session.inputNames[0]!]: tensor }, ['output'])).output;
  if (!out || out.type !== 'float32') throw new Error('model returned no float32 `output`');
  return out;
}

async function infer(sessions: Sessions, rgb: Uint8Array) {
  const t0 = performance.now();
  toPlanarInput(rgb, MODEL_SIZE, input);
  const tensor = new ort.Tensor('float32', input, [1, 3, MODEL_SIZE, MODEL_SIZE]);
  const t1 = performance.now();
  let out = await run(sessions.main, tensor);
  const rule = init.fallback;
  const fellBack = !!(sessions.fallback && rule && fallsBack(unsureShare(out.data as Float32Array, rule.band), rule));
  if (fellBack) {
    out.dispose();
    out = await run(sessions.fallback!, tensor);
  }
  const t2 = performance.now();
  const alpha = toAlpha(out.data as Float32Array);
  out.dispose();
  const t3 = performance.now();
  return { alpha, fellBack, timings: { pre: t1 - t0, infer: t2 - t1, post: t3 - t2 } };
}

interface Sessions {
  main: ort.InferenceSession;
  fallback?: ort.InferenceSession;
}

let sessions: Sessions;
try {
  const t0 = performance.now();
  sessions = { main: await start(init.modelPath) };
  if (init.fallback) sessions.fallback = await start(init.fallback.modelPath);
  const t1 = performance.now();
  // The first runs are slow (allocator growth, kernel selection): pay that before reporting ready, for each graph.
  // With one warm-up run, the fallback graph's first real run was still twice as slow (plants-1 int8 + fp32:
  // 2 583 ms, then 1 268); with two, between main runs as in service, 1 308.
  if (init.warmup) {
    const grey = () => new Uint8Array(MODEL_SIZE * MODEL_SIZE * 3).fill(128);
    await infer(sessions, grey());
    for (let i = 0; sessions.fallback && i < 2; i++) {
      (await run(sessions.fallback, new ort.Tensor('float32', input, [1, 3, MODEL_SIZE, MODEL_SIZE]))).dispose();
      await infer(sessions, grey());
    }
  }
  post({ type: 'ready', loadMs: t1 - t0, warmupMs: performance.now() - t1 });
} catch (err) {
  post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (job: JobMessage) => {
  infer(sessions, job.rgb).then(
    ({ alpha, fellBack, timings }) =>
      post({ type: 'result', id: job.id, alpha, fellBack, timings }, [alpha.buffer as ArrayBuffer]),
    (err: unknown) => post({ type: 'error', id: job.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
