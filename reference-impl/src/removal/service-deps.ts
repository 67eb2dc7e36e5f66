/** What the removal service is built from: its backends, engine, image resolution, hooks and settings; and the views it answers with. */
import type { FailedBody, PendingBody, ResultBody, StatusBody } from '@bgr/spec';
import type { Engine, ProbedImage, RemoveResult } from '../engine/types.ts';
import type { Clock, KeyStore } from '../ports.ts';
import type { Admission } from '../policy/admission.ts';
import type { ImageSource } from './request.ts';
import type { JobQueue } from './queue.ts';
import type { RequestRecord, RequestStore } from './store.ts';
import type { WebhookPort } from './webhook.ts';

/**
 * Turns the client's image into a probed image (the server's input resolution: URL fetched through the
 * SSRF guard, data URI, base64, or the multipart bytes; then the one probe). Throws errors with a contract
 * `code` (`image_fetch_failed`, `image_url_forbidden`, `invalid_parameter`, `invalid_image`, …).
 */
export type ResolveImage = (input: ImageSource, signal?: AbortSignal) => Promise<ProbedImage>;

/** pino-compatible (Fastify's logger fits). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ServiceConfig {
  /** How long status, result and output stay after a request ends (default 1 hour). */
  retentionMs: number;
  /** How often the sweeper frees expired records (default: a minute, or the retention when shorter). */
  sweepIntervalMs: number;
  /** How long close() waits for running jobs, and then for webhook deliveries (default 30 s). */
  shutdownGraceMs: number;
  /** How long a refused submit's undo (record, hold, idempotency claim) is retried while the store is unreachable (default 60 s). */
  undoRetryMs: number;
  /** Run jobs in this process (default: when there is an engine; false for an API-only node). */
  worker: boolean;
  /** Status streams: a `: keep-alive` comment this often while pending (default 15 s, the wire format's). */
  streamKeepAliveMs: number;
  /**
   * Status streams re-read the record at least this often: the safety net under the store's change
   * notices (default 2 s), or the polling interval of a store that offers none (then 250 ms).
   */
  streamResyncMs: number;
}

export interface ServiceDeps {
  store: RequestStore;
  queue: JobQueue;
  keys: KeyStore;
  /** What runs the images here; absent on a node that runs no jobs (an API-only node). */
  engine?: Engine;
  resolveImage: ResolveImage;
  /** Absent: `webhook` URLs are accepted but nothing is sent (the server always passes one). */
  webhooks?: WebhookPort;
  clock?: Clock;
  log?: Logger;
  config?: Partial<ServiceConfig>;
  /** Called once per request that ends here (the CAS winner), for metrics. */
  onEnded?: (rec: RequestRecord) => void;
  /** Called with each image the engine returned here, for metrics. */
  onResult?: (result: RemoveResult) => void;
  /** This node's bound on images in flight and their decoded bytes; absent → unbounded (tests). */
  admission?: Admission;
}

export type StatusView = { status: 200; body: StatusBody } | { status: 422; body: FailedBody };
export type ResultView =
  { status: 200; body: ResultBody } | { status: 202; body: PendingBody } | { status: 422; body: FailedBody };
