/** The waiting side of a v1 request: its deadline, the waiter a local job reports to, and the watch for a remote one. */
import { ApiError, errors, type ErrorCode } from '../errors.ts';
import type { RequestRecord, RequestStore } from './store.ts';
import { isTerminal } from './store.ts';

/** What a v1 request answers: the image, and the numbers of its headers. */
export interface SyncResult {
  image: Buffer;
  contentType: 'image/png' | 'image/webp';
  /** Seconds of inference. */
  inferenceS: number;
  /** Credits left after the charge; null for an unlimited key. */
  remainingCredits: number | null;
}

/** A v1 request waiting in this process. A job that runs here fills it in and ends it directly. */
export interface SyncWaiter {
  /** Resolves with the ended record. */
  readonly ended: Promise<RequestRecord>;
  done(rec: RequestRecord): void;
  fail(err: unknown): void;
  /** What the job threw, kept as it was for the answer (its message and headers). */
  cause?: unknown;
  inferenceMs?: number;
  remaining?: number | null;
}

export function syncWaiter(): SyncWaiter {
  let done!: (rec: RequestRecord) => void;
  let fail!: (err: unknown) => void;
  const ended = new Promise<RequestRecord>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  ended.catch(() => {});
  return { ended, done, fail };
}

/**
 * The v1 deadline and the client's hang-up as one signal, and a promise that rejects with its reason, so
 * a race holds the deadline even when a fetch or an engine ignores the signal.
 */
export function deadline(
  deadlineS: number,
  hangup?: AbortSignal,
): { signal: AbortSignal; aborted: Promise<never>; dispose(): void } {
  const controller = new AbortController();
  const onHangup = () => controller.abort(hangup!.reason);
  if (hangup?.aborted) onHangup();
  else hangup?.addEventListener('abort', onHangup, { once: true });
  const timer = setTimeout(
    () => controller.abort(new ApiError('deadline_exceeded', `The image was not processed within ${deadlineS} s.`)),
    deadlineS * 1000,
  );
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {});
  return {
    signal: controller.signal,
    aborted,
    dispose: () => {
      clearTimeout(timer);
      hangup?.removeEventListener('abort', onHangup);
    },
  };
}

/**
 * A job that runs on another node ends the waiter through the record: on each change notice, and every
 * `resyncMs` in case one was lost. `runsHere` skips the reads while this process runs the job (it reports
 * to the waiter itself, after settling the credit). Returns the stop.
 */
export function watchEnd(
  store: RequestStore,
  id: string,
  waiter: SyncWaiter,
  o: { resyncMs: number; runsHere: () => boolean },
): () => void {
  const check = () => {
    if (o.runsHere()) return;
    store.get(id).then(
      (rec) => {
        if (!rec) waiter.fail(new ApiError('worker_unavailable', 'The request record disappeared before it finished.'));
        else if (isTerminal(rec.state)) waiter.done(rec);
      },
      () => {},
    );
  };
  const unwatch = store.watch?.(id, check);
  const resync = setInterval(check, o.resyncMs);
  return () => {
    clearInterval(resync);
    unwatch?.();
  };
}

/** The error a FAILED v1 request answers with: what the job threw when it ran here, else the record's. */
export function syncFailure(rec: RequestRecord, waiter: SyncWaiter): ApiError {
  const e = rec.error ?? { code: 'worker_unavailable' as ErrorCode, message: errors.worker_unavailable.message };
  const cause = waiter.cause;
  return cause instanceof ApiError && cause.code === e.code ? cause : new ApiError(e.code, e.message);
}
