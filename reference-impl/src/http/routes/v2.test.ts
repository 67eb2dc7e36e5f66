/** The v2 handlers: paths and operationIds match the contract; header handling at the HTTP edge. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { RemovalService } from '../../removal/service.ts';
import { MemoryJobQueue } from '../../removal/queue.ts';
import type { V2OperationId } from './v2.ts';
import { v2Paths } from './v2.ts';
import { MemoryRequestStore } from '../../removal/store.ts';
import { asProbed, FakeClock, FakeEngine, FakeKeyStore, fakeResult, v2TestApp } from '../../../testing/v2.ts';

const contract = loadContract();
const closers: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

async function app() {
  const clock = new FakeClock();
  const keys = new FakeKeyStore([{ key: 'k1', credits: null }]);
  const engine = new FakeEngine();
  engine.auto = () => fakeResult();
  const service = new RemovalService({
    store: new MemoryRequestStore(clock),
    queue: new MemoryJobQueue({ maxSize: 4, concurrency: 1 }),
    keys,
    engine,
    clock,
    resolveImage: async () => asProbed(Buffer.from('img')),
  }).start();
  const a = await v2TestApp({ service, keys, baseUrl: 'https://bgr.example.com/' });
  closers.push(service, a);
  return a;
}

describe('v2Paths', () => {
  it.each(Object.entries(v2Paths) as [V2OperationId, (typeof v2Paths)[V2OperationId]][])(
    '%s is the contract operation at its path',
    (operationId, { method, url }) => {
      const concrete = url.replace(':request_id', '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7');
      expect(contract.findOperation(method, concrete)?.operationId).toBe(operationId);
    },
  );
});

describe('v2 handlers at the HTTP edge', () => {
  it('build absolute URLs from the injected baseUrl', async () => {
    const a = await app();
    const res = await a.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': 'k1' },
      payload: { image: 'x' },
    });
    const id = res.json().request_id;
    expect(res.json().cancel_url).toBe(`https://bgr.example.com/v2/requests/${id}/cancel`);
  });

  it('reject an over-long Idempotency-Key with 400', async () => {
    const a = await app();
    const res = await a.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': 'k1', 'idempotency-key': 'x'.repeat(256) },
      payload: { image: 'x' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_parameter');
  });

  it('serve the output privately, cacheable no longer than the retention left', async () => {
    const a = await app();
    const id = (
      await a.inject({ method: 'POST', url: '/v2/bg-removal', headers: { 'x-api-key': 'k1' }, payload: { image: 'x' } })
    ).json().request_id;
    await expect
      .poll(async () => (await a.inject({ url: `/v2/requests/${id}`, headers: { 'x-api-key': 'k1' } })).statusCode)
      .toBe(200);
    const out = await a.inject({ url: `/v2/requests/${id}/output`, headers: { 'x-api-key': 'k1' } });
    expect(out.headers['cache-control']).toBe('private, max-age=3600');
  });

  it('answer 401 without a key (through the auth hook)', async () => {
    const a = await app();
    const res = await a.inject({ url: '/v2/requests/x/status' });
    expect(res.statusCode).toBe(401);
    expect(contract.validateSchema('Error', res.json())).toEqual([]);
  });
});
