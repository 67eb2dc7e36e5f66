/** The RequestStore contract as reusable vitest cases, run against every backend (memory, Redis). */
import { afterAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/ports.ts';
import type { RequestRecord, RequestState, RequestStore } from '../src/removal/store.ts';

/** A clock the test moves by hand (kept here so the contract needs nothing else). */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface StoreHarness {
  /** A fresh, empty store reading time from `clock`. */
  make(clock: Clock): RequestStore | Promise<RequestStore>;
  /** Frees what the stores made (Redis: the test's keys). */
  cleanup?(): Promise<void>;
}

export function contractRecord(id: string, over: Partial<RequestRecord> = {}): RequestRecord {
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

/** The cases of store.test.ts that hold for every backend (the memory-only size/sweep checks stay there). */
export function requestStoreContract(name: string, harness: StoreHarness): void {
  afterAll(async () => {
    await harness.cleanup?.();
  });
  let n = 0;
  // Ids unique per test, so backends sharing one keyspace never see each other's records.
  const uid = (s: string) => `${s}-${process.pid}-${++n}-${Math.random().toString(36).slice(2)}`;

  describe(`${name}: transition`, () => {
    const cases: { name: string; at: RequestState; from: RequestState[]; to: RequestState; ok: boolean }[] = [
      { name: 'QUEUED → PROCESSING', at: 'QUEUED', from: ['QUEUED'], to: 'PROCESSING', ok: true },
      { name: 'QUEUED → FAILED (cancel)', at: 'QUEUED', from: ['QUEUED', 'PROCESSING'], to: 'FAILED', ok: true },
      { name: 'PROCESSING → COMPLETED', at: 'PROCESSING', from: ['PROCESSING'], to: 'COMPLETED', ok: true },
      {
        name: 'PROCESSING → PROCESSING (re-run)',
        at: 'PROCESSING',
        from: ['QUEUED', 'PROCESSING'],
        to: 'PROCESSING',
        ok: true,
      },
      { name: 'state not in from', at: 'QUEUED', from: ['PROCESSING'], to: 'COMPLETED', ok: false },
      { name: 'backward PROCESSING → QUEUED', at: 'PROCESSING', from: ['PROCESSING'], to: 'QUEUED', ok: false },
      { name: 'terminal COMPLETED never changes', at: 'COMPLETED', from: ['COMPLETED'], to: 'FAILED', ok: false },
      { name: 'terminal FAILED never changes', at: 'FAILED', from: ['FAILED'], to: 'FAILED', ok: false },
    ];
    it.each(cases)('$name', async ({ at, from, to, ok }) => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      await store.create(contractRecord(id, { state: at }));
      const next = await store.transition(id, from, to, { startedAt: 5 });
      expect(next?.state).toBe(ok ? to : undefined);
      expect((await store.get(id))?.state).toBe(ok ? to : at);
      if (ok) expect((await store.get(id))?.startedAt).toBe(5);
    });

    it('unknown id: undefined', async () => {
      const store = await harness.make(new ManualClock(0));
      expect(await store.transition(uid('none'), ['QUEUED'], 'PROCESSING')).toBeUndefined();
      expect(await store.get(uid('none'))).toBeUndefined();
    });

    it('create refuses an id that exists', async () => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      await store.create(contractRecord(id));
      await expect(store.create(contractRecord(id))).rejects.toThrow(/exists/);
    });

    it('merges metrics, stores the output with COMPLETED and drops the input', async () => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      await store.create(contractRecord(id, { state: 'PROCESSING', metrics: { queueTime: 1 } }));
      expect(await store.getOutput(id)).toBeUndefined();
      const done = await store.transition(
        id,
        ['PROCESSING'],
        'COMPLETED',
        { metrics: { totalTime: 2.125 }, expiresAt: 60_000 },
        output,
      );
      expect(done?.metrics).toEqual({ queueTime: 1, totalTime: 2.125 });
      expect(done?.input).toBeUndefined();
      expect(done?.expiresAt).toBe(60_000);
      expect((await store.getOutput(id))?.bytes.toString()).toBe('img');
      expect((await store.getOutput(id))?.contentType).toBe('image/png');
      const withCredits = await store.setMetrics(id, { remainingCredits: 7 });
      expect(withCredits?.metrics).toEqual({ queueTime: 1, totalTime: 2.125, remainingCredits: 7 });
    });

    it('round-trips every field: params, error, idempotency, binary input', async () => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      const bytes = Buffer.from([0, 255, 1, 254, 0x89, 0x50]);
      const rec = contractRecord(id, {
        input: bytes,
        createdAt: 1_795_000_000_123,
        idempotency: { key: 'ik', bodyHash: 'h' },
        params: {
          method: 'human',
          format: 'webp',
          maskOnly: true,
          bgColor: '#ff0000',
          base64: true,
          webhook: 'https://h/x',
        },
      });
      await store.create(rec);
      expect(await store.get(id)).toEqual(rec);
      const failed = await store.transition(id, ['QUEUED'], 'FAILED', {
        error: { code: 'canceled', message: 'Canceled.' },
        completedAt: 9,
        expiresAt: 60_000,
      });
      expect(failed).toEqual({
        ...rec,
        input: undefined,
        state: 'FAILED',
        error: { code: 'canceled', message: 'Canceled.' },
        completedAt: 9,
        expiresAt: 60_000,
      });
      expect(await store.getOutput(id)).toBeUndefined();
    });

    it('does not alias stored records', async () => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      await store.create(contractRecord(id));
      const got = (await store.get(id))!;
      got.state = 'COMPLETED';
      got.metrics.totalTime = 9;
      expect(await store.get(id)).toMatchObject({ state: 'QUEUED', metrics: {} });
    });

    it('delete removes a record', async () => {
      const store = await harness.make(new ManualClock(0));
      const id = uid('a');
      await store.create(contractRecord(id));
      await store.delete(id);
      expect(await store.get(id)).toBeUndefined();
    });
  });

  describe(`${name}: expiry`, () => {
    it('serves until expiresAt, then reads, outputs, transitions and metrics miss', async () => {
      const clock = new ManualClock(0);
      const store = await harness.make(clock);
      const id = uid('a');
      const ik = uid('ik');
      await store.create(contractRecord(id, { state: 'PROCESSING', idempotency: { key: ik, bodyHash: 'h' } }));
      await store.claim('k1', ik, 'h', id);
      await store.transition(id, ['PROCESSING'], 'COMPLETED', { expiresAt: 30_000 }, output);
      clock.advance(29_999);
      expect(await store.get(id)).toBeDefined();
      expect(await store.getOutput(id)).toBeDefined();
      expect(await store.claim('k1', ik, 'h', 'b')).toEqual({ kind: 'existing', id });
      clock.advance(1);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.getOutput(id)).toBeUndefined();
      expect(await store.transition(id, ['COMPLETED'], 'COMPLETED')).toBeUndefined();
      expect(await store.setMetrics(id, { remainingCredits: 1 })).toBeUndefined();
      // The binding ended with its request: the key is free for a new one.
      expect(await store.claim('k1', ik, 'h2', 'b')).toEqual({ kind: 'claimed' });
    });
  });

  describe(`${name}: claim`, () => {
    it('claims, replays, conflicts, and is scoped per owner', async () => {
      const store = await harness.make(new ManualClock(0));
      const ik = uid('ik');
      expect(await store.claim('k1', ik, 'h1', 'a')).toEqual({ kind: 'claimed' });
      expect(await store.claim('k1', ik, 'h1', 'b')).toEqual({ kind: 'existing', id: 'a' });
      expect(await store.claim('k1', ik, 'h2', 'c')).toEqual({ kind: 'conflict', id: 'a' });
      expect(await store.claim('k2', ik, 'h2', 'd')).toEqual({ kind: 'claimed' });
    });

    it('unclaim frees the key only for the id that holds it', async () => {
      const store = await harness.make(new ManualClock(0));
      const ik = uid('ik');
      await store.claim('k1', ik, 'h1', 'a');
      await store.unclaim('k1', ik, 'other');
      expect((await store.claim('k1', ik, 'h1', 'b')).kind).toBe('existing');
      await store.unclaim('k1', ik, 'a');
      expect((await store.claim('k1', ik, 'h2', 'b')).kind).toBe('claimed');
    });

    it('concurrent claims of one key: exactly one wins', async () => {
      const store = await harness.make(new ManualClock(0));
      const ik = uid('ik');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claim('k1', ik, 'h', `r${i}`)));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    });
  });
  describe(`${name}: watch (optional; the status stream's change notices)`, () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    it('notifies a watcher of its record’s transitions, and never after unwatch', async () => {
      const store = await harness.make(new ManualClock(0));
      if (!store.watch) return;
      const id = uid('w');
      await store.create(contractRecord(id));
      const notices: string[] = [];
      const unwatch = store.watch(id, () => notices.push(id));
      const other = store.watch(uid('other'), () => notices.push('other'));
      // A pub/sub backend subscribes asynchronously: repeat the (idempotent) transition until one is noticed.
      for (let i = 0; notices.length === 0 && i < 100; i++) {
        await store.transition(id, ['QUEUED', 'PROCESSING'], 'PROCESSING');
        await pause(10);
      }
      expect(notices[0]).toBe(id);
      expect(notices).not.toContain('other');
      unwatch();
      other();
      const seen = notices.length;
      await store.transition(id, ['PROCESSING'], 'COMPLETED', { completedAt: 1, expiresAt: 60_000 });
      await pause(50);
      expect(notices).toHaveLength(seen);
      (store as { close?(): void }).close?.();
    });
  });
}
