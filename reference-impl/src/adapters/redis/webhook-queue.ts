/** BullWebhookQueue: durable webhook deliveries on BullMQ — each retry survives a restart of the node that owned it. */
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { FailedBody, ResultBody } from '@bgr/spec';
import type { WebhookPort, WebhookSender } from '../../removal/webhook.ts';
import type { RedisClient } from './connection.ts';

export interface BullWebhookQueueOptions {
  /** API-role client (fail fast): `send` adds with it; shared, never closed here. */
  connection: RedisClient;
  /** Worker-role client as a template (BullMQ duplicates it); needed only by `start`. */
  workerConnection?: RedisClient;
  /** The backend's key prefix; the queue's keys live under `{prefix}bull:webhooks:…`. */
  prefix: string;
  /** Signs and POSTs one attempt; its maxAttempts and delayAfter are the queue's bound and backoff. */
  sender: WebhookSender;
  /** Deliveries in flight per node (I/O bound: default 16). */
  concurrency?: number;
  /** Lock and stalled-check timings: a node killed mid-attempt has its delivery re-run after about their sum. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long a request id is remembered as queued, so a second send of it (a crashed worker's job re-run) is ignored (default 24 h). */
  dedupeMs?: number;
  onError?: (err: unknown) => void;
}

interface DeliveryData {
  url: string;
  messageId: string;
  payload: string;
}

/**
 * Same signature, backoff and bound as the in-process sender, but each delivery is a BullMQ job: a
 * failed attempt becomes a delayed retry in Redis, which any node running `start` picks up when due,
 * and an attempt cut by a crash goes back to the queue through the stalled check. Delivery is at least
 * once (a node killed between the receiver's 2xx and the job's completion repeats it); receivers
 * dedupe on `webhook-id`, the request id, which the job id equals too (a second send of the same id
 * while the first is pending is ignored).
 */
export class BullWebhookQueue implements WebhookPort {
  readonly queue: Queue<DeliveryData>;
  private worker?: Worker<DeliveryData>;
  private active = 0;
  private closing?: Promise<void>;

  constructor(private readonly opts: BullWebhookQueueOptions) {
    this.queue = new Queue<DeliveryData>('webhooks', {
      connection: opts.connection,
      prefix: `${opts.prefix}bull`,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: opts.sender.maxAttempts,
        backoff: { type: 'webhook' },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    });
    this.queue.on('error', (err) => opts.onError?.(err));
  }

  /** Resolves once BullMQ's queue is initialised (see BullJobQueue.ready for why it is awaited at start). */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /** A second send of a request id queues nothing: the lifecycle may re-send after a crash. */
  readonly idempotent = true;

  async send(url: string, messageId: string, body: ResultBody | FailedBody): Promise<void> {
    // The marker outlives the job (removed once delivered), so a re-send after delivery is no second delivery.
    // It is written after the add: a crash in between leaves a re-send possible (at least once), never none.
    const marker = `${this.opts.prefix}hooked:${messageId}`;
    if (await this.opts.connection.exists(marker)) return;
    await this.queue.add('delivery', { url, messageId, payload: JSON.stringify(body) }, { jobId: messageId });
    await this.opts.connection.set(marker, '1', 'PX', this.opts.dedupeMs ?? 24 * 3_600_000);
  }

  /** Starts delivering on this node (worker roles); API-only nodes only `send`. */
  start(): void {
    if (this.worker) throw new Error('webhook queue already started');
    const connection = this.opts.workerConnection;
    if (!connection) throw new Error('BullWebhookQueue.start needs a workerConnection (a worker-role Redis client)');
    const { sender } = this.opts;
    this.worker = new Worker<DeliveryData>(
      'webhooks',
      async (job, _token, signal) => {
        const attempt = job.attemptsMade + 1;
        this.active++;
        let failure: string | undefined;
        try {
          failure = await sender.attempt(job.data.url, job.data.messageId, job.data.payload, attempt, signal);
        } finally {
          this.active--;
        }
        if (failure === undefined) return;
        if (attempt >= sender.maxAttempts) throw new UnrecoverableError(failure);
        throw new Error(failure);
      },
      {
        connection,
        prefix: `${this.opts.prefix}bull`,
        concurrency: this.opts.concurrency ?? 16,
        lockDuration: this.opts.lockDurationMs ?? 30_000,
        stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
        // A crash mid-attempt costs one of the attempts, so a delivery that kills nodes still ends.
        maxStalledCount: sender.maxAttempts,
        settings: { backoffStrategy: (attemptsMade: number) => sender.delayAfter(attemptsMade) },
      },
    );
    this.worker.on('error', (err) => this.opts.onError?.(err));
  }

  /** Counts for metrics: deliveries waiting or due now, in backoff, being attempted. */
  async counts(): Promise<{ waiting: number; delayed: number; active: number }> {
    const c = await this.queue.getJobCounts('waiting', 'delayed', 'active');
    return { waiting: c.waiting ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0 };
  }

  /** Lets attempts in flight finish for up to `graceMs`; pending retries stay in Redis for the other nodes. Idempotent. */
  close(graceMs = 0): Promise<void> {
    this.closing ??= (async () => {
      const worker = this.worker;
      if (worker) {
        await worker.pause(true).catch((err: unknown) => this.opts.onError?.(err));
        const deadline = Date.now() + graceMs;
        while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        // An attempt still running is cut; its lock lapses and another node's stalled check re-runs it.
        await worker.close(true).catch((err: unknown) => this.opts.onError?.(err));
      }
      await this.queue.close().catch((err: unknown) => this.opts.onError?.(err));
    })();
    return this.closing;
  }
}
