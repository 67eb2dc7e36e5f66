/** The suite against the reference server (sandbox engine: the server's own code without the model; in-memory backend, 4 s retention): every MUST check passes, every extension it offers is conformant. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../reference-impl/src/process/config.ts';
import { sandboxDeps, startServer, type Running } from '../reference-impl/src/process/serve.ts';
import { createSandbox } from '../reference-impl/src/sandbox/index.ts';
import { runChecks } from './src/runner.ts';
import type { Report } from './src/report.ts';

const keys = {
  first: 'conformance-key-1',
  second: 'conformance-key-2',
  scoped: 'conformance-key-v1-only',
  low: 'conformance-key-one-credit',
};
const webhookSecret = `whsec_${Buffer.from('reference-conformance-webhook-secret').toString('base64')}`;
let server: Running;
let report: Report;

beforeAll(async () => {
  // A keys file: a key without the v2 scope (AUTH-SCOPE-403) and one with a single credit (CREDITS-406).
  const keysFile = join(await mkdtemp(join(tmpdir(), 'bgr-ref-keys-')), 'keys.json');
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
  const config = loadConfig({
    PORT: '0',
    BGR_RESULT_TTL_S: '4',
    BGR_API_KEYS: keysFile,
    BGR_RATE_LIMIT: '200/min',
    // The suite's webhook receiver listens on loopback, which the SSRF guard refuses unless allowed.
    BGR_WEBHOOK_SECRET: webhookSecret,
    BGR_ALLOW_PRIVATE_URLS: '127.0.0.1/32',
  });
  // 1 s per image (the sandbox's default): the suite sees a request pending (cancel, 202) even on a busy machine.
  server = await startServer({
    config,
    engine: createSandbox({ maxPixels: config.maxPixels, timeMs: 1000 }),
    ...sandboxDeps(config),
  });
  report = await runChecks({
    baseUrl: server.url,
    apiKey: keys.first,
    secondApiKey: keys.second,
    scopedKey: keys.scoped,
    lowCreditKey: keys.low,
    webhookListen: '127.0.0.1:0',
    webhookSecret,
    profile: 'full',
    retentionS: 4,
    samples: 1,
  });
}, 300_000);
afterAll(() => server?.shutdown());

describe('bgr check --profile full against the reference', () => {
  it('passes every MUST check', () => {
    const failed = report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.core).toBe('CONFORMANT');
  });

  it('runs the real expiry path, the optional features and the input-gated checks instead of skipping them', () => {
    const outcome = (id: string) => report.results.find((r) => r.id === id);
    for (const id of [
      'V2-RETENTION-EXPIRED-404',
      'V2-CANCEL-PENDING',
      'V2-IDEMPOTENCY-NO-DOUBLE-CHARGE',
      'CREDITS-NOT-CHARGED-FAILED',
      'RATE-LIMIT-RETRY-AFTER',
      'V1-HUMAN-DIFFERS',
      'AUTH-SCOPE-403',
      'CREDITS-406',
      'WEBHOOK-SIGNED',
      'ERROR-CODES',
    ]) {
      expect(outcome(id)?.outcome, `${id}: ${outcome(id)?.reason}`).toBe('pass');
    }
  });

  it('offers every extension, conformant (status-stream is built on another branch: offered or not, never broken)', () => {
    const wrong = report.capabilities.filter((c) => {
      const want = c.extension === 'status-stream' ? ['offered, conformant', 'not offered'] : ['offered, conformant'];
      return !want.includes(c.verdict);
    });
    expect(wrong.map((c) => `${c.extension}: ${c.verdict} (${c.evidence})`)).toEqual([]);
  });
});
