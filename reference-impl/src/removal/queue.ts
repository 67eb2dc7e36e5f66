/** JobQueue: the bounded FIFO of request ids waiting for a worker, and its in-memory backend. */

/** What a processor learns about the run it is asked to do. */
export interface JobContext {
  /** 1 on the first run; BullMQ: job.attemptsMade + 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the request is canceled or the queue shuts down; the aborter then owns the record. */
  signal: AbortSignal;
}

/**
 * Runs one job. Jobs carry only the request id (the processor loads the record), so a job is small
 * in Redis and a re-run after a crash (BullMQ stalled-job recovery) sees the current record.
 * Throw `RetryJob` to ask for another attempt; on the last attempt the processor must end the record itself.
 */
export type Processor = (requestId: string, ctx: JobContext) => Promise<void>;

/** Thrown by a processor for a failure worth one more attempt (a crashed worker); BullMQ: a plain throw. */
export class RetryJob extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryJob';
  }
}

/** Thrown by `add` when the queue holds `maxSize` waiting jobs; the lifecycle maps it to 429 `queue_full`. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super('The queue is full.');
    this.name = 'QueueFullError';
  }
}

/**
 * The work queue. BullMQ implements it with a Queue (add; the bound checked against getWaitingCount,
 * or a Lua check for a hard bound), a Worker (concurrency, attempts = maxAttempts; stalled jobs re-run),
 * and a cancel channel (pub/sub) that aborts an active job's signal on whichever worker runs it.
 */
export interface JobQueue {
  /**
   * Enqueues a request id at the tail; throws QueueFullError when full (never unbounded memory). A `sync`
   * (v1) job is one whose caller waits on its connection: a backend may run it ahead of v2 jobs.
   */
  add(requestId: string, opts?: { sync?: boolean }): Promise<void>;
  /** Jobs ahead of this one (0 = next), or undefined when it is not waiting. */
  position(requestId: string): Promise<number | undefined>;
  /** Removes a waiting job or aborts a running one; false when the queue does not hold it. */
  cancel(requestId: string): Promise<boolean>;
  /** Starts the workers; each running job calls `processor`. */
  start(processor: Processor): void;
  /**
   * Stops taking jobs, waits up to `graceMs` for running ones, aborts the rest, and returns the ids of
   * the jobs it gives up on and that no other process will run (memory: all of them; BullMQ: none,
   * since Redis keeps waiting jobs and stalled-job recovery re-runs aborted ones elsewhere).
   */
  close(graceMs: number): Promise<string[]>;
}

export interface MemoryJobQueueOptions {
  /** Most jobs waiting (running ones not counted). */
  maxSize: number;
  /** Jobs run at once. */
  concurrency: number;
  /** Runs per job, retries included (2 = retried once). */
  maxAttempts?: number;
  /** Pause before a retry, so a crashed worker has time to restart. */
  retryDelayMs?: number;
  onError?: (err: unknown, requestId: string) => void;
}

interface Waiting {
  id: string;
  attempt: number;
  sync?: boolean;
}
interface Running {
  controller: AbortController;
  done: Promise<void>;
  sync: boolean;
}

/** The embedded backend: an array as the FIFO and N concurrent async runs in this process. */
export class MemoryJobQueue implements JobQueue {
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, Running>();
  private readonly retrying = new Map<string, NodeJS.Timeout>();
  private processor?: Processor;
  private closing = false;
  /** Jobs that asked for a retry while the queue was closing: close() reports them as abandoned. */
  private readonly dropped: string[] = [];
  private idleWaiters: (() => void)[] = [];
  readonly maxAttempts: number;

  constructor(private readonly opts: MemoryJobQueueOptions) {
    this.maxAttempts = opts.maxAttempts ?? 2;
  }

