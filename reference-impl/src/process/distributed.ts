/** `bgr serve` with BGR_REDIS_URL: the Redis backend wired into the server for the node's role. */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';
import type { Engine } from '../engine/types.ts';
import { webhookSenderOf } from './removal-service.ts';
import { Metrics } from '../metrics/metrics.ts';
import { createRedisBackend } from '../adapters/redis/index.ts';
import type { Running, StartServer } from './running.ts';
import type { RemovalService } from '../removal/service.ts';
import { startWorkerNode } from './worker-node.ts';
import { keyIdHasher } from '../policy/keys.ts';

/**
 * Starts one node: `api` (HTTP, no model: v1 and v2 jobs run on the workers), `worker` (jobs, probes only) or
 * `all` (both). `makeEngine` loads the model and is called only where inference runs. Throws when
 * Redis cannot be reached at start-up (after 10 s) with a message naming the URL without its password.
 * `startServer` is serve.ts's, passed in so that this module does not import serve.ts (which imports it).
 */
export async function startRedisNode(
  config: Config,
  log: FastifyBaseLogger,
  makeEngine: () => Engine,
  startServer: StartServer,
): Promise<{ running: Running; engine: Engine | undefined }> {
  if (!config.redisUrl) throw new Error('startRedisNode needs config.redisUrl');
  const role = config.role;
  // Exhausted jobs end through the lifecycle (credit released, webhook sent). The queue only runs jobs
  // once the lifecycle has started it, so the promise is always resolved by the time one is needed.
  let bind!: (s: RemovalService) => void;
  const lifecycle = new Promise<RemovalService>((resolve) => {
    bind = resolve;
  });
  const local = role === 'api' ? undefined : makeEngine();
  const metrics = new Metrics({ role });
  let backend;
  try {
    backend = await createRedisBackend({
      url: config.redisUrl,
      role,
      prefix: config.redisPrefix,
      keys: config.keys,
      keyId: keyIdHasher(config.keyIdSecret),
      retentionMs: config.resultTtlS * 1000,
      maxQueue: config.queueMax,
      concurrency: config.workers,
      lockDurationMs: config.jobLockMs,
      stalledIntervalMs: config.jobStalledMs,
      ...(config.redisWaitReplicas ? { ackReplicas: config.redisWaitReplicas } : {}),
      log,
      onExhausted: async (id, reason) => (await lifecycle).abandon(id, reason),
      // Durable deliveries: a retry waits in Redis, not in this process's memory.
      webhookSender: webhookSenderOf(config, log, metrics),
    });
  } catch (err) {
    await local?.close();
    throw err;
  }
  const b = backend;
  const v2 = {
    store: b.store,
    queue: b.queue,
    close: () => b.close(),
    depth: async () => (await b.queue.counts()).waiting,
  };
  const common = {
    config,
    keys: b.keys,
    backendUp: () => b.ping(),
    onLifecycle: bind,
    metrics,
    ...(b.webhooks ? { webhooks: b.webhooks } : {}),
  };
  try {
    if (role === 'worker') {
      const running = await startWorkerNode({ ...common, engine: local!, backend: v2, log });
      return { running, engine: local! };
    }
    const running = await startServer({
      ...common,
      ...(local ? { engine: local } : {}),
      logger: log,
      backend: v2,
      rateLimitStore: { redis: backend.rateLimitRedis, nameSpace: backend.rateLimitNameSpace },
    });
    return { running, engine: local };
  } catch (err) {
    // E.g. the port is taken: open Redis connections and engine threads would keep the process alive.
    await backend.close();
    await local?.close();
    throw err;
  }
}
