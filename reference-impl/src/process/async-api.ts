/** Composes the v2 lifecycle for the server: a backend (store + queue), image resolution and webhooks through the SSRF guard. */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { Admission, admittedEngine } from '../http/admission.ts';
import type { Config } from './config.ts';
import { fetchPolicyOf } from '../http/context.ts';
import type { Engine } from '../engine/types.ts';
import { guardedFetch } from '../input/guarded-fetch.ts';
import { resolveImage } from '../input/image.ts';
import { publicBaseUrl } from '../http/public-url.ts';
import type { Clock, KeyStore } from '../ports.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { V1_OWNER } from '../adapters/redis/queue-engine.ts';
import { LifecycleService } from '../v2/lifecycle.ts';
import { MemoryJobQueue, type JobQueue } from '../v2/queue.ts';
import { MemoryRequestStore, type RequestStore } from '../v2/store.ts';
import { ensureWebhookSecret, WebhookSender, type WebhookPort } from '../v2/webhook.ts';

/** Where requests and jobs live: this process (default) or Redis (`BGR_REDIS_URL`). */
export interface V2Backend {
  store: RequestStore;
  queue: JobQueue;
  close?(): Promise<void>;
  /** Jobs waiting, for the queue-depth metric. */
  depth?(): Promise<number>;
}

/** The embedded backend: one process, bounded queue, one job per inference worker at a time. */
export function memoryBackend(config: Config, clock?: Clock): V2Backend {
  const queue = new MemoryJobQueue({ maxSize: config.queueMax, concurrency: config.workers });
  return { store: new MemoryRequestStore(clock), queue, depth: async () => queue.counts.waiting };
}

/** Absolute links come from BGR_PUBLIC_URL, else from a valid Host (forwarded headers only when trusted), else the listen address. */
export function baseUrlOf(config: Config): (request: FastifyRequest) => string {
  return publicBaseUrl(config.publicUrl);
}

export interface LifecycleOptions {
  engine: Engine;
  keys: KeyStore;
  backend: V2Backend;
  clock?: Clock;
  log?: FastifyBaseLogger;
  /** false on API-only nodes (the Redis deployment's `--role api`). */
  worker?: boolean;
  /** The node's admission control, shared with v1; absent → one of its own from the config. */
  admission?: Admission;
  /** Where final bodies go: the durable Redis queue; absent → an in-process sender (webhookSenderOf). */
  webhooks?: WebhookPort;
  metrics?: Metrics;
}

/**
 * The signer and one-attempt POSTer for webhooks: the configured secret (see requireWebhookSecret),
 * the SSRF guard of image URLs with no redirects, attempts reported to `metrics`. The in-process
 * sender and the Redis delivery queue both use it, so both sign, back off and give up alike.
 */
export function webhookSenderOf(config: Config, log?: FastifyBaseLogger, metrics?: Metrics): WebhookSender {
  const policy = fetchPolicyOf(config);
  const warn = (msg: string) => (log ? log.warn(msg) : process.stderr.write(`${msg}\n`));
  return new WebhookSender({
    secret: ensureWebhookSecret(config.webhookSecret, warn),
    log: warn,
    ...(metrics ? { onOutcome: (outcome) => metrics.webhookDeliveries.inc({ outcome }) } : {}),
    // Webhook targets get the same SSRF guard as image URLs, and no redirects.
    fetch: async (url, init) => {
      const res = await guardedFetch(url, policy, {
        method: init.method, headers: init.headers, body: init.body, signal: init.signal, followRedirects: false,
      });
      return { status: res.status };
    },
  });
}

/** The v2 service, started: workers pull from the queue, the sweeper frees expired records. */
export function createLifecycle(config: Config, o: LifecycleOptions): LifecycleService {
  const policy = fetchPolicyOf(config);
  const webhooks = o.webhooks ?? webhookSenderOf(config, o.log, o.metrics);
  const metrics = o.metrics;
  return new LifecycleService({
    store: o.backend.store,
    queue: o.backend.queue,
    keys: o.keys,
    // Jobs count as images in flight and wait for their decoded bytes within the node's pixel budget.
    engine: admittedEngine(o.engine, o.admission ?? new Admission(config), { maxPixels: config.maxPixels, wait: true, track: true }),
    clock: o.clock,
    log: o.log,
    webhooks,
    // v1 jobs queued to workers (Redis mode) are timed by the API node's HTTP histogram instead.
    ...(metrics ? { onEnded: (rec) => { if (rec.owner !== V1_OWNER) metrics.requestDuration.observe({ status: rec.state }, rec.metrics.totalTime ?? 0); } } : {}),
    resolveImage: async (input, signal) => (await resolveImage(input, { fetch: policy, maxPixels: config.maxPixels }, signal)).bytes,
    config: { retentionMs: config.resultTtlS * 1000, shutdownGraceMs: config.shutdownGraceS * 1000, worker: o.worker ?? true },
  }).start();
}
