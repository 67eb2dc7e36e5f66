/** Caller mistakes: 400 (`invalid_parameter` where error codes are offered), never 5xx, on both submit operations. */
import { ALL, CORE, type Check, type Profile } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { expectStatus } from '../outcome.ts';

const endpoints = ['/v1/bg-removal', '/v2/bg-removal'];

function invalid(
  id: string,
  profiles: readonly Profile[],
  what: string,
  body: (ctx: CheckContext) => { json?: unknown; raw?: string },
): Check {
  return {
    id,
    level: 'MUST',
    clause: 'VALIDATION-400',
    profiles,
    sentence: `Both submit operations MUST answer 400 for ${what}, never 5xx (code \`invalid_parameter\` where error codes are offered).`,
    async run(ctx) {
      for (const path of endpoints) {
        const b = body(ctx);
        const ex = await ctx.http.post(path, b.raw !== undefined ? { body: b.raw } : { json: b.json });
        expectStatus(ex, 400, `POST ${path} with ${what}`, 'invalid_parameter');
      }
    },
  };
}

export const validationChecks: Check[] = [
  invalid('VALIDATION-MISSING-IMAGE', ALL, 'a body without `image`', () => ({ json: { method: 'object' } })),
  invalid('VALIDATION-BAD-METHOD', ALL, 'an unknown `method`', (ctx) => ({
    json: { image: ctx.fixtures.disc.base64, method: 'banana' },
  })),
  invalid('VALIDATION-UNKNOWN-FIELD', ALL, 'an unknown field', (ctx) => ({
    json: { image: ctx.fixtures.disc.base64, colour: 'red' },
  })),
  // Prism answers malformed JSON with its own error shape, so a mock cannot pass this one.
  invalid('VALIDATION-MALFORMED-JSON', CORE, 'malformed JSON', () => ({ raw: '{"image": "abc", ' })),
  {
    id: 'V1-UNDECODABLE-4XX',
    level: 'MUST',
    clause: 'VALIDATION-400',
    profiles: CORE,
    sentence:
      'A sync removal of bytes that are no image MUST answer 400 (code `invalid_image` where error codes are offered) or 415, never 5xx.',
    async run(ctx) {
      const ex = await ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.undecodableBase64 } });
      if (ex.status === 415) return 'answered 415';
      expectStatus(ex, 400, 'POST /v1/bg-removal with undecodable base64', 'invalid_image');
    },
  },
];
