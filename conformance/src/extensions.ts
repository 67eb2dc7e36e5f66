/** How the suite tells, from a deployment's behaviour, whether it offers each extension (x-bgr-extensions). */
import { randomUUID } from 'node:crypto';
import type { ExtensionName } from '@bgr/spec/extensions';
import type { CheckContext, Detection } from './context.ts';
import {
  completedResult,
  idempotency,
  isTerminal,
  outputPath,
  plainSubmit,
  stateOf,
  streamedRequest,
  submit,
  waitTerminal,
  watchedRequest,
} from './flows.ts';
import { summarise, type Exchange } from './http.ts';
import { syncMultipart } from './multipart.ts';
import { webhookDelivery } from './webhook-receiver.ts';

const body = (ex: Exchange | undefined) =>
  ex?.json && typeof ex.json === 'object' ? (ex.json as Record<string, unknown>) : {};
const yes = (ex: Exchange, why: string): Detection => ({ offered: true, evidence: `${why} [${summarise(ex)}]` });
const no = (evidence: string, ex?: Exchange): Detection => ({
  offered: false,
  evidence: ex ? `${evidence} [${summarise(ex)}]` : evidence,
});

/** Statuses by which a deployment says it has no such endpoint at all. */
const absent = new Set([404, 405, 501]);

type Detector = (ctx: CheckContext) => Promise<Detection>;

