/** BullJobQueue: the v2 JobQueue on BullMQ — bounded adds, positions, cancel over pub/sub, stalled-job recovery. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { RedisClient } from './connection.ts';
import type { JobContext, JobQueue, Processor } from '../../removal/queue.ts';
import { QueueFullError, RetryJob } from '../../removal/queue.ts';
import { guard } from './connection.ts';
import { ApiError } from '../../errors.ts';

export interface BullJobQueueOptions {
  /** API-role client (fail fast): add, position and cancel use it; shared, never closed here. */
  connection: RedisClient;
  /**
   * Worker-role client (maxRetriesPerRequest: null) as a template: BullMQ duplicates it for the worker's
   * blocking and regular connections; we duplicate it for the cancel subscriber. Needed only by `start`.
   */
  workerConnection?: RedisClient;
  /** Key prefix shared by the backend; BullMQ's keys live under `{prefix}bull:{queueName}:…`. */
  prefix: string;
  queueName?: string;
  /** Most jobs waiting (running ones not counted), as MemoryJobQueue. */
  maxSize: number;
  /** Jobs this worker node runs at once. */
  concurrency: number;
  /** Runs per job, crashes and RetryJob retries included (default 2 = retried once). */
  maxAttempts?: number;
  /** Pause before a RetryJob retry (default 500 ms). */
  retryDelayMs?: number;
  /**
   * How long a worker's lock on a job lasts without renewal (default 30 s; renewed every half). A worker
   * killed mid-job is noticed by another worker's stalled check within lockDuration + stalledInterval.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /**
   * Called when BullMQ gives up on a job the processor could not end itself (every attempt died with
   * its worker, or the processor threw a non-RetryJob error): end the record FAILED `worker_unavailable`
   * here (a CAS from QUEUED/PROCESSING, so a no-op when it already ended). Runs on the worker that
   * notices. Without it such a record would stay PROCESSING until its safety TTL.
   */
  onExhausted?: (requestId: string, reason: string) => Promise<void>;
  onError?: (err: unknown, requestId?: string) => void;
  /**
   * Replicas that must confirm a submit's writes (Redis WAIT) before it is acknowledged (default 0: none).
   * Asynchronous replication otherwise loses the last writes of a primary that dies before its replica got
   * them; WAIT closes that window for acknowledged submits at the cost of one replication round trip.
   */
  ackReplicas?: number;
  /** How long WAIT may take (default 1000 ms); past it the submit is withdrawn and answered 503. */
  ackTimeoutMs?: number;
}

interface Running {
  controller: AbortController;
  job: Job;
  token?: string;
}

/** Position of a job in BullMQ's wait list: LPUSHed at the left, taken from the right. -1 when absent. */
const positionScript = `
local i = redis.call('LPOS', KEYS[1], ARGV[1])
if not i then return -1 end
return redis.call('LLEN', KEYS[1]) - 1 - i`;

type WithPosition = RedisClient & { bgrPosition(wait: string, id: string): Promise<number> };

/** The distributed queue: API nodes add and inspect, worker nodes (after `start`) process. */
export class BullJobQueue implements JobQueue {
  readonly queue: Queue;
  readonly maxAttempts: number;
  private readonly redis: WithPosition;
  private readonly channel: string;
  private worker?: Worker;
  private subscriber?: RedisClient;
  private readonly running = new Map<string, Running>();
  private handingBack = false;
  private closing = false;

  constructor(private readonly opts: BullJobQueueOptions) {
    this.maxAttempts = opts.maxAttempts ?? 2;
    const name = opts.queueName ?? 'requests';
    this.channel = `${opts.prefix}cancel:${name}`;
    const r = opts.connection as RedisClient & Partial<WithPosition>;
    if (!r.bgrPosition) opts.connection.defineCommand('bgrPosition', { numberOfKeys: 1, lua: positionScript });
    this.redis = opts.connection as WithPosition;
    this.queue = new Queue(name, {
      connection: opts.connection,
      prefix: `${opts.prefix}bull`,
      // Fail fast on the API side: do not wait for a connection that is down.
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: this.maxAttempts,
        backoff: { type: 'fixed', delay: opts.retryDelayMs ?? 500 },
        // The request record is the truth; a finished job is only bookkeeping.
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    });
    this.queue.on('error', (err) => opts.onError?.(err));
  }

