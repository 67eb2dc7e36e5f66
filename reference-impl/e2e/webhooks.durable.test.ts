/** Durable webhooks with real `bgr serve` processes on Redis: the node owning a delivery is SIGKILLed mid-retry, another delivers it. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, keyPrefix, testClient, testPrefix, testRedisUrl } from '../testing/redis.ts';
import { pngOf } from '../testing/fixtures.ts';
import { nodePool, until, type NodeProcess } from '../testing/nodes.ts';
import { generateWebhookSecret } from '../src/removal/webhook.ts';

const KEY = 'hook_key_1';
const prefix = testPrefix();
const secret = generateWebhookSecret();
const dir = mkdtempSync(join(tmpdir(), 'bgr-hooks-'));
const keysFile = join(dir, 'keys.yaml');
writeFileSync(keysFile, `keys:\n  - { key: ${KEY}, credits: 100 }\n`);
const env = {
  BGR_REDIS_URL: testRedisUrl,
  BGR_REDIS_PREFIX: prefix,
  BGR_API_KEYS: keysFile,
  BGR_THREADS: '1',
  BGR_JOB_LOCK_MS: '1000',
  BGR_JOB_STALLED_MS: '500',
  BGR_WEBHOOK_SECRET: secret,
  BGR_ALLOW_PRIVATE_URLS: 'true',
  BGR_SHUTDOWN_GRACE_S: '2',
};

const redis = await testClient();
const pool = nodePool();
const { cleanups } = pool;
const node = (role: 'api' | 'worker', ready = true) => pool.start(env, role, ready);
afterAll(async () => {
  await pool.stopAll();
  await deletePrefix(prefix);
  redis.disconnect();
});

interface Delivery {
  at: number;
  id: string;
  status: number;
  verified: Record<string, unknown> | undefined;
}

/**
 * A customer's receiver: verifies each POST; `answer(n)` says what the n-th delivery (0-based) gets:
 * a status, or 'hang' (never answered, as a slow receiver the sender's node dies waiting for).
 */
async function receiver(answer: (n: number) => number | 'hang') {
  const got: Delivery[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified: Record<string, unknown> | undefined;
      try {
        verified = new Webhook(secret).verify(Buffer.concat(chunks).toString('utf8'), headers) as Record<
          string,
          unknown
        >;
      } catch {
        /* unsigned */
      }
      const a = verified ? answer(got.length) : 400;
      got.push({ at: Date.now(), id: headers['webhook-id'] ?? '', status: a === 'hang' ? 0 : a, verified });
      if (a !== 'hang') res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got };
}

const submit = async (url: string, webhook: string) => {
  const res = await fetch(`${url}/v2/bg-removal`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ image: (await pngOf(96, 64)).toString('base64'), webhook }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { request_id: string }).request_id;
};

/** Successful (2xx) deliveries per webhook-id: what a receiver deduping on webhook-id keeps. */
const successes = (got: Delivery[]) => {
  const m = new Map<string, number>();
  for (const d of got) if (d.status >= 200 && d.status < 300) m.set(d.id, (m.get(d.id) ?? 0) + 1);
  return Object.fromEntries(m);
};

describe('durable webhooks: the node owning a delivery dies', () => {
  // One deployment: the rescuer of the first test is the victim of the second.
  let api: NodeProcess;
  let rescuer: NodeProcess;

  it('SIGKILLed while the retry waits out its backoff (receiver answered 500): another node delivers it, once', async () => {
    let victim: NodeProcess;
    [api, victim] = await Promise.all([node('api'), node('worker')]);
    const r = await receiver((i) => (i === 0 ? 500 : 204));
    const id = await submit(api.url, r.url);
    await until(
      async () => r.got.length,
      (k) => k === 1,
      60_000,
    );
    await until(
      () => redis.zcard(`${keyPrefix(prefix)}bull:webhooks:delayed`),
      (k) => k === 1,
      10_000,
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    rescuer = await node('worker', false); // delivers while its model still loads
    await until(
      async () => r.got.length,
      (k) => k === 2,
      30_000,
    );
    console.log(
      `webhook: 500 at attempt 1, worker SIGKILLed during the backoff; attempt 2 (204) ${r.got[1]!.at - killedAt} ms after the kill, ${r.got[1]!.at - r.got[0]!.at} ms after attempt 1`,
    );
    await new Promise((res) => setTimeout(res, 2000)); // nothing more arrives
    expect(r.got.map((d) => [d.status, d.id])).toEqual([
      [500, id],
      [204, id],
    ]);
    expect(r.got[1]!.verified).toMatchObject({ request_id: id, status: 'COMPLETED' });
    expect(successes(r.got)).toEqual({ [id]: 1 });
  }, 180_000);

  it('SIGKILLed in the middle of an attempt (receiver never answered): the stalled attempt is re-run elsewhere, delivered once', async () => {
    await until(
      async () => (await fetch(`${rescuer.url}/readyz`)).status,
      (s) => s === 200,
      120_000,
    );
    const r = await receiver((i) => (i === 0 ? 'hang' : 204));
    const id = await submit(api.url, r.url);
    await until(
      async () => r.got.length,
      (k) => k === 1,
      60_000,
    );
    rescuer.child.kill('SIGKILL');
    await rescuer.exited;
    const killedAt = Date.now();
    await node('worker', false);
    await until(
      async () => r.got.length,
      (k) => k === 2,
      30_000,
    );
    console.log(
      `webhook: worker SIGKILLed mid-attempt; re-run delivered (204) ${r.got[1]!.at - killedAt} ms after the kill (lock 1000 ms + stalled check 500 ms)`,
    );
    await new Promise((res) => setTimeout(res, 2000));
    expect(r.got.map((d) => [d.status, d.id])).toEqual([
      [0, id],
      [204, id],
    ]);
    expect(r.got[1]!.verified).toMatchObject({ request_id: id, status: 'COMPLETED' });
    expect(successes(r.got)).toEqual({ [id]: 1 });
  }, 180_000);
});
