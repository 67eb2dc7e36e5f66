/**
 * RemovalService: the one removal pipeline. v2 is submit, poll, fetch and cancel; v1 is the same submit
 * and a wait for the end (`removeNow`). Credits, the v1 deadline and the images' admission each live here
 * once; requests run through the store, queue and key ports on whichever node takes the job.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import type { ErrorCode, FailedBody, SubmitResponse } from '@bgr/spec';
import type { RemoveResult } from '../engine/types.ts';
import type { Clock, KeyStore } from '../ports.ts';
import { systemClock } from '../ports.ts';
import { failedBody, pendingBody, resultBody, statusBody, submitBody } from './bodies.ts';
import { ApiError, errors, failureOf } from '../errors.ts';
import { bodyHash, isProbed, type JobInput, type RemovalRequest } from './request.ts';
import type { JobContext, JobQueue } from './queue.ts';
import { QueueFullError, RetryJob } from './queue.ts';
import type { RecordPatch, RequestError, RequestRecord, RequestState, RequestStore, StoredOutput } from './store.ts';
import { isTerminal } from './store.ts';
import { type Snapshot, statusStream } from './status-stream.ts';
import { deadline, syncFailure, syncWaiter, watchEnd, type SyncResult, type SyncWaiter } from './sync.ts';
import type { Logger, ResultView, ServiceConfig, ServiceDeps, StatusView } from './service-deps.ts';

export type { Logger, ResolveImage, ResultView, ServiceConfig, ServiceDeps, StatusView } from './service-deps.ts';

const silent: Logger = { info() {}, warn() {}, error() {} };
const seconds = (ms: number) => Math.max(0, ms) / 1000;

// Codes a request may end with; the rest (auth, credits, conflicts, rate limits) belong to HTTP calls.
const failureCodes = new Set<ErrorCode>([
  'invalid_parameter',
  'invalid_image',
  'image_fetch_failed',
  'image_url_forbidden',
  'payload_too_large',
  'image_too_large',
  'unsupported_media_type',
  'canceled',
  'inference_failed',
  'internal',
  'worker_unavailable',
  'service_unavailable',
  'deadline_exceeded',
  'queue_full',
]);

export class RemovalService {
  private readonly store: RequestStore;
  private readonly queue: JobQueue;
  private readonly keys: KeyStore;
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly config: ServiceConfig;
  private sweeper?: NodeJS.Timeout;
  private closing?: Promise<void>;
  /** Aborted by endStreams(): open status streams end (server shutdown). */
  private readonly streams = new AbortController();
  /** Moving average of a job's run time, for Retry-After when the queue is full. */
  private avgJobMs = 1000;
  /** v1 requests whose caller waits in this process. */
  private readonly waiters = new Map<string, SyncWaiter>();
  /** Jobs running in this process (their end is reported to a local waiter directly). */
  private readonly running = new Set<string>();

  constructor(private readonly deps: ServiceDeps) {
    this.store = deps.store;
    this.queue = deps.queue;
    this.keys = deps.keys;
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? silent;
    const retentionMs = deps.config?.retentionMs ?? 3_600_000;
    this.config = {
      retentionMs,
      sweepIntervalMs: deps.config?.sweepIntervalMs ?? Math.min(60_000, Math.max(1000, retentionMs)),
      shutdownGraceMs: deps.config?.shutdownGraceMs ?? 30_000,
      undoRetryMs: deps.config?.undoRetryMs ?? 60_000,
      worker: (deps.config?.worker ?? true) && deps.engine !== undefined,
      streamKeepAliveMs: deps.config?.streamKeepAliveMs ?? 15_000,
      streamResyncMs: deps.config?.streamResyncMs ?? (deps.store.watch ? 2000 : 250),
    };
    setMaxListeners(0, this.streams.signal); // one listener per open stream, by design
  }

  /** Starts the workers (unless an API-only node) and the sweeper. */
  start(): this {
    if (this.config.worker) this.queue.start((id, ctx) => this.process(id, ctx));
    this.sweeper = setInterval(() => {
      this.store.sweep(this.clock.now()).catch((err: unknown) => this.log.error({ err }, 'v2 sweep failed'));
    }, this.config.sweepIntervalMs);
    this.sweeper.unref(); // never keeps the process alive on its own
    return this;
  }

  /** v2: accepts a request (idempotency claim, credit hold, record, enqueue); undone in reverse on failure. */
  async submit(
    owner: string,
    request: RemovalRequest,
    opts: { baseUrl: string; idempotencyKey?: string },
  ): Promise<SubmitResponse> {
    const id = randomUUID();
    const idempotency =
      opts.idempotencyKey === undefined ? undefined : { key: opts.idempotencyKey, bodyHash: bodyHash(request) };
    const existing = await this.accept(owner, id, request, {
      baseUrl: opts.baseUrl,
      ...(idempotency ? { idempotency } : {}),
    });
    return submitBody(opts.baseUrl, existing ?? id);
  }

  /**
   * v1: the same submit, then a wait for the end, all within `deadlineS`. The image is resolved and probed
   * here, once, after the credit hold (a key without credit learns that first); on a node that runs images
   * its decoded bytes are reserved at once (a fast 429 rather than a wait past the deadline). Aborting
   * `signal` (the client hung up) or the deadline cancels the job, which releases the credit. The record is
   * deleted once answered: v1 results are not retained, and no v2 endpoint ever serves them.
   */
  async removeNow(
    owner: string,
    id: string,
    request: RemovalRequest,
    opts: { deadlineS: number; signal?: AbortSignal },
  ): Promise<SyncResult> {
    const waiter = syncWaiter();
    this.waiters.set(id, waiter);
    const limit = deadline(opts.deadlineS, opts.signal);
    let release: (() => void) | undefined;
    const acceptance = this.accept(owner, id, request, {
      baseUrl: '',
      sync: true,
      // A v1 call never outlives its deadline, so neither does its hold: a node killed mid-call must not pin a credit for a day.
      holdTtlMs: (opts.deadlineS + 60) * 1000,
      prepare: async () => {
        const image = await this.deps.resolveImage(request.image, limit.signal);
        if (this.deps.admission && this.config.worker) {
          release = await this.deps.admission.reserve(image.width * image.height * 4, { wait: false });
        }
        return image;
      },
    });
    let accepted = false;
    acceptance.then(
      () => {
        accepted = true;
      },
      () => {
        accepted = true;
      },
    );
    let stopWatching: (() => void) | undefined;
    let delivered = false;
    try {
      await Promise.race([acceptance, limit.aborted]);
      stopWatching = watchEnd(this.store, id, waiter, {
        resyncMs: this.config.streamResyncMs,
        runsHere: () => this.running.has(id),
      });
      const rec = await Promise.race([waiter.ended, limit.aborted]);
      if (rec.state === 'FAILED') throw syncFailure(rec, waiter);
      const out = await this.store.getOutput(id);
      if (!out) throw new ApiError('internal');
      delivered = true;
      return {
        image: out.bytes,
        contentType: out.contentType,
        inferenceS: waiter.inferenceMs !== undefined ? waiter.inferenceMs / 1000 : (rec.metrics.inferenceTime ?? 0),
        remainingCredits: waiter.remaining !== undefined ? waiter.remaining : (rec.metrics.remainingCredits ?? null),
      };
    } finally {
      limit.dispose();
      stopWatching?.();
      this.waiters.delete(id);
      // Given up (deadline, hang-up) or answered: cancel whatever still runs, then forget the record.
      const forget = async () => {
        const rec = await this.store.get(id);
        if (rec && !isTerminal(rec.state)) {
          await this.end(rec, ['QUEUED', 'PROCESSING'], 'FAILED', {
            error: { code: 'canceled', message: errors.canceled.message },
          });
          await this.queue.cancel(id);
        } else if (rec?.state === 'COMPLETED' && !delivered) {
          // Charged, but the client got an error instead of the image: the deadline, a hang-up or an outage
          // (reading the output) came between the job's end and the answer (chaos run: a 503 v1 call charged).
          // The charge is given back; the id stays settled, so nothing charges it again.
          await this.keys.withdraw(owner, id);
        }
        await this.store.delete(id);
      };
      const done = acceptance
        // An outage here is retried in the background (a charge to give back must not wait for the TTL).
        .then(forget, () => {})
        .catch(() => void this.retry(id, [forget], 'v1 tidy-up'))
        .finally(() => release?.());
      // A fetch or engine that ignores the abort must not hold the answer: then the tidy-up runs behind it.
      if (accepted) await done;
    }
  }

  /**
   * Accepts a request: idempotency claim, credit hold, record, enqueue; undone in reverse on failure.
   * Returns the id of an earlier request when the idempotency key replays one.
   */
  private async accept(
    owner: string,
    id: string,
    request: RemovalRequest,
    o: {
      baseUrl: string;
      idempotency?: { key: string; bodyHash: string };
      sync?: boolean;
      holdTtlMs?: number;
      prepare?: () => Promise<JobInput>;
    },
  ): Promise<string | undefined> {
    if (this.closing) throw new ApiError('service_unavailable', 'The server is shutting down.');
    const { image, ...options } = request;
    const { idempotency } = o;
    // The claim comes first, so a replay answers even when the key has no credit left for a new request.
    if (idempotency) {
      const claim = await this.store.claim(owner, idempotency.key, idempotency.bodyHash, id);
      if (claim.kind === 'existing') return claim.id;
      if (claim.kind === 'conflict') throw new ApiError('idempotency_conflict');
    }
    let held = false;
    let created = false;
    try {
      try {
        held = await this.keys.hold(owner, id, o.holdTtlMs);
      } catch (err) {
        // No answer is not "no hold": the command may have run (its reply lost) or may still run (a shared
        // store's client re-sends it after a reconnect). The undo releases it anyway; a release marks the id
        // settled, so a hold that lands later takes no credit.
        held = true;
        throw err;
      }
      if (!held) throw new ApiError('insufficient_credits');
      const input = o.prepare ? await o.prepare() : image;
      const record: RequestRecord = {
        id,
        owner,
        state: 'QUEUED',
        params: options,
        input,
        baseUrl: o.baseUrl,
        createdAt: this.clock.now(),
        metrics: {},
        ...(idempotency ? { idempotency } : {}),
        ...(o.sync ? { sync: true } : {}),
      };
      await this.store.create(record);
      created = true;
      try {
        await this.queue.add(id, { sync: o.sync === true });
      } catch (err) {
        if (!(err instanceof QueueFullError)) throw err;
        throw new ApiError('queue_full', undefined, {
          'retry-after': String(Math.max(1, Math.ceil(this.avgJobMs / 1000))),
        });
      }
      return undefined;
    } catch (err) {
      // close() began while this submit was under way: the queue refused it, say so plainly.
      if (this.closing && !(err instanceof ApiError))
        err = new ApiError('service_unavailable', 'The server is shutting down.');
      // The credit first: a command that got no answer may still land once the store is back (its client
      // re-sends it), so the job can run after all. A withdrawn request is settled, so its run charges
      // nothing, and a charge its run took before the withdrawal got through is given back.
      const undo: (() => Promise<unknown>)[] = [];
      if (held) undo.push(() => this.keys.withdraw(owner, id));
      if (created) undo.push(() => this.store.delete(id));
      if (idempotency) undo.push(() => this.store.unclaim(owner, idempotency.key, id));
      await this.undo(id, undo);
      throw err;
    }
  }

  /**
   * Undoes a refused submit's steps, each on its own: one failing (the store is down: the very outage that
   * refused the submit) does not skip the others. What failed is retried in the background for about
   * `undoRetryMs` (default 60 s), so a short outage does not pin a hold until its TTL.
   */
  private async undo(id: string, steps: (() => Promise<unknown>)[]): Promise<void> {
    const failed = await runSteps(steps);
    if (failed.length > 0) void this.retry(id, failed, 'v2 submit undo');
  }

  /**
   * Retries steps that met an outage, in the background for about `undoRetryMs`: after 50 ms, then twice as
   * long each time up to once a second. Soon, because a refused submit's job may run as soon as the store is
   * back, and its hold must be released before that run settles it (chaos test: a 503 submit charged).
   */
  private async retry(id: string, steps: (() => Promise<unknown>)[], what: string): Promise<void> {
    let left = steps;
    for (
      let waited = 0, wait = 50;
      left.length > 0 && waited < this.config.undoRetryMs;
      wait = Math.min(1000, wait * 2)
    ) {
      await new Promise((r) => setTimeout(r, wait).unref());
      waited += wait;
      left = await runSteps(left);
    }
    if (left.length > 0)
      this.log.error({ requestId: id, steps: left.length }, `${what} gave up (the store stayed unreachable)`);
  }

  /** The status endpoint: 200 with the status body, or 422 with the FailedBody. */
  async status(owner: string, id: string, baseUrl: string): Promise<StatusView> {
    const rec = await this.owned(owner, id);
    if (rec.state === 'FAILED') return { status: 422, body: failedBody(rec) };
    const position = rec.state === 'QUEUED' ? await this.queue.position(id) : undefined;
    return { status: 200, body: statusBody(rec, baseUrl, position) };
  }

  /**
   * The status-stream extension: Server-Sent Events of the request's states. Unknown, expired and
   * other keys' ids throw the same 404 as `status` before any byte is sent; then see `statusStream`.
   */
  async statusStream(owner: string, id: string, baseUrl: string): Promise<Readable> {
    await this.owned(owner, id);
    const watch = this.store.watch?.bind(this.store);
    return statusStream({
      read: () => this.snapshot(owner, id, baseUrl),
      ...(watch ? { watch: (onChange: () => void) => watch(id, onChange) } : {}),
      resyncMs: this.config.streamResyncMs,
      keepAliveMs: this.config.streamKeepAliveMs,
      signal: this.streams.signal,
      onError: (err) => this.log.warn({ err, requestId: id }, 'v2 status stream ended by an error'),
    });
  }

  /** Ends every open status stream (the server is closing; clients reconnect elsewhere or poll). */
  endStreams(): void {
    this.streams.abort();
  }

  /** What a stream emits now: the status body while pending, the result or FailedBody once ended. */
  private async snapshot(owner: string, id: string, baseUrl: string): Promise<Snapshot | undefined> {
    try {
      // The state is the one the body shows, from a single read: a state taken from an earlier read can lag the
      // body (a worker claims the job between the two reads) and make the stream send PROCESSING twice.
      const pending = await this.status(owner, id, baseUrl);
      const state = (pending.body as { status: RequestState }).status;
      if (!isTerminal(state)) return { state, body: pending.body };
      // A terminal record never changes, so reading it again for the result body is safe.
      return { state, body: (await this.result(owner, id, baseUrl)).body };
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') return undefined; // expired meanwhile
      throw err;
    }
  }

  /** The result endpoint: 202 while pending, 200 once COMPLETED, 422 once FAILED. */
  async result(owner: string, id: string, baseUrl: string): Promise<ResultView> {
    const rec = await this.owned(owner, id);
    if (rec.state === 'FAILED') return { status: 422, body: failedBody(rec) };
    if (rec.state !== 'COMPLETED') {
      const position = rec.state === 'QUEUED' ? await this.queue.position(id) : undefined;
      return { status: 202, body: pendingBody(rec, baseUrl, position) };
    }
    let output: StoredOutput | undefined;
    if (rec.params.base64) {
      output = await this.store.getOutput(id);
      if (!output) throw notFound(id); // expired between the two reads
    }
    return { status: 200, body: resultBody(rec, baseUrl, output) };
  }

  /** The output image of a COMPLETED request; 409 `not_ready` for any other state. */
  async output(owner: string, id: string): Promise<StoredOutput & { maxAgeS: number }> {
    const rec = await this.owned(owner, id);
    if (rec.state !== 'COMPLETED') throw new ApiError('not_ready');
    const output = await this.store.getOutput(id);
    if (!output) throw notFound(id);
    return { ...output, maxAgeS: Math.max(0, Math.floor((rec.expiresAt! - this.clock.now()) / 1000)) };
  }

  /** Ends a pending request as FAILED `canceled`; a running inference is aborted and its result discarded. */
  async cancel(owner: string, id: string): Promise<FailedBody> {
    const rec = await this.owned(owner, id);
    if (isTerminal(rec.state)) throw new ApiError('not_cancelable');
    const ended = await this.end(rec, ['QUEUED', 'PROCESSING'], 'FAILED', {
      error: { code: 'canceled', message: errors['canceled'].message },
    });
    // Lost the race to a worker that just ended it: that is an ended request like any other.
    if (!ended) throw new ApiError('not_cancelable');
    await this.queue.cancel(id);
    return failedBody(ended);
  }

  /**
   * Graceful shutdown: refuse new submits, stop taking jobs, let running ones finish within the grace
   * period, then end what this process gives up on as FAILED `worker_unavailable` (credits released,
   * webhooks sent): with the memory backend nobody else could ever run them. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      const abandoned = await this.queue.close(this.config.shutdownGraceMs);
      for (const id of abandoned) {
        const rec = await this.store.get(id);
        if (!rec || isTerminal(rec.state)) continue;
        await this.end(rec, ['QUEUED', 'PROCESSING'], 'FAILED', {
          error: { code: 'worker_unavailable', message: 'The server shut down before the request finished.' },
        });
      }
      await this.deps.webhooks?.close(this.config.shutdownGraceMs);
    })();
    return this.closing;
  }

  /**
   * Ends a request the queue gave up on (every attempt died with its worker) as FAILED
   * `worker_unavailable` through the one ending path, so the credit is released and the webhook sent.
   * A no-op when it already ended. The Redis backend's `onExhausted`.
   */
  async abandon(id: string, reason: string): Promise<void> {
    const rec = await this.store.get(id);
    if (!rec || isTerminal(rec.state)) return;
    const ended = await this.end(rec, ['QUEUED', 'PROCESSING'], 'FAILED', {
      error: { code: 'worker_unavailable', message: 'The workers running this request stopped before it finished.' },
    });
    if (ended) this.log.warn({ requestId: id, reason }, 'v2 job exhausted its attempts; request failed');
  }

  /** The job processor: QUEUED → PROCESSING → COMPLETED | FAILED. */
  private async process(id: string, ctx: JobContext): Promise<void> {
    this.running.add(id);
    try {
      await this.run(id, ctx);
    } finally {
      this.running.delete(id);
    }
  }

  private async run(id: string, ctx: JobContext): Promise<void> {
    const rec = await patient(() => this.store.get(id), ctx.signal);
    if (!rec) return; // expired while it waited
    if (isTerminal(rec.state)) {
      // Canceled while it waited, or a re-run of a job whose worker died right after the ending CAS — maybe
      // before it settled the credit or queued the webhook. Both steps are idempotent: finish them.
      if (ctx.attempt > 1) await this.finishEnded(rec);
      return;
    }
    const startedAt = rec.startedAt ?? this.clock.now();
    // PROCESSING is accepted as a start state too: a retry, or a stalled job re-run by another worker.
    const started = await patient(
      () =>
        this.store.transition(id, ['QUEUED', 'PROCESSING'], 'PROCESSING', {
          startedAt,
          metrics: { queueTime: seconds(startedAt - rec.createdAt) },
        }),
      ctx.signal,
    );
    if (!started || ctx.signal.aborted) return;

    let result: RemoveResult;
    let inferenceMs: number;
    try {
      if (started.input === undefined) throw new Error('record has no input');
      const image = isProbed(started.input) ? started.input : await this.deps.resolveImage(started.input, ctx.signal);
      const t0 = this.clock.now();
      const work = () =>
        this.deps.engine!.removeBackground(image, {
          method: started.params.method,
          format: started.params.format,
          maskOnly: started.params.maskOnly,
          ...(started.params.bgColor ? { bgColor: started.params.bgColor } : {}),
          signal: ctx.signal,
        });
      // A v1 request whose caller waits here was counted and reserved when it came in (removeNow).
      const admission = this.waiters.has(id) ? undefined : this.deps.admission;
      result = admission ? await admission.run(image, ctx.signal, work) : await work();
      inferenceMs = this.clock.now() - t0;
      this.deps.onResult?.(result);
      const waiter = this.waiters.get(id);
      if (waiter) waiter.inferenceMs = result.timings.infer;
    } catch (err) {
      // Aborted: cancel() or close() ended the record already, or will; the result is theirs to write.
      if (ctx.signal.aborted) return;
      const waiter = this.waiters.get(id);
      if (waiter) waiter.cause = err;
      const error = this.failureOf(err, id);
      // A crashed worker is retried once (the pool restarts it; the image is most likely fine), then
      // FAILED worker_unavailable. Twice is the bound: a poison image that kills workers stops there.
      if (error.code === 'worker_unavailable' && ctx.attempt < ctx.maxAttempts) {
        this.log.warn({ requestId: id, attempt: ctx.attempt }, 'v2 worker unavailable; retrying');
        throw new RetryJob(error.message);
      }
      await patient(() => this.end(started, ['PROCESSING'], 'FAILED', { error }), ctx.signal);
      return;
    }
    if (ctx.signal.aborted) return; // canceled while the engine finished: discard
    const ended = await patient(
      () =>
        this.end(
          started,
          ['PROCESSING'],
          'COMPLETED',
          {
            metrics: { inferenceTime: seconds(inferenceMs) },
          },
          { bytes: result.image, contentType: result.contentType },
        ),
      ctx.signal,
    );
    if (ended) this.avgJobMs = 0.8 * this.avgJobMs + 0.2 * (ended.completedAt! - startedAt);
  }

  /**
   * The one way a request ends: CAS to the terminal state with completion, expiry and total time; then
   * the winner (only it) settles the credit (charged iff COMPLETED) and sends the webhook.
   */
  private async end(
    rec: RequestRecord,
    from: readonly RequestState[],
    to: 'COMPLETED' | 'FAILED',
    patch: RecordPatch,
    output?: StoredOutput,
  ): Promise<RequestRecord | undefined> {
    // Charged after the CAS (below) so a request canceled at the last moment is never charged. So that
    // no poll sees COMPLETED without `remaining_credits` (another node may read it in between), the
    // balance the charge will leave goes in with the CAS, corrected afterwards if a concurrent charge moved it.
    const predicted = to === 'COMPLETED' ? await this.keys.balance(rec.owner).catch(() => null) : null;
    const now = this.clock.now();
    const ended = await this.store.transition(
      rec.id,
      from,
      to,
      {
        ...patch,
        completedAt: now,
        expiresAt: now + this.config.retentionMs,
        metrics: {
          queueTime: rec.metrics.queueTime ?? seconds(now - rec.createdAt),
          ...patch.metrics,
          totalTime: seconds(now - rec.createdAt),
          ...(predicted !== null ? { remainingCredits: Math.max(0, predicted - 1) } : {}),
        },
      },
      output,
    );
    if (!ended) return undefined;
    this.deps.onEnded?.(ended);
    let final = ended;
    const waiter = this.waiters.get(rec.id);
    let remaining: number | null | undefined;
    try {
      remaining = await this.keys.settle(rec.owner, rec.id, to === 'COMPLETED');
    } catch (err) {
      // The ending is written, so no re-run will settle it: retried in the background, or the hold stays for its TTL.
      this.log.error({ err, requestId: rec.id }, 'v2 credit settlement failed; retrying');
      void this.retry(rec.id, [() => this.keys.settle(rec.owner, rec.id, to === 'COMPLETED')], 'v2 credit settlement');
    }
    if (waiter && remaining !== undefined) waiter.remaining = remaining;
    if (to === 'COMPLETED' && remaining != null && Math.max(0, remaining) !== ended.metrics.remainingCredits) {
      final =
        (await this.store.setMetrics(rec.id, { remainingCredits: Math.max(0, remaining) }).catch(() => undefined)) ??
        ended;
    }
    await this.notify(final, output);
    waiter?.done(final);
    return final;
  }

  /** The steps after an ending CAS, again (settle is a no-op once done; the webhook only through a port that dedupes). */
  private async finishEnded(rec: RequestRecord): Promise<void> {
    try {
      await this.keys.settle(rec.owner, rec.id, rec.state === 'COMPLETED');
    } catch (err) {
      this.log.error({ err, requestId: rec.id }, 'v2 credit settlement failed');
    }
    if (!rec.params.webhook || !this.deps.webhooks?.idempotent) return;
    const output = rec.state === 'COMPLETED' ? await this.store.getOutput(rec.id) : undefined;
    await this.notify(rec, output);
  }

  /** Hands the final body to the webhook port; awaited so a durable queue holds it before the job ends. */
  private async notify(rec: RequestRecord, output: StoredOutput | undefined): Promise<void> {
    const url = rec.params.webhook;
    if (!url || !this.deps.webhooks) return;
    const body = rec.state === 'COMPLETED' ? resultBody(rec, rec.baseUrl, output) : failedBody(rec);
    await this.deps.webhooks.send(url, rec.id, body).catch((err: unknown) => {
      this.log.error({ err, requestId: rec.id }, 'v2 webhook could not be queued');
    });
  }

  /** The record when it exists, is live, is a v2 request and belongs to `owner`; otherwise the same 404 for all. */
  private async owned(owner: string, id: string): Promise<RequestRecord> {
    const rec = await this.store.get(id);
    // A v1 request's record is its caller's alone, while it waits.
    if (!rec || rec.owner !== owner || rec.sync) throw notFound(id);
    return rec;
  }

  /** How a request ends for a thrown error: the contract code (the server's one mapping), and a message safe to show. */
  private failureOf(err: unknown, id: string): RequestError {
    const f = failureOf(err);
    const code: ErrorCode = failureCodes.has(f.code) ? f.code : 'internal';
    if (code === 'internal' || code === 'inference_failed') this.log.error({ err, requestId: id }, 'v2 request failed');
    // Caller-side (4xx) messages explain the image; server-side ones could leak internals: use the table's.
    const message = errors[code].status < 500 && code === f.code ? f.message : errors[code].message;
    return { code, message };
  }
}

const notFound = (id: string) => new ApiError('not_found', `Request ${id.slice(0, 128)} not found.`);

/**
 * A job's own store calls wait out a short outage (a failover, a restart) instead of failing the job: a
 * failed job has no attempt left to spend on an outage, and would end FAILED `worker_unavailable`.
 * Retried with backoff for up to `storeWaitMs`; the ending CAS makes a repeated `end` safe.
 */
const storeWaitMs = 15_000;
async function patient<T>(op: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const until = Date.now() + storeWaitMs;
  for (let wait = 100; ; wait = Math.min(2 * wait, 1000)) {
    try {
      return await op();
    } catch (err) {
      const outage = err instanceof ApiError && err.code === 'service_unavailable';
      if (!outage || signal.aborted || Date.now() + wait > until) throw err;
    }
    await new Promise((r) => setTimeout(r, wait).unref());
  }
}

/** Runs each step, whatever the others do; returns those that failed. */
async function runSteps(steps: (() => Promise<unknown>)[]): Promise<(() => Promise<unknown>)[]> {
  const failed: (() => Promise<unknown>)[] = [];
  for (const step of steps) await step().catch(() => failed.push(step));
  return failed;
}