  /**
   * Resolves once BullMQ's queue is initialised (its INFO version check answered). BullMQ caches that
   * first promise: had its INFO timed out (our fail-fast client has a 2 s command timeout, and a start-up
   * that blocks the event loop longer makes the reply late), every later `add` would fail with "Command
   * timed out" for the life of the process. Awaited at start, before anything heavy runs.
   */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  private get waitKey(): string {
    return this.queue.toKey('wait');
  }

  /** Sync (v1) jobs queue like any other here: an API node has no admission of its own images to bound them. */
  async add(requestId: string, _opts?: { sync?: boolean }): Promise<void> {
    if (this.closing) throw new Error('queue is closed');
    await guard(async () => {
      const waiting = await this.redis.llen(this.waitKey);
      if (waiting >= this.opts.maxSize) throw new QueueFullError(waiting);
      await this.queue.add('request', { id: requestId }, { jobId: requestId });
      // Hard bound across API nodes: a job admitted in a race is judged by the jobs ahead of it; when
      // too many, it backs out (unless a worker already took it, then it simply runs).
      const ahead = await this.position(requestId);
      if (ahead !== undefined && ahead >= this.opts.maxSize) {
        const removed = await this.queue.remove(requestId).catch(() => 0);
        if (removed === 1) throw new QueueFullError(ahead);
      }
      await this.replicated(requestId);
    });
  }

  /**
   * WAIT for `ackReplicas` replicas. The record and the job were written on this same connection, and WAIT
   * covers every earlier write of its connection. Unconfirmed: the job is withdrawn (the lifecycle then undoes
   * the record and the hold) and the submit answers 503, so nothing unreplicated is ever acknowledged.
   */
  private async replicated(requestId: string): Promise<void> {
    const n = this.opts.ackReplicas ?? 0;
    if (n <= 0) return;
    const acked = await this.redis.wait(n, this.opts.ackTimeoutMs ?? 1000);
    if (acked >= n) return;
    await this.queue.remove(requestId).catch(() => 0);
    throw new ApiError(
      'service_unavailable',
      `No Redis replica confirmed the submit in time (${acked} of ${n}); retry shortly.`,
      { 'Retry-After': '2' },
    );
  }

  async position(requestId: string): Promise<number | undefined> {
    const i = await guard(() => this.redis.bgrPosition(this.waitKey, requestId));
    return i < 0 ? undefined : i;
  }

