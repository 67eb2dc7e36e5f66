/** Contract conformance of every response the suite saw (Schemathesis' three checks), per operation, and the error bodies and codes; run last. */
import { randomUUID } from 'node:crypto';
import type { ClauseId } from '@bgr/spec/clauses';
import { errorTable } from '@bgr/spec/errors';
import type { ExtensionName } from '@bgr/spec/extensions';
import { ALL, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import type { Exchange } from '../http.ts';
import { fail } from '../outcome.ts';

/** Sends one ordinary request to an operation when the run has not exercised it yet (e.g. under --only). */
type Probe = (ctx: CheckContext) => Promise<unknown>;

const submitOnce = (ctx: CheckContext) =>
  ctx.memo('contract-probe-submit', () =>
    ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64 } }),
  );
const probedId = async (ctx: CheckContext) => {
  const ex = await submitOnce(ctx);
  const id = (ex.json as { request_id?: unknown } | undefined)?.request_id;
  return typeof id === 'string' ? encodeURIComponent(id) : randomUUID();
};

function contractCheck(
  id: string,
  operationId: string,
  clause: ClauseId,
  probe: Probe,
  extension?: ExtensionName,
): Check {
  return {
    id,
    level: 'MUST',
    clause,
    ...(extension ? { extension } : {}),
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
        fail(
          `${first.violations.map((v) => `${v.check}: ${v.message}`).join('; ')} — seen in ${first.check}${more}`,
          first,
        );
      }
      return `${all.length} response(s) conform`;
    },
  };
}

const codes = new Set<string>(errorTable.map((e) => e.code));

/** Whether an error response has the core error body: JSON with a string `error`. */
function errorBodyProblem(ex: Exchange): string | undefined {
  if (!/json/i.test(ex.contentType)) return `content type '${ex.contentType}' is not JSON`;
  const j = ex.json as { error?: unknown } | undefined;
  if (!j || typeof j !== 'object') return 'the body is not a JSON object';
  if (typeof j.error !== 'string') return '`error` is not a string';
  return undefined;
}

/** Whether an error or FAILED body carries a code from the table, and the one a check expected for the situation. */
function codeProblem(ex: Exchange): string | undefined {
  const code = (ex.json as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !codes.has(code)) return `code ${JSON.stringify(code)} is not in the error table`;
  if (ex.expectedCode && code !== ex.expectedCode.code)
    return `${ex.expectedCode.what}: expected code '${ex.expectedCode.code}', got '${code}'`;
  return undefined;
}

export const contractChecks: Check[] = [
  contractCheck('CONTRACT-V1', 'removeBackground', 'V1-IMAGE', (ctx) =>
    ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64 } }),
  ),
  contractCheck('CONTRACT-V2-SUBMIT', 'submitRemoval', 'V2-SUBMIT', submitOnce),
  contractCheck('CONTRACT-V2-STATUS', 'getRequestStatus', 'V2-FAILED-422', async (ctx) =>
    ctx.http.get(`/v2/requests/${await probedId(ctx)}/status`),
  ),
  contractCheck('CONTRACT-V2-RESULT', 'getRequestResult', 'V2-PENDING', async (ctx) =>
    ctx.http.get(`/v2/requests/${await probedId(ctx)}`),
  ),
  contractCheck(
    'CONTRACT-V2-OUTPUT',
    'getRequestOutput',
    'V2-OUTPUT-ENDPOINT',
    async (ctx) => ctx.http.get(`/v2/requests/${await probedId(ctx)}/output`),
    'output-endpoint',
  ),
  contractCheck(
    'CONTRACT-V2-CANCEL',
    'cancelRequest',
    'V2-CANCEL',
    (ctx) => ctx.http.post(`/v2/requests/${randomUUID()}/cancel`),
    'cancel',
  ),
  {
    id: 'CONTRACT-ERROR-BODY',
    level: 'MUST',
    clause: 'ERROR-BODY',
    profiles: ALL,
    sentence: 'Every 4xx and 5xx response the suite saw MUST carry a JSON body with a string `error`.',
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
  {
    id: 'ERROR-CODES',
    level: 'MUST',
    clause: 'ERROR-CODES',
    extension: 'error-codes',
    profiles: ALL,
    sentence:
      'Where error codes are offered, every error and FAILED body the suite saw MUST carry a `code` from the error table, and the one the table names where a check expected one (e.g. `not_found` for an unknown id).',
    async run(ctx) {
      const judged = ctx.http.exchanges.filter(
        (ex) => (ex.status >= 400 && /json/i.test(ex.contentType)) || ex.expectedCode,
      );
      for (const ex of judged) {
        const problem = codeProblem(ex);
        if (problem) fail(`${problem} — seen in ${ex.check}`, ex);
      }
      return `${judged.length} error or FAILED body(ies) carry the right code`;
    },
  },
];
