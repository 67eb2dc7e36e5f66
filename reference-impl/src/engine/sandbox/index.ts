/**
 * The sandbox engine: the Engine of the model-free server. It decodes, composes and encodes with the real
 * engine's code (so size, alpha, format, mask_only and bg_color behave exactly as with the model) and puts
 * a cheap subject mask (mask.ts) where ISNet's would be, after a configurable time per image.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { composePixels, encode, parseHexColor, resizeMask } from '../compose.ts';
import { decode } from '../decode.ts';
import { EngineError } from '../errors.ts';
import type { Engine, EngineInput, RemoveOptions, RemoveResult } from '../types.ts';
import { largestSubject, subjectMask } from './mask.ts';

/**
 * A per-image time close to a deployed model's on a warm GPU node, so a client meets QUEUED and PROCESSING
 * as it would in production; 0 in tests.
 */
export const DEFAULT_SANDBOX_MS = 1000;

export interface SandboxEngineOptions {
  /** Decode limit (width × height), as the real engine's. */
  maxPixels: number;
  /** Milliseconds one image takes in all (the mask's own compute time included), or a function asked per image. */
  timeMs?: number | (() => number);
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('canceled', 'the request was canceled');
}

export function createSandboxEngine(options: SandboxEngineOptions): Engine {
  let closed = false;
  const timeOf =
    typeof options.timeMs === 'function'
      ? options.timeMs
      : () => (options.timeMs as number | undefined) ?? DEFAULT_SANDBOX_MS;

  const removeBackground = async (input: EngineInput, opts: RemoveOptions): Promise<RemoveResult> => {
    const { signal } = opts;
    throwIfAborted(signal);
    // The same option guards as the model's engine: a caller's mistake is a TypeError, never a silent default.
    const bgColor = opts.bgColor !== undefined ? parseHexColor(opts.bgColor) : undefined;
    if (opts.format !== 'png' && opts.format !== 'webp')
      throw new TypeError(`format must be png or webp, got ${String(opts.format)}`);
    if (opts.method !== 'object' && opts.method !== 'human')
      throw new TypeError(`method must be object or human, got ${String(opts.method)}`);
    if (closed) throw new EngineError('worker_unavailable', 'the engine is closed');
    const budget = timeOf();
    const t0 = performance.now();
    const img = await decode(input, options.maxPixels);
    const t1 = performance.now();
    let mask = await subjectMask(img);
    if (opts.method === 'human') mask = largestSubject(mask);
    const full = await resizeMask(mask, img.width, img.height);
    const pixels = composePixels(img, full, { maskOnly: opts.maskOnly, bgColor });
    const t2 = performance.now();
    // The rest of the per-image time stands in for inference (abortable, like a real run).
    const rest = budget - (t2 - t0);
    if (rest > 0) {
      try {
        await sleep(rest, undefined, { signal });
      } catch {
        throw new EngineError('canceled', 'the request was canceled');
      }
    }
    throwIfAborted(signal);
    const t3 = performance.now();
    const image = await encode(pixels, img.width, img.height, opts.format);
    const t4 = performance.now();
    return {
      image,
      contentType: opts.format === 'webp' ? 'image/webp' : 'image/png',
      width: img.width,
      height: img.height,
      timings: { decode: t1 - t0, pre: 0, infer: t3 - t1, post: 0, encode: t4 - t3 },
    };
  };

  return {
    ready: () => Promise.resolve(),
    isReady: () => !closed,
    removeBackground,
    async close() {
      closed = true;
    },
  };
}