  async cancel(requestId: string): Promise<boolean> {
    return guard(async () => {
      const state = await this.queue.getJobState(requestId);
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        // 1 when removed; 0 when a worker locked it in between (then it is active: signal it below).
        if ((await this.queue.remove(requestId)) === 1) return true;
      } else if (state !== 'active') {
        return false;
      }
      // Whichever worker holds it aborts its signal; the record's CAS discards a late result anyway.
      await this.redis.publish(this.channel, requestId);
      return true;
    });
  }

  start(processor: Processor): void {
    if (this.worker) throw new Error('queue already started');
    const template = this.opts.workerConnection;
    if (!template) throw new Error('BullJobQueue.start needs a workerConnection (a worker-role Redis client)');
    this.subscriber = template.duplicate();
    this.subscriber.on('error', (err) => this.opts.onError?.(err));
    this.subscriber.on('message', (_channel: string, id: string) => {
      this.running.get(id)?.controller.abort(new Error('canceled'));
    });
    // Jobs are taken only once the cancel channel is subscribed: a cancel published for a job that started
    // before SUBSCRIBE took effect was lost, and the job ran to its end (seen on a Redis Cluster, where the
    // subscriber first discovers the nodes). If subscribing fails, jobs run anyway; cancels then only reach
    // the record, whose CAS discards the late result.
    const subscribed = this.subscriber.subscribe(this.channel).catch((err: unknown) => this.opts.onError?.(err));

    this.worker = new Worker(this.queue.name, (job, token, signal) => this.run(processor, job, token, signal), {
      autorun: false,
      connection: template,
      prefix: `${this.opts.prefix}bull`,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
      // Every start counts, a crash's re-run included: run N+1 fails at once ("started more than
      // allowable limit") instead of running, so an image that kills workers stops at maxAttempts.
      maxStartedAttempts: this.maxAttempts,
      // Stalled jobs go back to wait (at the head of the line) as long as starts remain.
      maxStalledCount: this.maxAttempts,
    });
    this.worker.on('error', (err) => this.opts.onError?.(err));
    this.worker.on('failed', (job, err) => {
      if (job?.id) void this.onFailed(job.id, err);
    });
    const worker = this.worker;
    void subscribed.then(() => {
      if (!this.closing) worker.run().catch((err: unknown) => this.opts.onError?.(err));
    });
  }

  /** One run of a job: the processor with an AbortSignal that a cancel message or shutdown fires. */
  private async run(
    processor: Processor,
    job: Job,
    token: string | undefined,
    bullSignal?: AbortSignal,
  ): Promise<void> {
    const id = job.id!;
    const controller = new AbortController();
    // BullMQ aborts its signal when it loses the job (lock lost): stop inference, another worker owns it.
    bullSignal?.addEventListener('abort', () => controller.abort(new Error('lock lost')), { once: true });
    this.running.set(id, { controller, job, ...(token ? { token } : {}) });
    const ctx: JobContext = {
      attempt: Math.max(1, job.attemptsStarted),
      maxAttempts: this.maxAttempts,
      signal: controller.signal,
    };
    let error: unknown;
    try {
      await processor(id, ctx);
    } catch (err) {
      error = err;
    } finally {
      this.running.delete(id);
    }
    if (this.handingBack && controller.signal.aborted) {
      // Shutdown: hand the job back now rather than after the stalled check, so another worker runs it.
      if (token) await job.moveToWait(token);
      throw new WaitingError();
    }
    if (error === undefined) return;
    if (error instanceof RetryJob && ctx.attempt < this.maxAttempts && !controller.signal.aborted) throw error;
    if (!(error instanceof RetryJob)) this.opts.onError?.(error, id);
    // No more attempts: BullMQ must not retry it; onFailed ends the record if the processor did not.
    throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
  }

  /** A job failed; when BullMQ will not run it again, make sure its record ends. */
  private async onFailed(id: string, err: Error): Promise<void> {
    try {
      const state = await this.queue.getJobState(id);
      if (state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized') return;
      await this.opts.onExhausted?.(id, err.message);
    } catch (e) {
      this.opts.onError?.(e, id);
    }
  }

  /** Counts for metrics and tests (BullMQ's view: waiting, active, delayed retries). */
  async counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }> {
    const c = await guard(() => this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed'));
    return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  /**
   * Stops taking jobs, waits up to `graceMs` for running ones, then hands the rest back to the queue
   * (aborting their signals) for another worker. Returns no ids: nothing is lost with Redis.
   */
  async close(graceMs: number): Promise<string[]> {
    if (this.closing) return [];
    this.closing = true;
    const worker = this.worker;
    if (worker) {
      await worker.pause(true).catch((err: unknown) => this.opts.onError?.(err));
      await this.waitIdle(graceMs);
      if (this.running.size > 0) {
        this.handingBack = true;
        for (const { controller } of this.running.values()) controller.abort(new Error('shutdown'));
        // An engine that cannot stop mid-inference is not waited for: its job's lock lapses and the
        // stalled check of another worker re-runs it.
        await this.waitIdle(Math.min(graceMs, 1000));
      }
      await worker.close(true).catch((err: unknown) => this.opts.onError?.(err));
    }
    if (this.subscriber) {
      this.subscriber.disconnect();
    }
    await this.queue.close().catch((err: unknown) => this.opts.onError?.(err));
    return [];
  }

  private async waitIdle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(10);
  }
}
