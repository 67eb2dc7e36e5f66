/** Pure renderers from a request record to exactly the contract's bodies (typed by the generated types). */
import type {
  CompletedMetrics,
  FailedBody,
  Metrics,
  PendingBody,
  ResultBody,
  StatusBody,
  SubmitResponse,
  Timestamps,
} from '@bgr/spec';
import type { RequestRecord, StoredOutput } from './store.ts';

/** The absolute URLs of one request, built from the public base URL (no trailing slash needed). */
export function requestUrls(baseUrl: string, id: string) {
  const base = `${baseUrl.replace(/\/+$/, '')}/v2/requests/${encodeURIComponent(id)}`;
  return { status: `${base}/status`, response: base, cancel: `${base}/cancel`, output: `${base}/output` };
}

/** The submit's 200 body; `poll_url` is the production service's legacy alias of `status_url`. */
export function submitBody(baseUrl: string, id: string): SubmitResponse {
  const urls = requestUrls(baseUrl, id);
  return {
    request_id: id,
    status: 'QUEUED',
    status_url: urls.status,
    response_url: urls.response,
    poll_url: urls.status,
    cancel_url: urls.cancel,
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
// Millisecond precision: clocks give no more, and shorter numbers read better.
const seconds = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000) / 1000);

function timestamps(r: RequestRecord): Timestamps & { created_at: string } {
  return dropUndefined({
    created_at: iso(r.createdAt)!,
    started_at: iso(r.startedAt),
    completed_at: iso(r.completedAt),
    expires_at: iso(r.expiresAt),
  });
}

function metrics(r: RequestRecord): Metrics {
  return dropUndefined({
    inference_time: seconds(r.metrics.inferenceTime),
    queue_time: seconds(r.metrics.queueTime),
    total_time: seconds(r.metrics.totalTime),
    remaining_credits: r.metrics.remainingCredits,
  });
}

/** The status body of a QUEUED, PROCESSING or COMPLETED request; never the output. */
export function statusBody(r: RequestRecord, baseUrl: string, queuePosition?: number): StatusBody {
  if (r.state === 'FAILED') throw new Error('a FAILED request has a FailedBody');
  const pending = r.state !== 'COMPLETED';
  const urls = requestUrls(baseUrl, r.id);
  return dropUndefined({
    request_id: r.id,
    status: r.state,
    queue_position: r.state === 'QUEUED' ? queuePosition : undefined,
    ...timestamps(r),
    metrics: metrics(r),
    // As the production service: the URLs to follow while the request is pending.
    status_url: pending ? urls.status : undefined,
    response_url: pending ? urls.response : undefined,
  });
}

/** The result endpoint's 202 body while QUEUED or PROCESSING. */
export function pendingBody(r: RequestRecord, baseUrl: string, queuePosition?: number): PendingBody {
  if (r.state !== 'QUEUED' && r.state !== 'PROCESSING') throw new Error(`${r.state} is not pending`);
  return statusBody(r, baseUrl, queuePosition) as PendingBody;
}

/** `output` of a result: the output endpoint's absolute URL, or a data: URI when the submit set `base64`. */
export function outputRef(r: RequestRecord, baseUrl: string, output: StoredOutput | undefined): string {
  if (r.params.base64 && output) return `data:${output.contentType};base64,${output.bytes.toString('base64')}`;
  return requestUrls(baseUrl, r.id).output;
}

/** The result body of a COMPLETED request. */
export function resultBody(r: RequestRecord, baseUrl: string, output: StoredOutput | undefined): ResultBody {
  if (r.state !== 'COMPLETED') throw new Error(`${r.state} has no result`);
  const m = metrics(r);
  const completed: CompletedMetrics = {
    ...m,
    inference_time: m.inference_time ?? 0,
    queue_time: m.queue_time ?? 0,
    total_time: m.total_time ?? 0,
  };
  return {
    request_id: r.id,
    status: 'COMPLETED',
    output: outputRef(r, baseUrl, output),
    ...timestamps(r),
    expires_at: iso(r.expiresAt)!,
    metrics: completed,
    error: null,
  };
}

/** The body of a FAILED request (HTTP 422 on status and result, 200 on cancel, the webhook's payload). */
export function failedBody(r: RequestRecord): FailedBody {
  if (r.state !== 'FAILED' || !r.error) throw new Error(`${r.state} is not FAILED`);
  return {
    request_id: r.id,
    status: 'FAILED',
    error: r.error.message,
    code: r.error.code,
    ...timestamps(r),
    metrics: metrics(r),
  };
}

// exactOptionalPropertyTypes is off, but absent beats `undefined` on the wire and in schema checks.
function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
