/** The status-stream extension: Server-Sent Events on the status URL, in order, without repeats, ending with the terminal body. */
import { isDeepStrictEqual } from 'node:util';
import { CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { failedRequest, isTerminal, rank, readStatusStream, streamedRequest } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { ensure, expectStatus, fail } from '../outcome.ts';
import { parseEvents, type SseEvent } from '../sse.ts';

const stateOfEvent = (e: SseEvent): unknown => (e.json as { status?: unknown } | undefined)?.status;

/** Fails unless a read stream is a well-formed status stream: headers, `status` events with rising ids, forward states, one terminal event last, then the end. */
function expectWellFormed(ex: Exchange, what: string): SseEvent[] {
  expectStatus(ex, 200, what);
  ensure(
    /^text\/event-stream/i.test(ex.contentType),
    `${what}: content type '${ex.contentType}', not text/event-stream`,
    ex,
  );
  ensure(
    /no-cache/i.test(ex.headers['cache-control'] ?? ''),
    `${what}: Cache-Control is ${JSON.stringify(ex.headers['cache-control'])}, not no-cache`,
    ex,
  );
  const events = parseEvents(ex.body.toString('utf8'));
  ensure(events.length > 0, `${what}: no event`, ex);
  let lastId = 0;
  let lastRank = -1;
  events.forEach((e, i) => {
    const at = `${what}: event ${i + 1}`;
    ensure(e.event === 'status', `${at} is '${e.event}', not 'status'`, ex);
    ensure(e.json !== undefined && typeof e.json === 'object', `${at}: data is not a JSON object`, ex);
    const id = Number(e.id);
    ensure(Number.isInteger(id) && id > lastId, `${at}: id ${JSON.stringify(e.id)} does not rise from ${lastId}`, ex);
    lastId = id;
    const st = stateOfEvent(e);
    ensure(rank(st) >= 0, `${at}: unknown state ${JSON.stringify(st)}`, ex);
    if (rank(st) <= lastRank)
      fail(`${at}: ${String(st)} repeats or goes back after ${String(stateOfEvent(events[i - 1]!))}`, ex);
    lastRank = rank(st);
    ensure(!isTerminal(st) || i === events.length - 1, `${at}: a terminal event is followed by more events`, ex);
  });
  ensure(isTerminal(stateOfEvent(events[events.length - 1]!)), `${what}: the stream has no terminal event`, ex);
  ensure(ex.streamEnded === true, `${what}: the server did not end the stream within 2 s of the terminal event`, ex);
  return events;
}

/** Fails unless the terminal event's data is exactly the body the result endpoint serves now. */
async function expectTerminalIsResult(
  ctx: CheckContext,
  events: SseEvent[],
  resultUrl: string,
  stream: Exchange,
  what: string,
): Promise<string> {
  const last = events[events.length - 1]!;
  const result = await ctx.http.get(resultUrl);
  ensure(result.json !== undefined, `${what}: the result endpoint answered no JSON`, result);
  if (!isDeepStrictEqual(last.json, result.json)) {
    fail(`${what}: the terminal event ${JSON.stringify(last.json).slice(0, 200)} differs from the result body`, result);
  }
  return `${events.map(stateOfEvent).join(' → ')} (${stream.body.length} bytes)`;
}

export const streamChecks: Check[] = [
  {
    id: 'STATUS-STREAM-EVENTS',
    level: 'MUST',
    clause: 'STATUS-STREAM',
    extension: 'status-stream',
    profiles: CORE,
    sentence:
      'Where status-stream is offered, a stream opened right after the submit MUST be `text/event-stream` (no-cache) of `status` events with rising ids, states only moving forward without repeats, the terminal event last, and MUST then end.',
    async run(ctx) {
      const { stream } = await streamedRequest(ctx);
      const events = expectWellFormed(stream, 'status stream of a fresh request');
      return `${events.map(stateOfEvent).join(' → ')}`;
    },
  },
  {
    id: 'STATUS-STREAM-TERMINAL',
    level: 'MUST',
    clause: 'STATUS-STREAM',
    extension: 'status-stream',
    profiles: CORE,
    sentence:
      'Where status-stream is offered, the terminal event MUST carry exactly the body the result endpoint serves (COMPLETED with `output`; FAILED with what its 422 carries), and a stream of an ended request MUST be that single event.',
    async run(ctx) {
      const { sub, stream } = await streamedRequest(ctx);
      const completed = await expectTerminalIsResult(
        ctx,
        expectWellFormed(stream, 'status stream of a fresh request'),
        sub.resultUrl,
        stream,
        'COMPLETED stream',
      );
      const f = await failedRequest(ctx, 'unreachable-url');
      const failedStream = await readStatusStream(ctx, f.sub.statusUrl);
      const events = expectWellFormed(failedStream, 'status stream of a FAILED request');
      ensure(
        events.length === 1,
        `status stream of a FAILED request: ${events.length} events, not the single terminal one`,
        failedStream,
      );
      const failed = await expectTerminalIsResult(ctx, events, f.sub.resultUrl, failedStream, 'FAILED stream');
      return `${completed}; ${failed}`;
    },
  },
];
