/**
 * Properties on generated inputs (`--fuzz N`, the `fuzz` profile): request bodies and headers generated from the
 * contract's request schemas, and random call sequences on the lifecycle. Seeded (`--seed`); a failure is shrunk
 * to a minimal case by fast-check before it is reported.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { FUZZ, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import type { Exchange } from '../http.ts';
import { fail } from '../outcome.ts';
import { bodies, isValid, type ImageInputs } from '../fuzz/bodies.ts';
import { sequences, statesOf, violation, type Op, type Tracked } from '../fuzz/lifecycle.ts';

/** A small real image (fast on any deployment), in each form the `image` field accepts. */
async function smallImage(): Promise<ImageInputs> {
  const png = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#3a6' } })
    .png()
    .toBuffer();
  return { base64: png.toString('base64'), dataUri: `data:image/png;base64,${png.toString('base64')}` };
}

async function offeredSet(ctx: CheckContext, names: ('output-options' | 'webhooks')[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const n of names) if (await ctx.has(n)) out.add(n);
  return out;
}

/** How long shrinking may take: each candidate sends real requests, so a long search is cut off at the smallest case found by then. */
const SHRINK_BUDGET_MS = 8000;

/** Runs a property with the run's seed and case count; on failure reports the shrunk case and the exchange it sent last. */
async function property<T>(
  ctx: CheckContext,
  arb: fc.Arbitrary<T>,
  runs: number,
  show: (t: T) => string,
  judge: (t: T) => Promise<{ problem?: string; ex?: Exchange }>,
): Promise<string> {
  let last: { problem: string; ex?: Exchange } | undefined;
  let cases = 0;
  let firstFailure: number | undefined;
  let cutOff = false;
  const details = await fc.check(
    fc.asyncProperty(arb, async (t) => {
      // Past the budget every further candidate "passes" unsent, so fast-check keeps the smallest failing case so far.
      if (firstFailure !== undefined && Date.now() - firstFailure > SHRINK_BUDGET_MS) return (cutOff = true);
      cases++;
      const { problem, ex } = await judge(t);
      if (problem) {
        last = { problem, ex };
        firstFailure ??= Date.now();
      }
      return problem === undefined;
    }),
    { numRuns: runs, seed: ctx.options.seed, endOnFailure: false, interruptAfterTimeLimit: 10 * 60_000 },
  );
  if (details.failed && details.counterexample) {
    const shrunk = show(details.counterexample[0]);
    fail(
      `${last?.problem ?? 'failed'} — ${cutOff ? 'smallest case found in the shrinking time' : 'minimal case'} after ${details.numShrinks} shrinks: ${shrunk} (seed ${details.seed}, ${cases} cases sent; --seed ${details.seed} reproduces)`,
      last?.ex,
    );
  }
  return `${details.numRuns} generated cases (${cases} sent), seed ${details.seed}`;
}

