/**
 * The Redis backend on a real local Redis Cluster (3 masters, started here): the store and queue
 * contracts, credit holds, one slot per deployment, and real `bgr serve` nodes on redis+cluster://.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { pngOf } from '../../../testing/fixtures.ts';
import { spawnNode, until, type NodeProcess } from '../../../testing/nodes.ts';
import { jobQueueContract } from '../../../testing/queue.contract.ts';
import { contractRecord, requestStoreContract } from '../../../testing/store.contract.ts';
import { startReceiver } from '../../../testing/v2.ts';
import { nodeWebhookSecret } from '../../../testing/nodes.ts';
import { startLocalCluster } from '../../../testing/redis-cluster.ts';
import { createRedis, whenReady, type RedisClient } from './connection.ts';
import { BullJobQueue } from './job-queue.ts';
import { RedisKeyStore } from './key-store.ts';
import { RedisRequestStore } from './request-store.ts';
import { clusterPrefix } from './url.ts';
import { testPrefix } from '../../../testing/redis.ts';
import { keyIdOf } from '../../policy/keys.ts';

const t0 = Date.now();
const cluster = await startLocalCluster(3);
console.log(`local Redis Cluster (3 masters on ${cluster.ports.join(', ')}) up in ${Date.now() - t0} ms`);
const clients: RedisClient[] = [];
const queues: BullJobQueue[] = [];
const nodes: NodeProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close(0)));
  await Promise.all(nodes.map((n) => n.stop()));
  for (const c of cleanups) await c();
  for (const c of clients) c.disconnect();
  cluster.stop();
});

async function client(role: 'api' | 'worker' = 'api'): Promise<RedisClient> {
  const c = createRedis({ url: cluster.url, role });
  clients.push(c);
  if (!(await whenReady(c, 10_000))) throw new Error('cluster client not ready');
  return c;
}

const api = await client();
const prefix = clusterPrefix(testPrefix());

requestStoreContract('RedisRequestStore on a Redis Cluster', {
  make: (clock) => new RedisRequestStore(api, { prefix, clock }),
});

let qn = 0;
jobQueueContract('BullJobQueue on a Redis Cluster', {
  make: (opts) => {
    const workerConnection = createRedis({ url: cluster.url, role: 'worker' });
    clients.push(workerConnection);
    const q = new BullJobQueue({
      connection: api,
      workerConnection,
      prefix,
      queueName: `q${++qn}`,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      retryDelayMs: 10,
      ...opts,
    });
    queues.push(q);
    return q;
  },
});

describe('one slot per deployment', () => {
  it('every key of a deployment hashes to one slot, spread over the cluster by deployment', async () => {
    const c = api as Cluster;
    const slotOf = (k: string) => c.cluster('KEYSLOT', k) as Promise<number>;
    const p = clusterPrefix('bgr:');
    const keys = [
      `${p}req:a`,
      `${p}out:b`,
      `${p}credits:h`,
      `${p}holds:h`,
      `${p}settled:r`,
      `${p}rl:k`,
      `${p}bull:requests:wait`,
      `${p}bull:webhooks:delayed`,
    ];
    expect(new Set(await Promise.all(keys.map(slotOf))).size).toBe(1);
    const deployments = await Promise.all(
      Array.from({ length: 12 }, (_, i) => slotOf(`${clusterPrefix(`tenant${i}:`)}req:x`)),
    );
    expect(new Set(deployments).size).toBeGreaterThan(1);
  });

  it('without the hash tag the multi-key Lua scripts are refused (CROSSSLOT): the tag is what makes them work', async () => {
    const plain = new RedisRequestStore(api, { prefix: testPrefix() });
    await plain.create(contractRecord('x1', { state: 'PROCESSING', createdAt: Date.now() })).catch(() => undefined);
    const moved = plain.transition(
      'x1',
      ['PROCESSING'],
      'COMPLETED',
      { expiresAt: Date.now() + 60_000 },
      { bytes: Buffer.from('x'), contentType: 'image/png' },
    );
    await expect(moved).rejects.toThrow(/CROSSSLOT/);
  });

  it('credit holds stay exact under concurrency from two nodes', async () => {
    const key = {
      key: 'cluster-key',
      name: 'c',
      credits: 7,
      scopes: ['v1', 'v2'] as ('v1' | 'v2')[],
      rateLimit: { max: 10, windowS: 60 },
    };
    const other = await client();
    const stores = [api, other].map((c) => new RedisKeyStore(c, { prefix }));
    for (const s of stores) await s.seed([key]);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % 2]!.hold(keyIdOf(key.key), `r${i}`)),
    );
    expect(results.filter(Boolean)).toHaveLength(7);
    const winners = results.flatMap((ok, i) => (ok ? [`r${i}`] : []));
    await Promise.all(
      winners.flatMap((id) => [
        stores[0]!.settle(keyIdOf(key.key), id, true),
        stores[1]!.settle(keyIdOf(key.key), id, true),
      ]),
    );
    expect(await stores[1]!.balance(keyIdOf(key.key))).toBe(0);
  });
});

describe('bgr serve on redis+cluster:// (real processes, real model)', () => {
  const KEY = 'cluster_key_1';
  const env = {
    BGR_REDIS_URL: cluster.url,
    BGR_REDIS_PREFIX: 'bgr:',
    BGR_API_KEYS: `${KEY}:100`,
    BGR_THREADS: '1',
    BGR_JOB_LOCK_MS: '1000',
    BGR_JOB_STALLED_MS: '500',
    BGR_ALLOW_PRIVATE_URLS: 'true',
    BGR_SHUTDOWN_GRACE_S: '2',
  };
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
  const state = async (url: string, id: string) =>
    (await json(await fetch(`${url}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } }))).body;

  it('v1, v2 with a webhook, and a worker SIGKILLed mid-inference: all complete, charged once each', async () => {
    const started = Date.now();
    const [apiNode, victim] = await Promise.all([
      spawnNode({ ...env, BGR_ROLE: 'api' }, { ready: true }),
      spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: true, timeoutMs: 120_000 }),
    ]);
    nodes.push(apiNode!, victim!);
    console.log(`cluster deployment (api + worker) ready in ${Date.now() - started} ms`);
    const receiver = await startReceiver(nodeWebhookSecret);
    cleanups.push(receiver.close);
    const image = (await pngOf(96, 64)).toString('base64');

    const v1At = Date.now();
    const v1 = await fetch(`${apiNode!.url}/v1/bg-removal`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ image }),
    });
    expect(v1.status).toBe(200);
    expect(
      Buffer.from(await v1.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(v1.headers.get('x-remaining-credits')).toBe('99');
    console.log(`v1 through the cluster queue: ${Date.now() - v1At} ms`);

    const sub = await json(
      await fetch(`${apiNode!.url}/v2/bg-removal`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ image, webhook: receiver.url }),
      }),
    );
    expect(sub.status).toBe(200);
    const id = sub.body.request_id as string;
    await until(
      async () => (await state(apiNode!.url, id)).status,
      (s) => s === 'PROCESSING',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300)); // into the inference
    victim!.child.kill('SIGKILL');
    await victim!.exited;
    const killedAt = Date.now();
    const rescuer = await spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: false });
    nodes.push(rescuer);
    const done = await until(
      () => state(apiNode!.url, id),
      (s) => s.status !== 'PROCESSING' && s.status !== 'QUEUED',
      120_000,
    );
    console.log(
      `cluster: worker SIGKILLed mid-inference → COMPLETED by another worker in ${Date.now() - killedAt} ms (includes its model load)`,
    );
    expect(done).toMatchObject({ status: 'COMPLETED', metrics: { remaining_credits: 98 } });
    const out = await fetch(`${apiNode!.url}/v2/requests/${id}/output`, { headers: { 'x-api-key': KEY } });
    expect(
      Buffer.from(await out.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const hook = (await receiver.count(1))[0]!;
    expect(hook.verified).toMatchObject({ request_id: id, status: 'COMPLETED' });
    const metrics = await (await fetch(`${apiNode!.url}/metrics`)).text();
    expect(metrics).toMatch(/bgr_http_requests_total\{[^}]*route="\/v1\/bg-removal"[^}]*status="200"[^}]*\} 1/);
  }, 300_000);
});
