/** MemoryRequestStore's own behaviour: the sweeper frees memory (the shared cases every backend passes are in reference-impl/testing/store.contract.ts). */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from './store.ts';
import { MemoryRequestStore } from './store.ts';
import { FakeClock } from '../../testing/v2.ts';

function record(id: string, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id,
    owner: 'k1',
    state: 'QUEUED',
    baseUrl: 'http://x',
    createdAt: 0,
    metrics: {},
    input: 'https://e/x.png',
    params: { method: 'object', format: 'png', maskOnly: false, base64: false },
    ...over,
  };
}

const output = { bytes: Buffer.from('img'), contentType: 'image/png' as const };

describe('MemoryRequestStore expiry', () => {
  it('serves until expiresAt, then reads miss before any sweep; the sweep frees memory', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryRequestStore(clock);
    await store.create(record('a', { state: 'PROCESSING', idempotency: { key: 'ik', bodyHash: 'h' } }));
    await store.claim('k1', 'ik', 'h', 'a');
    await store.transition('a', ['PROCESSING'], 'COMPLETED', { expiresAt: 1000 }, output);
    clock.advance(999);
    expect(await store.get('a')).toBeDefined();
    expect(await store.getOutput('a')).toBeDefined();
    expect(await store.claim('k1', 'ik', 'h', 'b')).toEqual({ kind: 'existing', id: 'a' });
    clock.advance(1);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.getOutput('a')).toBeUndefined();
    expect(await store.transition('a', ['COMPLETED'], 'COMPLETED')).toBeUndefined();
    expect(store.size).toBe(2);
    expect(await store.sweep(clock.now())).toBe(1);
    expect(store.size).toBe(0);
  });

  it('never expires a pending record', async () => {
    const store = new MemoryRequestStore(new FakeClock(0));
    await store.create(record('a'));
    expect(await store.sweep(Number.MAX_SAFE_INTEGER)).toBe(0);
  });
});
