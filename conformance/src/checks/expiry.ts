/** Retention: `expires_at` announced (no waiting), and with a short retention the real expiry path. */
import { CORE, FULL, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { completedResult, fetchOutput, outputPath, runToEnd, type FetchedOutput } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { ensure, expectStatus, skip } from '../outcome.ts';

interface Probe {
  status: Exchange;
  result: Exchange;
  output: Exchange;
  outputUrl?: FetchedOutput;
}
interface ExpiryWatch {
  before: Probe;
  after: Probe;
}

/** Completes one request, probes it just before its retention can have passed, then just after it must have. */
function expiryWatch(ctx: CheckContext): Promise<ExpiryWatch> {
  return ctx.memo('expiry', async () => {
    const { retentionS, profile, shortRetentionS } = ctx.options;
    if (profile !== 'slow' && retentionS > shortRetentionS) {
      skip(
        `the declared retention (${retentionS} s) is longer than ${shortRetentionS} s; run with --profile slow to wait it out`,
      );
    }
    const { sub, terminal } = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
    ensure(terminal.state === 'COMPLETED', 'the disc fixture did not complete', terminal.final);
    const r = retentionS * 1000;
    // The request ended after the last pending poll, so it is retained at least until then + retention.
    const margin = Math.min(1000, r * 0.2);
    await ctx.sleepUntil(terminal.lastPendingAt + r - margin, 'retention: probing just before it can expire');
    // No waiting out a 429 here: a late probe would no longer be "just before" or "just after".
    const probe = async (): Promise<Probe> => {
      const got = {
        status: await ctx.http.get(sub.statusUrl, { retry429: false }),
        result: await ctx.http.get(sub.resultUrl, { retry429: false }),
        output: await ctx.http.get(outputPath(sub.id), { retry429: false }),
      };
      if (Object.values(got).some((ex) => ex.status === 429))
        skip('rate limited (429) at the moment of a retention probe');
      // The output as the result names it (production serves it from elsewhere than the output endpoint).
      const url = (got.result.json as { output?: unknown } | undefined)?.output;
      return {
        ...got,
        outputUrl:
          typeof url === 'string' && /^(https?:\/\/|data:)/i.test(url) ? await fetchOutput(ctx, url) : undefined,
      };
    };
    const before = await probe();
    // It ended before COMPLETED was first seen, so it must be gone by then + retention (+ a little grace).
    const grace = Math.max(1000, r * 0.02);
    await ctx.sleepUntil(terminal.terminalSeenAt + r + grace, 'retention: waiting until it must have expired');
    const after = await probe();
    return { before, after };
  });
}

export const expiryChecks: Check[] = [
  {
    id: 'V2-EXPIRES-AT',
    level: 'SHOULD',
    clause: 'V2-EXPIRES-AT',
    extension: 'expires-at',
    profiles: CORE,
    sentence:
      'Where expires-at is offered, status and result of a COMPLETED request SHOULD announce `expires_at` equal to completion plus the declared retention (±2 s or 1%).',
    async run(ctx) {
      const { w, result, status } = await completedResult(ctx);
      const r = ctx.options.retentionS * 1000;
      const tolerance = Math.max(2000, r * 0.01);
      for (const ex of [status, result]) {
        const j = (ex.json ?? {}) as { expires_at?: unknown; completed_at?: unknown };
        ensure(typeof j.expires_at === 'string', 'no expires_at', ex);
        const expires = Date.parse(j.expires_at);
        ensure(!Number.isNaN(expires), `expires_at '${j.expires_at}' is not a date`, ex);
        // Prefer the server's own completion time (no clock skew); else the window in which we saw it complete.
        const completed = typeof j.completed_at === 'string' ? Date.parse(j.completed_at) : NaN;
        const [lo, hi] = Number.isNaN(completed)
          ? [w.lastPendingAt + r - tolerance - 5000, w.terminalSeenAt + r + tolerance + 5000]
          : [completed + r - tolerance, completed + r + tolerance];
        ensure(
          expires >= lo && expires <= hi,
          `expires_at ${j.expires_at} is not completion + ${ctx.options.retentionS} s`,
          ex,
        );
      }
    },
  },
  {
    id: 'V2-RETENTION-SERVED',
    level: 'MUST',
    clause: 'V2-RETENTION',
    profiles: FULL,
    sentence:
      'Status and result of a COMPLETED request MUST still be served just before its retention can have passed.',
    async run(ctx) {
      const { before } = await expiryWatch(ctx);
      expectStatus(before.status, 200, 'status just before expiry');
      expectStatus(before.result, 200, 'result just before expiry');
    },
  },
  {
    id: 'V2-OUTPUT-LIFETIME',
    level: 'MUST',
    clause: 'V2-OUTPUT-LIFETIME',
    profiles: FULL,
    sentence:
      "The output of a COMPLETED request (the result's `output`) MUST still be fetchable just before its retention can have passed.",
    async run(ctx) {
      const { before } = await expiryWatch(ctx);
      expectStatus(before.result, 200, 'result just before expiry');
      ensure(before.outputUrl, 'the result just before expiry names no fetchable `output`', before.result);
      if (before.outputUrl.ex) expectStatus(before.outputUrl.ex, 200, 'output just before expiry');
      ensure(
        before.outputUrl.bytes.length > 0,
        'the output just before expiry is empty',
        before.outputUrl.ex ?? before.result,
      );
    },
  },
  {
    id: 'V2-RETENTION-EXPIRED-404',
    level: 'MUST',
    clause: 'V2-RETENTION',
    profiles: FULL,
    sentence:
      'Once the retention has passed, status and result MUST answer 404 (waited for in `slow`, and in `full` when the retention is short).',
    async run(ctx) {
      const { after } = await expiryWatch(ctx);
      expectStatus(after.status, 404, 'status after expiry', 'not_found');
      expectStatus(after.result, 404, 'result after expiry', 'not_found');
    },
  },
  {
    id: 'V2-OUTPUT-EXPIRED-404',
    level: 'MUST',
    clause: 'V2-OUTPUT-ENDPOINT',
    extension: 'output-endpoint',
    profiles: FULL,
    sentence: 'Where the output endpoint is offered, it MUST answer 404 once the retention has passed.',
    async run(ctx) {
      const { after } = await expiryWatch(ctx);
      expectStatus(after.output, 404, 'output after expiry', 'not_found');
    },
  },
];