const detectors: Record<ExtensionName, Detector> = {
  async 'error-codes'(ctx) {
    const hasCode = (ex: Exchange) => ex.status >= 400 && typeof body(ex).code === 'string';
    const seen = ctx.http.exchanges.find(hasCode);
    if (seen) return yes(seen, 'an error body carries a `code`');
    const probes = [
      await ctx.http.get(`/v2/requests/${randomUUID()}/status`),
      await ctx.http.get(`/v2/requests/${randomUUID()}/status`, { key: null }),
    ];
    const coded = probes.find(hasCode);
    return coded ? yes(coded, 'an error body carries a `code`') : no('no error body seen carries a `code`', probes[0]);
  },

  async 'pending-202'(ctx) {
    const w = await watchedRequest(ctx);
    const pending = w.rounds.flatMap((r, i) => {
      const next = w.rounds[i + 1]?.status;
      return r.result && next && !isTerminal(stateOf(next)) ? [r.result] : [];
    });
    const accepted = pending.find((ex) => ex.status === 202);
    if (accepted) return yes(accepted, 'a pending result answered 202');
    if (pending.length === 0)
      return { offered: undefined, evidence: 'the request completed before its result could be observed pending' };
    return no(`${pending.length} pending result(s), none answered 202`, pending[0]);
  },

  async 'expires-at'(ctx) {
    const { status, result } = await completedResult(ctx);
    const ex = [status, result].find((e) => typeof body(e).expires_at === 'string');
    return ex ? yes(ex, 'a terminal body carries `expires_at`') : no('no terminal body carries `expires_at`', result);
  },

  async timestamps(ctx) {
    const w = await watchedRequest(ctx);
    const ex = w.rounds.map((r) => r.status).find((e) => body(e).created_at !== undefined);
    return ex
      ? yes(ex, 'a status body carries `created_at`')
      : no('no status body carries `created_at`', w.rounds[0]?.status);
  },

  async 'queue-position'(ctx) {
    await watchedRequest(ctx);
    const statusBodies = () =>
      ctx.http.exchanges.filter((e) => e.operationId === 'getRequestStatus' && e.status === 200);
    const withPosition = statusBodies().find((e) => body(e).queue_position !== undefined);
    if (withPosition) return yes(withPosition, 'a status body carries `queue_position`');
    let queued = statusBodies().find((e) => stateOf(e) === 'QUEUED');
    if (!queued) {
      // An idle deployment starts a request before it can be polled QUEUED: submit a few at once, so that some wait.
      const subs = await Promise.all([0, 1, 2, 3].map(() => submit(ctx, { image: ctx.fixtures.disc.base64 })));
      const polls = await Promise.all(subs.map((sub) => ctx.http.get(sub.statusUrl)));
      // Let them end before later checks count credits.
      for (const sub of subs) await waitTerminal(ctx, sub, 50);
      const ex = polls.find((e) => body(e).queue_position !== undefined);
      if (ex) return yes(ex, 'a status body carries `queue_position`');
      queued = polls.find((e) => stateOf(e) === 'QUEUED');
    }
    return queued
      ? no('a QUEUED status body carries no `queue_position`', queued)
      : { offered: undefined, evidence: 'no request was observed QUEUED' };
  },

  async cancel(ctx) {
    const sub = await plainSubmit(ctx);
    if (typeof body(sub).cancel_url === 'string') return yes(sub, 'the submit returns `cancel_url`');
    // No cancel_url: ask to cancel that (throwaway) request; a deployment without cancel has no such endpoint.
    const ex = await ctx.http.post(`/v2/requests/${encodeURIComponent(String(body(sub).request_id))}/cancel`);
    return absent.has(ex.status)
      ? no(`no \`cancel_url\`, and a cancel answers ${ex.status}`, ex)
      : yes(ex, `a cancel answers ${ex.status}`);
  },

  async idempotency(ctx) {
    const i = await idempotency(ctx);
    return i.supported
      ? yes(
          i.conflict.status === 409 ? i.conflict : i.replay,
          'a repeated Idempotency-Key returned the same request or a 409',
        )
      : no('a repeated Idempotency-Key created a new request and another body was accepted', i.replay);
  },

  async webhooks(ctx) {
    if (!ctx.options.webhookListen)
      return { offered: undefined, evidence: 'not checked: needs --webhook-listen HOST:PORT (and --webhook-secret)' };
    const d = await webhookDelivery(ctx);
    if (d.submit.status === 400) return no('a submit with `webhook` is rejected', d.submit);
    if (!d.delivery)
      return no(`a submit with \`webhook\` was accepted but nothing was delivered within ${d.waitedS} s`, d.submit);
    return { offered: true, evidence: `a delivery arrived for ${d.requestId}` };
  },

  async 'output-endpoint'(ctx) {
    // A stateless mock cannot complete a request: judge it by the endpoint alone.
    if (ctx.options.profile === 'mock') {
      const ex = await ctx.http.get(outputPath(String(body(await plainSubmit(ctx)).request_id ?? randomUUID())));
      return absent.has(ex.status)
        ? no(`the output endpoint answers ${ex.status}`, ex)
        : yes(ex, `the output endpoint answers ${ex.status}`);
    }
    const { outputEndpoint } = await completedResult(ctx);
    return outputEndpoint.status === 200
      ? yes(outputEndpoint, 'the output endpoint serves the COMPLETED request')
      : no(`the output endpoint answers ${outputEndpoint.status} for a COMPLETED request`, outputEndpoint);
  },

  async 'output-options'(ctx) {
    const ex = await ctx.memo('webp-probe', () =>
      ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64, format: 'webp' } }),
    );
    return ex.status === 400
      ? no('`format` is rejected', ex)
      : yes(ex, `a sync removal with \`format: webp\` answers ${ex.status}`);
  },

  async 'status-stream'(ctx) {
    const { stream: ex } = await streamedRequest(ctx);
    return /^text\/event-stream/i.test(ex.contentType)
      ? yes(ex, 'the status URL answers text/event-stream')
      : no(`the status URL answers ${ex.contentType || '(no content type)'} to Accept: text/event-stream`, ex);
  },

  async multipart(ctx) {
    const ex = await syncMultipart(ctx);
    if (ex.status === 200) return yes(ex, 'a multipart sync removal answers 200');
    // 400 (not JSON) or 415 (unsupported media type) is how a JSON-only deployment turns a form away.
    if (ex.status === 400 || ex.status === 415) return no(`a multipart sync removal answers ${ex.status}`, ex);
    return { offered: undefined, evidence: `a multipart sync removal answers ${ex.status} [${summarise(ex)}]` };
  },
};

/** Runs one detector; a flow that fails (e.g. a request that never completes) leaves the answer unknown. */
export async function detectExtension(ctx: CheckContext, name: ExtensionName): Promise<Detection> {
  try {
    return await detectors[name](ctx);
  } catch (e) {
    return { offered: undefined, evidence: `could not be told: ${(e as Error).message}` };
  }
}
