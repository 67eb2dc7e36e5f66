/** The distributed backend's factories: createRedisBackend (API, worker or both) and startWorker. */
import type { Clock, KeyRecord } from '../../ports.ts';
import { systemClock } from '../../ports.ts';
import type { Processor } from '../../removal/queue.ts';
import { isTerminal } from '../../removal/store.ts';
import { createRedis, isClusterUrl, whenReady, type RedisClient } from './connection.ts';
import { clusterPrefix, redactRedisUrl } from './url.ts';
import { BullJobQueue } from './job-queue.ts';
import { RedisKeyStore } from './key-store.ts';
import type { KeyIdOf } from '../../policy/keys.ts';
import { RedisRequestStore } from './request-store.ts';
import { BullWebhookQueue } from './webhook-queue.ts';
import type { WebhookSender } from '../../removal/webhook.ts';

export { BullWebhookQueue } from './webhook-queue.ts';
export { BullJobQueue } from './job-queue.ts';
export { RedisKeyStore } from './key-store.ts';
export { RedisRequestStore } from './request-store.ts';
export { createRedis, isUnavailable, whenReady } from './connection.ts';

/** `bgr serve --role`: `api` accepts and answers, `worker` runs inference, `all` both (one process). */
export type NodeRole = 'all' | 'api' | 'worker';

export interface RedisBackendConfig {
  /** BGR_REDIS_URL, e.g. redis://redis.internal:6379/0 (rediss:// for TLS), or redis+cluster://h1:p1,h2:p2. */
  url: string;
  role: NodeRole;
  /**
   * Prefix of every key (default `bgr:`); deployments sharing one Redis use different ones. On a
   * cluster it is hash-tagged (`bgr:` → `{bgr}:`, see clusterPrefix); `backend.prefix` is the one in use.
   */
  prefix?: string;
  /** The configured API keys (policies); balances live in Redis, seeded without resetting. */
  keys: readonly KeyRecord[];
  /** secret → key id, the same on every node; default: the built-in key-id secret. */
  keyId?: KeyIdOf;
  /** How long an ended request stays readable: the records' TTL (default 1 h). */
  retentionMs?: number;
  /** Most jobs waiting across the deployment (BGR_QUEUE_MAX). */
  maxQueue: number;
  /** Jobs a worker node runs at once (ignored on `api`). */
  concurrency?: number;
  /** Runs per job, crashes included (default 2). */
  maxAttempts?: number;
  retryDelayMs?: number;
  /** BullMQ lock and stalled-check timings (default 30 s each): a killed worker's job re-runs within about their sum. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Safety TTL of pending records and idempotency bindings (default 24 h). */
  pendingTtlMs?: number;
  /** Upper bound for one Redis command on the API side (default 2 s). */
  commandTimeoutMs?: number;
  /** Replicas that confirm (WAIT) a submit's writes before it is acknowledged (default 0); see BullJobQueueOptions.ackReplicas. */
  ackReplicas?: number;
  /** How long start-up waits for Redis before failing (default 10 s). */
  startupTimeoutMs?: number;
  clock?: Clock;
  log?: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /**
   * Ends a request BullMQ gave up on (every attempt died with its worker). Default: CAS it to FAILED
   * `worker_unavailable` and release its credit hold. The server may pass the lifecycle's own ending
   * instead, so that a webhook is sent as well.
   */
  onExhausted?: (requestId: string, reason: string) => Promise<void>;
  /**
   * Signs and POSTs webhook attempts: given, the backend has a durable delivery queue (`webhooks`),
   * delivering on every node that runs jobs (`worker`, `all`) from the moment the backend exists.
   */
  webhookSender?: WebhookSender;
}

export interface RedisBackend {
  store: RedisRequestStore;
  queue: BullJobQueue;
  keys: RedisKeyStore;
  /** The durable webhook deliveries, when `webhookSender` was given. */
  webhooks?: BullWebhookQueue;
  /**
   * For `@fastify/rate-limit`: `{ redis: backend.rateLimitRedis, nameSpace: backend.rateLimitNameSpace,
   * skipOnError: true }` (counters shared by every API node; while Redis is down the store answers 503).
   */
  rateLimitRedis: RedisClient;
  /** The key prefix in use (hash-tagged on a cluster). */
  prefix: string;
  rateLimitNameSpace: string;
  /** True when Redis answers now (health checks). */
  ping(): Promise<boolean>;
  /** Closes the queue (if the lifecycle has not) and every connection. Idempotent. */
  close(): Promise<void>;
}

