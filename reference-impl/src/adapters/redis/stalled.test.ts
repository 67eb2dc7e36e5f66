/** Fault: a worker process SIGKILLed mid-job → another worker re-runs it, or it ends FAILED after bounded attempts. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports.ts';
import { contractRecord } from '../../../testing/store.contract.ts';
import { fakeProcessor } from '../../../testing/slow-worker.ts';
import type { RedisBackend } from './index.ts';
import { createRedisBackend, startWorker } from './index.ts';
import { deletePrefix, testPrefix, testRedisUrl } from '../../../testing/redis.ts';
import { keyIdOf } from '../../policy/keys.ts';

const prefix = testPrefix();
const keys: KeyRecord[] = [
  { key: 'k1', name: 'k1', credits: 10, scopes: ['v2'], rateLimit: { max: 100, windowS: 60 } },
];
const timing = { lockDurationMs: 1000, stalledIntervalMs: 500 };
const fixture = fileURLToPath(new URL('../../../testing/slow-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const backends: RedisBackend[] = [];

/** A worker node in a child process; resolves once it is ready, with a way to await its `started` lines. */
async function spawnWorker(jobMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      ...process.env,
      BGR_REDIS_URL: testRedisUrl,
      BGR_PREFIX: prefix,
      BGR_JOB_MS: String(jobMs),
      BGR_LOCK_MS: String(timing.lockDurationMs),
      BGR_STALLED_MS: String(timing.stalledIntervalMs),
      BGR_KEYS: JSON.stringify(keys),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    waiters.splice(0).forEach((w) => w());
  });
  const line = async (re: RegExp, ms = 20_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`child never printed ${re}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  await line(/^ready$/);
  return { child, line };
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An API node's submit, minus HTTP: hold, record, enqueue. */
async function submit(api: RedisBackend): Promise<string> {
  const id = randomUUID();
  expect(await api.keys.hold(keyIdOf('k1'), id)).toBe(true);
  await api.store.create(contractRecord(id, { owner: keyIdOf('k1'), createdAt: Date.now() }));
  await api.queue.add(id);
  return id;
}

// Each test starts from no live workers, so the job goes to the worker the test means.
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await deletePrefix(prefix);
});

describe('stalled-job recovery (real child processes, SIGKILL)', () => {
  it('a worker killed mid-job: another worker picks the job up and completes it; charged once', async () => {
    const api = await createRedisBackend({ url: testRedisUrl, role: 'api', prefix, keys, maxQueue: 10, ...timing });
    backends.push(api);
    const before = await api.keys.balance(keyIdOf('k1'));
    const victim = await spawnWorker(60_000);
    const id = await submit(api);
    await victim.line(new RegExp(`^started ${id} 1$`));
    const attempts: number[] = [];
    const rescuer = await startWorker({ url: testRedisUrl, prefix, keys, maxQueue: 10, ...timing }, (b) =>
      fakeProcessor(b, 50, 60_000, (_id, attempt) => attempts.push(attempt)),
    );
    backends.push(rescuer);
    expect((await api.store.get(id))?.state).toBe('PROCESSING');
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const done = await until(
      () => api.store.get(id),
      (r) => r?.state === 'COMPLETED',
    );
    const recoveryMs = Date.now() - killedAt;
    console.log(
      `stalled recovery: SIGKILL → COMPLETED on another worker in ${recoveryMs} ms (lock ${timing.lockDurationMs} ms, stalled check ${timing.stalledIntervalMs} ms)`,
    );
    expect(done?.state).toBe('COMPLETED');
    expect(attempts).toEqual([2]);
    expect((await api.store.getOutput(id))?.bytes.toString()).toBe(`done by ${process.pid}`);
    expect(await api.keys.balance(keyIdOf('k1'))).toBe(before! - 1);
    expect(await api.keys.held(keyIdOf('k1'))).toBe(0);
    expect(recoveryMs).toBeLessThan(timing.lockDurationMs + 3 * timing.stalledIntervalMs + 2000);
  });

  it('killed on every attempt: after maxAttempts (2) runs it ends FAILED worker_unavailable, credit released', async () => {
    const api = await createRedisBackend({ url: testRedisUrl, role: 'api', prefix, keys, maxQueue: 10, ...timing });
    backends.push(api);
    const before = await api.keys.balance(keyIdOf('k1'));
    const first = await spawnWorker(60_000);
    const id = await submit(api);
    await first.line(new RegExp(`^started ${id} 1$`));
    const second = await spawnWorker(60_000);
    first.child.kill('SIGKILL');
    await second.line(new RegExp(`^started ${id} 2$`));
    const runs: number[] = [];
    const third = await startWorker({ url: testRedisUrl, prefix, keys, maxQueue: 10, ...timing }, (b) =>
      fakeProcessor(b, 50, 60_000, (_id, attempt) => runs.push(attempt)),
    );
    backends.push(third);
    const killedAt = Date.now();
    second.child.kill('SIGKILL');
    const failed = await until(
      () => api.store.get(id),
      (r) => r?.state === 'FAILED',
    );
    console.log(`exhausted: second SIGKILL → FAILED in ${Date.now() - killedAt} ms`);
    expect(failed?.error?.code).toBe('worker_unavailable');
    expect(runs).toEqual([]); // a third run never started: the bound is 2
    expect(await api.keys.balance(keyIdOf('k1'))).toBe(before);
    expect(await api.keys.held(keyIdOf('k1'))).toBe(0);
    expect(await api.queue.position(id)).toBeUndefined();
  });
});
