/** Composes the removal service for a node: a backend (store + queue), image resolution and webhooks through the SSRF guard, admission and metrics. */
import type { FastifyBaseLogger } from 'fastify';
import { Admission } from '../policy/admission.ts';
import type { Config } from './config.ts';
import type { Engine } from '../engine/types.ts';
import type { FetchPolicy } from '../input/guarded-fetch.ts';
import { guardedFetch } from '../input/guarded-fetch.ts';
import { resolveImage } from '../input/image.ts';
import type { Clock, KeyStore } from '../ports.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { RemovalService } from '../removal/service.ts';
import { MemoryJobQueue, type JobQueue } from '../removal/queue.ts';
import { MemoryRequestStore, type RequestStore } from '../removal/store.ts';
import { ensureWebhookSecret, WebhookSender, type WebhookPort } from '../removal/webhook.ts';

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

/** The SSRF policy of image URLs and webhooks, from the config. */
export function fetchPolicyOf(config: Config): FetchPolicy {
  return {
    allowPrivate: config.allowPrivateUrls,
    timeoutMs: config.fetchTimeoutS * 1000,
    maxBytes: config.fetchMaxBytes,
    maxRedirects: config.fetchMaxRedirects,
  };
}

export interface ServiceOptions {
  /** The engine that runs jobs here; absent on an API-only node (no workers, no model). */
  engine?: Engine;
  keys: KeyStore;
  backend: V2Backend;
  clock?: Clock;
  log?: FastifyBaseLogger;
  /** The node's admission control (shared with the HTTP layer's v1 bound); absent → one from the config. */
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
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal: init.signal,
        followRedirects: false,
      });
      return { status: res.status };
    },
  });
}

/** The removal service, started: workers pull from the queue (where there is an engine), the sweeper frees expired records. */
export function createRemovalService(config: Config, o: ServiceOptions): RemovalService {
  const policy = fetchPolicyOf(config);
  const webhooks = o.webhooks ?? webhookSenderOf(config, o.log, o.metrics);
  const metrics = o.metrics;
  return new RemovalService({
    store: o.backend.store,
    queue: o.backend.queue,
    keys: o.keys,
    ...(o.engine ? { engine: o.engine } : {}),
    admission: o.admission ?? new Admission(config),
    clock: o.clock,
    log: o.log,
    webhooks,
    ...(metrics
      ? {
          // v1 requests are timed by the HTTP histogram of the node that answers them.
          onEnded: (rec) => {
            if (!rec.sync) metrics.requestDuration.observe({ status: rec.state }, rec.metrics.totalTime ?? 0);
          },
          onResult: (result) => metrics.inferenceDuration.observe(result.timings.infer / 1000),
        }
      : {}),
    resolveImage: (input, signal) => resolveImage(input, { fetch: policy, maxPixels: config.maxPixels }, signal),
    config: { retentionMs: config.resultTtlS * 1000, shutdownGraceMs: config.shutdownGraceS * 1000 },
  }).start();
}
