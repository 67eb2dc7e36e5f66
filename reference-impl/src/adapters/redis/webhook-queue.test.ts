/** BullWebhookQueue on a real Redis and a real verifying receiver: signature, backoff, bound, and hand-over between nodes. */
import type { RedisClient } from './connection.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FailedBody } from '@bgr/spec';
import { startReceiver } from '../../../testing/v2.ts';
import { WebhookSender, generateWebhookSecret, type WebhookOutcome } from '../../removal/webhook.ts';
import { createRedis } from './connection.ts';
import { BullWebhookQueue } from './webhook-queue.ts';
import { deletePrefix, testClient, testPrefix, testRedisUrl } from '../../../testing/redis.ts';

const root = testPrefix();
const api = await testClient();
const opened: BullWebhookQueue[] = [];
const clients: RedisClient[] = [];
const receivers: { close(): Promise<void> }[] = [];
let n = 0;

const body = (id: string): FailedBody => ({
  request_id: id,
  status: 'FAILED',
  error: 'The request was canceled.',
  code: 'canceled',
  created_at: '2026-11-24T10:00:00.000Z',
  metrics: {},
});

/** One node's delivery queue on `prefix`; `deliver: false` is an API-only node (sends, never delivers). */
function node(prefix: string, sender: WebhookSender, deliver = true): BullWebhookQueue {
  const workerConnection = createRedis({ url: testRedisUrl, role: 'worker' });
  clients.push(workerConnection);
  const q = new BullWebhookQueue({
    connection: api,
    workerConnection,
    prefix,
    sender,
    lockDurationMs: 1000,
    stalledIntervalMs: 500,
  });
  if (deliver) q.start();
  opened.push(q);
  return q;
}

function sender(secret: string, over: { maxAttempts?: number; baseDelayMs?: number } = {}) {
  const outcomes: WebhookOutcome[] = [];
  const s = new WebhookSender({ secret, baseDelayMs: 100, ...over, onOutcome: (o) => outcomes.push(o) });
  return { s, outcomes };
}

async function receiver(secret: string, script: number[] = []) {
  const r = await startReceiver(secret, script);
  receivers.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close(0)));
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(receivers.map((r) => r.close()));
  await deletePrefix(root);
  api.disconnect();
});

describe('BullWebhookQueue', () => {
  it('a second send of a request id (its worker died after ending it; the job re-ran) delivers nothing more, also after the first was delivered', async () => {
    const secret = generateWebhookSecret();
    const r = await receiver(secret);
    const { s } = sender(secret);
    const q = node(`${root}${++n}:`, s);
    await q.send(r.url, 'once-1', body('once-1'));
    await r.count(1);
    await q.send(r.url, 'once-1', body('once-1')); // the first job is gone (delivered): only the marker remembers it
    await q.send(r.url, 'once-1', body('once-1'));
    await new Promise((res) => setTimeout(res, 500));
    expect(r.received).toHaveLength(1);
    expect(q.idempotent).toBe(true);
  });

  it('delivers a verified body after 500 and 503, one webhook-id throughout, backing off 100 then 200 ms', async () => {
    const secret = generateWebhookSecret();
    const r = await receiver(secret, [500, 503]);
    const { s, outcomes } = sender(secret);
    const q = node(`${root}${++n}:`, s);
    const t0 = Date.now();
    await q.send(r.url, 'req-1', body('req-1'));
    const got = await r.count(3);
    expect(got.map((g) => g.status)).toEqual([500, 503, 204]);
    expect(new Set(got.map((g) => g.headers['webhook-id']))).toEqual(new Set(['req-1']));
    expect(got[2]!.verified).toEqual(body('req-1'));
    // Two backoffs (100 + 200 ms) lie between the send and the third attempt.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    await until(async () => (await q.counts()).active === 0 && outcomes.length === 3);
    expect(outcomes).toEqual(['retry', 'retry', 'delivered']);
  });

  it('gives up after maxAttempts: exactly that many POSTs, the last reported as failed', async () => {
    const secret = generateWebhookSecret();
    const r = await receiver(secret, [500, 500, 500, 500, 500]);
    const { s, outcomes } = sender(secret, { maxAttempts: 3, baseDelayMs: 20 });
    const q = node(`${root}${++n}:`, s);
    await q.send(r.url, 'req-2', body('req-2'));
    await until(() => outcomes.length === 3);
    await new Promise((res) => setTimeout(res, 300)); // no fourth attempt comes
    expect(r.received).toHaveLength(3);
    expect(outcomes).toEqual(['retry', 'retry', 'failed']);
    expect(await q.counts()).toEqual({ waiting: 0, delayed: 0, active: 0 });
  });

  it('an API-only node queues; the retry left by a node that stopped is delivered by another node', async () => {
    const secret = generateWebhookSecret();
    const prefix = `${root}${++n}:`;
    const r = await receiver(secret, [500]);
    const apiNode = node(prefix, sender(secret).s, false);
    const first = node(prefix, sender(secret, { baseDelayMs: 500 }).s);
    await apiNode.send(r.url, 'req-3', body('req-3'));
    await r.count(1);
    await until(async () => (await apiNode.counts()).delayed === 1); // the failed attempt became a retry in Redis
    await first.close(0); // gone with its retry pending
    node(prefix, sender(secret).s);
    const got = await r.count(2);
    expect(got.map((g) => [g.status, g.headers['webhook-id']])).toEqual([
      [500, 'req-3'],
      [204, 'req-3'],
    ]);
    expect(got[1]!.verified).toEqual(body('req-3'));
  });

  it('a second send of the same id while the first is pending is ignored (one delivery per request)', async () => {
    const secret = generateWebhookSecret();
    const r = await receiver(secret, [500]);
    const q = node(`${root}${++n}:`, sender(secret, { baseDelayMs: 200 }).s);
    await q.send(r.url, 'req-4', body('req-4'));
    await r.count(1);
    await q.send(r.url, 'req-4', body('req-4'));
    await r.count(2);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received.map((g) => g.status)).toEqual([500, 204]);
  });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
