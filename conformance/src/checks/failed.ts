/** FAILED, forced deterministically: 422 with `status: FAILED` and an `error` on status and result (the `code` is judged by ERROR-CODES). */
import { CORE, type Check } from '../check.ts';
import { failedRequest } from '../flows.ts';
import type { Exchange } from '../http.ts';
import { ensure, expectStatus } from '../outcome.ts';

function expectFailedBody(ex: Exchange, what: string): void {
  expectStatus(ex, 422, what);
  const j = (ex.json ?? {}) as Record<string, unknown>;
  ensure(j.status === 'FAILED', `${what}: status is ${JSON.stringify(j.status)}, not FAILED`, ex);
  ensure(typeof j.error === 'string' && j.error.length > 0, `${what}: no error message`, ex);
}

export const failedChecks: Check[] = [
  {
    id: 'V2-FAILED-422-STATUS',
    level: 'MUST',
    clause: 'V2-FAILED-422',
    profiles: CORE,
    sentence:
      'The status endpoint of a FAILED request (image URL on a `.invalid` host) MUST answer 422 with `status` `FAILED` and an `error`.',
    async run(ctx) {
      const f = await failedRequest(ctx, 'unreachable-url');
      expectFailedBody(f.terminal.final, 'status of a FAILED request (first terminal poll)');
      expectFailedBody(f.status, 'status of a FAILED request');
    },
  },
  {
    id: 'V2-FAILED-422-RESULT',
    level: 'MUST',
    clause: 'V2-FAILED-422',
    profiles: CORE,
    sentence:
      'The result endpoint of a FAILED request (image URL on a `.invalid` host) MUST answer 422 with `status` `FAILED` and an `error`.',
    async run(ctx) {
      const f = await failedRequest(ctx, 'unreachable-url');
      expectFailedBody(f.result, 'result of a FAILED request');
    },
  },
  {
    id: 'V2-FAILED-UNDECODABLE',
    level: 'MUST',
    clause: 'V2-FAILED-422',
    profiles: CORE,
    sentence:
      'A request submitted with undecodable base64 MUST end FAILED, served as 422 by both the status and the result endpoints (skipped when the submit itself answers 400).',
    async run(ctx) {
      const f = await failedRequest(ctx, 'undecodable');
      expectFailedBody(f.status, 'status of an undecodable request');
      expectFailedBody(f.result, 'result of an undecodable request');
    },
  },
];
