/** MemoryJobQueue: bound, FIFO order and positions, concurrency, cancel, retry, close. */
import { describe, expect, it } from 'vitest';
import type { JobContext } from './queue.ts';
import { MemoryJobQueue, QueueFullError, RetryJob } from './queue.ts';
import { deferred } from '../../testing/v2.ts';
import type { Deferred } from '../../testing/v2.ts';

/** A processor that records runs and finishes each when the test says. */
function controlled() {
  const runs: { id: string; ctx: JobContext; done: Deferred<void> }[] = [];
  const processor = (id: string, ctx: JobContext) => {
    const done = deferred<void>();
    runs.push({ id, ctx, done });
    ctx.signal.addEventListener('abort', () => done.resolve());
    return done.promise;
  };
  return { runs, processor };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('MemoryJobQueue', () => {
  it('is bounded: add throws QueueFullError when maxSize jobs wait', async () => {
    const q = new MemoryJobQueue({ maxSize: 2, concurrency: 1 });
    await q.add('a');
    await q.add('b');
    await expect(q.add('c')).rejects.toBeInstanceOf(QueueFullError);
  });

  it('runs FIFO with concurrency N; positions count the jobs ahead and decrease', async () => {
    const q = new MemoryJobQueue({ maxSize: 10, concurrency: 2 });
    const { runs, processor } = controlled();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await q.add(id);
    q.start(processor);
    await tick();
    expect(runs.map((r) => r.id)).toEqual(['a', 'b']);
    expect(await Promise.all(['a', 'c', 'd', 'e'].map((id) => q.position(id)))).toEqual([undefined, 0, 1, 2]);
    runs[0]!.done.resolve();
    await tick();
    expect(runs.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(await q.position('e')).toBe(1);
    while (q.counts.running > 0) {
      for (const r of runs) r.done.resolve();
      await tick();
    }
    await q.idle();
    expect(runs.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('cancel removes a waiting job and aborts a running one', async () => {
    const q = new MemoryJobQueue({ maxSize: 10, concurrency: 1 });
    const { runs, processor } = controlled();
    await q.add('a');
    await q.add('b');
    q.start(processor);
    await tick();
    expect(await q.cancel('b')).toBe(true);
    expect(await q.position('b')).toBeUndefined();
    expect(await q.cancel('a')).toBe(true);
    expect(runs[0]!.ctx.signal.aborted).toBe(true);
    await q.idle();
    expect(runs.map((r) => r.id)).toEqual(['a']);
    expect(await q.cancel('zzz')).toBe(false);
  });

  it('retries a job that throws RetryJob up to maxAttempts, at the head of the line', async () => {
    const q = new MemoryJobQueue({ maxSize: 10, concurrency: 1, maxAttempts: 2, retryDelayMs: 1 });
    const seen: string[] = [];
    const errors: unknown[] = [];
    const q2 = new MemoryJobQueue({
      maxSize: 10,
      concurrency: 1,
      maxAttempts: 2,
      retryDelayMs: 1,
      onError: (e) => errors.push(e),
    });
    for (const queue of [q, q2]) {
      await queue.add('a');
      await queue.add('b');
    }
    q.start(async (id, ctx) => {
      seen.push(`${id}${ctx.attempt}/${ctx.maxAttempts}`);
      if (id === 'a' && ctx.attempt === 1) throw new RetryJob('crash');
    });
    await q.idle();
    expect(seen).toEqual(['a1/2', 'b1/2', 'a2/2']);
    // On the last attempt a RetryJob is not retried again: the processor is told it is the last one.
    q2.start(async () => {
      throw new RetryJob('crash');
    });
    await q2.idle();
    expect(errors).toHaveLength(2);
  });

  it('close waits for running jobs within the grace period and returns what it abandons', async () => {
    const q = new MemoryJobQueue({ maxSize: 10, concurrency: 2 });
    const { runs, processor } = controlled();
    for (const id of ['a', 'b', 'c']) await q.add(id);
    q.start(processor);
    await tick();
    setTimeout(() => runs[0]!.done.resolve(), 5); // finishes within the grace period
    const abandoned = await q.close(50);
    expect(abandoned.sort()).toEqual(['b', 'c']);
    expect(runs[1]!.ctx.signal.aborted).toBe(true);
    expect(runs[0]!.ctx.signal.aborted).toBe(false);
    await expect(q.add('d')).rejects.toThrow(/closed/);
  });
});
