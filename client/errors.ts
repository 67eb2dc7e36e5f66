/** The client's error classes; every one extends BgRemovalError so callers can catch them all at once. */
import { errorTable } from '../spec/generated/errors.ts';
import type { FailedBody } from './types.ts';

/** Base class of every error this client throws (aborts excepted: those rethrow the signal's reason). */
export class BgRemovalError extends Error {
  override name = 'BgRemovalError';
}

/** A 4xx/5xx answer that is not a FAILED request body. */
export class ApiError extends BgRemovalError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    /** The contract's stable code; inferred from the error table when the server sent none (production bodies carry only `error`). */
    readonly code: string | undefined,
    message: string,
    readonly body: unknown,
    /** Milliseconds the server asked us to wait (Retry-After), when it said so. */
    readonly retryAfter?: number,
    /** The exchange's trace id (the `x-request-id` header; also in the server's log): quote it when reporting a problem. Never a v2 request id. */
    readonly traceId?: string,
  ) {
    super(message);
  }
}

/** The request ended FAILED; raised from the status/result body whatever its HTTP code. */
export class InferenceFailed extends BgRemovalError {
  override name = 'InferenceFailed';
  readonly code: FailedBody['code'] | undefined;
  readonly requestId: string | undefined;
  constructor(
    readonly detail: string,
    readonly body: FailedBody,
  ) {
    super(detail);
    this.code = body.code;
    this.requestId = body.request_id;
  }
}

/** `wait`/`run` gave up; the request may still finish, so its id is kept for `client.job(requestId)`. */
export class InferenceTimeout extends BgRemovalError {
  override name = 'InferenceTimeout';
  constructor(
    readonly requestId: string,
    /** Milliseconds waited. */
    readonly elapsed: number,
  ) {
    super(`Request ${requestId} did not finish within ${Math.round(elapsed)} ms`);
  }
}

/** A 2xx answer that breaks the contract (e.g. a submit without its id and URLs); retrying will not help. */
export class ProtocolError extends BgRemovalError {
  override name = 'ProtocolError';
  constructor(
    message: string,
    /** The HTTP status, when a response was read at all. */
    readonly status: number | undefined,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The deployment does not offer an optional operation (an extension such as `cancel`); nothing was changed. */
export class UnsupportedOperation extends BgRemovalError {
  override name = 'UnsupportedOperation';
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached (after the retries that were safe). */
export class NetworkError extends BgRemovalError {
  override name = 'NetworkError';
}

/** Builds an ApiError from a response body, falling back to the error table for the code and message. */
export function apiError(status: number, body: unknown, retryAfter?: number, traceId?: string): ApiError {
  const obj = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const rows = errorTable.filter((row) => row.status === status);
  const code = typeof obj['code'] === 'string' ? obj['code'] : rows.length === 1 ? rows[0]?.code : undefined;
  const fromBody =
    typeof obj['error'] === 'string' ? obj['error'] : typeof body === 'string' && body ? body.slice(0, 500) : undefined;
  const message = fromBody ?? rows.find((row) => row.code === code)?.message ?? `HTTP ${status}`;
  return new ApiError(status, code, message, body, retryAfter, traceId);
}
