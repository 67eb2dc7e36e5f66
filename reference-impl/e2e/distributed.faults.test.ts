/** The distributed deployment's faults with real `bgr serve` processes on Redis: API node restarted, worker SIGKILLed mid-inference, Redis stopped and restarted. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, keyPrefix, testClient, testPrefix, testRedisUrl } from '../testing/redis.ts';
import { pngOf } from '../testing/fixtures.ts';
import { freePort, nodePool, startOwnRedis, stopOwnRedis, until, type NodeProcess } from '../testing/nodes.ts';
import { startReceiver } from '../testing/v2.ts';
import { generateWebhookSecret } from '../src/removal/webhook.ts';
import { keyIdOf } from '../src/policy/keys.ts';

const KEY = 'dist_key_1';
const RL_KEY = 'dist_rl_key';
const prefix = testPrefix();
let n = 0;
const secret = generateWebhookSecret();
const dir = mkdtempSync(join(tmpdir(), 'bgr-dist-'));
const keysFile = join(dir, 'keys.yaml');
writeFileSync(keysFile, `keys:\n  - { key: ${KEY}, credits: 100 }\n  - { key: ${RL_KEY}, rate_limit: 3/min }\n`);

/** Every node of one test: its own key prefix (queue, records, credits), short BullMQ timings, one thread. */
function envOf(p: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BGR_REDIS_URL: testRedisUrl,
    BGR_REDIS_PREFIX: p,
    BGR_API_KEYS: keysFile,
    BGR_THREADS: '1',
    BGR_JOB_LOCK_MS: '1000',
    BGR_JOB_STALLED_MS: '500',
    BGR_WEBHOOK_SECRET: secret,
    BGR_ALLOW_PRIVATE_URLS: 'true',
    BGR_SHUTDOWN_GRACE_S: '2',
    // The sandbox engine (no model); an image takes 2 s, so a worker can be killed in the middle of one.
    BGR_ENGINE: 'sandbox',
    BGR_SANDBOX_MS: '2000',
    ...extra,
  };
}

const pool = nodePool();
const { cleanups } = pool;
const node = pool.start;
afterAll(async () => {
  await pool.stopAll();
  await deletePrefix(prefix);
});

let image = '';
const json = async (res: Response) => ({
  status: res.status,
  headers: res.headers,
  body: (await res.json()) as Record<string, any>,
});
const submit = async (url: string, body: Record<string, unknown> = {}, key = KEY) =>
  json(
    await fetch(`${url}/v2/bg-removal`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ image: (image ||= (await pngOf(96, 64)).toString('base64')), ...body }),
    }),
  );
