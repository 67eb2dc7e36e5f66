/**
 * The one fake Engine of the tests. By default it answers each call itself: a real RGBA PNG/WebP of the input's
 * size with a synthetic alpha (the real decoder; only inference is fake), after an optional (abortable) delay, or a configured failure. In `manual` mode each
 * call waits until the test finishes it (`call(n).complete()` / `.fail()`); `auto`, when set, answers every call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import sharp, { type Sharp } from 'sharp';
import { decode } from '../src/engine/decode.ts';
import {
  EngineError,
  type Engine,
  type EngineErrorCode,
  type EngineInput,
  type ProbedImage,
  type RemoveOptions,
  type RemoveResult,
} from '../src/engine/types.ts';

/** Bytes as a probed image with a made-up header (1×1 PNG): for tests whose engine never decodes them. */
export const asProbed = (bytes: Buffer): ProbedImage => ({ bytes, format: 'png', width: 1, height: 1, hasAlpha: true });

export interface FakeEngineOptions {
  /** Milliseconds each removeBackground waits (abortable), to test deadlines, shutdown and concurrency. */
  delayMs?: number;
  /** Make every call fail: an EngineError code, or any Error (a "true bug" for 500 tests). */
  fail?: EngineErrorCode | Error;
  /** Start not ready (for /readyz tests); call `setReady()` later. */
  ready?: boolean;
  maxPixels?: number;
  /** Calls wait until the test completes or fails them (the v2 lifecycle tests). */
  manual?: boolean;
}

/** A promise with its resolve and reject in hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A 1×1 transparent PNG: the manual fake's output unless a test gives another. */
export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export function fakeResult(
  image: Buffer = tinyPng,
  contentType: RemoveResult['contentType'] = 'image/png',
): RemoveResult {
  return { image, contentType, width: 1, height: 1, timings: { decode: 0, pre: 0, infer: 0, post: 0, encode: 0 } };
}

/** One call to the fake engine; in manual mode the test finishes it when it wants. */
export interface EngineCall {
  input: Buffer;
  opts: RemoveOptions;
  /** Finishes the inference with `result` (a tiny PNG by default). */
  complete(result?: RemoveResult): void;
  /** Fails the inference with `err` (an EngineError for a contract code). */
  fail(err: unknown): void;
  /** True once the caller aborted it (cancel, shutdown). */
  readonly aborted: boolean;
}

export class FakeEngine implements Engine {
  /** Every call, in order. */
  readonly calls: EngineCall[] = [];
  /** How many calls their callers aborted. */
  aborted = 0;
  closed = false;
  /** Answers every call at once (return a result, or throw to fail), whatever the mode. */
  auto?: (input: Buffer, opts: RemoveOptions) => RemoveResult | Promise<RemoveResult>;
  private readyFlag: boolean;
  private readyWaiters: Array<() => void> = [];
  private callWaiters: { n: number; resolve(c: EngineCall): void }[] = [];

  constructor(public opts: FakeEngineOptions = {}) {
    this.readyFlag = opts.ready ?? true;
  }

  setReady(): void {
    this.readyFlag = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  ready(): Promise<void> {
    return this.readyFlag ? Promise.resolve() : new Promise((r) => this.readyWaiters.push(r));
  }

  isReady(): boolean {
    return this.readyFlag && !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  removeBackground(image: EngineInput, opts: RemoveOptions): Promise<RemoveResult> {
    const input = Buffer.isBuffer(image) ? image : image.bytes;
    const d = deferred<RemoveResult>();
    let aborted = false;
    let settled = false;
    // Settles once; an abort after the answer is no abort of the inference.
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      then();
    };
    const onAbort = () =>
      settle(() => {
        aborted = true;
        this.aborted++;
        d.reject(new EngineError('canceled', 'inference aborted'));
      });
    const call: EngineCall = {
      input,
      opts,
      complete: (result = fakeResult()) => settle(() => d.resolve(result)),
      fail: (err) => settle(() => d.reject(err)),
      get aborted() {
        return aborted;
      },
    };
    this.calls.push(call);
    for (const w of this.callWaiters.filter((w) => w.n < this.calls.length)) w.resolve(this.calls[w.n]!);
    this.callWaiters = this.callWaiters.filter((w) => w.n >= this.calls.length);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    if (this.auto) {
      const auto = this.auto;
      // `auto` answers whatever the signal says, so the call's own promise goes unread: an abort that rejects
      // it must not surface as an unhandled rejection (CI saw one when a 0.1 s deadline beat the answer).
      d.promise.catch(() => {});
      return Promise.resolve().then(() => auto(input, opts));
    }
    if (!this.opts.manual) this.answer(image, opts).then(call.complete, call.fail);
    return d.promise;
  }

  /** The n-th call (0-based), waiting for it to happen. */
  call(n: number): Promise<EngineCall> {
    const c = this.calls[n];
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.callWaiters.push({ n, resolve }));
  }

  /** What the automatic mode answers: the configured delay and failure, else a real image with an ellipse alpha. */
  private async answer(input: EngineInput, opts: RemoveOptions): Promise<RemoveResult> {
    const t0 = performance.now();
    // An abort settles the call (onAbort); the delay only has to stop.
    if (this.opts.delayMs) await sleep(this.opts.delayMs, undefined, { signal: opts.signal });
    const { fail } = this.opts;
    if (fail instanceof Error) throw fail;
    if (fail) throw new EngineError(fail, `fake engine failure: ${fail}`);
    // The engine's real decoder (probe, pixel limit, orientation, channel handling); only inference is fake.
    const { rgba, width, height } = await decode(input, this.opts.maxPixels ?? 50e6);
    // Synthetic alpha: an ellipse filling the frame — opaque inside, transparent outside (replaces the input's).
    const alpha = Buffer.alloc(width * height);
    for (let y = 0; y < height; y++) {
      const dy = (y + 0.5) / height - 0.5;
      for (let x = 0; x < width; x++) {
        const dx = (x + 0.5) / width - 0.5;
        const a = dx * dx + dy * dy <= 0.16 ? 255 : 0;
        alpha[y * width + x] = a;
        rgba[(y * width + x) * 4 + 3] = a;
      }
    }
    let img: Sharp;
    if (opts.maskOnly) img = sharp(alpha, { raw: { width, height, channels: 1 } }).toColourspace('b-w');
    else {
      img = sharp(rgba, { raw: { width, height, channels: 4 } });
      if (opts.bgColor) img = img.flatten({ background: `#${opts.bgColor.replace(/^#/, '').slice(0, 6)}` });
    }
    const image =
      opts.format === 'webp'
        ? await img.webp({ lossless: true }).toBuffer()
        : await img.png({ compressionLevel: 1 }).toBuffer();
    const ms = performance.now() - t0;
    return {
      image,
      contentType: opts.format === 'webp' ? 'image/webp' : 'image/png',
      width,
      height,
      timings: { decode: 0, pre: 0, infer: ms, post: 0, encode: 0 },
    };
  }
}
