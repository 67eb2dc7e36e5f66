/**
 * Admission control for one node: a bound on the images in flight (v1 requests + v2 jobs) and on
 * their decoded bytes (width × height × 4). A v1 request beyond either bound gets a fast 429 `queue_full`
 * with Retry-After instead of waiting for a worker until its deadline; a v2 job (already accepted and
 * queued) waits for bytes instead, in order. The removal service applies it to every image it runs, with
 * the width and height of the one probe; the HTTP layer counts v1 requests in before their body is read.
 */
import { ApiError } from '../errors.ts';

/** workers and v1DeadlineS (both in Config) let a v1 request be refused when it would wait past its deadline. */
export interface AdmissionLimits {
  maxInFlight: number;
  pixelBudget: number;
  workers?: number;
  v1DeadlineS?: number;
}

type Release = () => void;

interface Waiter {
  bytes: number;
  grant: (r: Release) => void;
  fail: (e: unknown) => void;
}

export class Admission {
  private images = 0;
  private bytes = 0;
  private readonly waiters: Waiter[] = [];
  /** Moving average of how long an image holds its place (ms), for Retry-After. */
  private avgHoldMs = 1000;
  /** Moving average of one image's own processing time (ms, from the engine's stage timings); unknown at first. */
  private avgServiceMs?: number;

  constructor(readonly limits: AdmissionLimits) {}

  /** Images and decoded bytes in flight now (for tests, metrics and the bench). */
  get usage(): { images: number; bytes: number; waiting: number } {
    return { images: this.images, bytes: this.bytes, waiting: this.waiters.length };
  }

  /** Seconds until a place is likely free: about one image's hold time. */
  retryAfterS(): number {
    return Math.max(1, Math.ceil(this.avgHoldMs / 1000));
  }

  private busy(message: string): ApiError {
    return new ApiError('queue_full', message, { 'Retry-After': String(this.retryAfterS()) });
  }

  /**
   * A v1 request enters, before its body is read: refused at once when maxInFlight images are in flight,
   * or when, at the measured time per image, it would wait past most of its deadline (a slow or shared
   * CPU): a 429 now is better than a 504 in a minute.
   */
  enter(): Release {
    if (this.images >= this.limits.maxInFlight) {
      throw this.busy(
        `The server is busy: ${this.images} images are in flight (limit ${this.limits.maxInFlight}); retry in ${this.retryAfterS()} s.`,
      );
    }
    const { workers = 1, v1DeadlineS } = this.limits;
    if (this.avgServiceMs !== undefined && v1DeadlineS !== undefined) {
      const expectedMs = Math.ceil((this.images + 1) / Math.max(1, workers)) * this.avgServiceMs;
      if (expectedMs > 0.8 * v1DeadlineS * 1000) {
        throw this.busy(
          `The server is busy: this image would finish in about ${Math.round(expectedMs / 1000)} s, past its ${v1DeadlineS} s deadline; retry in ${this.retryAfterS()} s.`,
        );
      }
    }
    return this.track();
  }

  /** Records one image's processing time (not its wait), for the deadline estimate. */
  recordService(ms: number): void {
    if (!(ms > 0)) return;
    this.avgServiceMs = this.avgServiceMs === undefined ? ms : 0.7 * this.avgServiceMs + 0.3 * ms;
  }

  /** Counts an image in flight without a check (v2 jobs: the queue's concurrency already bounds them). */
  track(): Release {
    this.images++;
    const since = Date.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.images--;
      this.avgHoldMs = 0.8 * this.avgHoldMs + 0.2 * (Date.now() - since);
    };
  }

  /** Reserves decoded bytes; `wait: false` refuses at once (v1), `wait: true` queues in order (v2 jobs). */
  reserve(bytes: number, opts: { wait: boolean; signal?: AbortSignal }): Promise<Release> {
    if (this.waiters.length === 0 && this.bytes + bytes <= this.limits.pixelBudget)
      return Promise.resolve(this.grant(bytes));
    if (!opts.wait) {
      const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
      return Promise.reject(
        this.busy(
          `The server is busy: images in flight hold ${mb(this.bytes)} of its ${mb(this.limits.pixelBudget)} pixel budget; this one needs ${mb(bytes)}. Retry in ${this.retryAfterS()} s.`,
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { bytes, grant: resolve, fail: reject };
      this.waiters.push(waiter);
      opts.signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(opts.signal!.reason);
          this.pump();
        },
        { once: true },
      );
    });
  }

  private grant(bytes: number): Release {
    this.bytes += bytes;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.bytes -= bytes;
      this.pump();
    };
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.bytes + this.waiters[0]!.bytes <= this.limits.pixelBudget) {
      const w = this.waiters.shift()!;
      w.grant(this.grant(w.bytes));
    }
  }

  /**
   * Runs one image of a job within the bounds: counted as an image in flight, its decoded bytes reserved
   * first (waiting in order), its processing time recorded for the deadline estimate.
   */
  async run<R extends { timings: { decode: number; pre: number; infer: number; post: number; encode: number } }>(
    image: { width: number; height: number },
    signal: AbortSignal,
    work: () => Promise<R>,
  ): Promise<R> {
    const untrack = this.track();
    try {
      const release = await this.reserve(image.width * image.height * 4, { wait: true, signal });
      try {
        const result = await work();
        const t = result.timings;
        this.recordService(t.decode + t.pre + t.infer + t.post + t.encode);
        return result;
      } finally {
        release();
      }
    } finally {
      untrack();
    }
  }
}
