import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../src/runner.ts';
import type { Report } from '../src/report.ts';
import { goodWebhookSecret, startGoodServer, type GoodServer } from './good-server.ts';

/** Every input the optional checks need, so that nothing is skipped for want of one. */
const inputs = {
  apiKey: 'key-a',
  secondApiKey: 'key-b',
  scopedKey: 'key-v1',
  lowCreditKey: 'key-low',
  webhookListen: '127.0.0.1:0',
  webhookSecret: goodWebhookSecret,
};

describe('the suite against the good server with every extension (profile full, retention 3 s)', () => {
  let server: GoodServer;
  let report: Report;
  const waits: string[] = [];
  beforeAll(async () => {
    // A retention of 3 s, so `full` waits out the real expiry path. Waits are reported from 1.5 s; with 2 s
    // both of the check's waits could come out shorter under the whole suite's load (seen once in a fresh clone).
    server = await startGoodServer({ retentionMs: 3000 });
    report = await runChecks({
      baseUrl: server.url,
      ...inputs,
      profile: 'full',
      retentionS: 3,
      latencySloS: 1.67,
      samples: 3,
      onProgress: (e) => {
        if (e.type === 'wait' && e.what) waits.push(e.what);
      },
    });
  });
  afterAll(() => server.close());

  it('passes every check (so no check fails a correct deployment)', () => {
    const bad = report.results.filter((r) => r.outcome !== 'pass').map((r) => `${r.id} ${r.outcome}: ${r.reason}`);
    expect(bad).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.core).toBe('CONFORMANT');
  });

  it('detects every extension as offered and conformant', () => {
    const rows = Object.fromEntries(report.capabilities.map((c) => [c.extension, c.verdict]));
    for (const [name, verdict] of Object.entries(rows)) expect(verdict, name).toBe('offered, conformant');
  });

  it('ran the real expiry path and reported the wait as progress', () => {
    expect(report.results.find((r) => r.id === 'V2-RETENTION-EXPIRED-404')?.outcome).toBe('pass');
    expect(waits.some((w) => w.includes('retention'))).toBe(true);
  });

  it('reports latency percentiles', () => {
    expect(report.results.find((r) => r.id === 'LATENCY-V2')?.reason).toMatch(/p50 .* p95 .* p99/);
  });
});

describe('the suite against the production-shaped good server (profile full, retention 2 s)', () => {
  let server: GoodServer;
  let report: Report;
  beforeAll(async () => {
    server = await startGoodServer({ retentionMs: 2000, production: true });
    report = await runChecks({ baseUrl: server.url, ...inputs, profile: 'full', retentionS: 2, samples: 1 });
  });
  afterAll(() => server.close());

  it('is core CONFORMANT: every core check passes', () => {
    const bad = report.results
      .filter((r) => r.layer === 'core' && r.outcome !== 'pass')
      .map((r) => `${r.id} ${r.outcome}: ${r.reason}`);
    expect(bad).toEqual([]);
    expect(report.core).toBe('CONFORMANT');
    expect(report.ok).toBe(true);
  });

  it('reports every extension "not offered", and their checks as skips, never failures', () => {
    for (const c of report.capabilities) expect(c.verdict, c.extension).toBe('not offered');
    const ext = report.results.filter((r) => r.layer !== 'core');
    expect(ext.length).toBeGreaterThan(10);
    for (const r of ext) expect(r, r.id).toMatchObject({ outcome: 'skip', notOffered: true });
  });

  it('fails the run when a required extension is not offered', async () => {
    const required = await runChecks({
      baseUrl: server.url,
      apiKey: 'key-a',
      only: ['V2-SUBMIT-FIELDS'],
      requireExtensions: ['cancel'],
    });
    expect(required.core).toBe('CONFORMANT');
    expect(required.capabilities.find((c) => c.extension === 'cancel')).toMatchObject({
      verdict: 'not offered',
      required: true,
    });
    expect(required.ok).toBe(false);
  });
});
