/** Fault: Redis down → operations reject fast with `service_unavailable`; Redis back → everything recovers by itself. */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports.ts';
import { ApiError } from '../../errors.ts';
import { contractRecord } from '../../../testing/store.contract.ts';
import { createRedis } from './connection.ts';
import { fakeProcessor } from '../../../testing/slow-worker.ts';
import { freePort, startOwnRedis, stopOwnRedis } from '../../../testing/nodes.ts';
import type { RedisBackend } from './index.ts';
import { createRedisBackend } from './index.ts';
import { RedisRequestStore } from './request-store.ts';
import { keyIdOf } from '../../policy/keys.ts';

const keys: KeyRecord[] = [
  { key: 'k1', name: 'k1', credits: 100, scopes: ['v2'], rateLimit: { max: 100, windowS: 60 } },
];

/** Runs `op`, expecting a service_unavailable rejection; returns how long it took. */
async function rejectsUnavailable(op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  const err = await op().then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - t0;
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('service_unavailable');
  expect((err as ApiError).statusCode).toBe(503);
  return ms;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('Redis unavailable', () => {
  it('a client pointed at a closed port: store calls reject at once with 503 service_unavailable', async () => {
    const port = await freePort();
    const client = createRedis({ url: `redis://127.0.0.1:${port}`, role: 'api' });
    cleanups.push(() => client.disconnect());
    const store = new RedisRequestStore(client, { prefix: 'x:' });
    const ms = await rejectsUnavailable(() => store.get('a'));
    expect(ms).toBeLessThan(500);
  });

  it('createRedisBackend refuses to start without Redis, with a clear error and no password in it', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(
      createRedisBackend({
        url: `redis://:secret@127.0.0.1:${port}`,
        role: 'api',
        keys,
        maxQueue: 10,
        startupTimeoutMs: 300,
      }),
    ).rejects.toThrow(/not reachable at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stopped then restarted: every port rejects fast while down, then recovers (API and worker) by itself', async () => {
    const port = await freePort();
    await startOwnRedis(port);
    cleanups.push(() => stopOwnRedis(port));
    const url = `redis://127.0.0.1:${port}`;
    const node: RedisBackend = await createRedisBackend({
      url,
      role: 'all',
      prefix: 'bgr:',
      keys,
      maxQueue: 10,
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
      commandTimeoutMs: 1000,
    });
    cleanups.push(() => node.close());
    node.queue.start(fakeProcessor(node, 20, 60_000));
    const submit = async () => {
      const id = randomUUID();
      await node.keys.hold(keyIdOf('k1'), id);
      await node.store.create(contractRecord(id, { createdAt: Date.now() }));
      await node.queue.add(id);
      return id;
    };
    const waitState = async (id: string, state: string, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while ((await node.store.get(id))?.state !== state) {
        if (Date.now() > deadline) throw new Error(`${id} never reached ${state}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await waitState(await submit(), 'COMPLETED');

    stopOwnRedis(port);
    await new Promise((r) => setTimeout(r, 100)); // the clients see the socket close
    expect(await node.ping()).toBe(false);
    const timings = [
      await rejectsUnavailable(() => node.store.get('x')),
      await rejectsUnavailable(() => node.store.transition('x', ['QUEUED'], 'PROCESSING')),
      await rejectsUnavailable(() => node.keys.hold(keyIdOf('k1'), 'r')),
      await rejectsUnavailable(() => node.keys.balance(keyIdOf('k1'))),
      await rejectsUnavailable(() => node.queue.add('y')),
      await rejectsUnavailable(() => node.queue.position('y')),
      await rejectsUnavailable(() => node.queue.cancel('y')),
    ];
    console.log(`while down: 7 operations rejected with 503 in ${timings.map((t) => t.toFixed(1)).join(', ')} ms`);
    for (const t of timings) expect(t).toBeLessThan(1000);

    const restartedAt = Date.now();
    await startOwnRedis(port); // empty: no persistence in this test; production Redis keeps its data (see docs/deploy.md)
    const deadline = Date.now() + 10_000;
    while (!(await node.ping())) {
      if (Date.now() > deadline) throw new Error('API client never reconnected');
      await new Promise((r) => setTimeout(r, 25));
    }
    const apiBackMs = Date.now() - restartedAt;
    // The throwaway server came back empty (a real one keeps its data): the balance re-seeds on the next hold.
    expect(await node.keys.balance(keyIdOf('k1'))).toBe(100);
    const id = await submit();
    await waitState(id, 'COMPLETED', 15_000);
    console.log(
      `after restart: API answering in ${apiBackMs} ms, a new job completed by the same worker ${Date.now() - restartedAt} ms after restart`,
    );
  });
});
