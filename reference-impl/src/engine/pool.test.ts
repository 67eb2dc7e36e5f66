import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from './errors.ts';
import { WorkerPool } from './pool.ts';

const FAKE = new URL('./testing/fake-worker.ts', import.meta.url).href;

function pool(size = 1, modelPath = 'fake') {
  return new WorkerPool({ size, init: { script: FAKE, modelPath, device: 'cpu', threads: 1, warmup: false } });
}
/** A tiny job: 4 pixels; `delay` in tens of ms. */
function job(r: number, g = 0, b = 0): Uint8Array {
  return Uint8Array.from([r, g, b, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
}
const slow = (tens: number) => job(200, 3, tens);

let p: WorkerPool | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err instanceof EngineError ? err.code : `non-engine: ${String(err)}`;
  }
}

describe('WorkerPool (fake worker)', () => {
  it('runs a job on a worker', async () => {
    p = pool();
    await p.start();
    const r = await p.run(job(200));
    expect([...r.alpha]).toEqual([200, 10, 40, 70]);
  });

  it('rejects the in-flight job of a crashed worker with worker_unavailable and replaces the worker', async () => {
    p = pool();
    await p.start();
    expect(await codeOf(p.run(job(1, 1)))).toBe('worker_unavailable');
    expect(p.restarts).toBe(1);
    const r = await p.run(job(9)); // waits for the replacement to be ready
    expect(r.alpha[0]).toBe(9);
  });

  it('keeps queued jobs when a worker crashes; they run on the replacement', async () => {
    p = pool();
    await p.start();
    const crash = codeOf(p.run(job(1, 1)));
    const next = p.run(job(5));
    expect(await crash).toBe('worker_unavailable');
    expect((await next).alpha[0]).toBe(5);
  });

  it('maps a worker error reply to internal and keeps serving', async () => {
    p = pool();
    await p.start();
    expect(await codeOf(p.run(job(2, 2)))).toBe('internal');
    expect((await p.run(job(4))).alpha[0]).toBe(4);
  });

  it('never runs a job whose signal aborts while it is queued', async () => {
    p = pool();
    await p.start();
    const first = p.run(slow(10));
    const ac = new AbortController();
    const queued = codeOf(p.run(slow(0), ac.signal));
    ac.abort();
    expect(await queued).toBe('canceled');
    expect((await first).alpha.at(-1)).toBe(1);
    // Job count 2, not 3: the canceled job never reached the worker.
    expect((await p.run(slow(0))).alpha.at(-1)).toBe(2);
  });

  it('rejects at once when the signal is already aborted', async () => {
    p = pool();
    await p.start();
    expect(await codeOf(p.run(job(3), AbortSignal.abort()))).toBe('canceled');
  });

  it('discards the result of a job aborted while running and rejects it promptly', async () => {
    p = pool();
    await p.start();
    const ac = new AbortController();
    const t0 = performance.now();
    const running = p.run(slow(30), ac.signal);
    setTimeout(() => ac.abort(), 30);
    expect(await codeOf(running)).toBe('canceled');
    expect(performance.now() - t0).toBeLessThan(250);
    expect((await p.run(job(6))).alpha[0]).toBe(6); // the worker is still usable afterwards
  });

  it('spreads jobs over several workers', async () => {
    p = pool(2);
    await p.start();
    expect(p.readyWorkers).toBe(2);
    const t0 = performance.now();
    await Promise.all([p.run(slow(20)), p.run(slow(20))]);
    expect(performance.now() - t0).toBeLessThan(380);
  });

  it('fails start() with the worker’s message when the model cannot load', async () => {
    p = pool(1, 'fail-start');
    await expect(p.start()).rejects.toThrow(/fake model could not be loaded/);
  });

  it('rejects queued and new jobs after close()', async () => {
    p = pool();
    await p.start();
    const running = codeOf(p.run(slow(10)));
    const queued = codeOf(p.run(job(1)));
    await p.close();
    expect(await running).toBe('worker_unavailable');
    expect(await queued).toBe('worker_unavailable');
    expect(await codeOf(p.run(job(1)))).toBe('worker_unavailable');
  });
});