  /**
   * A sync (v1) job starts at once, outside the bound and the concurrency of v2 jobs: in one process a v1
   * request is bounded by the node's admission (images in flight, their bytes) instead, and its caller
   * is waiting on the connection.
   */
  async add(requestId: string, opts: { sync?: boolean } = {}): Promise<void> {
    if (this.closing) throw new Error('queue is closed');
    if (opts.sync && this.processor) {
      this.launch(this.processor, { id: requestId, attempt: 1, sync: true });
      return;
    }
    if (this.waiting.length >= this.opts.maxSize) throw new QueueFullError(this.waiting.length);
    this.waiting.push({ id: requestId, attempt: 1 });
    this.pump();
  }

  async position(requestId: string): Promise<number | undefined> {
    const i = this.waiting.findIndex((w) => w.id === requestId);
    return i < 0 ? undefined : i;
  }

  async cancel(requestId: string): Promise<boolean> {
    const i = this.waiting.findIndex((w) => w.id === requestId);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.settleIdle();
      return true;
    }
    const timer = this.retrying.get(requestId);
    if (timer) {
      clearTimeout(timer);
      this.retrying.delete(requestId);
      this.settleIdle();
      return true;
    }
    const run = this.running.get(requestId);
    if (run) run.controller.abort(new Error('canceled'));
    return run !== undefined;
  }

  start(processor: Processor): void {
    this.processor = processor;
    this.pump();
  }

  /** Counts for metrics and back-pressure. */
  get counts(): { waiting: number; running: number; retrying: number } {
    return { waiting: this.waiting.length, running: this.running.size, retrying: this.retrying.size };
  }

  /** Resolves when nothing waits, runs or awaits a retry (tests, bench). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(graceMs: number): Promise<string[]> {
    this.closing = true;
    const abandoned = [...this.waiting.map((w) => w.id), ...this.retrying.keys()];
    this.waiting.length = 0;
    for (const timer of this.retrying.values()) clearTimeout(timer);
    this.retrying.clear();
    const runs = [...this.running.values()].map((r) => r.done);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(runs),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    for (const [id, run] of this.running) {
      run.controller.abort(new Error('shutdown'));
      abandoned.push(id);
    }
    // An aborted processor returns without writing, but an engine may not stop mid-inference: wait a
    // little for tidiness, never unboundedly (the processor re-checks its signal before any write).
    await Promise.race([
      Promise.all([...this.running.values()].map((r) => r.done)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.min(graceMs, 1000));
      }),
    ]);
    clearTimeout(timer);
    this.settleIdle();
    return [...abandoned, ...this.dropped.splice(0)];
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && this.running.size === 0 && this.retrying.size === 0;
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    const processor = this.processor;
    if (!processor) return;
    const busy = () => [...this.running.values()].filter((r) => !r.sync).length;
    while (!this.closing && this.waiting.length > 0 && busy() < this.opts.concurrency)
      this.launch(processor, this.waiting.shift()!);
  }

  private launch(processor: Processor, job: Waiting): void {
    const controller = new AbortController();
    const ctx: JobContext = { attempt: job.attempt, maxAttempts: this.maxAttempts, signal: controller.signal };
    const done = Promise.resolve()
      .then(() => processor(job.id, ctx))
      .catch((err: unknown) => {
        if (err instanceof RetryJob && job.attempt < this.maxAttempts && !controller.signal.aborted) {
          if (this.closing) this.dropped.push(job.id);
          else this.scheduleRetry(job);
        } else {
          this.opts.onError?.(err, job.id);
        }
      })
      .finally(() => {
        this.running.delete(job.id);
        this.pump();
        this.settleIdle();
      });
    this.running.set(job.id, { controller, done, sync: job.sync === true });
  }

  // A retry jumps the line: the job was admitted already and has waited its turn once.
  private scheduleRetry(job: Waiting): void {
    const timer = setTimeout(() => {
      this.retrying.delete(job.id);
      this.waiting.unshift({ ...job, attempt: job.attempt + 1 });
      this.pump();
    }, this.opts.retryDelayMs ?? 500);
    timer.unref();
    this.retrying.set(job.id, timer);
  }
}
