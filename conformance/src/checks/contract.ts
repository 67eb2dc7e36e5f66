/** Contract conformance of every response the suite saw (Schemathesis' three checks), per operation; run last. */
import { randomUUID } from 'node:crypto';
import type { ClauseId } from '@bgr/spec/clauses';
import { errorTable } from '@bgr/spec/errors';
import { ALL, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import type { Exchange } from '../http.ts';
import { fail } from '../outcome.ts';

/** Sends one ordinary request to an operation when the run has not exercised it yet (e.g. under --only). */
type Probe = (ctx: CheckContext) => Promise<unknown>;

const submitOnce = (ctx: CheckContext) =>
  ctx.memo('contract-probe-submit', () => ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64 } }));
const probedId = async (ctx: CheckContext) => {
  const ex = await submitOnce(ctx);
  const id = (ex.json as { request_id?: unknown } | undefined)?.request_id;
  return typeof id === 'string' ? encodeURIComponent(id) : randomUUID();
};

function contractCheck(id: string, operationId: string, clause: ClauseId, probe: Probe): Check {
  return {
    id,
    level: 'MUST',
    clause,
    profiles: ALL,
    sentence: `Every response of \`${operationId}\` MUST have a status code, content type and body that the contract declares for it (status_code, content_type and response_schema conformance).`,
    async run(ctx) {
      const seen = () => ctx.http.exchanges.filter((ex) => ex.operationId === operationId);
      if (seen().length === 0) await probe(ctx);
      const all = seen();
      const bad = all.filter((ex) => ex.violations.length > 0);
      if (bad.length > 0) {
        const first = bad[0]!;
        const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : '';
        fail(`${first.violations.map((v) => `${v.check}: ${v.message}`).join('; ')} — seen in ${first.check}${more}`, first);
      }
      return `${all.length} response(s) conform`;
    },
  };
}

const codes = new Set<string>(errorTable.map((e) => e.code));

/** Whether an error response has the shared error body: JSON, a string `error`, a known `code`. */
function errorBodyProblem(ex: Exchange): string | undefined {
  if (!/json/i.test(ex.contentType)) return `content type '${ex.contentType}' is not JSON`;
  const j = ex.json as { error?: unknown; code?: unknown } | undefined;
  if (!j || typeof j !== 'object') return 'the body is not a JSON object';
  if (typeof j.error !== 'string') return '`error` is not a string';
  if (typeof j.code !== 'string' || !codes.has(j.code)) return `code ${JSON.stringify(j.code)} is not in the error table`;
  return undefined;
}

export const contractChecks: Check[] = [
  contractCheck('CONTRACT-V1', 'removeBackground', 'V1-IMAGE',
    (ctx) => ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64 } })),
  contractCheck('CONTRACT-V2-SUBMIT', 'submitRemoval', 'V2-SUBMIT', submitOnce),
  contractCheck('CONTRACT-V2-STATUS', 'getRequestStatus', 'V2-FAILED-422',
    async (ctx) => ctx.http.get(`/v2/requests/${await probedId(ctx)}/status`)),
  contractCheck('CONTRACT-V2-RESULT', 'getRequestResult', 'V2-PENDING',
    async (ctx) => ctx.http.get(`/v2/requests/${await probedId(ctx)}`)),
  contractCheck('CONTRACT-V2-OUTPUT', 'getRequestOutput', 'V2-OUTPUT-LIFETIME',
    async (ctx) => ctx.http.get(`/v2/requests/${await probedId(ctx)}/output`)),
  contractCheck('CONTRACT-V2-CANCEL', 'cancelRequest', 'V2-CANCEL',
    (ctx) => ctx.http.post(`/v2/requests/${randomUUID()}/cancel`)),
  {
    id: 'CONTRACT-ERROR-BODY',
    level: 'MUST',
    clause: 'ERROR-BODY',
    profiles: ALL,
    sentence: 'Every 4xx and 5xx response the suite saw MUST carry a JSON body with a string `error` and a `code` from the error table.',
    async run(ctx) {
      const errors = () => ctx.http.exchanges.filter((ex) => ex.status >= 400);
      if (errors().length === 0) await ctx.http.get(`/v2/requests/${randomUUID()}/status`, { key: null });
      for (const ex of errors()) {
        const problem = errorBodyProblem(ex);
        if (problem) fail(`${problem} — seen in ${ex.check}`, ex);
      }
      return `${errors().length} error response(s) conform`;
    },
  },
];
