/** RedisKeyStore on a real Redis: holds and settles under concurrency across nodes, idempotency, seeding. */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports.ts';
import { RedisKeyStore } from './key-store.ts';
import { deletePrefix, testClient, testPrefix, testRedisUrl } from '../../../testing/redis.ts';
import { startProxy } from '../../../testing/chaos/proxy.ts';
import { createRedis, isClusterUrl, whenReady } from './connection.ts';
import { keyIdOf } from '../../policy/keys.ts';
import { withdrawContract } from '../../../testing/withdraw.contract.ts';

const prefix = testPrefix();
const clients = await Promise.all([testClient(), testClient()]);
afterAll(async () => {
  await deletePrefix(prefix);
  for (const c of clients) c.disconnect();
});

const key = (k: string, credits: number | null): KeyRecord => ({
  key: k,
  name: k,
  credits,
  scopes: ['v1', 'v2'],
  rateLimit: { max: 10, windowS: 60 },
});

/** Two stores on two connections: two API nodes sharing one Redis. */
async function nodes(records: KeyRecord[]): Promise<RedisKeyStore[]> {
  const stores = clients.map((c) => new RedisKeyStore(c, { prefix }));
  for (const s of stores) await s.seed(records);
  return stores;
}

describe('RedisKeyStore', () => {
  it.each([
    { n: 50, m: 10 },
    { n: 200, m: 73 },
    { n: 20, m: 0 },
  ])('$n parallel holds over two nodes on a balance of $m: exactly $m succeed', async ({ n, m }) => {
    const name = `conc-${n}-${m}`;
    const stores = await nodes([key(name, m)]);
    const k = keyIdOf(name);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => stores[i % 2]!.hold(k, `${name}-r${i}`)));
    const ms = performance.now() - t0;
    expect(results.filter(Boolean)).toHaveLength(m);
    expect(await stores[0]!.held(k)).toBe(m);
    // Settle every winner twice, concurrently, from both nodes: each is charged once.
    const winners = results.flatMap((ok, i) => (ok ? [`${name}-r${i}`] : []));
    await Promise.all(winners.flatMap((id) => [stores[0]!.settle(k, id, true), stores[1]!.settle(k, id, true)]));
    expect(await stores[1]!.balance(k)).toBe(0);
    expect(await stores[0]!.held(k)).toBe(0);
    console.log(`holds: ${n} parallel over 2 nodes, balance ${m}: ${ms.toFixed(1)} ms`);
  });

  it('hold is idempotent per request id; settle twice charges once; a release charges nothing', async () => {
    const [a, b] = await nodes([key('idem', 2)]);
    expect(await a!.hold(keyIdOf('idem'), 'r1')).toBe(true);
    expect(await b!.hold(keyIdOf('idem'), 'r1')).toBe(true); // a replay, not a second hold
    expect(await a!.held(keyIdOf('idem'))).toBe(1);
    expect(await a!.settle(keyIdOf('idem'), 'r1', true)).toBe(1);
    expect(await b!.settle(keyIdOf('idem'), 'r1', true)).toBe(1);
    expect(await a!.hold(keyIdOf('idem'), 'r1')).toBe(true); // settled already: still answered as held, no new hold
    expect(await a!.held(keyIdOf('idem'))).toBe(0);
    expect(await a!.hold(keyIdOf('idem'), 'r2')).toBe(true);
    expect(await a!.settle(keyIdOf('idem'), 'r2', false)).toBe(1);
    expect(await a!.settle(keyIdOf('idem'), 'r2', true)).toBe(1); // already released: not charged later
    expect(await a!.settle(keyIdOf('idem'), 'never-held', true)).toBe(1);
  });

  it('a hold that reaches Redis after its own release (late or re-sent command) takes no credit', async () => {
    const [a, b] = await nodes([key('late', 1)]);
    const id = keyIdOf('late');
    // The submit's hold timed out on the client, so it was undone with a release; then the hold ran.
    expect(await a!.settle(id, 'late-hold', false)).toBe(1);
    expect(await b!.hold(id, 'late-hold')).toBe(true); // answered as held (settled), but holds nothing
    expect(await a!.held(id)).toBe(0);
    expect(await a!.hold(id, 'next')).toBe(true); // the one credit is still free
    expect(await a!.settle(id, 'late-hold', true)).toBe(1); // and a later charge of it is a no-op
  });

  // The chaos run's stray hold: an API node's hold times out behind a slow link, the link drops, and ioredis
  // re-sends the unanswered command once it reconnects, after the refused submit already released it.
  it.skipIf(isClusterUrl(testRedisUrl))('a hold re-sent by ioredis after a reconnect takes no credit', async () => {
    const proxy = await startProxy(Number(new URL(testRedisUrl).port || 6379));
    const slow = createRedis({ url: `redis://127.0.0.1:${proxy.port}`, role: 'api', commandTimeoutMs: 200 });
    try {
      expect(await whenReady(slow)).toBe(true);
      const [a] = await nodes([key('resent', 1)]);
      const node = new RedisKeyStore(slow, { prefix });
      await node.seed([key('resent', 1)]);
      const id = keyIdOf('resent');
      proxy.delay(600);
      const hold = node.hold(id, 'resent-hold').catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 50));
      proxy.delay(0);
      proxy.drop(400); // the link goes down with the hold still in the proxy: it never reached Redis
      expect(await hold).toMatchObject({ code: 'service_unavailable' });
      expect(await a!.settle(id, 'resent-hold', false)).toBe(1); // the refused submit's undo
      expect(await whenReady(slow, 5000)).toBe(true);
      await slow.ping(); // after the re-sent hold
      expect(await a!.held(id)).toBe(0);
      expect(await a!.hold(id, 'next')).toBe(true);
    } finally {
      slow.disconnect();
      await proxy.close();
    }
  });

  it('the balance minus holds bounds new holds', async () => {
    const [a] = await nodes([key('bound', 1)]);
    expect(await a!.hold(keyIdOf('bound'), 'x')).toBe(true);
    expect(await a!.hold(keyIdOf('bound'), 'y')).toBe(false);
    await a!.settle(keyIdOf('bound'), 'x', false);
    expect(await a!.hold(keyIdOf('bound'), 'y')).toBe(true);
  });

  it('unlimited keys always hold and report null', async () => {
    const [a] = await nodes([key('unl', null)]);
    const ok = await Promise.all(Array.from({ length: 20 }, (_, i) => a!.hold(keyIdOf('unl'), `u${i}`)));
    expect(ok.every(Boolean)).toBe(true);
    expect(await a!.settle(keyIdOf('unl'), 'u0', true)).toBeNull();
    expect(await a!.balance(keyIdOf('unl'))).toBeNull();
    expect((await a!.find(keyIdOf('unl')))?.credits).toBeNull();
  });

  it('a balance Redis lost (restart without persistence) is re-seeded from the config by the next hold', async () => {
    const [a] = await nodes([key('lost', 3)]);
    await a!.hold(keyIdOf('lost'), 'l1');
    await a!.settle(keyIdOf('lost'), 'l1', true);
    await clients[0]!.del(...(await clients[0]!.keys(`${prefix}credits:*`)));
    expect(await a!.balance(keyIdOf('lost'))).toBe(3);
    expect(await a!.hold(keyIdOf('lost'), 'l2')).toBe(true);
    expect(await a!.settle(keyIdOf('lost'), 'l2', true)).toBe(2);
  });

  it('unknown keys: find undefined, hold false', async () => {
    const [a] = await nodes([]);
    expect(await a!.find(keyIdOf('nope'))).toBeUndefined();
    expect(await a!.hold(keyIdOf('nope'), 'r')).toBe(false);
  });

  it('a stale hold (its node died before settling) stops pinning credit after holdTtl', async () => {
    let now = 1_000_000;
    const store = new RedisKeyStore(clients[0]!, { prefix, holdTtlMs: 1000, clock: { now: () => now } });
    await store.seed([key('stale', 1)]);
    expect(await store.hold(keyIdOf('stale'), 'lost')).toBe(true);
    expect(await store.hold(keyIdOf('stale'), 'next')).toBe(false);
    now += 1001;
    expect(await store.hold(keyIdOf('stale'), 'next')).toBe(true);
  });

  it('a hold with its own TTL (a v1 call, bounded by its deadline) is freed after that TTL, not holdTtl', async () => {
    let now = 2_000_000;
    const store = new RedisKeyStore(clients[0]!, { prefix, holdTtlMs: 100_000, clock: { now: () => now } });
    await store.seed([key('short', 2)]);
    const id = keyIdOf('short');
    expect(await store.hold(id, 'v1-call', 1000)).toBe(true);
    expect(await store.hold(id, 'v2-request')).toBe(true);
    expect(await store.hold(id, 'third')).toBe(false);
    now += 1001; // the v1 hold's node died: its hold ages out; the v2 one still holds
    expect(await store.hold(id, 'third')).toBe(true);
    expect(await store.held(id)).toBe(2);
  });

  it('seeding keeps spent credits across restarts and applies only a change of the configured amount', async () => {
    const [a] = await nodes([key('seed', 5)]);
    await a!.hold(keyIdOf('seed'), 's1');
    await a!.settle(keyIdOf('seed'), 's1', true);
    const restarted = new RedisKeyStore(clients[1]!, { prefix });
    await restarted.seed([key('seed', 5)]);
    expect(await restarted.balance(keyIdOf('seed'))).toBe(4); // not refilled
    await restarted.seed([key('seed', 10)]);
    expect(await restarted.balance(keyIdOf('seed'))).toBe(9); // topped up by 5
    await restarted.seed([key('seed', null)]);
    expect(await restarted.balance(keyIdOf('seed'))).toBeNull();
    await restarted.seed([key('seed', 3)]);
    expect(await restarted.balance(keyIdOf('seed'))).toBe(3);
    await restarted.seed([]);
    expect(await restarted.find(keyIdOf('seed'))).toBeUndefined(); // the config decides which keys exist
  });

  it("the cut-over from balances named by the secret's plain SHA-256: moved once to the key id, nothing refilled, no secret left", async () => {
    const secret = 'legacy-secret-key';
    const legacy = `${prefix}credits:${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
    await clients[0]!.hset(legacy, 'bal', '2', 'seeded', '5');
    const [a] = await nodes([key(secret, 5)]);
    expect(await a!.balance(keyIdOf(secret))).toBe(2); // spent credits stay spent
    expect(await clients[0]!.exists(legacy)).toBe(0);
    await a!.seed([key(secret, 5)]); // a second seed (another node, a restart) changes nothing
    expect(await a!.balance(keyIdOf(secret))).toBe(2);
  });
});

withdrawContract('RedisKeyStore', async (name, credits) => ({
  store: (await nodes([key(name, credits)]))[0]!,
  id: keyIdOf(name),
}));
