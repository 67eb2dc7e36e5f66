/** BullJobQueue on a real Redis: bound across nodes, FIFO positions, cancel, retries, exhaustion, hand-back on close. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RedisClient } from './connection.ts';
import type { JobContext } from '../../removal/queue.ts';
import { QueueFullError, RetryJob } from '../../removal/queue.ts';
import { createRedis } from './connection.ts';
import { jobQueueContract } from '../../../testing/queue.contract.ts';
import { BullJobQueue } from './job-queue.ts';
import type { BullJobQueueOptions } from './job-queue.ts';
import { deletePrefix, testClient, testPrefix, testRedisUrl } from '../../../testing/redis.ts';

const prefix = testPrefix();
const api = await testClient();
const opened: BullJobQueue[] = [];
const workerClients: RedisClient[] = [];
let n = 0;

/** A queue on its own queue name (so tests never share jobs), as a node of the given role. */
function node(over: Partial<BullJobQueueOptions> & { queueName: string }): BullJobQueue {
  const workerConnection = createRedis({ url: testRedisUrl, role: 'worker' });
  workerClients.push(workerConnection);
  const q = new BullJobQueue({
    connection: api,
    workerConnection,
    prefix,
    maxSize: 10,
    concurrency: 1,
    lockDurationMs: 2000,
    stalledIntervalMs: 1000,
    retryDelayMs: 10,
    ...over,
  });
  opened.push(q);
  return q;
}
const qname = () => `q${++n}`;

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

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close(0)));
});
afterAll(async () => {
  for (const c of workerClients) c.disconnect();
  await deletePrefix(prefix);
  api.disconnect();
});

jobQueueContract('BullJobQueue', {
  make: (opts) => node({ queueName: qname(), ...opts }),
});

