/** Metrics: one node's Prometheus registry (prom-client) — requests, queue depth, images in flight, latencies, worker restarts, webhook outcomes. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WebhookOutcome } from '../removal/webhook.ts';

/**
 * Latency buckets in seconds: tens of milliseconds (probes, polls) up to the v1 deadline and beyond
 * (a queued v2 request). One inference is ≈ 0.02 s on a GPU, ≈ 1.2 s on two CPU cores.
 */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** Reads a current value at scrape time; may be async (Redis queue length). */
export type Source = () => number | Promise<number>;

/**
 * Per node, not global: tests run several servers in one process, and prom-client's default registry
 * would refuse the second. Gauges read their value at scrape time from a small function (a `Source`),
 * so what owns the number (the queue, the engine, an admission controller) is wired with one line:
 * `metrics.imagesInFlight = () => admission.usage.images`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly requestDuration: Histogram<'status'>;
  readonly inferenceDuration: Histogram;
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Jobs waiting in the queue (this node's in memory mode, the deployment's with Redis). */
  queueDepth: Source = () => 0;
  /** Images this node is decoding, inferring or encoding right now. */
  imagesInFlight: Source = () => 0;
  /** Inference worker threads restarted after a crash since start. */
  workerRestarts: Source = () => 0;

  constructor(opts: { role?: string } = {}) {
    const r = this.registry;
    r.setDefaultLabels({ role: opts.role ?? 'all' });
    // Process metrics (RSS, heap, event-loop lag, open handles): what an operator checks first.
    collectDefaultMetrics({ register: r, prefix: 'bgr_' });
    this.httpRequests = new Counter({
      name: 'bgr_http_requests_total',
      help: 'HTTP requests answered, by route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [r],
    });
    this.httpDuration = new Histogram({
      name: 'bgr_http_request_duration_seconds',
      help: 'Time from request received to response sent (v1 removal: end to end).',
      labelNames: ['method', 'route'],
      buckets: latencyBuckets,
      registers: [r],
    });
    this.requestDuration = new Histogram({
      name: 'bgr_request_duration_seconds',
      help: 'Async (v2) requests from submit to their end, by final status; observed by the node that ended them.',
      labelNames: ['status'],
      buckets: latencyBuckets,
      registers: [r],
    });
    this.inferenceDuration = new Histogram({
      name: 'bgr_inference_duration_seconds',
      help: 'Model inference time of one image on this node (decode and encode excluded).',
      buckets: latencyBuckets,
      registers: [r],
    });
    this.webhookDeliveries = new Counter({
      name: 'bgr_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (failed, will retry), failed (gave up).',
      labelNames: ['outcome'],
      registers: [r],
    });
    for (const o of ['delivered', 'retry', 'failed'] satisfies WebhookOutcome[])
      this.webhookDeliveries.inc({ outcome: o }, 0);
    const self = this;
    new Gauge({
      name: 'bgr_queue_depth',
      help: 'Jobs waiting to run (in memory: this node; with Redis: the whole deployment).',
      registers: [r],
      async collect() {
        this.set(await self.queueDepth());
      },
    });
    new Gauge({
      name: 'bgr_images_in_flight',
      help: 'Images being processed on this node now.',
      registers: [r],
      async collect() {
        this.set(await self.imagesInFlight());
      },
    });
    new Counter({
      name: 'bgr_worker_restarts_total',
      help: 'Inference worker threads restarted after a crash.',
      registers: [r],
      async collect() {
        this.reset();
        this.inc(await self.workerRestarts());
      },
    });
  }

  /** The text exposition format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
