/** WebhookSender against a real receiver on 127.0.0.1 that verifies Standard Webhooks signatures. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FailedBody } from '@bgr/spec';
import { startReceiver } from '../../testing/v2.ts';
import { WebhookSender, ensureWebhookSecret, generateWebhookSecret } from './webhook.ts';

const body: FailedBody = {
  request_id: 'r1',
  status: 'FAILED',
  error: 'The request was canceled.',
  code: 'canceled',
  created_at: '2026-11-24T10:00:00.000Z',
  metrics: {},
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('WebhookSender', () => {
  it('delivers a signed body that the receiver verifies, retrying after 500s with the same message id', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, [500, 503]);
    cleanup.push(receiver.close);
    const sender = new WebhookSender({ secret, baseDelayMs: 5 });
    expect(await sender.deliver(receiver.url, 'r1', body)).toBe(true);
    const got = receiver.received;
    expect(got.map((r) => r.status)).toEqual([500, 503, 204]);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set(['r1']));
    expect(got[2]!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got[2]!.headers['content-type']).toBe('application/json');
    expect(got[2]!.verified).toEqual(body);
  });

  it('gives up after maxAttempts', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, [500, 500, 500, 500]);
    cleanup.push(receiver.close);
    const logs: string[] = [];
    const sender = new WebhookSender({ secret, maxAttempts: 3, baseDelayMs: 1, log: (m) => logs.push(m) });
    expect(await sender.deliver(receiver.url, 'r1', body)).toBe(false);
    expect(receiver.received).toHaveLength(3);
    expect(logs.at(-1)).toMatch(/giving up/);
  });

  it('a receiver with another secret rejects the delivery', async () => {
    const receiver = await startReceiver(generateWebhookSecret());
    cleanup.push(receiver.close);
    const sender = new WebhookSender({ secret: generateWebhookSecret(), maxAttempts: 1 });
    expect(await sender.deliver(receiver.url, 'r1', body)).toBe(false);
    expect(receiver.received[0]!.status).toBe(400);
  });

  it('backs off exponentially through the injected fetch, and close() abandons pending retries', async () => {
    const times: number[] = [];
    const sender = new WebhookSender({
      secret: generateWebhookSecret(),
      maxAttempts: 10,
      baseDelayMs: 20,
      fetch: async () => {
        times.push(Date.now());
        return { status: 502 };
      },
    });
    const done = sender.deliver('https://example.invalid/h', 'r1', body);
    while (times.length < 3) await new Promise((r) => setTimeout(r, 5));
    await sender.close(0);
    expect(await done).toBe(false);
    expect(times.length).toBeLessThan(10);
    // 20 ms, then 40 ms (timers never fire early by more than a millisecond of rounding).
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(19);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(39);
  });

  it('ensureWebhookSecret keeps a configured secret and generates (and says so) when absent', () => {
    const logs: string[] = [];
    const configured = generateWebhookSecret();
    expect(ensureWebhookSecret(configured, (m) => logs.push(m))).toBe(configured);
    expect(logs).toEqual([]);
    const generated = ensureWebhookSecret(undefined, (m) => logs.push(m));
    expect(generated).toMatch(/^whsec_/);
    expect(logs[0]).toMatch(/generated/);
    expect(logs[0]).not.toContain(generated);
  });
});
