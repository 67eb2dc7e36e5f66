/** The central error table (from the contract's `x-bgr-errors`), `ApiError`, and Fastify's error and not-found handlers (spec: ERROR-BODY, VALIDATION-400). */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorTable } from '@bgr/spec/errors';
import type { ErrorCode } from '@bgr/spec';
import { EngineError, type EngineErrorCode } from './engine/types.ts';

export type { ErrorCode };

/** The wire shape of every error body. */
export interface ErrorBody { error: string; code: ErrorCode; request_id?: string }

/** stable code → { status, message }, straight from the contract so the two cannot drift. */
export const errors: Readonly<Record<ErrorCode, { status: number; message: string }>> = Object.fromEntries(
  errorTable.map((e) => [e.code, { status: e.status, message: e.message }]),
) as Record<ErrorCode, { status: number; message: string }>;

/** An error with a stable contract code; its HTTP status comes from the table, never from the thrower. */
export class ApiError extends Error {
  readonly statusCode: number;
  /** Extra response headers (e.g. Retry-After on 429/503). */
  readonly headers: Record<string, string>;
  constructor(public readonly code: ErrorCode, message?: string, headers: Record<string, string> = {}) {
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

/** Maps an EngineError to the ApiError the client sees (other errors pass through unchanged). */
export function fromEngineError(e: unknown): unknown {
  if (e instanceof EngineError) return new ApiError(engineCodes[e.code] ?? 'inference_failed', e.message);
  return e;
}

/** Fastify's own client errors (parser, limits, content type) carry 4xx statusCodes: keep the status, name the code. */
const codeByStatus: Record<number, ErrorCode> = {
  400: 'invalid_parameter',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  406: 'insufficient_credits',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Turns a Fastify/Ajv validation failure into one readable sentence, e.g. "body/method must be one of: object, human". */
function validationMessage(err: FastifyError): string {
  const v = err.validation ?? [];
  const ctx = err.validationContext ?? 'body';
  const parts = v.slice(0, 3).map((e) => {
    const where = `${ctx}${e.instancePath ?? ''}`;
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') return `${where} has an unknown property '${String(p.additionalProperty)}'`;
    if (e.keyword === 'required') return `${where} must have the property '${String(p.missingProperty)}'`;
    if (e.keyword === 'enum') return `${where} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'binaryFile') return `${where} must be a file part`;
    return `${where} ${e.message ?? 'is invalid'}`;
  });
  return parts.length ? parts.join('; ') : err.message;
}

/** Normalises any thrown value into { status, body, headers }; unknown errors become a 500 that names only the request id. */
export function toErrorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody; headers: Record<string, string>; bug: boolean } {
  const e = fromEngineError(err);
  if (e instanceof ApiError) {
    return { status: e.statusCode, body: { error: e.message, code: e.code, request_id: requestId }, headers: e.headers, bug: false };
  }
  const fe = e as FastifyError;
  if (fe && typeof fe === 'object' && fe.validation) {
    return { status: 400, body: { error: validationMessage(fe), code: 'invalid_parameter', request_id: requestId }, headers: {}, bug: false };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  const code = codeByStatus[status];
  if (code && status < 500) {
    // Fastify's client-error messages are safe and specific (e.g. "Unexpected token } in JSON at position 9").
    const message = status === 413 ? errors.payload_too_large.message : status === 415 ? errors.unsupported_media_type.message : fe.message;
    return { status, body: { error: message || errors[code].message, code, request_id: requestId }, headers: {}, bug: false };
  }
  return { status: 500, body: { error: errors.internal.message, code: 'internal', request_id: requestId }, headers: {}, bug: true };
}

/** Sends an error body; used by the handlers below and by hooks that answer early. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const r = toErrorResponse(err, reply.request.id);
  if (r.bug) reply.log.error({ err, request_id: reply.request.id }, 'unhandled error');
  else if (r.status >= 500) reply.log.warn({ code: r.body.code, msg: r.body.error }, 'request failed');
  for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  return reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
}

/** Installs the error and not-found handlers on an app (every route, every plugin). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, _req: FastifyRequest, reply) => sendError(reply, err));
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new ApiError('not_found', `Route ${req.method} ${req.url.split('?')[0]} not found.`)));
}
