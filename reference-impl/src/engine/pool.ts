/** Worker pool: runs inference jobs on a fixed number of worker threads, replacing any that crash. */
import { Worker } from 'node:worker_threads';
import { EngineError } from './errors.ts';
import type { JobMessage, WorkerInit, WorkerMessage, WorkerTimings } from './protocol.ts';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export interface PoolOptions {
  size: number;
  init: WorkerInit;
  /** How long one worker may take to load and warm up before start() gives up (ms). */
  startTimeoutMs?: number;
}

export interface InferResult {
  alpha: Uint8Array;
  timings: WorkerTimings;
  /** The worker answered with its fallback graph (int8's fp32 fallback). */
  fellBack?: boolean;
}

interface Job {
  id: number;
  rgb: Uint8Array;
  signal?: AbortSignal;
  resolve: (r: InferResult) => void;
  reject: (e: Error) => void;
  onAbort?: () => void;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  /** Set once the slot is dead, so its late events are ignored. */
  gone: boolean;
}

const canceled = () => new EngineError('canceled', 'the request was canceled');

export class WorkerPool {
  private slots = new Set<Slot>();
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Number of worker restarts after crashes (observable by tests and metrics). */
  restarts = 0;

  constructor(private readonly opts: PoolOptions) {}

  /** Starts every worker and resolves once all are loaded and warm; rejects with the first failure. */
  async start(): Promise<void> {
    const starts = Array.from({ length: this.opts.size }, () => this.spawn());
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
  }

  get readyWorkers(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready && !s.gone) n++;
    return n;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(ENTRY, { workerData: this.opts.init });
    const slot: Slot = { worker, ready: false, gone: false };
    this.slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      let fatal: string | undefined;
      const timer = setTimeout(() => {
        fatal = `inference worker did not become ready within ${this.opts.startTimeoutMs} ms`;
        void worker.terminate();
      }, this.opts.startTimeoutMs ?? 300_000);
      timer.unref();
      worker.on('message', (msg: WorkerMessage) => {
        if (slot.gone) return;
        switch (msg.type) {
          case 'ready':
            clearTimeout(timer);
            slot.ready = true;
            resolve();
            this.pump();
            break;
          case 'fatal':
            fatal = msg.message;
            break;
          case 'result':
          case 'error':
            this.finish(slot, msg);
            break;
        }
      });
      worker.on('error', (err) => {
        fatal ??= err.message;
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (!slot.ready)
          reject(new EngineError('internal', `inference worker failed to start: ${fatal ?? `exit code ${code}`}`));
        if (slot.gone) return; // closed on purpose
        slot.gone = true;
        this.slots.delete(slot);
        const wasReady = slot.ready;
        const job = slot.job;
        slot.job = undefined;
        if (job)
          this.settle(
            job,
            new EngineError(
              'worker_unavailable',
              `inference worker crashed (exit code ${code}${fatal ? `: ${fatal}` : ''})`,
            ),
          );
        if (wasReady && !this.closed) {
          // A crash of a worker that was serving: replace it; its queued jobs wait for the replacement.
          this.restarts++;
          this.spawn().catch(() => this.failQueueIfNoWorkers());
        }
        this.failQueueIfNoWorkers();
      });
    });
  }

  private failQueueIfNoWorkers(): void {
    if (this.slots.size > 0) return;
    for (const job of this.queue.splice(0))
      this.settle(job, new EngineError('worker_unavailable', 'no inference worker is available'));
  }

  /** Runs one job: rgb is MODEL_SIZE²×3 bytes and is transferred to the worker (do not reuse it). */
  run(rgb: Uint8Array, signal?: AbortSignal): Promise<InferResult> {
    return new Promise<InferResult>((resolve, reject) => {
      if (this.closed) return reject(new EngineError('worker_unavailable', 'the engine is closed'));
      if (signal?.aborted) return reject(canceled());
      if (this.slots.size === 0)
        return reject(new EngineError('worker_unavailable', 'no inference worker is available'));
      const job: Job = { id: this.nextId++, rgb, signal, resolve, reject, settled: false };
      if (signal) {
        // Aborted while queued: drop it from the queue, it never runs. Aborted while running: reject now and
        // discard the result when the worker answers (onnxruntime cannot interrupt a run).
        job.onAbort = () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) this.queue.splice(i, 1);
          this.settle(job, canceled());
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.gone || slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      const msg: JobMessage = { id: job.id, rgb: job.rgb };
      slot.worker.postMessage(msg, [job.rgb.buffer as ArrayBuffer]);
    }
  }

  private finish(slot: Slot, msg: Extract<WorkerMessage, { type: 'result' | 'error' }>): void {
    const job = slot.job;
    slot.job = undefined;
    if (job && job.id === msg.id) {
      if (msg.type === 'result')
        this.settle(job, undefined, { alpha: msg.alpha, timings: msg.timings, fellBack: msg.fellBack });
      else this.settle(job, new EngineError('internal', `inference failed: ${msg.message}`));
    }
    this.pump();
  }

  private settle(job: Job, err?: Error, result?: InferResult): void {
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (err) job.reject(err);
    else job.resolve(result!);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      this.settle(job, new EngineError('worker_unavailable', 'the engine is closed'));
    const slots = [...this.slots];
    for (const s of slots) {
      s.gone = true;
      if (s.job) this.settle(s.job, new EngineError('worker_unavailable', 'the engine is closed'));
    }
    this.slots.clear();
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
