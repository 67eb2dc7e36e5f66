/** Authentication and isolation: 401 without or with a wrong key; another key's request is 404. */
import { randomUUID } from 'node:crypto';
import { ALL, CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { completedResult, outputPath, stateOf } from '../flows.ts';
import { ensure, expectStatus, skip } from '../outcome.ts';

/** Calls every operation once with the given key (null: none) and expects 401 `unauthorized` from each. */
async function expect401Everywhere(ctx: CheckContext, key: string | null, what: string): Promise<void> {
  const id = randomUUID();
  const body = { image: ctx.fixtures.disc.base64 };
  const calls: [string, string, unknown?][] = [
    ['POST', '/v1/bg-removal', body],
    ['POST', '/v2/bg-removal', body],
    ['GET', `/v2/requests/${id}/status`],
    ['GET', `/v2/requests/${id}`],
    ['GET', outputPath(id)],
    ['POST', `/v2/requests/${id}/cancel`],
  ];
  for (const [method, path, json] of calls) {
    const ex = await ctx.http.request(method, path, { key, json });
    expectStatus(ex, 401, `${method} ${path} ${what}`, 'unauthorized');
  }
}

export const authChecks: Check[] = [
  {
    id: 'AUTH-401-MISSING-KEY',
    level: 'MUST',
    clause: 'AUTH-REQUIRED',
    profiles: ALL,
    sentence: 'Every operation MUST answer 401 with code `unauthorized` when the `x-api-key` header is missing.',
    run: (ctx) => expect401Everywhere(ctx, null, 'without x-api-key'),
  },
  {
    id: 'AUTH-401-WRONG-KEY',
    level: 'MUST',
    clause: 'AUTH-REQUIRED',
    profiles: CORE,
    sentence: 'Every operation MUST answer 401 with code `unauthorized` when the `x-api-key` is unknown.',
    run: (ctx) => expect401Everywhere(ctx, `bgr-conformance-wrong-${randomUUID()}`, 'with an unknown x-api-key'),
  },
  {
    id: 'AUTH-ISOLATION-404',
    level: 'MUST',
    clause: 'AUTH-ISOLATION',
    profiles: CORE,
    sentence: "Status, result, output and cancel of a request MUST answer 404 `not_found` to any key but the one that created it, and another key's cancel MUST NOT change it.",
    async run(ctx) {
      const other = ctx.options.secondApiKey;
      if (!other) skip('needs --second-api-key');
      const { w } = await completedResult(ctx);
      const id = w.sub.id;
      for (const [method, url] of [['GET', w.sub.statusUrl], ['GET', w.sub.resultUrl], ['GET', outputPath(id)], ['POST', w.sub.cancelUrl]] as const) {
        const ex = await ctx.http.request(method, url, { key: other });
        expectStatus(ex, 404, `${method} of the first key's request with the second key`, 'not_found');
      }
      const still = await ctx.http.get(w.sub.statusUrl);
      ensure(still.status === 200 && stateOf(still) === 'COMPLETED', "the first key's request changed after the second key tried to cancel it", still);
    },
  },
];