const status = async (url: string, id: string) =>
  json(await fetch(`${url}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } }));
const state = async (url: string, id: string) => (await status(url, id)).body.status as string;

/** Polls the status through `url` in the background and keeps every state seen, in order. */
function watch(url: string, id: string) {
  const seen: string[] = [];
  let on = true;
  void (async () => {
    while (on) {
      const s = await state(url, id).catch(() => 'error');
      if (seen.at(-1) !== s) seen.push(s);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    stop: () => {
      on = false;
    },
  };
}

describe('an API node restarted', () => {
  it('in-flight requests keep their status and results: answered by the other node and by the restarted one', async () => {
    const env = envOf(`${prefix}${++n}:`);
    const portA = await freePort();
    const [a, b] = await Promise.all([
      node({ ...env, PORT: String(portA) }, 'api'),
      node(env, 'api'),
      node(env, 'worker'),
    ]);
    const subs = [await submit(a!.url), await submit(a!.url, { base64: true })];
    expect(subs.map((s) => s.status)).toEqual([200, 200]);
    const ids = subs.map((s) => s.body.request_id as string);
    a!.child.kill('SIGKILL');
    await a!.exited;
    for (const id of ids) expect(['QUEUED', 'PROCESSING', 'COMPLETED']).toContain(await state(b!.url, id));
    const a2 = await node({ ...env, PORT: String(portA) }, 'api');
    for (const id of ids) {
      await until(
        () => state(a2.url, id),
        (s) => s === 'COMPLETED',
        90_000,
      );
      const viaA = await json(await fetch(`${a2.url}/v2/requests/${id}`, { headers: { 'x-api-key': KEY } }));
      const viaB = await json(await fetch(`${b!.url}/v2/requests/${id}`, { headers: { 'x-api-key': KEY } }));
      expect(viaA.status).toBe(200);
      // The same result, with links to the node that answered (they come from the request's host).
      expect(JSON.parse(JSON.stringify(viaB.body).replaceAll(b!.url, a2.url))).toEqual(viaA.body);
      const outs = await Promise.all(
        [a2, b!].map(async (p) =>
          Buffer.from(
            await (await fetch(`${p.url}/v2/requests/${id}/output`, { headers: { 'x-api-key': KEY } })).arrayBuffer(),
          ),
        ),
      );
      expect(outs[0]!.subarray(1, 4).toString()).toBe('PNG');
      expect(outs[1]!.equals(outs[0]!)).toBe(true);
    }
    const remaining = await Promise.all(
      ids.map(async (id) => (await status(b!.url, id)).body.metrics.remaining_credits as number),
    );
    expect(remaining.sort()).toEqual([98, 99]); // each charged once, across nodes
  }, 180_000);

  it('rate-limit counters are shared by the API nodes (3/min over two nodes → the 4th is 429)', async () => {
    const env = envOf(`${prefix}${++n}:`);
    const [a, b] = await Promise.all([node(env, 'api'), node(env, 'api')]);
    const codes: number[] = [];
    for (const p of [a, b, a, b]) codes.push((await submit(p.url, {}, RL_KEY)).status);
    expect(codes).toEqual([200, 200, 200, 429]);
  });
});

describe('a worker SIGKILLed mid-inference', () => {
  // The two tests share one deployment: the rescuer of the first is the first victim of the second.
  const env = envOf(`${prefix}${++n}:`);
  let api: NodeProcess;
  let rescuer: NodeProcess;

  it('the job is picked up again by another worker and COMPLETES, charged once, never back to QUEUED', async () => {
    let victim: NodeProcess;
    [api, victim] = await Promise.all([node(env, 'api'), node(env, 'worker')]);
    const {
      body: { request_id: id },
    } = await submit(api.url);
    const w = watch(api.url, id);
    cleanups.push(w.stop);
    await until(
      () => state(api.url, id),
      (s) => s === 'PROCESSING',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300)); // into the inference (2 s per image)
    expect(await state(api.url, id)).toBe('PROCESSING');
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    rescuer = await node(env, 'worker'); // its stalled check finds the dead worker's job
    const readyAt = Date.now();
    await until(
      () => state(api.url, id),
      (s) => s !== 'PROCESSING',
      60_000,
    );
    console.log(
      `SIGKILL → COMPLETED in ${Date.now() - killedAt} ms (rescuer ready after ${readyAt - killedAt} ms, then ${Date.now() - readyAt} ms)`,
    );
    w.stop();
    const s = await status(api.url, id);
    expect(s.body).toMatchObject({ status: 'COMPLETED', metrics: { remaining_credits: 99 } });
    const seen = [...w.seen, s.body.status as string].filter((x, i, all) => x !== 'error' && x !== all[i - 1]);
    expect(seen.slice(seen.indexOf('PROCESSING'))).toEqual(['PROCESSING', 'COMPLETED']); // never back to QUEUED
  }, 180_000);

  it('killed on every attempt: after 2 starts it ends FAILED worker_unavailable, credit released, webhook sent', async () => {
    const receiver = await startReceiver(secret);
    cleanups.push(() => receiver.close());
    const redis = await testClient();
    cleanups.push(() => redis.disconnect());
    const p = keyPrefix(env.BGR_REDIS_PREFIX!);
    const {
      body: { request_id: id },
    } = await submit(api.url, { webhook: receiver.url });
    const starts = async () => Number((await redis.hget(`${p}bull:requests:${id}`, 'ats')) ?? 0);
    await until(
      () => state(api.url, id),
      (s) => s === 'PROCESSING',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    rescuer.child.kill('SIGKILL');
    await rescuer.exited;
    const second = await node(env, 'worker');
    await until(starts, (k) => k === 2, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await state(api.url, id)).toBe('PROCESSING');
    second.child.kill('SIGKILL');
    await second.exited;
    const killedAt = Date.now();
    await node(env, 'worker'); // finds the job stalled with no start left: ends it instead of running it
    const s = await until(
      () => status(api.url, id),
      (r) => r.body.status !== 'PROCESSING',
      60_000,
    );
    console.log(`second SIGKILL → FAILED in ${Date.now() - killedAt} ms (includes the third worker starting)`);
    expect(s.status).toBe(422);
    expect(s.body).toMatchObject({ status: 'FAILED', code: 'worker_unavailable' });
    // The third start is refused by BullMQ before the processor runs (maxStartedAttempts = 2).
    const reason = await redis.hget(`${p}bull:requests:${id}`, 'failedReason');
    console.log(`BullMQ's reason: ${reason}`);
    expect(reason).toMatch(/more than allowable limit/);
    const hook = (await receiver.count(1))[0]!;
    expect(hook.verified).toMatchObject({ status: 'FAILED', code: 'worker_unavailable', request_id: id });
    const h = keyIdOf(KEY);
    expect(await redis.hget(`${p}credits:${h}`, 'bal')).toBe('99'); // released, not charged
    expect(await redis.zcard(`${p}holds:${h}`)).toBe(0);
  }, 180_000);
});

