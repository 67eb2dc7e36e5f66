/** A fast fake Engine for server tests: the real decoder, a synthetic alpha instead of the model, real PNG/WebP out; configurable delay, failure and readiness. */
import sharp, { type Sharp } from 'sharp';
import { decode } from '../engine/decode.ts';
import { EngineError, type Engine, type EngineErrorCode, type RemoveOptions, type RemoveResult } from '../engine/types.ts';

export interface FakeEngineOptions {
  /** Milliseconds each removeBackground waits (abortable), to test deadlines, shutdown and concurrency. */
  delayMs?: number;
  /** Make every call fail: an EngineError code, or any Error (a "true bug" for 500 tests). */
  fail?: EngineErrorCode | Error;
  /** Start not ready (for /readyz tests); call `setReady()` later. */
  ready?: boolean;
  maxPixels?: number;
}

export class FakeEngine implements Engine {
  calls = 0;
  aborted = 0;
  closed = false;
  private readyFlag: boolean;
  private readyWaiters: Array<() => void> = [];

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

  async removeBackground(input: Buffer, opts: RemoveOptions): Promise<RemoveResult> {
    this.calls++;
    const t0 = performance.now();
    if (this.opts.delayMs) await this.sleep(this.opts.delayMs, opts.signal);
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
    const image = opts.format === 'webp' ? await img.webp({ lossless: true }).toBuffer() : await img.png({ compressionLevel: 1 }).toBuffer();
    const ms = performance.now() - t0;
    return {
      image,
      contentType: opts.format === 'webp' ? 'image/webp' : 'image/png',
      width,
      height,
      timings: { decode: 0, pre: 0, infer: ms, post: 0, encode: 0 },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        this.aborted++;
        return reject(new EngineError('canceled', 'aborted'));
      }
      const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
      const onAbort = () => { clearTimeout(t); this.aborted++; reject(new EngineError('canceled', 'aborted')); };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
