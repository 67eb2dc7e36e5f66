import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../src/runner.ts';
import type { Report } from '../src/report.ts';
import { startGoodServer, type GoodServer } from './good-server.ts';

let server: GoodServer;
let report: Report;
const waits: string[] = [];

beforeAll(async () => {
  // A retention of 2 s, so `full` waits out the real expiry path.
  server = await startGoodServer({ retentionMs: 2000 });
  report = await runChecks({
    baseUrl: server.url, apiKey: 'key-a', secondApiKey: 'key-b', profile: 'full', retentionS: 2, latencySloS: 1.67, samples: 3,
    onProgress: (e) => {
      if (e.type === 'wait' && e.what) waits.push(e.what);
    },
  });
});
afterAll(() => server.close());

describe('the suite against the good server (profile full, retention 2 s)', () => {
  it('passes every check (so no check fails a correct deployment)', () => {
    const bad = report.results.filter((r) => r.outcome !== 'pass').map((r) => `${r.id} ${r.outcome}: ${r.reason}`);
    expect(bad).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('ran the real expiry path and reported the wait as progress', () => {
    expect(report.results.find((r) => r.id === 'V2-RETENTION-EXPIRED-404')?.outcome).toBe('pass');
    expect(waits.some((w) => w.includes('retention'))).toBe(true);
  });

  it('reports latency percentiles', () => {
    expect(report.results.find((r) => r.id === 'LATENCY-V2')?.reason).toMatch(/p50 .* p95 .* p99/);
  });
});