describe('Redis stopped, then restarted', () => {
  it('the API answers 503 service_unavailable with Retry-After at once while it is down, and recovers by itself', async () => {
    const port = await freePort();
    await startOwnRedis(port);
    cleanups.push(() => stopOwnRedis(port));
    const env = envOf('bgr:', { BGR_REDIS_URL: `redis://127.0.0.1:${port}` });
    const [api, worker] = await Promise.all([node(env, 'api'), node(env, 'worker')]);
    const first = await submit(api.url);
    await until(
      () => state(api.url, first.body.request_id),
      (s) => s === 'COMPLETED',
      60_000,
    );

    stopOwnRedis(port);
    await new Promise((r) => setTimeout(r, 200));
    const timed = async (call: () => Promise<Response>) => {
      const t0 = performance.now();
      const res = await call();
      return {
        ms: performance.now() - t0,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as Record<string, unknown>,
      };
    };
    const down = [
      await timed(() =>
        fetch(`${api.url}/v2/requests/${first.body.request_id}/status`, { headers: { 'x-api-key': KEY } }),
      ),
      await timed(() =>
        fetch(`${api.url}/v2/bg-removal`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ image }),
        }),
      ),
      await timed(() =>
        fetch(`${api.url}/v1/bg-removal`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ image }),
        }),
      ),
    ];
    console.log(`Redis down: API answered ${down.map((d) => `${d.status} in ${d.ms.toFixed(0)} ms`).join(', ')}`);
    for (const d of down) {
      expect(d.status).toBe(503);
      expect(d.body).toMatchObject({ code: 'service_unavailable', error: expect.stringMatching(/Redis/) });
      expect(Number(d.retryAfter)).toBeGreaterThan(0);
      expect(d.ms).toBeLessThan(2500); // the command timeout is 2 s; a refused connection fails at once
    }
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

    const restartedAt = Date.now();
    await startOwnRedis(port); // empty (no persistence here): old requests are gone, balances re-seed
    await until(
      async () => (await fetch(`${api.url}/readyz`)).status,
      (s) => s === 200,
      15_000,
    );
    const again = await until(
      () => submit(api.url),
      (r) => r.status === 200,
      15_000,
    );
    await until(
      () => state(api.url, again.body.request_id),
      (s) => s === 'COMPLETED',
      60_000,
    );
    console.log(`Redis back: API ready in ${Date.now() - restartedAt} ms; a new request completed on the same worker`);
    expect(api.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
  }, 180_000);
});
