/** The segmentation engine's public interface: createEngine() → removeBackground(image, options). */
import sharp from 'sharp';
import { combineWithPerson } from './combine.ts';
import { usableCores } from './cores.ts';
import { composePixels, encode, parseHexColor, resizeMask, type Mask8 } from './compose.ts';
import { decode, resizeRgb } from './decode.ts';
import { checkDevice } from './device.ts';
import { EngineError } from './errors.ts';
import { loadPersonMask, PERSON_SIZE } from './human.ts';
import { DEFAULT_PRECISION, preparedModel } from './graph/prepare.ts';
import { type FallbackRule, INT8_FALLBACK } from './graph/precision.ts';
import { defaultCacheDir, ensureModel } from './model.ts';
import { WorkerPool } from './pool.ts';
import { MODEL_SIZE } from './tensor.ts';

export { EngineError, type EngineErrorCode } from './errors.ts';
export { combineWithPerson } from './combine.ts';

export type {
  Engine,
  EngineConfig,
  EngineInput,
  ImageFormat,
  Method,
  ProbedImage,
  RemoveOptions,
  RemoveResult,
  StageTimings,
} from './types.ts';
import type { Engine, EngineConfig, EngineInput, RemoveOptions, RemoveResult } from './types.ts';

/** Not part of the public contract: lets tests run the pool with a fake worker or model, and skip warm-up. */
export interface EngineInternals {
  workerScript?: URL;
  modelPath?: string;
  warmup?: boolean;
  startTimeoutMs?: number;
  /** Replaces INT8_FALLBACK's rule (tests: a share of -1 makes every image fall back). */
  int8Fallback?: FallbackRule;
}

/** The documented defaults: CPU, one worker using every usable core (cores.ts), 50 MP. */
export function defaultEngineConfig(): EngineConfig {
  return { device: 'cpu', workers: 1, threads: usableCores(), maxPixels: 50_000_000 };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('canceled', 'the request was canceled');
}

export function createEngine(config: EngineConfig, internals: EngineInternals = {}): Engine {
  // sharp gives libvips one thread on glibc (against allocator fragmentation). Decode and the two resizes run
  // between inferences, while the cores are otherwise idle: with every core they took 25–45 % less time
  // (engine README, which also has the RSS this costs).
  sharp.concurrency(Math.max(sharp.concurrency(), usableCores()));
  const workers = Math.max(1, Math.floor(config.workers || 1));
  // threads ≤ 0 means "share the cores": oversubscribing onnxruntime's thread pools only adds contention.
  const threads = config.threads > 0 ? Math.floor(config.threads) : Math.max(1, Math.floor(usableCores() / workers));
  const precision = config.precision ?? DEFAULT_PRECISION;
  let pool: WorkerPool | undefined;
  let starting: Promise<void> | undefined;
  let isReady = false;
  let closed = false;

  const ready = (): Promise<void> => {
    starting ??= (async () => {
      await checkDevice(config.device);
      const cacheDir = config.cacheDir ?? defaultCacheDir();
      const shipped = internals.modelPath ? undefined : await ensureModel(cacheDir);
      const modelPath = internals.modelPath ?? (await preparedModel(shipped!, cacheDir, precision));
      // int8 answers where it is sure; an image it is unsure about is run again in fp32 (graph/precision.ts).
      const fallback =
        shipped && precision === 'int8'
          ? { modelPath: await preparedModel(shipped, cacheDir, 'fp32'), ...(internals.int8Fallback ?? INT8_FALLBACK) }
          : undefined;
      // worker.ts from the sources (tsx), worker.js from the published build.
      const script = (
        internals.workerScript ??
        new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)
      ).href;
      const p = new WorkerPool({
        size: workers,
        init: {
          script,
          modelPath,
          ...(fallback ? { fallback } : {}),
          device: config.device,
          threads,
          warmup: internals.warmup ?? true,
        },
        startTimeoutMs: internals.startTimeoutMs,
      });
      try {
        await p.start();
      } catch (err) {
        if (config.device !== 'cpu' && err instanceof EngineError) {
          throw new EngineError(err.code, `device "${config.device}" could not be initialised: ${err.message}`, {
            cause: err,
          });
        }
        throw err;
      }
      if (closed) {
        await p.close();
        throw new EngineError('worker_unavailable', 'the engine was closed while starting');
      }
      pool = p;
      isReady = true;
    })();
    return starting;
  };

  const removeBackground = async (input: EngineInput, opts: RemoveOptions): Promise<RemoveResult> => {
    const { signal } = opts;
    throwIfAborted(signal);
    const bgColor = opts.bgColor !== undefined ? parseHexColor(opts.bgColor) : undefined;
    await ready();
    if (closed || !pool) throw new EngineError('worker_unavailable', 'the engine is closed');
    // Fail a human request before inference if the person model cannot be loaded.
    const personMask = opts.method === 'human' ? await loadPersonMask() : undefined;

    const t0 = performance.now();
    const img = await decode(input, config.maxPixels);
    throwIfAborted(signal);
    const t1 = performance.now();
    const rgb = await resizeRgb(img, MODEL_SIZE);
    // The person mask (tens of ms) is computed while the worker runs ISNet.
    const person = personMask
      ? resizeRgb(img, PERSON_SIZE).then((small) =>
          personMask(Buffer.from(small.buffer, small.byteOffset, small.byteLength)),
        )
      : undefined;
    person?.catch(() => {}); // awaited below; avoids an unhandled rejection while inference runs
    const t2 = performance.now();
    const inferred = await pool.run(rgb, signal);
    const t3 = performance.now();
    let alpha: Mask8 = { data: inferred.alpha, width: MODEL_SIZE, height: MODEL_SIZE };
    if (person) {
      const p = await person;
      if (p.length !== PERSON_SIZE * PERSON_SIZE)
        throw new EngineError('internal', `person mask has ${p.length} values`);
      alpha = combineWithPerson(alpha, { data: p, width: PERSON_SIZE, height: PERSON_SIZE });
    }
    const full = await resizeMask(alpha, img.width, img.height);
    const pixels = composePixels(img, full, { maskOnly: opts.maskOnly, bgColor });
    throwIfAborted(signal);
    const t4 = performance.now();
    const image = await encode(pixels, img.width, img.height, opts.format);
    const t5 = performance.now();
    return {
      image,
      contentType: opts.format === 'webp' ? 'image/webp' : 'image/png',
      width: img.width,
      height: img.height,
      precision: inferred.fellBack ? 'fp32' : precision,
      timings: {
        decode: t1 - t0,
        pre: t2 - t1 + inferred.timings.pre,
        infer: inferred.timings.infer,
        post: t4 - t3 + inferred.timings.post,
        encode: t5 - t4,
      },
    };
  };

  return {
    ready,
    isReady: () => isReady && !closed,
    removeBackground,
    restarts: () => pool?.restarts ?? 0,
    async close() {
      closed = true;
      isReady = false;
      await pool?.close();
      await starting?.catch(() => {});
    },
  };
}
