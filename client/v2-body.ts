/** Reads v2 answers the way the production SDK does: a terminal body counts whatever its HTTP code. */
import { apiError, InferenceFailed, ProtocolError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';
import type { FailedBody, PendingBody, ResultBody, StatusBody, SubmitResponse } from './types.ts';

export type V2Body = StatusBody | PendingBody | ResultBody | FailedBody;

const STATES = new Set(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies a status/result/cancel answer; throws ApiError for plain errors and ProtocolError for nonsense. */
export function readV2Body(response: Response, payload: unknown): V2Body {
  const state = isRecord(payload) ? payload['status'] : undefined;
  // COMPLETED and FAILED are facts about the request, so they win over the HTTP code (FAILED comes as 422).
  if (state === 'COMPLETED' || state === 'FAILED') return payload as V2Body;
  if (!response.ok)
    throw apiError(
      response.status,
      payload,
      parseRetryAfter(response.headers.get('retry-after')),
      response.headers.get('x-request-id') ?? undefined,
    );
  if (typeof state === 'string' && STATES.has(state)) return payload as V2Body;
  throw new ProtocolError(`HTTP ${response.status} without a request status`, response.status, payload);
}

/** The error to raise for a FAILED body. */
export function failure(body: FailedBody): InferenceFailed {
  return new InferenceFailed(typeof body.error === 'string' && body.error ? body.error : 'Inference failed', body);
}

/** Checks that a 2xx submit carries what the client must follow; the production SDK treats a gap as an error. */
export function readSubmit(response: Response, payload: unknown): SubmitResponse {
  if (!response.ok)
    throw apiError(
      response.status,
      payload,
      parseRetryAfter(response.headers.get('retry-after')),
      response.headers.get('x-request-id') ?? undefined,
    );
  const body = isRecord(payload) ? payload : {};
  // poll_url is the legacy alias of status_url; older deployments may send only it.
  const statusUrl = body['status_url'] ?? body['poll_url'];
  const missing = [
    typeof body['request_id'] === 'string' && body['request_id'] ? undefined : 'request_id',
    isAbsoluteUrl(statusUrl) ? undefined : 'status_url',
    isAbsoluteUrl(body['response_url']) ? undefined : 'response_url',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new ProtocolError(
      `Submit answered HTTP ${response.status} without ${missing.join(', ')}`,
      response.status,
      payload,
    );
  }
  return { ...(body as SubmitResponse), status_url: statusUrl as string };
}

function isAbsoluteUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Checks a COMPLETED result: `output` is always present on COMPLETED. */
export function readResult(response: Response, body: ResultBody | StatusBody): ResultBody {
  const output = (body as Record<string, unknown>)['output'];
  if (typeof output !== 'string' || output === '') {
    throw new ProtocolError('COMPLETED result without an output', response.status, body);
  }
  return body as ResultBody;
}
