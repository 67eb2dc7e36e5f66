/** The central error table (from the contract's `x-bgr-errors`), `ApiError`, and Fastify's error and not-found handlers (spec: ERROR-BODY, VALIDATION-400). */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorTable } from '@bgr/spec/errors';
import type { ErrorCode } from '@bgr/spec';
import { EngineError, type EngineErrorCode } from './engine/types.ts';

export type { ErrorCode };

/** The wire shape of every error body. */
/**
 * An error response's body. No `request_id`: in a body that name is only ever a v2 request's id, and an error
 * answers an HTTP exchange, whose trace id travels in the `x-request-id` header (and the logs) instead.
 */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

/** stable code → { status, message }, straight from the contract so the two cannot drift. */
export const errors: Readonly<Record<ErrorCode, { status: number; message: string }>> = Object.fromEntries(
  errorTable.map((e) => [e.code, { status: e.status, message: e.message }]),
) as Record<ErrorCode, { status: number; message: string }>;

/** An error with a stable contract code; its HTTP status comes from the table, never from the thrower. */
export class ApiError extends Error {
  readonly statusCode: number;
  /** Extra response headers (e.g. Retry-After on 429/503). */
  readonly headers: Record<string, string>;
  constructor(
    public readonly code: ErrorCode,
    message?: string,
    headers: Record<string, string> = {},
  ) {
    super(message ?? errors[code].message);
    this.name = 'ApiError';
    this.statusCode = errors[code].status;
    this.headers = headers;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Engine failures keep their code; `internal` from the engine is an inference failure, not a gateway bug. */
const engineCodes: Record<EngineErrorCode, ErrorCode> = {
  invalid_image: 'invalid_image',
  unsupported_media_type: 'unsupported_media_type',
  image_too_large: 'image_too_large',
  worker_unavailable: 'worker_unavailable',
  canceled: 'canceled',
  internal: 'inference_failed',
};

/**
 * Fastify's own client errors (parser, limits, content type) carry 4xx statusCodes: keep the status, name
 * the code. 406 is left out on purpose: only our credit check answers 406; a plugin's 406 (e.g. an invalid
 * JSON multipart field) is a malformed request.
 */
const codeByStatus: Record<number, ErrorCode> = {
  400: 'invalid_parameter',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Router errors about the path: for an id in the path, an unusable id is an unknown one (V2-NOT-FOUND). */
const notFoundCodes = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

/** A failure as the client sees it: a contract code, a message safe to show, and whether it is our bug. */
export interface Failure {
  code: ErrorCode;
  message: string;
  status: number;
  bug: boolean;
}

const isTableCode = (c: unknown): c is ErrorCode => typeof c === 'string' && Object.hasOwn(errors, c);

/**
 * The one mapping from anything thrown (ApiError, EngineError, a Fastify client or validation error, a
 * stored `{ code, message }`) to a contract code. v1 responses, v2 FAILED bodies and the queue engine all
 * use it; anything unrecognised is `internal` (a bug of ours, logged, its message never shown).
 */
export function failureOf(err: unknown): Failure {
  const make = (code: ErrorCode, message: string | undefined, bug = false): Failure => ({
    code,
    message: message || errors[code].message,
    status: errors[code].status,
    bug,
  });
  if (err instanceof ApiError) return make(err.code, err.message);
  if (err instanceof EngineError) return make(engineCodes[err.code] ?? 'inference_failed', err.message);
  const e = err as FastifyError & { name?: unknown };
  if (!e || typeof e !== 'object') return make('internal', undefined, true);
  // An EngineError from another realm (a worker thread) or a stored `{ code, message }`.
  if (e.name === 'EngineError' && e.code === 'internal') return make('inference_failed', e.message);
  if (isTableCode(e.code) && typeof e.statusCode !== 'number')
    return make(e.code, errors[e.code].status < 500 ? e.message : undefined);
  if (e.validation) {
    // An id that fails the path schema (empty, over 128 characters) is unknown, never "invalid".
    if (e.validationContext === 'params') return make('not_found', 'Request not found.');
    return make('invalid_parameter', validationMessage(e));
  }
  if (typeof e.code === 'string' && notFoundCodes.has(e.code)) return make('not_found', 'Not found.');
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const code = codeByStatus[status];
  if (code && status < 500) {
    // Fastify's client-error messages are safe and specific (e.g. "Unexpected token } in JSON at position 9").
    const message =
      status === 413
        ? errors.payload_too_large.message
        : status === 415
          ? errors.unsupported_media_type.message
          : e.message;
    return make(code, message);
  }
  if (status >= 400 && status < 500) return make('invalid_parameter', e.message);
  return make('internal', undefined, true);
}

/** Maps an EngineError to the ApiError the client sees (other errors pass through unchanged). */
export function fromEngineError(e: unknown): unknown {
  if (e instanceof EngineError) {
    const f = failureOf(e);
    return new ApiError(f.code, f.message);
  }
  return e;
}

/** Turns a Fastify/Ajv validation failure into one readable sentence, e.g. "body/method must be one of: object, human". */
function validationMessage(err: FastifyError): string {
  const v = err.validation ?? [];
  const ctx = err.validationContext ?? 'body';
  const parts = v.slice(0, 3).map((e) => {
    const where = `${ctx}${e.instancePath ?? ''}`;
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties')
      return `${where} has an unknown property '${String(p.additionalProperty)}'`;
    if (e.keyword === 'required') return `${where} must have the property '${String(p.missingProperty)}'`;
    if (e.keyword === 'enum') return `${where} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'binaryFile') return `${where} must be a file part`;
    return `${where} ${e.message ?? 'is invalid'}`;
  });
  return parts.length ? parts.join('; ') : err.message;
}

/** Normalises any thrown value into { status, body, headers }; unknown errors become a 500 that says nothing of the bug (its trace id, in `x-request-id`, finds it in the log). */
export function toErrorResponse(err: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  bug: boolean;
} {
  const f = failureOf(err);
  const headers = err instanceof ApiError ? err.headers : {};
  return { status: f.status, body: { error: f.message, code: f.code }, headers, bug: f.bug };
}

/** Sends an error body; used by the handlers below and by hooks that answer early. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const r = toErrorResponse(err);
  if (r.bug) reply.log.error({ err, trace_id: reply.request.id }, 'unhandled error');
  else if (r.status >= 500) reply.log.warn({ code: r.body.code, msg: r.body.error }, 'request failed');
  for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  return reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
}

/** Installs the error and not-found handlers on an app (every route, every plugin). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, _req: FastifyRequest, reply) => sendError(reply, err));
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new ApiError('not_found', `Route ${req.method} ${req.url.split('?')[0]} not found.`)),
  );
}
