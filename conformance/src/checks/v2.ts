/** The async lifecycle: submit fields, forward-only states, 202 while pending, the COMPLETED result, 404s. */
import { randomUUID } from 'node:crypto';
import { ALL, CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { completedResult, isTerminal, outputPath, rank, stateOf, watchedRequest } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { inspectImage } from '../image.ts';
import { ensure, expectStatus, fail, skip } from '../outcome.ts';
import { expectCutOut } from './v1.ts';

/** One plain submit of the disc fixture (no polling: a mock's URLs may point elsewhere). */
function plainSubmit(ctx: CheckContext): Promise<Exchange> {
  return ctx.memo('plain-submit', async () => {
    const ex = await ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64 } });
    expectStatus(ex, 200, 'POST /v2/bg-removal');
    return ex;
  });
}

const urlFields = { status_url: '/status', poll_url: '/status', response_url: '', cancel_url: '/cancel' } as const;

const hasOutput = (ex: Exchange | undefined) =>
  ex !== undefined && ex.json !== null && typeof ex.json === 'object' && 'output' in (ex.json as object);

export const v2Checks: Check[] = [
  {
    id: 'V2-SUBMIT-FIELDS',
    level: 'MUST',
    clause: 'V2-SUBMIT',
    profiles: ALL,
    sentence: 'A submit MUST answer 200 with a `request_id`, `status` `QUEUED` and `status_url`, `response_url`, `poll_url` and `cancel_url`.',
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
    sentence: "The submit's URLs MUST be absolute http(s) URLs of the request's status, result and cancel endpoints.",
    async run(ctx) {
      const ex = await plainSubmit(ctx);
      const j = (ex.json ?? {}) as Record<string, unknown>;
      const id = encodeURIComponent(String(j.request_id));
      for (const [field, suffix] of Object.entries(urlFields)) {
        const value = j[field];
        if (typeof value !== 'string') fail(`no ${field}`, ex);
        ensure(/^https?:\/\/[^/]/i.test(value), `${field} '${value}' is not an absolute http(s) URL`, ex);
        const path = new URL(value).pathname;
        ensure(path.endsWith(`/v2/requests/${id}${suffix}`), `${field} '${value}' does not end with /v2/requests/{id}${suffix}`, ex);
      }
    },
  },
  {
    id: 'V2-STATE-ORDER',
    level: 'MUST',
    clause: 'V2-STATE-ORDER',
    profiles: CORE,
    sentence: 'Polled fast, the status MUST only move forward (QUEUED, PROCESSING, then COMPLETED or FAILED) and MUST NOT change once terminal.',
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
    id: 'V2-PENDING-202',
    level: 'MUST',
    clause: 'V2-PENDING',
    profiles: CORE,
    sentence: 'While the status says QUEUED or PROCESSING, the result endpoint MUST answer 202 with the status body and no `output`.',
    async run(ctx) {
      const w = await watchedRequest(ctx);
      let seen = 0;
      w.rounds.forEach((round, i) => {
        const next = w.rounds[i + 1]?.status;
        // Only a result fetched between two pending status polls is certainly pending.
        if (!round.result || !next || isTerminal(stateOf(next))) return;
        seen++;
        expectStatus(round.result, 202, 'result while pending');
        ensure(!hasOutput(round.result), 'the pending result carries an output', round.result);
        ensure(rank(stateOf(round.result)) === 0 || rank(stateOf(round.result)) === 1, 'the pending result does not carry the status body', round.result);
      });
      if (seen === 0) skip('the request completed before the result endpoint could be observed pending');
      return `${seen} pending result(s) observed`;
    },
  },
  {
    id: 'V2-NO-OUTPUT-BEFORE-COMPLETED',
    level: 'MUST',
    clause: 'V2-PENDING',
    profiles: CORE,
    sentence: 'The result and output endpoints MUST NOT serve an output before the status says COMPLETED.',
    async run(ctx) {
      const w = await watchedRequest(ctx);
      let seen = 0;
      w.rounds.forEach((round, i) => {
        const next = w.rounds[i + 1]?.status;
        if (!round.output || !next || isTerminal(stateOf(next))) return;
        seen++;
        ensure(round.output.status < 200 || round.output.status > 299, `the output endpoint answered ${round.output.status} while the status still said ${String(stateOf(next))}`, round.output);
        ensure(!hasOutput(round.result), 'the result carried an output while pending', round.result);
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
      const { result, output: got } = await completedResult(ctx);
      expectStatus(result, 200, 'result of a COMPLETED request');
      const output = (result.json as { output?: unknown } | undefined)?.output;
      ensure(typeof output === 'string' && output.length > 0, 'the COMPLETED result has no output', result);
      ensure(/^(https?:\/\/|data:)/i.test(output), `output '${output.slice(0, 80)}' is neither an absolute URL nor a data URI`, result);
      if (!got) fail('the output could not be fetched', result);
      if (got.ex) expectStatus(got.ex, 200, 'fetching the output');
      const img = await inspectImage(got.bytes);
      if (!img) fail('the output does not decode as an image', got.ex ?? result);
      ensure(img.format === 'png', `the output is ${img.format}, not PNG`, got.ex ?? result);
      expectCutOut(img, ctx.fixtures.disc, got.ex ?? result, 'output');
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
      ensure(typeof t === 'number' && Number.isFinite(t) && t >= 0, `metrics.inference_time is ${JSON.stringify(t)}`, result);
      return `inference_time ${t} s`;
    },
  },
  {
    id: 'V2-NOT-FOUND-UNKNOWN',
    level: 'MUST',
    clause: 'V2-NOT-FOUND',
    profiles: CORE,
    sentence: 'An unknown request id MUST yield 404 `not_found` on the status, result, output and cancel endpoints.',
    async run(ctx) {
      const id = randomUUID();
      for (const [method, path] of [['GET', `/v2/requests/${id}/status`], ['GET', `/v2/requests/${id}`], ['GET', outputPath(id)], ['POST', `/v2/requests/${id}/cancel`]]) {
        expectStatus(await ctx.http.request(method!, path!), 404, `${method} of an unknown id`, 'not_found');
      }
    },
  },
  {
    id: 'V2-NOT-FOUND-MALFORMED',
    level: 'MUST',
    clause: 'V2-NOT-FOUND',
    profiles: CORE,
    sentence: 'A malformed request id MUST yield 404 `not_found` (not 400 or 5xx) on the status, result, output and cancel endpoints.',
    async run(ctx) {
      for (const id of ['not-a-request-id', encodeURIComponent('bad id ☃'), '0']) {
        for (const [method, path] of [['GET', `/v2/requests/${id}/status`], ['GET', `/v2/requests/${id}`], ['GET', `/v2/requests/${id}/output`], ['POST', `/v2/requests/${id}/cancel`]]) {
          expectStatus(await ctx.http.request(method!, path!), 404, `${method} of malformed id '${decodeURIComponent(id)}'`, 'not_found');
        }
      }
    },
  },
];
