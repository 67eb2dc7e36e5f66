/** The suite against the distributed reference: 2 API nodes + 2 worker processes on Redis (sandbox engine: no model, 5 s retention); every MUST check passes on both API nodes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, testPrefix, testRedisUrl } from '../reference-impl/testing/redis.ts';
import { spawnNode, type NodeProcess } from '../reference-impl/testing/nodes.ts';
import { runChecks } from './src/runner.ts';
import type { Report } from './src/report.ts';

const prefix = testPrefix();
// A key pair per API node: the rate-limit counters are shared across nodes (Redis), so one run's
// burst must not leave the other run rate limited.
const keys = { a: ['dist-conf-key-1', 'dist-conf-key-2'], b: ['dist-conf-key-3', 'dist-conf-key-4'] } as const;
const nodes: NodeProcess[] = [];
const reports: Record<'a' | 'b', Report | undefined> = { a: undefined, b: undefined };

beforeAll(async () => {
  const env = {
    BGR_REDIS_URL: testRedisUrl,
    BGR_REDIS_PREFIX: prefix,
    BGR_RESULT_TTL_S: '5',
    BGR_RATE_LIMIT: '200/min',
    BGR_API_KEYS: `${keys.a[0]}:1000,${keys.a[1]},${keys.b[0]}:1000,${keys.b[1]}`,
  };
  const started = await Promise.all([
    spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: true }),
    spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: true }),
    spawnNode({ ...env, BGR_ROLE: 'api' }, { ready: true }),
    spawnNode({ ...env, BGR_ROLE: 'api' }, { ready: true }),
  ]);
  nodes.push(...started);
  const [, , a, b] = started;
  // Both runs at once: the suite is mostly one request at a time, so two runs keep both workers busy.
  const run = (url: string, [apiKey, secondApiKey]: readonly [string, string]) =>
    runChecks({ baseUrl: url, apiKey, secondApiKey, profile: 'full', retentionS: 5, samples: 1 });
  [reports.a, reports.b] = await Promise.all([run(a!.url, keys.a), run(b!.url, keys.b)]);
}, 420_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await deletePrefix(prefix);
});

describe.each(['a', 'b'] as const)('bgr check --profile full against API node %s', (node) => {
  it('passes every MUST check', () => {
    const report = reports[node]!;
    const failed = report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.reason}`).join('\n')).toBe('');
    expect(report.ok).toBe(true);
  });

  it('runs v1 through the queue, the expiry path, cancel, credits and the shared rate limit instead of skipping them', () => {
    const outcome = (id: string) => reports[node]!.results.find((r) => r.id === id)?.outcome;
    for (const id of [
      'V1-PNG',
      'V1-HUMAN-DIFFERS',
      'V2-RETENTION-EXPIRED-404',
      'V2-CANCEL-PENDING',
      'V2-IDEMPOTENCY-NO-DOUBLE-CHARGE',
      'CREDITS-NOT-CHARGED-FAILED',
      'RATE-LIMIT-RETRY-AFTER',
    ]) {
      expect(outcome(id), id).toBe('pass');
    }
  });
});
