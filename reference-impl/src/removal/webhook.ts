/** WebhookSender: POSTs a request's final body to its `webhook`, signed per Standard Webhooks, retried with backoff. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { FailedBody, ResultBody } from '@bgr/spec';
import type { Clock } from '../ports.ts';
import { systemClock } from '../ports.ts';

/**
 * The subset of `fetch` the sender uses. Production passes the server's SSRF-guarded fetch (the same
 * guard as image URLs: public addresses only, connection pinned to the resolved address).
 */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal; redirect: 'manual' },
) => Promise<{ status: number }>;

export interface WebhookOptions {
  /** `whsec_<base64>`; see `ensureWebhookSecret`. */
  secret: string;
  fetch?: FetchLike;
  /** Deliveries tried in all, the first included. */
  maxAttempts?: number;
  /** Delay before the first retry; doubled each time, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Signing time. Real time by default, even when the lifecycle runs on a fake clock: receivers check it. */
  clock?: Clock;
  log?: (msg: string) => void;
  /** Each attempt's outcome, for metrics: delivered (2xx), retry (failed, another attempt follows), failed (gave up). */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

export type WebhookOutcome = 'delivered' | 'retry' | 'failed';

/**
 * Where the lifecycle hands a final body: the in-process sender (memory mode) or the durable BullMQ
 * queue of deliveries (Redis mode). `send` resolves once the delivery is accepted, not delivered.
 */
export interface WebhookPort {
  send(url: string, messageId: string, body: ResultBody | FailedBody): Promise<void>;
  /** True when a second send of the same messageId queues nothing (the durable queue): the lifecycle may then re-send after a crash. */
  readonly idempotent?: boolean;
  /** Waits up to `graceMs` for deliveries in flight; what is left is abandoned (memory) or stays queued (Redis). */
  close(graceMs?: number): Promise<void>;
}

/** A fresh per-deployment secret in the Standard Webhooks format (24 random bytes, as Svix issues). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The configured secret, or a generated one. A generated secret lives only as long as this process,
 * so receivers cannot verify across restarts: we warn, and never print the secret into logs.
 */
export function ensureWebhookSecret(configured: string | undefined, log: (msg: string) => void): string {
  if (configured) {
    new Webhook(configured); // throws on a malformed secret, at start rather than on first delivery
    return configured;
  }
  log(
    'BGR_WEBHOOK_SECRET is not set: generated a webhook signing secret for this process only; set one so receivers can verify.',
  );
  return generateWebhookSecret();
}

/** Delivers final bodies; one message id per request, the same on every retry (receivers dedupe on it). */
export class WebhookSender implements WebhookPort {
  private readonly signer: Webhook;
  private readonly fetch: FetchLike;
  private readonly inflight = new Set<Promise<boolean>>();
  private readonly stop = new AbortController();

  constructor(private readonly opts: WebhookOptions) {
    this.signer = new Webhook(opts.secret);
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
  }

  /** The signed headers of one delivery attempt (exported for receivers' tests and docs). */
  sign(messageId: string, payload: string, at: Date): Record<string, string> {
    return {
      'content-type': 'application/json',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.signer.sign(messageId, at, payload),
    };
  }

  /** Deliveries tried in all, the first included (the durable queue uses the same bound). */
  get maxAttempts(): number {
    return this.opts.maxAttempts ?? 6;
  }

  /** The pause after failed attempt number `attempt` (1-based): doubled each time, capped. */
  delayAfter(attempt: number): number {
    return Math.min((this.opts.baseDelayMs ?? 1000) * 2 ** (attempt - 1), this.opts.maxDelayMs ?? 300_000);
  }

  /**
   * One signed POST. Resolves undefined on a 2xx, else what went wrong (`HTTP 500`, a network error).
   * Reports the outcome (`delivered`, or `retry`/`failed` by whether attempt < maxAttempts) and logs it.
   */
  async attempt(
    url: string,
    messageId: string,
    payload: string,
    attempt: number,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const clock = this.opts.clock ?? systemClock;
    // Re-signed per attempt: the timestamp must be fresh for the receiver's tolerance window.
    const headers = this.sign(messageId, payload, new Date(clock.now()));
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
    let outcome: string;
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers,
        body: payload,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      if (res.status >= 200 && res.status < 300) {
        this.opts.onOutcome?.('delivered');
        return undefined;
      }
      outcome = `HTTP ${res.status}`;
    } catch (err) {
      outcome = err instanceof Error ? err.message : String(err);
    }
    const max = this.maxAttempts;
    const last = attempt >= max;
    this.opts.onOutcome?.(last ? 'failed' : 'retry');
    this.opts.log?.(
      `webhook ${messageId} attempt ${attempt}/${max} failed (${outcome}); ${last ? 'giving up' : `retrying in ${this.delayAfter(attempt)} ms`}`,
    );
    return outcome;
  }

  /** WebhookPort: delivers in the background, in this process (its retries end with it). */
  async send(url: string, messageId: string, body: ResultBody | FailedBody): Promise<void> {
    void this.deliver(url, messageId, body);
  }

  /** Delivers in the background; resolves true once a receiver answered 2xx, false when it gave up. */
  deliver(url: string, messageId: string, body: ResultBody | FailedBody): Promise<boolean> {
    const p = this.run(url, messageId, JSON.stringify(body)).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return p;
  }

  /** Waits up to `graceMs` for deliveries in flight, then abandons their remaining retries. */
  async close(graceMs = 0): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inflight),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.stop.abort();
    await Promise.all(this.inflight);
  }

  private async run(url: string, messageId: string, payload: string): Promise<boolean> {
    for (let attempt = 1; attempt <= this.maxAttempts && !this.stop.signal.aborted; attempt++) {
      if ((await this.attempt(url, messageId, payload, attempt, this.stop.signal)) === undefined) return true;
      if (attempt < this.maxAttempts)
        await sleep(this.delayAfter(attempt), undefined, { signal: this.stop.signal }).catch(() => undefined);
    }
    return false;
  }
}
