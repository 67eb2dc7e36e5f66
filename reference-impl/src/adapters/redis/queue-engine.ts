/** QueueEngine: the Engine of an API-only node — v1 images run on the worker nodes through the shared queue. */
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '@bgr/spec';
import type { Engine, RemoveOptions, RemoveResult } from '../../engine/types.ts';
import { ApiError, errors } from '../../errors.ts';
import { QueueFullError, type JobQueue } from '../../v2/queue.ts';
import type { RequestRecord, RequestStore, RequestState } from '../../v2/store.ts';

/**
 * The owner of v1 jobs. It names no API key, so the worker's settle is a no-op (the v1 handler holds and
 * settles the credit itself) and no v2 endpoint can read the record (every read is scoped to its owner).
 */
export const V1_OWNER = '\u0000v1';

export interface QueueEngineDeps {
  store: RequestStore & { stateOf(id: string): Promise<RequestState | undefined> };
  queue: JobQueue;
  /** How often the waiter reads the job's state (default 25 ms: small next to an inference). */
  pollMs?: number;
}

/**
 * `--role api` loads no model, yet v1 is synchronous: each call becomes a job like a v2 request (a
 * record owned by V1_OWNER, with the already-resolved image bytes as input), the handler's connection
 * waits for it to end, and the record is deleted once read (v1 results are not retained). Aborting the
 * signal (deadline, client gone) cancels the job, and the worker's inference with it.
 */
export class QueueEngine implements Engine {
  private closed = false;
  constructor(private readonly deps: QueueEngineDeps) {}

  async ready(): Promise<void> {}
  /** No model to load here; whether Redis answers is the readiness probe's other check. */
  isReady(): boolean { return !this.closed; }
  async close(): Promise<void> { this.closed = true; }

  async removeBackground(input: Buffer, o: RemoveOptions): Promise<RemoveResult> {
    const { store, queue } = this.deps;
    const id = randomUUID();
    const record: RequestRecord = {
      id, owner: V1_OWNER, state: 'QUEUED', input, baseUrl: '', createdAt: Date.now(), metrics: {},
      params: { method: o.method, format: o.format, maskOnly: o.maskOnly, base64: false, ...(o.bgColor ? { bgColor: o.bgColor } : {}) },
    };
    await store.create(record);
    try {
      try {
        await queue.add(id);
      } catch (err) {
        if (err instanceof QueueFullError) throw new ApiError('queue_full', undefined, { 'Retry-After': '1' });
        throw err;
      }
      const state = await this.waitEnd(id, o.signal);
      const rec = await store.get(id);
      if (state === 'FAILED' || !rec) {
        const e = rec?.error ?? { code: 'worker_unavailable' as ErrorCode, message: errors.worker_unavailable.message };
        throw new ApiError(e.code, e.message);
      }
      const out = await store.getOutput(id);
      if (!out) throw new ApiError('internal');
      // width/height are not stored with the output; the v1 handler does not use them.
      return {
        image: out.bytes, contentType: out.contentType, width: 0, height: 0,
        timings: { decode: 0, pre: 0, infer: (rec.metrics.inferenceTime ?? 0) * 1000, post: 0, encode: 0 },
      };
    } finally {
      await store.delete(id).catch(() => {}); // v1 keeps nothing; an outage here leaves it to its TTL
    }
  }

  /** Polls the state until it ends; on abort, cancels the job (the worker's inference is aborted too). */
  private async waitEnd(id: string, signal?: AbortSignal): Promise<'COMPLETED' | 'FAILED'> {
    const pollMs = this.deps.pollMs ?? 25;
    for (;;) {
      if (signal?.aborted) {
        const now = Date.now();
        await this.deps.store.transition(id, ['QUEUED', 'PROCESSING'], 'FAILED', {
          error: { code: 'canceled', message: errors.canceled.message }, completedAt: now, expiresAt: now + 60_000,
        }).catch(() => undefined);
        await this.deps.queue.cancel(id).catch(() => false);
        throw signal.reason instanceof Error ? signal.reason : new ApiError('canceled');
      }
      const state = await this.deps.store.stateOf(id);
      if (state === 'COMPLETED' || state === 'FAILED') return state;
      if (state === undefined) throw new ApiError('worker_unavailable', 'The request record disappeared before it finished.');
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, pollMs);
        function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
