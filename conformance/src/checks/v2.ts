/** The async lifecycle: submit fields, forward-only states, the pending result (200 or 202), the COMPLETED result, 404s. */
import { randomUUID } from 'node:crypto';
import { ALL, CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import {
  completedResult,
  fetchOutput,
  isTerminal,
  plainSubmit,
  rank,
  stateOf,
  watchedRequest,
  type FetchedOutput,
  type Watched,
} from '../flows.ts';
import type { Fixture } from '../fixtures.ts';
import type { Exchange } from '../http.ts';
import { inspectImage } from '../image.ts';
import { ensure, expectStatus, fail, skip } from '../outcome.ts';
import { expectCutOut } from './v1.ts';

/** The URL fields of a submit answer and the path each must end with; `cancel_url` belongs to the cancel extension. */
const urlFields = { status_url: '/status', poll_url: '/status', response_url: '' } as const;

/** Fails unless a submit's URL field is an absolute http(s) URL of the request's endpoint. */
function expectRequestUrl(ex: Exchange, field: string, suffix: string): void {
  const j = (ex.json ?? {}) as Record<string, unknown>;
  const id = encodeURIComponent(String(j.request_id));
  const value = j[field];
  if (typeof value !== 'string' || !value) fail(`no ${field}`, ex);
  ensure(/^https?:\/\/[^/]/i.test(value), `${field} '${value}' is not an absolute http(s) URL`, ex);
  const path = new URL(value).pathname;
  ensure(
    path.endsWith(`/v2/requests/${id}${suffix}`),
    `${field} '${value}' does not end with /v2/requests/{id}${suffix}`,
    ex,
  );
}

/** The result exchanges fetched while the request was certainly pending (between two pending status polls). */
function pendingResults(w: Watched): Exchange[] {
  return w.rounds.flatMap((round, i) => {
    const next = w.rounds[i + 1]?.status;
    return round.result && next && !isTerminal(stateOf(next)) ? [round.result] : [];
  });
}

/** The output and cancel endpoints of an id (already path-safe), for those of the two extensions the deployment offers. */
async function offeredEndpoints(ctx: CheckContext, id: string): Promise<[string, string][]> {
  return [
    ...((await ctx.has('output-endpoint')) ? [['GET', `/v2/requests/${id}/output`] as [string, string]] : []),
    ...((await ctx.has('cancel')) ? [['POST', `/v2/requests/${id}/cancel`] as [string, string]] : []),
  ];
}

/**
 * Fails unless a COMPLETED result answers 200 with an `output` (a URL or a data URI) that fetches as a PNG
 * cut-out of the fixture; `fetched` is the output when it was already fetched (before it could expire).
 */
export async function expectOutputCutOut(
  ctx: CheckContext,
  result: Exchange,
  fixture: Fixture,
  fetched?: FetchedOutput,
): Promise<string> {
  expectStatus(result, 200, 'result of a COMPLETED request');
  const output = (result.json as { output?: unknown } | undefined)?.output;
  ensure(typeof output === 'string' && output.length > 0, 'the COMPLETED result has no output', result);
  ensure(
    /^(https?:\/\/|data:)/i.test(output),
    `output '${output.slice(0, 80)}' is neither an absolute URL nor a data URI`,
    result,
  );
  const got = fetched ?? (await fetchOutput(ctx, output));
  if (got.ex) expectStatus(got.ex, 200, 'fetching the output');
  const img = await inspectImage(got.bytes);
  if (!img) fail('the output does not decode as an image', got.ex ?? result);
  ensure(img.format === 'png', `the output is ${img.format}, not PNG`, got.ex ?? result);
  expectCutOut(img, fixture, got.ex ?? result, 'output');
  return output;
}

const hasOutput = (ex: Exchange | undefined) =>
  ex !== undefined && ex.json !== null && typeof ex.json === 'object' && 'output' in (ex.json as object);

export const v2Checks: Check[] = [
  {
    id: 'V2-SUBMIT-FIELDS',
    level: 'MUST',
    clause: 'V2-SUBMIT',
    profiles: ALL,
    sentence:
      'A submit MUST answer 200 with a `request_id`, `status` `QUEUED`, `status_url`, `response_url` and `poll_url`.',
    async run(ctx) {
      const ex = await plainSubmit(ctx);
      const j = (ex.json ?? {}) as Record<string, unknown>;
      ensure(typeof j.request_id === 'string' && j.request_id.length > 0, 'no request_id', ex);
      ensure(j.status === 'QUEUED', `status is ${JSON.stringify(j.status)}, not QUEUED`, ex);
      for (const field of Object.keys(urlFields)) ensure(typeof j[field] === 'string' && j[field], `no ${field}`, ex);
    },
  },
  {
    id: 'V2-SUBMIT-ABSOLUTE-URLS',
    level: 'MUST',
    clause: 'V2-SUBMIT',
    profiles: ALL,
    sentence:
      "The submit's `status_url`, `poll_url` and `response_url` MUST be absolute http(s) URLs of the request's status and result endpoints.",
    async run(ctx) {
      const ex = await plainSubmit(ctx);
      for (const [field, suffix] of Object.entries(urlFields)) expectRequestUrl(ex, field, suffix);
    },
  },
  {
    id: 'V2-SUBMIT-CANCEL-URL',
    level: 'MUST',
    clause: 'V2-CANCEL',
    extension: 'cancel',
    profiles: ALL,
    sentence:
      "Where cancel is offered, the submit MUST return `cancel_url`, an absolute http(s) URL of the request's cancel endpoint.",
    async run(ctx) {
      expectRequestUrl(await plainSubmit(ctx), 'cancel_url', '/cancel');
    },
  },
  {
    id: 'V2-STATE-ORDER',
    level: 'MUST',
    clause: 'V2-STATE-ORDER',
    profiles: CORE,
    sentence:
      'Polled fast, the status MUST only move forward (QUEUED, PROCESSING, then COMPLETED or FAILED) and MUST NOT change once terminal.',
    async run(ctx) {
      const w = await watchedRequest(ctx);
      let prev: unknown;
      for (const { status } of w.rounds) {
        const st = stateOf(status);
        ensure(rank(st) >= 0, `unknown state ${JSON.stringify(st)}`, status);
        if (prev !== undefined) {
          ensure(!(isTerminal(prev) && st !== prev), `changed from terminal ${String(prev)} to ${String(st)}`, status);
          ensure(rank(st) >= rank(prev), `went backwards from ${String(prev)} to ${String(st)}`, status);
        }
        prev = st;
      }
      return `observed ${[...new Set(w.rounds.map((r) => stateOf(r.status)))].join(' → ')} over ${w.rounds.length} polls`;
    },
  },
  {
    id: 'V2-PENDING-STATUS-BODY',
    level: 'MUST',
    clause: 'V2-PENDING',
    profiles: CORE,
    sentence:
      'While the status says QUEUED or PROCESSING, the result endpoint MUST answer 200 or 202 with the status body and no `output`.',
    async run(ctx) {
      const pending = pendingResults(await watchedRequest(ctx));
      if (pending.length === 0) skip('the request completed before the result endpoint could be observed pending');
      for (const ex of pending) {
        ensure(
          ex.status === 200 || ex.status === 202,
          `result while pending: expected 200 or 202, got ${ex.status}`,
          ex,
        );
        ensure(!hasOutput(ex), 'the pending result carries an output', ex);
        ensure(
          rank(stateOf(ex)) === 0 || rank(stateOf(ex)) === 1,
          'the pending result does not carry the status body',
          ex,
        );
      }
      return `${pending.length} pending result(s) observed (${[...new Set(pending.map((ex) => ex.status))].join(', ')})`;
    },
  },
  {
    id: 'V2-PENDING-202',
    level: 'MUST',
    clause: 'V2-PENDING-202',
    extension: 'pending-202',
    profiles: CORE,
    sentence:
      'Where pending-202 is offered, the result endpoint MUST answer 202 (never 200) while the status says QUEUED or PROCESSING.',
    async run(ctx) {
      const pending = pendingResults(await watchedRequest(ctx));
      for (const ex of pending) expectStatus(ex, 202, `result while ${String(stateOf(ex))}`);
      return `${pending.length} pending result(s) observed`;
    },
  },
  {
    id: 'V2-NO-OUTPUT-BEFORE-COMPLETED',
    level: 'MUST',
    clause: 'V2-OUTPUT-ENDPOINT',
    extension: 'output-endpoint',
    profiles: CORE,
    sentence: 'Where the output endpoint is offered, it MUST NOT serve an output before the status says COMPLETED.',
    async run(ctx) {
      const w = await watchedRequest(ctx);
      let seen = 0;
      w.rounds.forEach((round, i) => {
        const next = w.rounds[i + 1]?.status;
        if (!round.output || !next || isTerminal(stateOf(next))) return;
        seen++;
        ensure(
          round.output.status < 200 || round.output.status > 299,
          `the output endpoint answered ${round.output.status} while the status still said ${String(stateOf(next))}`,
          round.output,
        );
      });
      if (seen === 0) skip('the request completed before the output endpoint could be observed pending');
      return `${seen} pending output probe(s)`;
    },
  },
  {
    id: 'V2-COMPLETED-OUTPUT',
    level: 'MUST',
    clause: 'V2-COMPLETED',
    profiles: CORE,
    sentence: 'A COMPLETED result MUST answer 200 with an `output` that fetches as a PNG of the input size with alpha.',
    async run(ctx) {
      const { result, output } = await completedResult(ctx);
      await expectOutputCutOut(ctx, result, ctx.fixtures.disc, output);
    },
  },
  {
    id: 'V2-COMPLETED-METRICS',
    level: 'MUST',
    clause: 'V2-COMPLETED',
    profiles: CORE,
    sentence: 'A COMPLETED result MUST carry a numeric `metrics.inference_time` in seconds.',
    async run(ctx) {
      const { result } = await completedResult(ctx);
      const t = (result.json as { metrics?: { inference_time?: unknown } } | undefined)?.metrics?.inference_time;
      ensure(
        typeof t === 'number' && Number.isFinite(t) && t >= 0,
        `metrics.inference_time is ${JSON.stringify(t)}`,
        result,
      );
      return `inference_time ${t} s`;
    },
  },
  {
    id: 'V2-NOT-FOUND-UNKNOWN',
    level: 'MUST',
    clause: 'V2-NOT-FOUND',
    profiles: CORE,
    sentence:
      'An unknown request id MUST yield 404 on the status and result endpoints, and on the output and cancel endpoints where offered (code `not_found` where error codes are offered).',
    async run(ctx) {
      const id = randomUUID();
      for (const [method, path] of [
        ['GET', `/v2/requests/${id}/status`],
        ['GET', `/v2/requests/${id}`],
        ...(await offeredEndpoints(ctx, id)),
      ]) {
        expectStatus(await ctx.http.request(method!, path!), 404, `${method} of an unknown id`, 'not_found');
      }
    },
  },
  {
    id: 'V2-NOT-FOUND-MALFORMED',
    level: 'MUST',
    clause: 'V2-NOT-FOUND',
    profiles: CORE,
    sentence:
      'A malformed request id MUST yield 404 (not 400 or 5xx) on the status and result endpoints, and on the output and cancel endpoints where offered.',
    async run(ctx) {
      for (const id of ['not-a-request-id', encodeURIComponent('bad id ☃'), '0']) {
        for (const [method, path] of [
          ['GET', `/v2/requests/${id}/status`],
          ['GET', `/v2/requests/${id}`],
          ...(await offeredEndpoints(ctx, id)),
        ]) {
          expectStatus(
            await ctx.http.request(method!, path!),
            404,
            `${method} of malformed id '${decodeURIComponent(id)}'`,
            'not_found',
          );
        }
      }
    },
  },
];
