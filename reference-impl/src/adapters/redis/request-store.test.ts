/** RedisRequestStore: the shared contract on a real Redis, CAS under concurrency, real TTL expiry. */
import { afterAll, describe, expect, it } from 'vitest';
import { contractRecord, requestStoreContract } from '../../../testing/store.contract.ts';
import { RedisRequestStore } from './request-store.ts';
import { ApiError } from '../../errors.ts';
import { deletePrefix, testClient, testPrefix } from '../../../testing/redis.ts';

const prefix = testPrefix();
const redis = await testClient();
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

requestStoreContract('RedisRequestStore', { make: (clock) => new RedisRequestStore(redis, { prefix, clock }) });

describe('RedisRequestStore on a real server', () => {
  it('CAS under concurrency: of 50 parallel transitions from QUEUED, exactly one wins', async () => {
    const store = new RedisRequestStore(redis, { prefix });
    await store.create(contractRecord('race', { createdAt: Date.now() }));
    const targets = ['PROCESSING', 'FAILED', 'COMPLETED'] as const;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.transition('race', ['QUEUED'], targets[i % 3]!, { completedAt: i })),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect((await store.get('race'))?.state).toBe(winners[0]!.state);
  });

  it('a terminal record is never overwritten by racing enders (cancel vs complete)', async () => {
    const store = new RedisRequestStore(redis, { prefix });
    for (let i = 0; i < 20; i++) {
      const id = `end-${i}`;
      await store.create(contractRecord(id, { state: 'PROCESSING', createdAt: Date.now() }));
      const [done, canceled] = await Promise.all([
        store.transition(
          id,
          ['PROCESSING'],
          'COMPLETED',
          { expiresAt: Date.now() + 60_000 },
          { bytes: Buffer.from('x'), contentType: 'image/png' },
        ),
        store.transition(id, ['QUEUED', 'PROCESSING'], 'FAILED', { expiresAt: Date.now() + 60_000 }),
      ]);
      expect([done, canceled].filter(Boolean)).toHaveLength(1);
      const final = await store.get(id);
      expect(final?.state).toBe(done ? 'COMPLETED' : 'FAILED');
      expect(Boolean(await store.getOutput(id))).toBe(Boolean(done));
    }
  });

  it('Redis expires an ended record, its output and its idempotency binding (real 1 s retention)', async () => {
    const store = new RedisRequestStore(redis, { prefix });
    await store.create(
      contractRecord('ttl', {
        state: 'PROCESSING',
        createdAt: Date.now(),
        idempotency: { key: 'ttl-ik', bodyHash: 'h' },
      }),
    );
    await store.claim('k1', 'ttl-ik', 'h', 'ttl');
    await store.transition(
      'ttl',
      ['PROCESSING'],
      'COMPLETED',
      { expiresAt: Date.now() + 1000 },
      { bytes: Buffer.alloc(1024), contentType: 'image/png' },
    );
    const keys = [`${prefix}req:ttl`, `${prefix}out:ttl`, store.claimKey('k1', 'ttl-ik')];
    const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
    for (const t of ttls) expect(t).toBeGreaterThan(0);
    expect(await store.getOutput('ttl')).toBeDefined();
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.get('ttl')).toBeUndefined();
    expect(await redis.exists(...keys)).toBe(0); // freed by Redis, no sweeper involved
    expect(await store.sweep(Date.now())).toBe(0);
  });

  it('a reply about another request (a connection out of step) is refused 503, never handed to the owner check', async () => {
    const own = await testClient();
    const store = new RedisRequestStore(own, { prefix });
    await store.create(contractRecord('mine', { createdAt: Date.now() }));
    await store.create(contractRecord('theirs', { owner: 'another-key', createdAt: Date.now() }));
    // What an out-of-step reply looks like to get('mine'): the hash of another request.
    await redis.copy(`${prefix}req:theirs`, `${prefix}req:mine`, 'REPLACE');
    const err = await store.get('mine').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'service_unavailable', headers: { 'Retry-After': '2' } });
    own.disconnect();
  });

  it('pending records and bindings carry the safety TTL', async () => {
    const store = new RedisRequestStore(redis, { prefix, pendingTtlMs: 3_600_000 });
    await store.create(contractRecord('pending', { createdAt: Date.now() }));
    await store.claim('k1', 'pending-ik', 'h', 'pending');
    expect(await redis.pttl(`${prefix}req:pending`)).toBeGreaterThan(3_500_000);
    expect(await redis.pttl(store.claimKey('k1', 'pending-ik'))).toBeGreaterThan(3_500_000);
  });
});
