/** Admission control: images in flight and decoded bytes are bounded; v1 is refused fast (429 + Retry-After), v2 jobs wait their turn. */
import { afterEach, describe, expect, it } from 'vitest';
import { Admission } from './admission.ts';
import { loadConfig } from '../process/config.ts';
import { startServer, type Running } from '../process/serve.ts';
import { FakeEngine } from '../../testing/fake-engine.ts';
import { pngOf } from '../../testing/fixtures.ts';
import { expectConforms } from '../../testing/harness.ts';

describe('Admission', () => {
  it('refuses the image over maxInFlight at once, with Retry-After', () => {
    const a = new Admission({ maxInFlight: 2, pixelBudget: 100 });
    const r1 = a.enter();
    a.enter();
    expect(() => a.enter()).toThrow(
      expect.objectContaining({ code: 'queue_full', headers: { 'Retry-After': expect.stringMatching(/^\d+$/) } }),
    );
    r1();
    r1(); // idempotent
    expect(a.usage.images).toBe(1);
    expect(() => a.enter()).not.toThrow();
  });

  it('refuses a v1 image that would wait past most of its deadline at the measured time per image', () => {
    const a = new Admission({ maxInFlight: 10, pixelBudget: 100, workers: 1, v1DeadlineS: 30 });
    a.enter(); // nothing measured yet: only the count applies
    a.recordService(10_000);
    a.enter(); // 2 × 10 s ≤ 24 s
    expect(() => a.enter()).toThrow(
      expect.objectContaining({
        code: 'queue_full',
        message: expect.stringMatching(/about 30 s, past its 30 s deadline/),
      }),
    );
    const two = new Admission({ maxInFlight: 10, pixelBudget: 100, workers: 2, v1DeadlineS: 30 });
    two.recordService(10_000);
    for (let i = 0; i < 4; i++) two.enter(); // two at a time: the 4th finishes at 20 s
    expect(() => two.enter()).toThrow(expect.objectContaining({ code: 'queue_full' }));
  });

  it.each([
    ['fits', [40, 50], 10, true],
    ['exactly fills', [40, 50], 10, true],
    ['overflows', [40, 50], 11, false],
  ] as const)('a v1 reservation that %s the budget', async (_n, held, more, ok) => {
    const a = new Admission({ maxInFlight: 10, pixelBudget: 100 });
    for (const b of held) await a.reserve(b, { wait: false });
    const r = a.reserve(more, { wait: false });
    if (ok) await expect(r).resolves.toBeTypeOf('function');
    else await expect(r).rejects.toMatchObject({ code: 'queue_full', statusCode: 429 });
  });

  it('a v2 reservation waits in order and is granted when bytes are released', async () => {
    const a = new Admission({ maxInFlight: 10, pixelBudget: 100 });
    const first = await a.reserve(80, { wait: false });
    const order: string[] = [];
    const w1 = a.reserve(50, { wait: true }).then((r) => {
      order.push('w1');
      return r;
    });
    const w2 = a.reserve(10, { wait: true }).then((r) => {
      order.push('w2');
      return r;
    });
    // A v1 request may not jump the queue of waiting jobs even if it would fit.
    await expect(a.reserve(5, { wait: false })).rejects.toMatchObject({ code: 'queue_full' });
    expect(a.usage.waiting).toBe(2);
    first();
    await Promise.all([w1, w2]);
    expect(order).toEqual(['w1', 'w2']);
    expect(a.usage.bytes).toBe(60);
  });

  it('an aborted wait leaves the queue', async () => {
    const a = new Admission({ maxInFlight: 10, pixelBudget: 100 });
    await a.reserve(100, { wait: false });
    const ac = new AbortController();
    const w = a.reserve(1, { wait: true, signal: ac.signal });
    ac.abort(new Error('gone'));
    await expect(w).rejects.toThrow('gone');
    expect(a.usage.waiting).toBe(0);
  });
});

describe('admission on a running server', () => {
  let s: (Running & { engine: FakeEngine }) | undefined;
  afterEach(async () => {
    await s?.shutdown();
    s = undefined;
  });

  async function start(env: Record<string, string>, delayMs: number) {
    const config = loadConfig({
      PORT: '0',
      BGR_API_KEYS: 'admission_key',
      BGR_RATE_LIMIT: '10000/min',
      BGR_SHUTDOWN_GRACE_S: '1',
      ...env,
    });
    const engine = new FakeEngine({ delayMs });
    s = { engine, ...(await startServer({ config, engine })) };
    return s;
  }
  const call = async (url: string, path: string, image: string) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': 'admission_key', 'content-type': 'application/json' },
      body: JSON.stringify({ image }),
    });
    const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
    return {
      statusCode: res.status,
      headers: {
        'content-type': res.headers.get('content-type') ?? undefined,
        'retry-after': res.headers.get('retry-after') ?? undefined,
      },
      body,
    };
  };

  it('v1 over BGR_MAX_IN_FLIGHT: fast 429 queue_full with Retry-After, the others succeed', async () => {
    const { url } = await start({ BGR_MAX_IN_FLIGHT: '2' }, 800);
    const image = (await pngOf(8, 8)).toString('base64');
    const t0 = Date.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => call(url, '/v1/bg-removal', image).then((r) => ({ ...r, ms: Date.now() - t0 }))),
    );
    const refused = results.filter((r) => r.statusCode === 429);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(2);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect(JSON.parse(r.body).code).toBe('queue_full');
      expect(r.ms).toBeLessThan(700); // refused before the running images finish
      expectConforms('POST', '/v1/bg-removal', r);
    }
  });

  it('v1 over the pixel budget: fast 429; a v2 job waits for the bytes and completes', async () => {
    // 100×100 images take 40 kB decoded; the budget holds two.
    const { url } = await start({ BGR_MAX_PIXELS: '10000', BGR_PIXEL_BUDGET: '80000' }, 600);
    const image = (await pngOf(100, 100)).toString('base64');
    const v1 = await Promise.all([0, 1, 2].map(() => call(url, '/v1/bg-removal', image)));
    expect(v1.map((r) => r.statusCode).sort()).toEqual([200, 200, 429]);
    const h = { 'x-api-key': 'admission_key', 'content-type': 'application/json' };
    const busy = [0, 1].map(() => call(url, '/v1/bg-removal', image));
    await new Promise((r) => setTimeout(r, 100));
    const sub = (await (
      await fetch(`${url}/v2/bg-removal`, { method: 'POST', headers: h, body: JSON.stringify({ image }) })
    ).json()) as { request_id: string };
    await Promise.all(busy);
    let status = '';
    for (let i = 0; i < 100 && status !== 'COMPLETED' && status !== 'FAILED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (
        (await (await fetch(`${url}/v2/requests/${sub.request_id}/status`, { headers: h })).json()) as {
          status: string;
        }
      ).status;
    }
    expect(status).toBe('COMPLETED');
  });
});
