/** `bgr check --profile full` against `bgr serve --engine sandbox` (a real process, no model): core CONFORMANT, every extension offered and conformant. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensions } from '@bgr/spec/extensions';
import { runChecks } from '../../conformance/src/runner.ts';
import type { Report } from '../../conformance/src/report.ts';
import { spawnNode, type NodeProcess } from '../testing/nodes.ts';

const keys = {
  first: 'sandbox-key-1',
  second: 'sandbox-key-2',
  scoped: 'sandbox-key-v1-only',
  low: 'sandbox-key-one-credit',
};
const webhookSecret = `whsec_${Buffer.from('sandbox-conformance-webhook-secret').toString('base64')}`;
let server: NodeProcess;
let report: Report;

beforeAll(async () => {
  const keysFile = join(await mkdtemp(join(tmpdir(), 'bgr-sandbox-keys-')), 'keys.json');
  await writeFile(
    keysFile,
    JSON.stringify({
      keys: [
        { key: keys.first, credits: 1000 },
        { key: keys.second },
        { key: keys.scoped, scopes: ['v1'] },
        { key: keys.low, credits: 1 },
      ],
    }),
  );
  server = await spawnNode(
    {
      BGR_RESULT_TTL_S: '3',
      BGR_API_KEYS: keysFile,
      BGR_RATE_LIMIT: '200/min',
      BGR_ENGINE: 'sandbox',
      // The default 1 s per image: the suite sees a request pending (cancel, 202, queue position) even on a busy machine.
      BGR_SANDBOX_MS: '1000',
      BGR_WEBHOOK_SECRET: webhookSecret,
      BGR_ALLOW_PRIVATE_URLS: '127.0.0.1/32',
    },
    { ready: true },
  );
  report = await runChecks({
    baseUrl: server.url,
    apiKey: keys.first,
    secondApiKey: keys.second,
    scopedKey: keys.scoped,
    lowCreditKey: keys.low,
    webhookListen: '127.0.0.1:0',
    webhookSecret,
    profile: 'full',
    retentionS: 3,
    samples: 1,
  });
}, 120_000);
afterAll(() => server?.stop());

describe('bgr check --profile full against the sandbox', () => {
  it('core CONFORMANT, every MUST check passes', () => {
    const failed = report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect([report.core, report.ok]).toEqual(['CONFORMANT', true]);
  });

  it('offers all 12 extensions, each conformant', () => {
    expect(report.capabilities.map((c) => [c.extension, c.verdict])).toEqual(
      extensions.map((e) => [e.name, 'offered, conformant']),
    );
  });

  it('runs the stateful and image checks instead of skipping them (quality SHOULDs included)', () => {
    const outcome = (id: string) => report.results.find((r) => r.id === id);
    for (const id of [
      'V1-PNG',
      'V1-ALPHA',
      'V1-QUALITY-IOU',
      'V1-HUMAN-DIFFERS',
      'V2-RETENTION-EXPIRED-404',
      'V2-CANCEL-PENDING',
      'V2-IDEMPOTENCY-NO-DOUBLE-CHARGE',
      'CREDITS-NOT-CHARGED-FAILED',
      'RATE-LIMIT-RETRY-AFTER',
      'AUTH-SCOPE-403',
      'CREDITS-406',
      'WEBHOOK-SIGNED',
      'ERROR-CODES',
    ]) {
      expect(outcome(id)?.outcome, `${id}: ${outcome(id)?.reason}`).toBe('pass');
    }
  });
});