describe('BullJobQueue', () => {
  it('the bound holds across two API nodes adding at once: exactly maxSize admitted', async () => {
    const name = qname();
    const [a, b] = [node({ queueName: name, maxSize: 5 }), node({ queueName: name, maxSize: 5 })];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).add(`j${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason instanceof QueueFullError),
    ).toBe(true);
    expect((await a.counts()).waiting).toBe(5);
  });

  it('runs FIFO with concurrency; positions count the jobs ahead and decrease; any node answers', async () => {
    const name = qname();
    const apiNode = node({ queueName: name });
    const worker = node({ queueName: name, concurrency: 2 });
    const { runs, processor } = controlled();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await apiNode.add(id);
    expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => apiNode.position(id)))).toEqual([0, 1, 2, 3, 4]);
    worker.start(processor);
    await until(() => runs.length === 2);
    expect(runs.map((r) => r.id).sort()).toEqual(['a', 'b']);
    expect(await Promise.all(['a', 'c', 'd', 'e'].map((id) => apiNode.position(id)))).toEqual([undefined, 0, 1, 2]);
    runs[0]!.finish();
    await until(() => runs.length === 3);
    expect(runs[2]!.id).toBe('c');
    expect(await apiNode.position('e')).toBe(1);
    while (runs.length < 5 || (await apiNode.counts()).active > 0) {
      for (const r of runs) r.finish();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runs.map((r) => r.id).slice(2)).toEqual(['c', 'd', 'e']); // each once, in order
  });

  it('cancel removes a waiting job and, from another node, aborts a running one', async () => {
    const name = qname();
    const apiNode = node({ queueName: name });
    const worker = node({ queueName: name });
    const { runs, processor } = controlled();
    await apiNode.add('a');
    await apiNode.add('b');
    worker.start(processor);
    await until(() => runs.length === 1);
    expect(await apiNode.cancel('b')).toBe(true);
    expect(await apiNode.position('b')).toBeUndefined();
    expect(await apiNode.cancel('a')).toBe(true);
    await until(() => runs[0]!.ctx.signal.aborted);
    await until(async () => (await apiNode.counts()).active === 0);
    expect(runs.map((r) => r.id)).toEqual(['a']);
    expect(await apiNode.cancel('zzz')).toBe(false);
    expect(await apiNode.cancel('a')).toBe(false); // finished
  });

  it('takes no job before its cancel channel is subscribed: a cancel right after the first run reaches it', async () => {
    const name = qname();
    const apiNode = node({ queueName: name });
    // A worker whose subscriber is slow to SUBSCRIBE (as on a Redis Cluster, which first discovers its nodes).
    const workerConnection = createRedis({ url: testRedisUrl, role: 'worker' });
    workerClients.push(workerConnection);
    const duplicate = workerConnection.duplicate.bind(workerConnection);
    workerConnection.duplicate = (() => {
      const sub = duplicate();
      const subscribe = sub.subscribe.bind(sub) as (...a: unknown[]) => Promise<unknown>;
      sub.subscribe = (async (...a: unknown[]) => {
        await new Promise((r) => setTimeout(r, 500));
        return subscribe(...a);
      }) as RedisClient['subscribe'];
      workerClients.push(sub);
      return sub;
    }) as RedisClient['duplicate'];
    const worker = node({ queueName: name, workerConnection });
    const { runs, processor } = controlled();
    await apiNode.add('a');
    worker.start(processor);
    await until(() => runs.length === 1);
    expect(await apiNode.cancel('a')).toBe(true);
    await until(() => runs[0]!.ctx.signal.aborted, 3000);
  });

  it('retries a job that throws RetryJob up to maxAttempts; then it is exhausted', async () => {
    const name = qname();
    const exhausted: string[] = [];
    const seen: string[] = [];
    const worker = node({
      queueName: name,
      maxAttempts: 2,
      onExhausted: async (id) => {
        exhausted.push(id);
      },
    });
    worker.start(async (id, ctx) => {
      seen.push(`${id}${ctx.attempt}/${ctx.maxAttempts}`);
      if (id === 'a' && ctx.attempt === 1) throw new RetryJob('crash');
      if (id === 'c') throw new RetryJob('crash again');
    });
    await worker.add('a');
    await worker.add('b');
    await worker.add('c');
    await until(() => exhausted.length === 1 && seen.length === 5);
    expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a1/2', 'a2/2']);
    expect(seen.filter((s) => s.startsWith('c'))).toEqual(['c1/2', 'c2/2']);
    expect(exhausted).toEqual(['c']);
  });

  it('a processor bug (non-RetryJob throw) is not retried: onError, then onExhausted ends the record', async () => {
    const errors: unknown[] = [];
    const exhausted: string[] = [];
    const worker = node({
      queueName: qname(),
      onError: (e) => errors.push(e),
      onExhausted: async (id) => {
        exhausted.push(id);
      },
    });
    let runs = 0;
    worker.start(async () => {
      runs++;
      throw new TypeError('bug');
    });
    await worker.add('x');
    await until(() => exhausted.length === 1);
    expect(runs).toBe(1);
    expect(errors.some((e) => e instanceof TypeError)).toBe(true);
  });

  it('close hands running jobs back after the grace period; another worker runs them; returns no ids', async () => {
    const name = qname();
    const first = node({ queueName: name });
    const second = node({ queueName: name });
    const a = controlled();
    first.start(a.processor);
    await first.add('h');
    await until(() => a.runs.length === 1);
    const t0 = Date.now();
    expect(await first.close(200)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a.runs[0]!.ctx.signal.aborted).toBe(true);
    expect(await second.position('h')).toBe(0); // back in the line, at the head
    const b = controlled();
    second.start(b.processor);
    await until(() => b.runs.length === 1);
    expect(b.runs[0]!.id).toBe('h');
    expect(b.runs[0]!.ctx.attempt).toBe(2);
    b.runs[0]!.finish();
    await expect(first.add('late')).rejects.toThrow(/closed/);
  });
});
