/**
 * Keys by id: after every v2 operation (and a v1 request) on a Redis deployment, a dump of every key and
 * value under the deployment's prefix holds no API key secret: records, credits, holds, idempotency
 * bindings, rate-limit counters, BullMQ jobs and webhook deliveries all name the key by its id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/process/config.ts';
import { startRedisNode } from '../src/process/distributed.ts';
import { startServer, type Running } from '../src/process/serve.ts';
import { keyIdHasher } from '../src/policy/keys.ts';
import { generateWebhookSecret } from '../src/removal/webhook.ts';
import { FakeEngine } from '../testing/fake-engine.ts';
import { multipart, pngOf } from '../testing/fixtures.ts';
import { until } from '../testing/nodes.ts';
import { deletePrefix, keyPrefix, testPrefix, testRedisUrl } from '../testing/redis.ts';
import { startReceiver } from '../testing/v2.ts';

const SECRETS = ['sk_dump_unlimited_0123456789', 'sk_dump_credits_9876543210'];
const KEY_ID_SECRET = 'dump-test-key-id-secret';
const prefix = testPrefix();
const running: Running[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const r of running.splice(0)) await r.shutdown();
  for (const c of cleanups.splice(0)) await c();
  await deletePrefix(prefix);
});

/** Every key under the prefix with its value(s), as raw bytes, whatever the type. */
async function dump(redis: Redis, pattern: string): Promise<{ key: string; bytes: Buffer }[]> {
  const out: { key: string; bytes: Buffer }[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let parts: Buffer[] = [];
      if (type === 'string') parts = [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
      else if (type === 'hash')
        parts = Object.entries(await redis.hgetallBuffer(key)).flatMap(([k, v]) => [Buffer.from(k), v]);
      else if (type === 'list') parts = await redis.lrangeBuffer(key, 0, -1);
      else if (type === 'set') parts = await redis.smembersBuffer(key);
      else if (type === 'zset') parts = await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream')
        parts = (await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
      out.push({ key, bytes: Buffer.concat([Buffer.from(key), ...parts]) });
    }
  } while (cursor !== '0');
  return out;
}

describe('no API key secret in Redis', () => {
  it('after v1, every v2 operation and a webhook, the dump names keys by id only', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret);
    cleanups.push(receiver.close);
    const env = {
      PORT: '0',
      BGR_REDIS_URL: testRedisUrl,
      BGR_REDIS_PREFIX: prefix,
      BGR_API_KEYS: `${SECRETS[0]},${SECRETS[1]}:5`,
      BGR_WEBHOOK_SECRET: secret,
      BGR_KEY_ID_SECRET: KEY_ID_SECRET,
      BGR_ALLOW_PRIVATE_URLS: 'true',
      BGR_SHUTDOWN_GRACE_S: '1',
    };
    const log = pino({ level: 'silent' });
    const engine = new FakeEngine({ delayMs: 30 });
    const { running: api } = await startRedisNode(
      loadConfig({ ...env, BGR_ROLE: 'api' }),
      log,
      () => {
        throw new Error('an api node loads no model');
      },
      startServer,
    );
    running.push(api);
    const { running: worker } = await startRedisNode(
      loadConfig({ ...env, BGR_ROLE: 'worker' }),
      log,
      () => engine,
      startServer,
    );
    running.push(worker);
    await engine.ready();

    const png = await pngOf(12, 10);
    const call = (key: string, path: string, init: RequestInit = {}) =>
      fetch(`${api.url}${path}`, {
        ...init,
        headers: { 'x-api-key': key, ...(init.headers as Record<string, string>) },
      });
    const json = (key: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
      call(key, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    for (const [i, key] of SECRETS.entries()) {
      // v1 (a job run by the worker), with the credits of a limited key.
      const v1 = await json(key, '/v1/bg-removal', { image: png.toString('base64') });
      expect(v1.status).toBe(200);
      // v2: JSON submit with an idempotency key and a webhook, its replay, status, stream, result, output.
      const submit = { image: png.toString('base64'), webhook: receiver.url, base64: false };
      const sub = await json(key, '/v2/bg-removal', submit, { 'idempotency-key': `ik-${i}` });
      expect(sub.status).toBe(200);
      const { request_id: id } = (await sub.json()) as { request_id: string };
      expect(
        (
          (await (await json(key, '/v2/bg-removal', submit, { 'idempotency-key': `ik-${i}` })).json()) as {
            request_id: string;
          }
        ).request_id,
      ).toBe(id);
      const stream = await call(key, `/v2/requests/${id}/status`, { headers: { accept: 'text/event-stream' } });
      expect(await stream.text()).toContain('COMPLETED');
      await until(
        async () => (await call(key, `/v2/requests/${id}/status`)).status,
        (s) => s === 200,
      );
      expect((await call(key, `/v2/requests/${id}`)).status).toBe(200);
      expect((await call(key, `/v2/requests/${id}/output`)).status).toBe(200);
      // Multipart submit, canceled while it runs.
      engine.opts.delayMs = 2000;
      const form = multipart([{ name: 'image', filename: 'x.png', type: 'image/png', data: png }]);
      const mp = await call(key, '/v2/bg-removal', {
        method: 'POST',
        headers: form.headers,
        body: new Uint8Array(form.payload),
      });
      expect(mp.status).toBe(200);
      const { request_id: mpId } = (await mp.json()) as { request_id: string };
      expect((await call(key, `/v2/requests/${mpId}/cancel`, { method: 'POST' })).status).toBe(200);
      expect((await call(key, `/v2/requests/${mpId}/status`)).status).toBe(422);
      engine.opts.delayMs = 30;
    }
    await receiver.count(2);

    const redis = new Redis(testRedisUrl);
    cleanups.push(async () => redis.disconnect());
    const entries = await dump(redis, `${keyPrefix(prefix)}*`);
    const ids = SECRETS.map(keyIdHasher(KEY_ID_SECRET));
    const all = Buffer.concat(entries.map((e) => e.bytes));
    // The dump is the real thing: credits named by id, records owned by id, BullMQ jobs, rate-limit counters.
    expect(entries.some((e) => e.key.endsWith(`credits:${ids[1]}`))).toBe(true);
    expect(entries.some((e) => e.key.includes('bull:'))).toBe(true);
    expect(entries.some((e) => e.key.includes('rl:'))).toBe(true);
    expect(all.includes(ids[0]!)).toBe(true);
    for (const s of SECRETS) {
      const leaks = entries.filter((e) => e.bytes.includes(s) || e.bytes.includes(Buffer.from(s).toString('base64')));
      expect(
        leaks.map((e) => e.key),
        `secret ${s.slice(0, 10)}… found`,
      ).toEqual([]);
    }
  });
});