export const fuzzChecks: Check[] = [
  {
    id: 'FUZZ-BODIES',
    level: 'MUST',
    clause: 'VALIDATION-400',
    profiles: FUZZ,
    sentence:
      'For request bodies and content types generated from the contract (valid and invalid), both submit operations MUST answer a body the contract rejects with 4xx, never 5xx, a valid one with 200, and every answer as the contract declares it.',
    async run(ctx) {
      const images = await smallImage();
      const offered = await offeredSet(ctx, ['output-options', 'webhooks']);
      const cases = fc
        .oneof(
          fc.record({
            path: fc.constant('/v1/bg-removal'),
            schema: fc.constant('RemoveRequest'),
            gen: bodies('RemoveRequest', images, offered),
          }),
          fc.record({
            path: fc.constant('/v2/bg-removal'),
            schema: fc.constant('SubmitRequest'),
            gen: bodies('SubmitRequest', images, offered),
          }),
        )
        .chain((c) =>
          fc
            .constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain')
            .map((contentType) => ({ ...c, contentType })),
        );
      const show = (c: { path: string; contentType: string; gen: { body: unknown; mutation: string } }) =>
        `POST ${c.path} (${c.contentType}, ${c.gen.mutation}) ${JSON.stringify(c.gen.body, (_k, v) => (typeof v === 'string' && v.length > 60 ? `${v.slice(0, 24)}…(${v.length} chars)` : v))}`;
      return property(ctx, cases, ctx.options.fuzzRuns, show, async (c) => {
        const ex = await ctx.http.post(c.path, { body: JSON.stringify(c.gen.body), contentType: c.contentType });
        const json = c.contentType.startsWith('application/json');
        const valid = json && isValid(c.schema, c.gen.body);
        if (ex.status >= 500) return { problem: `answered ${ex.status} to a generated body`, ex };
        if (!valid && json && (ex.status < 400 || ex.status >= 500))
          return { problem: `answered ${ex.status} to a body the contract rejects`, ex };
        if (valid && ex.status !== 200) return { problem: `answered ${ex.status} to a body the contract accepts`, ex };
        if (ex.violations.length)
          return { problem: `answer breaks the contract: ${ex.violations.map((v) => v.message).join('; ')}`, ex };
        return {};
      });
    },
  },
  {
    id: 'FUZZ-LIFECYCLE',
    level: 'MUST',
    clause: 'V2-STATE-ORDER',
    profiles: FUZZ,
    sentence:
      "Under random sequences of submit, status, result, cancel and stream calls, a request's state MUST never go back, a terminal state MUST never change, and a request MUST answer 404 only once its retention has passed, and then for good.",
    async run(ctx) {
      const images = await smallImage();
      const offered = { cancel: await ctx.has('cancel'), stream: await ctx.has('status-stream') };
      const retentionMs = ctx.options.retentionS * 1000;
      const show = (ops: Op[]) =>
        ops
          .map((o) => (o.op === 'wait' ? `wait ${o.ms} ms` : o.op === 'submit' ? 'submit' : `${o.op} #${o.target}`))
          .join(', ');
      // A sequence waits and submits: a fifth of the body cases, at least five.
      const runs = Math.max(5, Math.ceil(ctx.options.fuzzRuns / 5));
      return property(ctx, sequences(offered), runs, show, async (ops) => {
        const tracked: (Tracked & { urls: { status: string; result: string; cancel?: string } })[] = [];
        for (const o of ops) {
          if (o.op === 'wait') {
            await new Promise((r) => setTimeout(r, o.ms));
            continue;
          }
          if (o.op === 'submit') {
            const ex = await ctx.http.post('/v2/bg-removal', { json: { image: images.base64 } });
            if (ex.status !== 200) return { problem: `a submit answered ${ex.status}`, ex };
            const b = ex.json as { request_id: string; status_url: string; response_url: string; cancel_url?: string };
            tracked.push({
              id: b.request_id,
              highest: 0,
              urls: { status: b.status_url, result: b.response_url, cancel: b.cancel_url },
            });
            continue;
          }
          const t = tracked[o.target % tracked.length]!;
          const ex =
            o.op === 'status'
              ? await ctx.http.get(t.urls.status)
              : o.op === 'result'
                ? await ctx.http.get(t.urls.result)
                : o.op === 'cancel'
                  ? await ctx.http.post(t.urls.cancel ?? `/v2/requests/${encodeURIComponent(t.id)}/cancel`)
                  : await ctx.http.get(t.urls.status, {
                      headers: { accept: 'text/event-stream' },
                      stream: {
                        isDone: (text) => /"status":"(COMPLETED|FAILED)"/.test(text),
                        graceMs: 200,
                        deadlineMs: 3000,
                      },
                    });
          if (ex.status >= 500) return { problem: `${o.op} answered ${ex.status}`, ex };
          // A cancel's answer says what the cancel did, not the state: only a 404 there counts.
          const problem = violation(t, ex, o.op === 'cancel' ? [] : statesOf(ex), retentionMs);
          if (problem) return { problem: `after ${o.op}: ${problem}`, ex };
        }
        return {};
      });
    },
  },
];
