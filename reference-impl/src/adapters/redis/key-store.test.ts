/** RedisKeyStore on a real Redis: holds and settles under concurrency across nodes, idempotency, seeding. */
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports.ts';
import { RedisKeyStore } from './key-store.ts';
import { deletePrefix, testClient, testPrefix } from '../../../testing/redis.ts';

const prefix = testPrefix();
const clients = await Promise.all([testClient(), testClient()]);
afterAll(async () => {
  await deletePrefix(prefix);
  for (const c of clients) c.disconnect();
});

const key = (k: string, credits: number | null): KeyRecord =>
  ({ key: k, name: k, credits, scopes: ['v1', 'v2'], rateLimit: { max: 10, windowS: 60 } });

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
    const k = `conc-${n}-${m}`;
    const stores = await nodes([key(k, m)]);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => stores[i % 2]!.hold(k, `${k}-r${i}`)));
    const ms = performance.now() - t0;
    expect(results.filter(Boolean)).toHaveLength(m);
    expect(await stores[0]!.held(k)).toBe(m);
    // Settle every winner twice, concurrently, from both nodes: each is charged once.
    const winners = results.flatMap((ok, i) => (ok ? [`${k}-r${i}`] : []));
    await Promise.all(winners.flatMap((id) => [stores[0]!.settle(k, id, true), stores[1]!.settle(k, id, true)]));
    expect(await stores[1]!.balance(k)).toBe(0);
    expect(await stores[0]!.held(k)).toBe(0);
    console.log(`holds: ${n} parallel over 2 nodes, balance ${m}: ${ms.toFixed(1)} ms`);
  });

  it('hold is idempotent per request id; settle twice charges once; a release charges nothing', async () => {
    const [a, b] = await nodes([key('idem', 2)]);
    expect(await a!.hold('idem', 'r1')).toBe(true);
    expect(await b!.hold('idem', 'r1')).toBe(true); // a replay, not a second hold
    expect(await a!.held('idem')).toBe(1);
    expect(await a!.settle('idem', 'r1', true)).toBe(1);
    expect(await b!.settle('idem', 'r1', true)).toBe(1);
    expect(await a!.hold('idem', 'r1')).toBe(true); // settled already: still answered as held, no new hold
    expect(await a!.held('idem')).toBe(0);
    expect(await a!.hold('idem', 'r2')).toBe(true);
    expect(await a!.settle('idem', 'r2', false)).toBe(1);
    expect(await a!.settle('idem', 'r2', true)).toBe(1); // already released: not charged later
    expect(await a!.settle('idem', 'never-held', true)).toBe(1);
  });

  it('the balance minus holds bounds new holds', async () => {
    const [a] = await nodes([key('bound', 1)]);
    expect(await a!.hold('bound', 'x')).toBe(true);
    expect(await a!.hold('bound', 'y')).toBe(false);
    await a!.settle('bound', 'x', false);
    expect(await a!.hold('bound', 'y')).toBe(true);
  });

  it('unlimited keys always hold and report null', async () => {
    const [a] = await nodes([key('unl', null)]);
    const ok = await Promise.all(Array.from({ length: 20 }, (_, i) => a!.hold('unl', `u${i}`)));
    expect(ok.every(Boolean)).toBe(true);
    expect(await a!.settle('unl', 'u0', true)).toBeNull();
    expect(await a!.balance('unl')).toBeNull();
    expect((await a!.find('unl'))?.credits).toBeNull();
  });

  it('a balance Redis lost (restart without persistence) is re-seeded from the config by the next hold', async () => {
    const [a] = await nodes([key('lost', 3)]);
    await a!.hold('lost', 'l1');
    await a!.settle('lost', 'l1', true);
    await clients[0]!.del(...(await clients[0]!.keys(`${prefix}credits:*`)));
    expect(await a!.balance('lost')).toBe(3);
    expect(await a!.hold('lost', 'l2')).toBe(true);
    expect(await a!.settle('lost', 'l2', true)).toBe(2);
  });

  it('unknown keys: find undefined, hold false', async () => {
    const [a] = await nodes([]);
    expect(await a!.find('nope')).toBeUndefined();
    expect(await a!.hold('nope', 'r')).toBe(false);
  });

  it('a stale hold (its node died before settling) stops pinning credit after holdTtl', async () => {
    let now = 1_000_000;
    const store = new RedisKeyStore(clients[0]!, { prefix, holdTtlMs: 1000, clock: { now: () => now } });
    await store.seed([key('stale', 1)]);
    expect(await store.hold('stale', 'lost')).toBe(true);
    expect(await store.hold('stale', 'next')).toBe(false);
    now += 1001;
    expect(await store.hold('stale', 'next')).toBe(true);
  });

  it('a hold with its own TTL (a v1 call, bounded by its deadline) is freed after that TTL, not holdTtl', async () => {
    let now = 2_000_000;
    const store = new RedisKeyStore(clients[0]!, { prefix, holdTtlMs: 100_000, clock: { now: () => now } });
    await store.seed([key('short', 2)]);
    expect(await store.hold('short', 'v1-call', 1000)).toBe(true);
    expect(await store.hold('short', 'v2-request')).toBe(true);
    expect(await store.hold('short', 'third')).toBe(false);
    now += 1001; // the v1 hold's node died: its hold ages out; the v2 one still holds
    expect(await store.hold('short', 'third')).toBe(true);
    expect(await store.held('short')).toBe(2);
  });

  it('seeding keeps spent credits across restarts and applies only a change of the configured amount', async () => {
    const [a] = await nodes([key('seed', 5)]);
    await a!.hold('seed', 's1');
    await a!.settle('seed', 's1', true);
    const restarted = new RedisKeyStore(clients[1]!, { prefix });
    await restarted.seed([key('seed', 5)]);
    expect(await restarted.balance('seed')).toBe(4); // not refilled
    await restarted.seed([key('seed', 10)]);
    expect(await restarted.balance('seed')).toBe(9); // topped up by 5
    await restarted.seed([key('seed', null)]);
    expect(await restarted.balance('seed')).toBeNull();
    await restarted.seed([key('seed', 3)]);
    expect(await restarted.balance('seed')).toBe(3);
    await restarted.seed([]);
    expect(await restarted.find('seed')).toBeUndefined(); // the config decides which keys exist
  });
});
