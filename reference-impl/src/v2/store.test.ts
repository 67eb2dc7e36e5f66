/** MemoryRequestStore: CAS transitions, expiry on read and by sweep, idempotency claims. */
import { describe, expect, it } from 'vitest';
import type { RequestRecord, RequestState } from './store.ts';
import { MemoryRequestStore } from './store.ts';
import { FakeClock } from './testing.ts';

function record(id: string, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id, owner: 'k1', state: 'QUEUED', baseUrl: 'http://x', createdAt: 0, metrics: {}, input: 'https://e/x.png',
    params: { method: 'object', format: 'png', maskOnly: false, base64: false },
    ...over,
  };
}

const output = { bytes: Buffer.from('img'), contentType: 'image/png' as const };

describe('MemoryRequestStore.transition', () => {
  const cases: { name: string; at: RequestState; from: RequestState[]; to: RequestState; ok: boolean }[] = [
    { name: 'QUEUED → PROCESSING', at: 'QUEUED', from: ['QUEUED'], to: 'PROCESSING', ok: true },
    { name: 'QUEUED → FAILED (cancel)', at: 'QUEUED', from: ['QUEUED', 'PROCESSING'], to: 'FAILED', ok: true },
    { name: 'PROCESSING → COMPLETED', at: 'PROCESSING', from: ['PROCESSING'], to: 'COMPLETED', ok: true },
    { name: 'PROCESSING → PROCESSING (re-run)', at: 'PROCESSING', from: ['QUEUED', 'PROCESSING'], to: 'PROCESSING', ok: true },
    { name: 'state not in from', at: 'QUEUED', from: ['PROCESSING'], to: 'COMPLETED', ok: false },
    { name: 'backward PROCESSING → QUEUED', at: 'PROCESSING', from: ['PROCESSING'], to: 'QUEUED', ok: false },
    { name: 'terminal COMPLETED never changes', at: 'COMPLETED', from: ['COMPLETED'], to: 'FAILED', ok: false },
    { name: 'terminal FAILED never changes', at: 'FAILED', from: ['FAILED'], to: 'FAILED', ok: false },
  ];
  it.each(cases)('$name', async ({ at, from, to, ok }) => {
    const store = new MemoryRequestStore(new FakeClock(0));
    await store.create(record('a', { state: at }));
    const next = await store.transition('a', from, to, { startedAt: 5 });
    expect(next?.state).toBe(ok ? to : undefined);
    expect((await store.get('a'))?.state).toBe(ok ? to : at);
  });

  it('merges metrics, stores the output with COMPLETED and drops the input', async () => {
    const store = new MemoryRequestStore(new FakeClock(0));
    await store.create(record('a', { state: 'PROCESSING', metrics: { queueTime: 1 } }));
    const done = await store.transition('a', ['PROCESSING'], 'COMPLETED', { metrics: { totalTime: 2 }, expiresAt: 100 }, output);
    expect(done?.metrics).toEqual({ queueTime: 1, totalTime: 2 });
    expect(done?.input).toBeUndefined();
    expect((await store.getOutput('a'))?.bytes.toString()).toBe('img');
  });

  it('does not alias stored records', async () => {
    const store = new MemoryRequestStore(new FakeClock(0));
    await store.create(record('a'));
    const got = (await store.get('a'))!;
    got.state = 'COMPLETED';
    got.metrics.totalTime = 9;
    expect(await store.get('a')).toMatchObject({ state: 'QUEUED', metrics: {} });
  });
});

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

describe('MemoryRequestStore.claim', () => {
  it('claims, replays, conflicts, and is scoped per owner', async () => {
    const store = new MemoryRequestStore(new FakeClock(0));
    expect(await store.claim('k1', 'ik', 'h1', 'a')).toEqual({ kind: 'claimed' });
    expect(await store.claim('k1', 'ik', 'h1', 'b')).toEqual({ kind: 'existing', id: 'a' });
    expect(await store.claim('k1', 'ik', 'h2', 'c')).toEqual({ kind: 'conflict', id: 'a' });
    expect(await store.claim('k2', 'ik', 'h2', 'd')).toEqual({ kind: 'claimed' });
  });

  it('unclaim frees the key only for the id that holds it', async () => {
    const store = new MemoryRequestStore(new FakeClock(0));
    await store.claim('k1', 'ik', 'h1', 'a');
    await store.unclaim('k1', 'ik', 'other');
    expect((await store.claim('k1', 'ik', 'h1', 'b')).kind).toBe('existing');
    await store.unclaim('k1', 'ik', 'a');
    expect((await store.claim('k1', 'ik', 'h2', 'b')).kind).toBe('claimed');
  });
});
