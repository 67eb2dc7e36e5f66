/** The suite against the distributed reference on a real local Redis Cluster (3 masters): 1 API node + 1 worker; every MUST check passes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../reference-impl/testing/redis-cluster.ts';
import { spawnNode, type NodeProcess } from '../reference-impl/testing/nodes.ts';
import { runChecks } from './src/runner.ts';
import type { Report } from './src/report.ts';

const keys = ['cluster-conf-key-1', 'cluster-conf-key-2'] as const;
const nodes: NodeProcess[] = [];
let cluster: LocalCluster | undefined;
let report: Report | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster(3);
  const env = {
    BGR_REDIS_URL: cluster.url,
    BGR_RESULT_TTL_S: '5',
    BGR_RATE_LIMIT: '200/min',
    BGR_API_KEYS: `${keys[0]}:1000,${keys[1]}`,
    BGR_THREADS: '2',
  };
  nodes.push(
    ...(await Promise.all([
      spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: true, timeoutMs: 120_000 }),
      spawnNode({ ...env, BGR_ROLE: 'api' }, { ready: true }),
    ])),
  );
  const t0 = Date.now();
  report = await runChecks({
    baseUrl: nodes[1]!.url,
    apiKey: keys[0],
    secondApiKey: keys[1],
    profile: 'full',
    retentionS: 5,
    samples: 1,
  });
  console.log(
    `bgr check --profile full on the cluster deployment: ${report.results.length} checks in ${Date.now() - t0} ms`,
  );
}, 420_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  cluster?.stop();
});

describe('bgr check --profile full against an API node on a Redis Cluster', () => {
  it('passes every MUST check', () => {
    const failed = report!.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.reason}`).join('\n')).toBe('');
    expect(report!.ok).toBe(true);
  });

  it('runs v1 through the queue, expiry, cancel, idempotency, credits and the rate limit instead of skipping them', () => {
    const outcome = (id: string) => report!.results.find((r) => r.id === id)?.outcome;
    for (const id of [
      'V1-PNG',
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
