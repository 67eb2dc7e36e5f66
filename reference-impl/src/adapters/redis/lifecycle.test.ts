/** The real RemovalService over the Redis backend: an API-only node and a worker node sharing one Redis. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports.ts';
import { RemovalService } from '../../removal/service.ts';
import type { ResolveImage } from '../../removal/service.ts';
import type { RemovalRequest } from '../../removal/request.ts';
import { asProbed, FakeEngine, fakeResult, tinyPng } from '../../../testing/v2.ts';
import type { RedisBackend } from './index.ts';
import { createRedisBackend } from './index.ts';
import { deletePrefix, testPrefix, testRedisUrl } from '../../../testing/redis.ts';
import { keyIdOf } from '../../policy/keys.ts';

const prefix = testPrefix();
const K1 = keyIdOf('k1');
const K2 = keyIdOf('k2');
const keys: KeyRecord[] = [
  { key: 'k1', name: 'k1', credits: 5, scopes: ['v2'], rateLimit: { max: 100, windowS: 60 } },
  { key: 'k2', name: 'k2', credits: null, scopes: ['v2'], rateLimit: { max: 100, windowS: 60 } },
];
const resolveImage: ResolveImage = async (input) => asProbed(typeof input === 'string' ? Buffer.from(input) : input);
const params = (image = 'https://e/x.png'): RemovalRequest => ({
  image,
  method: 'object',
  format: 'png',
  maskOnly: false,
  base64: false,
});
const base = 'http://api.test';
const open: { close(): Promise<unknown> }[] = [];
let queueN = 0;

/** Two nodes: `api` (accepts, answers) and `worker` (runs the fake engine), each its own connections. */
async function cluster(maxQueue = 10) {
  // A queue per test: no job of one test reaches another's worker.
  const common = {
    url: testRedisUrl,
    prefix: `${prefix}${++queueN}:`,
    keys,
    maxQueue,
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
  };
  const apiBackend: RedisBackend = await createRedisBackend({ ...common, role: 'api' });
  const workerBackend: RedisBackend = await createRedisBackend({ ...common, role: 'worker' });
  const engine = new FakeEngine();
  const api = new RemovalService({
    ...pick(apiBackend),
    engine: new FakeEngine(),
    resolveImage,
    config: { worker: false, retentionMs: 60_000 },
  }).start();
  const worker = new RemovalService({
    ...pick(workerBackend),
    engine,
    resolveImage,
    config: { worker: true, retentionMs: 60_000, shutdownGraceMs: 100 },
  });
  open.push(apiBackend, workerBackend, api, worker);
  return { api, worker, engine, apiBackend, workerBackend };
}
const pick = (b: RedisBackend) => ({ store: b.store, queue: b.queue, keys: b.keys });

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});
afterAll(async () => {
  await deletePrefix(prefix);
});

describe('RemovalService on Redis (API node + worker node)', () => {
  it('submit on the API node, processed on the worker node, answered by the API node; charged once', async () => {
    const { api, worker, engine, apiBackend } = await cluster();
    const { request_id: id } = await api.submit(K1, params(), { baseUrl: base });
    expect((await api.status(K1, id, base)).body).toMatchObject({ status: 'QUEUED', queue_position: 0 });
    engine.auto = () => fakeResult(tinyPng);
    worker.start();
    const res = await until(
      () => api.result(K1, id, base),
      (r) => r.status === 200,
    );
    expect(res.body).toMatchObject({ status: 'COMPLETED' });
    expect((await api.output(K1, id)).bytes.equals(tinyPng)).toBe(true);
    expect(await apiBackend.keys.balance(K1)).toBe(4);
    expect(await api.status(K2, id, base).catch((e: { code: string }) => e.code)).toBe('not_found');
  });

  it('cancel on the API node aborts the inference running on the worker node; not charged', async () => {
    const { api, worker, engine, apiBackend } = await cluster();
    worker.start();
    const { request_id: id } = await api.submit(K1, params(), { baseUrl: base });
    const call = await engine.call(0);
    const canceled = await api.cancel(K1, id);
    expect(canceled).toMatchObject({ status: 'FAILED', code: 'canceled' });
    await until(async () => call.aborted, Boolean);
    expect((await api.status(K1, id, base)).status).toBe(422);
    expect(await apiBackend.keys.balance(K1)).toBe(5);
    expect(await apiBackend.keys.held(K1)).toBe(0);
  });

  it('Idempotency-Key replays across nodes return the same request, one job, one charge', async () => {
    const { api, worker, engine, workerBackend } = await cluster();
    const a = await api.submit(K2, params(), { baseUrl: base, idempotencyKey: 'ik-1' });
    const b = await worker.submit(K2, params(), { baseUrl: base, idempotencyKey: 'ik-1' });
    expect(b.request_id).toBe(a.request_id);
    await expect(
      api.submit(K2, params('https://e/other.png'), { baseUrl: base, idempotencyKey: 'ik-1' }),
    ).rejects.toMatchObject({ code: 'idempotency_conflict' });
    let runs = 0;
    engine.auto = () => {
      runs++;
      return fakeResult();
    };
    worker.start();
    await until(
      () => api.status(K2, a.request_id, base),
      (s) => s.body.status === 'COMPLETED',
    );
    expect(runs).toBe(1);
    expect((await workerBackend.queue.counts()).waiting).toBe(0);
  });

  it('queue full across the deployment → 429 queue_full, the hold and the record rolled back', async () => {
    const { api, apiBackend } = await cluster(2);
    await api.submit(K1, params(), { baseUrl: base });
    await api.submit(K1, params(), { baseUrl: base });
    await expect(api.submit(K1, params(), { baseUrl: base })).rejects.toMatchObject({
      code: 'queue_full',
      statusCode: 429,
    });
    expect(await apiBackend.keys.held(K1)).toBe(2);
  });

  it('an API node restarted: in-flight requests keep their status and results', async () => {
    const { api, worker, engine, apiBackend } = await cluster();
    const { request_id: id } = await api.submit(K2, params(), { baseUrl: base });
    await api.close();
    await apiBackend.close();
    const reborn = await createRedisBackend({
      url: testRedisUrl,
      prefix: `${prefix}${queueN}:`,
      keys,
      maxQueue: 10,
      role: 'api',
    });
    const api2 = new RemovalService({
      ...pick(reborn),
      engine: new FakeEngine(),
      resolveImage,
      config: { worker: false },
    }).start();
    open.push(reborn, api2);
    expect((await api2.status(K2, id, base)).body).toMatchObject({ status: 'QUEUED', queue_position: 0 });
    engine.auto = () => fakeResult();
    worker.start();
    await until(
      () => api2.result(K2, id, base),
      (r) => r.status === 200,
    );
  });
});
