/** The JobQueue contract as reusable vitest cases, run against every backend (memory, BullMQ). */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext, JobQueue } from '../src/removal/queue.ts';
import { QueueFullError, RetryJob } from '../src/removal/queue.ts';

export interface QueueHarness {
  /** A fresh, empty queue (its own namespace) with these settings; retries after ~no delay. */
  make(opts: { maxSize: number; concurrency: number; maxAttempts?: number }): JobQueue;
}

/** Polls until `cond` holds: backends differ in when a job starts (a microtask, or a Redis round trip). */
export async function eventually(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

/** A processor that records runs and finishes each when the test says (or when aborted). */
function controlled() {
  const runs: { id: string; ctx: JobContext; finish(): void }[] = [];
  const processor = (id: string, ctx: JobContext) =>
    new Promise<void>((resolve) => {
      runs.push({ id, ctx, finish: resolve });
      ctx.signal.addEventListener('abort', () => resolve());
    });
  return { runs, processor };
}

/** The cases of queue.test.ts that hold for every backend (memory-only counts/idle stay there). */
export function jobQueueContract(name: string, harness: QueueHarness): void {
  const opened: JobQueue[] = [];
  const make = (opts: Parameters<QueueHarness['make']>[0]) => {
    const q = harness.make(opts);
    opened.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close(0)));
  });

  describe(`${name}: JobQueue contract`, () => {
    it('is bounded: add throws QueueFullError when maxSize jobs wait', async () => {
      const q = make({ maxSize: 2, concurrency: 1 });
      await q.add('a');
      await q.add('b');
      await expect(q.add('c')).rejects.toBeInstanceOf(QueueFullError);
    });

    it('runs FIFO with concurrency N; positions count the jobs ahead and decrease', async () => {
      const q = make({ maxSize: 10, concurrency: 2 });
      const { runs, processor } = controlled();
      for (const id of ['a', 'b', 'c', 'd', 'e']) await q.add(id);
      expect(await Promise.all(['a', 'c', 'e'].map((id) => q.position(id)))).toEqual([0, 2, 4]);
      q.start(processor);
      await eventually(() => runs.length === 2);
      expect(runs.map((r) => r.id).sort()).toEqual(['a', 'b']);
      expect(await Promise.all(['a', 'c', 'd', 'e'].map((id) => q.position(id)))).toEqual([undefined, 0, 1, 2]);
      runs[0]!.finish();
      await eventually(() => runs.length === 3);
      expect(runs[2]!.id).toBe('c');
      expect(await q.position('e')).toBe(1);
      await eventually(() => {
        for (const r of runs) r.finish();
        return runs.length === 5;
      });
      expect(runs.map((r) => r.id).slice(2)).toEqual(['c', 'd', 'e']);
    });

    it('cancel removes a waiting job and aborts a running one; false for an unknown id', async () => {
      const q = make({ maxSize: 10, concurrency: 1 });
      const { runs, processor } = controlled();
      await q.add('a');
      await q.add('b');
      q.start(processor);
      await eventually(() => runs.length === 1);
      expect(await q.cancel('b')).toBe(true);
      expect(await q.position('b')).toBeUndefined();
      expect(await q.cancel('a')).toBe(true);
      await eventually(() => runs[0]!.ctx.signal.aborted);
      expect(await q.cancel('zzz')).toBe(false);
      await sleep(50);
      expect(runs.map((r) => r.id)).toEqual(['a']);
    });

    it('retries a job that throws RetryJob, telling each run its attempt, up to maxAttempts', async () => {
      const q = make({ maxSize: 10, concurrency: 1, maxAttempts: 2 });
      const seen: string[] = [];
      q.start(async (id, ctx) => {
        seen.push(`${id}${ctx.attempt}/${ctx.maxAttempts}`);
        if (id === 'a' && ctx.attempt === 1) throw new RetryJob('crash');
        if (id === 'c') throw new RetryJob('always');
      });
      for (const id of ['a', 'b', 'c']) await q.add(id);
      await eventually(() => seen.length === 5);
      await sleep(100); // no third run of c
      expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a1/2', 'a2/2']);
      expect(seen.filter((s) => s.startsWith('b'))).toEqual(['b1/2']);
      expect(seen.filter((s) => s.startsWith('c'))).toEqual(['c1/2', 'c2/2']);
    });

    it('after close, add rejects', async () => {
      const q = make({ maxSize: 10, concurrency: 1 });
      await q.close(0);
      await expect(q.add('d')).rejects.toThrow(/closed/);
    });
  });
}
