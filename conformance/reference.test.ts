/** The suite against the real reference server (real model, in-memory backend, 4 s retention): every MUST check passes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../reference-impl/src/config.ts';
import { createEngine } from '../reference-impl/src/engine/index.ts';
import { engineConfigOf, startServer, type Running } from '../reference-impl/src/serve.ts';
import { runChecks } from './src/runner.ts';
import type { Report } from './src/report.ts';

const keys = { first: 'conformance-key-1', second: 'conformance-key-2' };
let server: Running;
let report: Report;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0', BGR_RESULT_TTL_S: '4', BGR_API_KEYS: `${keys.first}:1000,${keys.second}`, BGR_RATE_LIMIT: '200/min',
  });
  const engine = createEngine(engineConfigOf(config));
  await engine.ready();
  server = await startServer({ config, engine });
  report = await runChecks({
    baseUrl: server.url, apiKey: keys.first, secondApiKey: keys.second, profile: 'full', retentionS: 4, samples: 1,
  });
}, 300_000);
afterAll(() => server?.shutdown());

describe('bgr check --profile full against the reference', () => {
  it('passes every MUST check', () => {
    const failed = report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('runs the real expiry path and the optional features instead of skipping them', () => {
    const outcome = (id: string) => report.results.find((r) => r.id === id)?.outcome;
    for (const id of ['V2-RETENTION-EXPIRED-404', 'V2-CANCEL-PENDING', 'V2-IDEMPOTENCY-NO-DOUBLE-CHARGE', 'CREDITS-NOT-CHARGED-FAILED', 'RATE-LIMIT-RETRY-AFTER', 'V1-HUMAN-DIFFERS']) {
      expect(outcome(id), id).toBe('pass');
    }
  });
});
