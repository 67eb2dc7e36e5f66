/** Cancel and idempotency (extensions, `full`), credits, and 429 under a burst. */
import { randomUUID } from 'node:crypto';
import { CORE, FULL, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { completedResult, idempotency, remainingCredits, runToEnd, stateOf, submit, waitTerminal } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { ensure, expectStatus, fail, skip } from '../outcome.ts';

/**
 * Sends cheap requests in parallel batches until a 429 arrives (or the burst is spent): sync removals
 * without an image, which a gateway counts before it validates (deployments may exempt polls from the
 * rate, so polls cannot provoke it) and which start no inference. It uses the second key when there is
 * one, so that throttling never slows the checks that use the primary key.
 */
function burst(ctx: CheckContext): Promise<{ limited?: Exchange; sent: number }> {
  return ctx.memo('burst', async () => {
    const key = ctx.options.secondApiKey;
    let sent = 0;
    while (sent < ctx.options.burst) {
      ctx.progress(`rate limit: ${sent} of at most ${ctx.options.burst} requests sent, no 429 yet`);
      const batch = await Promise.all(
        Array.from({ length: 25 }, () => ctx.http.post('/v1/bg-removal', { json: {}, key, retry429: false })),
      );
      sent += batch.length;
      const limited = batch.find((ex) => ex.status === 429);
      if (limited) {
        if (!key) {
          // The primary key is throttled now: let the window pass so later checks are not slowed.
          const wait = Math.min(Number(limited.headers['retry-after']) || 1, 60);
          await ctx.sleep(wait * 1000 + 200, 'rate limit: waiting out Retry-After');
        }
        return { limited, sent };
      }
    }
    return { sent };
  });
}

export const optionalChecks: Check[] = [
  {
    id: 'V2-CANCEL-PENDING',
    level: 'MUST',
    clause: 'V2-CANCEL',
    extension: 'cancel',
    profiles: FULL,
    sentence:
      'Where cancel is offered, canceling a pending request MUST end it FAILED, served as 422 (code `canceled` where error codes are offered).',
    async run(ctx) {
      const sub = await submit(ctx, { image: ctx.fixtures.disc.base64 });
      const ex = await ctx.http.post(sub.cancelUrl);
      if (ex.status === 409) skip('the request ended before the cancel reached it');
      expectStatus(ex, 200, 'cancel of a pending request', 'canceled');
      const j = (ex.json ?? {}) as Record<string, unknown>;
      ensure(j.status === 'FAILED', 'the cancel answer is not a FAILED body', ex);
      const t = await waitTerminal(ctx, sub, 50);
      ensure(t.state === 'FAILED', `a canceled request ended ${t.state}`, t.final);
      const later = await ctx.http.get(sub.statusUrl);
      expectStatus(later, 422, 'status of a canceled request', 'canceled');
    },
  },
  {
    id: 'V2-CANCEL-TERMINAL-409',
    level: 'MUST',
    clause: 'V2-CANCEL',
    extension: 'cancel',
    profiles: FULL,
    sentence: 'Where cancel is offered, canceling a COMPLETED request MUST answer 409 and leave it COMPLETED.',
    async run(ctx) {
      // A fresh request: one completed earlier may already have expired under a short retention.
      const { sub, terminal } = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      ensure(terminal.state === 'COMPLETED', 'the disc fixture did not complete', terminal.final);
      const ex = await ctx.http.post(sub.cancelUrl);
      expectStatus(ex, 409, 'cancel of a COMPLETED request', 'not_cancelable');
      const after = await ctx.http.get(sub.statusUrl);
      ensure(
        after.status === 200 && stateOf(after) === 'COMPLETED',
        'the COMPLETED request changed after a cancel',
        after,
      );
    },
  },
  {
    id: 'V2-IDEMPOTENCY-REPLAY',
    level: 'MUST',
    clause: 'V2-IDEMPOTENCY',
    extension: 'idempotency',
    profiles: FULL,
    sentence:
      'Where Idempotency-Key is honoured, repeating a submit with the same key and body MUST return the same request_id.',
    async run(ctx) {
      const i = await idempotency(ctx);
      expectStatus(i.replay, 200, 'replayed submit');
      const a = (i.first.json as { request_id?: unknown }).request_id;
      const b = (i.replay.json as { request_id?: unknown } | undefined)?.request_id;
      ensure(a === b, `the replay created a new request (${String(b)} instead of ${String(a)})`, i.replay);
    },
  },
  {
    id: 'V2-IDEMPOTENCY-CONFLICT-409',
    level: 'MUST',
    clause: 'V2-IDEMPOTENCY',
    extension: 'idempotency',
    profiles: FULL,
    sentence:
      'Where Idempotency-Key is honoured, reusing a key with another body MUST answer 409 `idempotency_conflict`.',
    async run(ctx) {
      const i = await idempotency(ctx);
      expectStatus(i.conflict, 409, 'same Idempotency-Key with another body', 'idempotency_conflict');
    },
  },
  {
    id: 'V2-IDEMPOTENCY-NO-DOUBLE-CHARGE',
    level: 'MUST',
    clause: 'V2-IDEMPOTENCY',
    extension: 'idempotency',
    profiles: FULL,
    sentence:
      'Where Idempotency-Key is honoured, replays MUST NOT be charged: a baseline, a request replayed twice and a fresh request cost at most 2 credits.',
    async run(ctx) {
      const base = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      const r0 = remainingCredits(base.result);
      if (r0 === undefined) skip('the key reports no remaining_credits (unlimited), so charges cannot be observed');
      const key = `bgr-conformance-${randomUUID()}`;
      const headers = { 'Idempotency-Key': key };
      const body = { image: ctx.fixtures.roundedOnGradient.base64 };
      const sub = await submit(ctx, body, { headers });
      const replay = await ctx.http.post('/v2/bg-removal', { json: body, headers });
      const sameId = (replay.json as { request_id?: unknown } | undefined)?.request_id === sub.id;
      if (!sameId && replay.status === 200) skip('Idempotency-Key is not honoured (the replay made a new request)');
      await waitTerminal(ctx, sub, 50);
      await ctx.http.post('/v2/bg-removal', { json: body, headers });
      const fresh = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      const r1 = remainingCredits(fresh.result);
      ensure(r1 !== undefined, 'remaining_credits disappeared', fresh.result);
      ensure(r0 - r1 <= 2, `${r0 - r1} credits were charged for 2 images (replays were charged)`, fresh.result);
      return `${r0 - r1} credit(s) for 2 images and 2 replays`;
    },
  },
  {
    id: 'CREDITS-NOT-CHARGED-FAILED',
    level: 'MUST',
    clause: 'CREDITS',
    profiles: CORE,
    sentence: 'A FAILED request MUST NOT be charged: a FAILED request then a COMPLETED one cost at most 1 credit.',
    async run(ctx) {
      const base = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      const r0 = remainingCredits(base.result);
      if (r0 === undefined) skip('the key reports no remaining_credits (unlimited), so charges cannot be observed');
      const failed = await runToEnd(ctx, { image: ctx.fixtures.unreachableUrl });
      if (failed.terminal.state !== 'FAILED')
        fail('the request with an unreachable image URL did not fail', failed.terminal.final);
      const next = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      const r1 = remainingCredits(next.result);
      ensure(r1 !== undefined, 'remaining_credits disappeared', next.result);
      ensure(r0 - r1 <= 1, `${r0 - r1} credits were charged for one FAILED and one COMPLETED request`, next.result);
      return `${r0 - r1} credit(s) for one FAILED and one COMPLETED request`;
    },
  },
  {
    id: 'RATE-LIMIT-RETRY-AFTER',
    level: 'MUST',
    clause: 'RATE-LIMIT',
    profiles: FULL,
    sentence:
      'A 429 provoked by a burst (with the second key when given) MUST carry a `Retry-After` header (seconds); skipped when no 429 comes within the burst.',
    async run(ctx) {
      const { limited, sent } = await burst(ctx);
      if (!limited) skip(`no 429 within a burst of ${sent} requests`);
      const ra = limited.headers['retry-after'];
      ensure(ra !== undefined && /^\d+$/.test(ra.trim()), `Retry-After is ${JSON.stringify(ra)}`, limited);
      return `429 after ${sent} requests or fewer, Retry-After ${ra}`;
    },
  },
  {
    id: 'RATE-LIMIT-POLICY-HEADERS',
    level: 'SHOULD',
    clause: 'RATE-LIMIT',
    profiles: FULL,
    sentence: 'A 429 SHOULD carry the `RateLimit` and `RateLimit-Policy` headers (IETF draft).',
    async run(ctx) {
      const { limited, sent } = await burst(ctx);
      if (!limited) skip(`no 429 within a burst of ${sent} requests`);
      ensure(limited.headers.ratelimit !== undefined, 'no RateLimit header', limited);
      ensure(limited.headers['ratelimit-policy'] !== undefined, 'no RateLimit-Policy header', limited);
    },
  },
  {
    id: 'CREDITS-406',
    level: 'MUST',
    clause: 'CREDITS',
    profiles: CORE,
    sentence:
      'A key whose balance cannot cover a request MUST get 406 from both submit operations (code `insufficient_credits` where error codes are offered): with `--low-credit-key` (one credit) the first sync removal succeeds and the next ones answer 406; without it, checked only when the primary key reports `remaining_credits` 0.',
    async run(ctx) {
      let key = ctx.options.lowCreditKey;
      if (key) {
        const first = await ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64 }, key });
        expectStatus(first, 200, 'a sync removal with the one-credit key');
      } else {
        const left = remainingCredits((await completedResult(ctx)).result);
        if (left !== 0)
          skip(
            `needs --low-credit-key (a key with a balance of one credit)${left === undefined ? '' : `; the primary key reports ${left} credits left`}`,
          );
        key = ctx.options.apiKey;
      }
      for (const path of ['/v1/bg-removal', '/v2/bg-removal']) {
        const ex = await ctx.http.post(path, { json: { image: ctx.fixtures.disc.base64 }, key });
        expectStatus(ex, 406, `POST ${path} with an exhausted balance`, 'insufficient_credits');
      }
    },
  },
];
