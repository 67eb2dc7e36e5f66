/** Waiting on the `status-stream` extension: one long GET of the status URL instead of a poll a second. */
import { InferenceFailed, NetworkError, ProtocolError } from './errors.ts';
import { readEvents } from './sse.ts';
import type { FetchLike } from './transport.ts';
import type { ResultBody } from './types.ts';
import { failure, readResult, readV2Body, type V2Body } from './v2-body.ts';

/**
 * The stream preferred, JSON accepted: a deployment without the extension (or a mock that negotiates
 * strictly, as Prism does with a 500 "not acceptable") then answers its usual JSON status body.
 */
export const STREAM_ACCEPT = 'text/event-stream, application/json;q=0.9';

/**
 * How a stream attempt ended: `result` (COMPLETED with its output), `completed` (COMPLETED but the event
 * had no output: read the result), or `poll` (not offered, or the stream broke: poll from here, knowing
 * `last` when one was seen). A FAILED request throws InferenceFailed; HTTP errors throw as polls do.
 */
export type StreamOutcome =
  { kind: 'result'; result: ResultBody } | { kind: 'completed' } | { kind: 'poll'; last?: V2Body; streamed: boolean };

/**
 * Asks the status URL for `text/event-stream`. A deployment without the extension answers its usual
 * JSON status body, read exactly as a poll (so trying costs nothing); errors (404, 401…) throw as a poll's.
 * `onEvent` sees every status event (tests and progress displays).
 */
export async function streamStatus(
  fetcher: FetchLike,
  statusUrl: string,
  signal: AbortSignal,
  onEvent?: (body: V2Body) => void,
): Promise<StreamOutcome> {
  let response: Response;
  try {
    response = await fetcher(new Request(statusUrl, { headers: { accept: STREAM_ACCEPT }, signal }));
  } catch (err) {
    // Unreachable even after the transport's retries: polling (with its own retries) decides what to report.
    if (err instanceof NetworkError && !signal.aborted) return { kind: 'poll', streamed: true };
    throw err;
  }
  if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
    const text = await response.text();
    let payload: unknown = text;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      if (response.ok) throw new ProtocolError('Status response is not valid JSON', response.status, text);
    }
    const body = readV2Body(response, payload);
    onEvent?.(body);
    return terminal(response, body) ?? { kind: 'poll', last: body, streamed: false };
  }
  if (!response.body) return { kind: 'poll', streamed: false };
  let last: V2Body | undefined;
  try {
    for await (const event of readEvents(response.body)) {
      if (event.event !== 'status') continue;
      last = readV2Body(response, JSON.parse(event.data));
      onEvent?.(last);
      const end = terminal(response, last);
      if (end) return end;
    }
  } catch (err) {
    if (signal.aborted || err instanceof InferenceFailed) throw err;
    // A broken connection or a garbled event: polling picks up from here.
  }
  return { kind: 'poll', ...(last ? { last } : {}), streamed: true };
}

function terminal(response: Response, body: V2Body): StreamOutcome | undefined {
  if (body.status === 'FAILED') throw failure(body);
  if (body.status !== 'COMPLETED') return undefined;
  // The stream's terminal event is the result body; a bare status body (no output) means: read the result.
  return 'output' in body && body.output
    ? { kind: 'result', result: readResult(response, body) }
    : { kind: 'completed' };
}
