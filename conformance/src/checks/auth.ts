/** Authentication, scopes and isolation: 401 without or with a wrong key; 403 without the scope; another key's request is 404. */
import { randomUUID } from 'node:crypto';
import { ALL, CORE, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { completedResult, outputPath, stateOf } from '../flows.ts';
import { ensure, expectStatus, skip } from '../outcome.ts';

/** The output and cancel operations, for those of the two extensions the deployment offers. */
async function extensionCalls(
  ctx: CheckContext,
  id: string,
  urls: { cancel: string } = { cancel: `/v2/requests/${id}/cancel` },
): Promise<[string, string][]> {
  return [
    ...((await ctx.has('output-endpoint')) ? [['GET', outputPath(id)] as [string, string]] : []),
    ...((await ctx.has('cancel')) ? [['POST', urls.cancel] as [string, string]] : []),
  ];
}

/** Calls every operation the deployment offers once with the given key (null: none) and expects 401 (`unauthorized`) from each. */
async function expect401Everywhere(ctx: CheckContext, key: string | null, what: string): Promise<void> {
  const id = randomUUID();
  const body = { image: ctx.fixtures.disc.base64 };
  const calls: [string, string, unknown?][] = [
    ['POST', '/v1/bg-removal', body],
    ['POST', '/v2/bg-removal', body],
    ['GET', `/v2/requests/${id}/status`],
    ['GET', `/v2/requests/${id}`],
    ...(await extensionCalls(ctx, id)),
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
    sentence:
      'Every operation MUST answer 401 when the `x-api-key` header is missing (code `unauthorized` where error codes are offered).',
    run: (ctx) => expect401Everywhere(ctx, null, 'without x-api-key'),
  },
  {
    id: 'AUTH-401-WRONG-KEY',
    level: 'MUST',
    clause: 'AUTH-REQUIRED',
    profiles: CORE,
    sentence:
      'Every operation MUST answer 401 when the `x-api-key` is unknown (code `unauthorized` where error codes are offered).',
    run: (ctx) => expect401Everywhere(ctx, `bgr-conformance-wrong-${randomUUID()}`, 'with an unknown x-api-key'),
  },
  {
    id: 'AUTH-ISOLATION-404',
    level: 'MUST',
    clause: 'AUTH-ISOLATION',
    profiles: CORE,
    sentence:
      "Status and result (and output and cancel where offered) of a request MUST answer 404 to any key but the one that created it, and another key's cancel MUST NOT change it.",
    async run(ctx) {
      const other = ctx.options.secondApiKey;
      if (!other) skip('needs --second-api-key');
      const { w } = await completedResult(ctx);
      const id = w.sub.id;
      for (const [method, url] of [
        ['GET', w.sub.statusUrl],
        ['GET', w.sub.resultUrl],
        ...(await extensionCalls(ctx, id, { cancel: w.sub.cancelUrl })),
      ]) {
        const ex = await ctx.http.request(method!, url!, { key: other });
        expectStatus(ex, 404, `${method} of the first key's request with the second key`, 'not_found');
      }
      const still = await ctx.http.get(w.sub.statusUrl);
      ensure(
        still.status === 200 && stateOf(still) === 'COMPLETED',
        "the first key's request changed after the second key tried to cancel it",
        still,
      );
    },
  },
  {
    id: 'AUTH-SCOPE-403',
    level: 'MUST',
    clause: 'AUTH-SCOPE',
    profiles: CORE,
    sentence:
      'A key without the `v2` scope (`--scoped-key`) MUST get 403 from the v2 submit and MUST NOT create a request (code `forbidden` where error codes are offered); skipped without `--scoped-key`.',
    async run(ctx) {
      const key = ctx.options.scopedKey;
      if (!key) skip('needs --scoped-key (a valid key without the v2 scope)');
      const ex = await ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64 }, key });
      expectStatus(ex, 403, 'POST /v2/bg-removal with a key without the v2 scope', 'forbidden');
      const status = await ctx.http.get(`/v2/requests/${randomUUID()}/status`, { key });
      ensure(
        status.status === 403 || status.status === 404,
        `GET status with a key without the v2 scope: expected 403 (or 404), got ${status.status}`,
        status,
      );
    },
  },
];