/** Connects, seeds the keys and builds the three ports; `role` decides whether `queue.start` may run jobs. */
export async function createRedisBackend(config: RedisBackendConfig): Promise<RedisBackend> {
  // WAIT counts the replicas of the node it reaches; a cluster client would send it to an arbitrary node.
  if (config.ackReplicas && isClusterUrl(config.url))
    throw new Error('waiting for replicas (BGR_REDIS_WAIT_REPLICAS) is not supported on a Redis Cluster');
  const prefix = isClusterUrl(config.url) ? clusterPrefix(config.prefix ?? 'bgr:') : (config.prefix ?? 'bgr:');
  const clock = config.clock ?? systemClock;
  const retentionMs = config.retentionMs ?? 3_600_000;
  const onError = (err: unknown) => config.log?.warn({ err }, 'redis connection error');
  const api = createRedis(
    {
      url: config.url,
      role: 'api',
      name: `bgr-${config.role}`,
      ...(config.commandTimeoutMs ? { commandTimeoutMs: config.commandTimeoutMs } : {}),
    },
    onError,
  );
  const rateLimitRedis = createRedis(
    { url: config.url, role: 'api', name: 'bgr-ratelimit', commandTimeoutMs: 500 },
    onError,
  );
  const worker =
    config.role === 'api' ? undefined : createRedis({ url: config.url, role: 'worker', name: 'bgr-worker' }, onError);
  const clients = [api, rateLimitRedis, ...(worker ? [worker] : [])];

  if (!(await whenReady(api, config.startupTimeoutMs ?? 10_000))) {
    for (const c of clients) c.disconnect();
    throw new Error(`Redis is not reachable at ${redactRedisUrl(config.url)} (BGR_REDIS_URL)`);
  }

  const store = new RedisRequestStore(api, {
    prefix,
    clock,
    ...(config.pendingTtlMs ? { pendingTtlMs: config.pendingTtlMs } : {}),
  });
  const keys = new RedisKeyStore(api, {
    prefix,
    clock,
    ...(config.keyId ? { keyId: config.keyId } : {}),
    ...(config.pendingTtlMs ? { holdTtlMs: config.pendingTtlMs } : {}),
  });
  await keys.seed(config.keys);

  const failAbandoned = async (requestId: string, reason: string): Promise<void> => {
    const rec = await store.get(requestId);
    if (!rec || isTerminal(rec.state)) return;
    const now = clock.now();
    const ended = await store.transition(requestId, ['QUEUED', 'PROCESSING'], 'FAILED', {
      error: { code: 'worker_unavailable', message: 'The workers running this request stopped before it finished.' },
      completedAt: now,
      expiresAt: now + retentionMs,
      metrics: { totalTime: Math.max(0, now - rec.createdAt) / 1000 },
    });
    if (ended) await keys.settle(rec.owner, requestId, false);
    config.log?.warn({ requestId, reason }, 'v2 job exhausted its attempts; request failed');
  };

  const queue = new BullJobQueue({
    connection: api,
    ...(worker ? { workerConnection: worker } : {}),
    prefix,
    maxSize: config.maxQueue,
    concurrency: config.concurrency ?? 1,
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    ...(config.retryDelayMs !== undefined ? { retryDelayMs: config.retryDelayMs } : {}),
    ...(config.lockDurationMs ? { lockDurationMs: config.lockDurationMs } : {}),
    ...(config.stalledIntervalMs ? { stalledIntervalMs: config.stalledIntervalMs } : {}),
    ...(config.ackReplicas ? { ackReplicas: config.ackReplicas } : {}),
    onExhausted: config.onExhausted ?? failAbandoned,
    onError: (err, requestId) => config.log?.error({ err, requestId }, 'v2 queue error'),
  });

  const webhooks =
    config.webhookSender &&
    new BullWebhookQueue({
      connection: api,
      ...(worker ? { workerConnection: worker } : {}),
      prefix,
      sender: config.webhookSender,
      // A re-send comes from a job re-run that found its request ended; once the record expires no re-run sends.
      dedupeMs: retentionMs,
      ...(config.lockDurationMs ? { lockDurationMs: config.lockDurationMs } : {}),
      ...(config.stalledIntervalMs ? { stalledIntervalMs: config.stalledIntervalMs } : {}),
      onError: (err) => config.log?.error({ err }, 'webhook queue error'),
    });
  try {
    await Promise.all([queue.ready(), webhooks?.ready()]);
  } catch (err) {
    await Promise.all([queue.close(0), webhooks?.close(0)]).catch(() => undefined);
    for (const c of clients) c.disconnect();
    throw new Error(
      `Redis at ${redactRedisUrl(config.url)} did not answer BullMQ's start-up check: ${(err as Error).message}`,
    );
  }
  if (webhooks && worker) webhooks.start();

  let closed: Promise<void> | undefined;
  return {
    store,
    queue,
    keys,
    rateLimitRedis,
    prefix,
    ...(webhooks ? { webhooks } : {}),
    rateLimitNameSpace: `${prefix}rl:`,
    ping: async () => (await api.ping().catch(() => '')) === 'PONG',
    close: () => {
      closed ??= (async () => {
        await queue.close(0);
        store.close();
        await webhooks?.close(0);
        await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      })();
      return closed;
    },
  };
}

/**
 * A worker node without the HTTP server: builds the backend with role `worker` and starts the queue
 * with the processor `makeProcessor` returns (the lifecycle's, or a test's fake one).
 */
export async function startWorker(
  config: Omit<RedisBackendConfig, 'role'>,
  makeProcessor: (backend: RedisBackend) => Processor,
): Promise<RedisBackend> {
  const backend = await createRedisBackend({ ...config, role: 'worker' });
  backend.queue.start(makeProcessor(backend));
  return backend;
}
