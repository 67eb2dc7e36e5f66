/** Gateway policies and the v1 happy paths against the running app: auth, scopes, credits, rate limit, 502/504/500, readiness, the v2 seam. */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { multipart, pngOf } from '../../testing/fixtures.ts';
import { expectConforms, KEY, KEY_3, KEY_V1, KEY_V2, makeApp, type Harness } from '../../testing/harness.ts';
import { keyIdOf } from '../policy/keys.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

const V1 = '/v1/bg-removal';
async function post(hh: Harness, key: string | undefined, payload: object, headers: Record<string, string> = {}) {
  const res = await hh.app.inject({
    method: 'POST',
    url: V1,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...headers },
    payload,
  });
  expectConforms('POST', V1, res);
  return res;
}

describe('v1 success', () => {
  it.each([
    ['png default', {}, 'image/png', 4],
    ['webp', { format: 'webp' }, 'image/webp', 4],
    ['mask only', { mask_only: true }, 'image/png', 1],
    ['bg colour', { bg_color: '#ffffff' }, 'image/png', 3],
    ['human method', { method: 'human' }, 'image/png', 4],
  ])('%s', async (_n, opts, type, channels) => {
    h = await makeApp();
    const png = await pngOf(20, 10);
    const res = await post(h, KEY, { image: png.toString('base64'), ...opts });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(res.headers['x-inference-time'])).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-remaining-credits']).toBeUndefined(); // unlimited key
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([20, 10, channels]);
  });

  it('accepts a data URI and a multipart file', async () => {
    h = await makeApp();
    const png = await pngOf();
    expect((await post(h, KEY, { image: `data:image/png;base64,${png.toString('base64')}` })).statusCode).toBe(200);
    const mp = multipart([
      { name: 'image', filename: 'a.png', type: 'image/png', data: png },
      { name: 'mask_only', value: 'true' },
    ]);
    const res = await h.app.inject({
      method: 'POST',
      url: V1,
      headers: { 'x-api-key': KEY, ...mp.headers },
      payload: mp.payload,
    });
    expectConforms('POST', V1, res);
    expect(res.statusCode).toBe(200);
    expect((await sharp(res.rawPayload).metadata()).channels).toBe(1);
  });
});

describe('auth and scopes', () => {
  it.each([
    ['missing key', undefined, V1, 401, 'unauthorized'],
    ['unknown key', 'nope_nope_nope', V1, 401, 'unauthorized'],
    ['v2-only key on v1', KEY_V2, V1, 403, 'forbidden'],
    ['v1-only key on v2 submit', KEY_V1, '/v2/bg-removal', 403, 'forbidden'],
  ])('%s', async (_n, key, url, status, code) => {
    h = await makeApp();
    // Auth runs before the body is read: an invalid body still gets 401/403.
    const res = await h.app.inject({
      method: 'POST',
      url,
      headers: key ? { 'x-api-key': key } : {},
      payload: { bogus: true },
    });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
    expectConforms('POST', url, res);
  });

  it('v1-only key on a v2 GET is 403', async () => {
    h = await makeApp();
    const url = '/v2/requests/abc/status';
    const res = await h.app.inject({ method: 'GET', url, headers: { 'x-api-key': KEY_V1 } });
    expect(res.statusCode).toBe(403);
    expectConforms('GET', url, res);
  });
});

describe('credits', () => {
  it('decrements x-remaining-credits, charges only successes, then 406', async () => {
    h = await makeApp();
    const image = (await pngOf()).toString('base64');
    expect((await post(h, KEY_3, { image })).headers['x-remaining-credits']).toBe('2');
    // A failed request (undecodable image) is not charged.
    const bad = await post(h, KEY_3, { image: Buffer.from('not an image at all').toString('base64') });
    expect(bad.statusCode).toBe(400);
    expect(await h.keys.balance(keyIdOf(KEY_3))).toBe(2);
    expect((await post(h, KEY_3, { image })).headers['x-remaining-credits']).toBe('1');
    expect((await post(h, KEY_3, { image })).headers['x-remaining-credits']).toBe('0');
    const res = await post(h, KEY_3, { image });
    expect(res.statusCode).toBe(406);
    expect(res.json().code).toBe('insufficient_credits');
  });

  it('concurrent requests cannot overspend (holds count against the balance)', async () => {
    h = await makeApp({ env: { BGR_MAX_IN_FLIGHT: '5' }, engine: { delayMs: 100 } });
    const image = (await pngOf()).toString('base64');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => post(h!, KEY_3, { image })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 406, 406]);
    expect(await h.keys.balance(keyIdOf(KEY_3))).toBe(0);
  });

  it('engine failures release the hold', async () => {
    h = await makeApp({ engine: { fail: 'worker_unavailable' } });
    await post(h, KEY_3, { image: (await pngOf()).toString('base64') });
    expect(await h.keys.balance(keyIdOf(KEY_3))).toBe(3);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After, RateLimit and RateLimit-Policy (IETF draft structured form)', async () => {
    h = await makeApp({ env: { BGR_RATE_LIMIT: '2/min' } });
    const image = (await pngOf()).toString('base64');
    const first = await post(h, KEY, { image });
    expect(first.headers['ratelimit-policy']).toBe('"default";q=2;w=60');
    expect(first.headers.ratelimit).toMatch(/^"default";r=1;t=\d+$/);
    await post(h, KEY, { image });
    const res = await post(h, KEY, { image });
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
    expect(res.headers['ratelimit-policy']).toBe('"default";q=2;w=60');
    // Per key: another key still has its own budget.
    expect((await post(h, KEY_V1, { image })).statusCode).toBe(200);
  });

  it('uses the per-key limit from the key record', async () => {
    h = await makeApp();
    const keys = h.keys as unknown as {
      accounts: Map<string, { record: { rateLimit: { max: number; windowS: number } } }>;
    };
    keys.accounts.get(keyIdOf(KEY))!.record.rateLimit = { max: 1, windowS: 30 };
    const image = (await pngOf()).toString('base64');
    expect((await post(h, KEY, { image })).headers['ratelimit-policy']).toBe('"default";q=1;w=30');
    expect((await post(h, KEY, { image })).statusCode).toBe(429);
  });
  it('does not count polls: only operations that start an inference are limited', async () => {
    h = await makeApp({ env: { BGR_RATE_LIMIT: '1/min' } });
    const image = (await pngOf()).toString('base64');
    expect((await post(h, KEY, { image })).statusCode).toBe(200);
    expect((await post(h, KEY, { image })).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/v2/requests/some-id/status',
        headers: { 'x-api-key': KEY },
      });
      expect(res.statusCode).not.toBe(429);
      expect(res.headers).not.toHaveProperty('ratelimit');
    }
  });
});

describe('failures', () => {
  it('504 deadline_exceeded and the engine job is aborted', async () => {
    h = await makeApp({ env: { BGR_V1_DEADLINE_S: '0.2' }, engine: { delayMs: 5000 } });
    const t0 = Date.now();
    const res = await post(h, KEY_3, { image: (await pngOf()).toString('base64') });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('deadline_exceeded');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(h.engine.aborted).toBe(1);
    expect(await h.keys.balance(keyIdOf(KEY_3))).toBe(3);
  });

  it.each([
    ['worker_unavailable', 502, 'worker_unavailable'],
    ['invalid_image', 400, 'invalid_image'],
    ['image_too_large', 413, 'image_too_large'],
    ['unsupported_media_type', 415, 'unsupported_media_type'],
    ['internal', 500, 'inference_failed'],
  ] as const)('engine %s → %i %s', async (fail, status, code) => {
    h = await makeApp({ engine: { fail } });
    const res = await post(h, KEY, { image: (await pngOf()).toString('base64') });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('a true bug is a 500 with the request id and no stack', async () => {
    h = await makeApp({ engine: { fail: new TypeError("Cannot read properties of undefined (reading 'x')") } });
    const res = await post(h, KEY, { image: (await pngOf()).toString('base64') });
    expect(res.statusCode).toBe(500);
    // No request_id in an error body (that name is a v2 request's id); the trace id is the header.
    expect(res.json()).toEqual({ error: 'Internal server error.', code: 'internal' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).not.toContain('TypeError');
  });

  it.each([
    ['401 no key', 'POST', V1, undefined, { image: 'x' }],
    ['400 bad body', 'POST', V1, KEY, { nope: 1 }],
    ['404 unknown v2 id', 'GET', '/v2/requests/6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7/status', KEY, undefined],
    ['404 unknown route', 'GET', '/nowhere', KEY, undefined],
  ] as const)(
    '%s: the trace id is the x-request-id header, never a request_id in the body',
    async (_n, method, url, key, payload) => {
      h = await makeApp();
      const res = await h.app.inject({
        method,
        url,
        headers: key ? { 'x-api-key': key } : {},
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(res.json())).not.toContain('request_id');
    },
  );

  it('unknown routes get a contract-shaped 404', async () => {
    h = await makeApp();
    const res = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expectConforms('GET', '/nope', res);
  });
});

describe('health', () => {
  it('/healthz is 200; /readyz is 503 until the engine is ready, then 200 (no auth)', async () => {
    h = await makeApp({ engine: { ready: false } });
    expect((await h.app.inject('/healthz')).statusCode).toBe(200);
    expect((await h.app.inject('/readyz')).statusCode).toBe(503);
    h.engine.setReady();
    const ready = await h.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      cpu: expect.stringMatching(/ cores, .*\(int8: (vnni|vpmaddubsw|other)\)$/),
    });
  });
});

describe('v2 on the same service', () => {
  it('submits are validated against the contract once, then accepted; unknown ids are 404', async () => {
    h = await makeApp();
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': KEY },
      payload: { image: 'aGk=' },
    });
    expect(ok.statusCode).toBe(200);
    expectConforms('POST', '/v2/bg-removal', ok);
    const nf = await h.app.inject({ method: 'GET', url: '/v2/requests/r2/status', headers: { 'x-api-key': KEY } });
    expect(nf.statusCode).toBe(404);
    expectConforms('GET', '/v2/requests/r2/status', nf);
  });

  it.each([
    { name: 'missing image', body: {} },
    { name: 'unknown method', body: { image: 'x', method: 'cat' } },
    { name: 'unknown field', body: { image: 'x', size: 'full' } },
    { name: 'bad bg_color', body: { image: 'x', bg_color: 'red' } },
    { name: 'non-http webhook', body: { image: 'x', webhook: 'ftp://h/x' } },
    { name: 'non-boolean base64', body: { image: 'x', base64: 'yes' } },
  ])('answers 400 invalid_parameter for $name', async ({ body }) => {
    h = await makeApp();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': KEY },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_parameter');
    expectConforms('POST', '/v2/bg-removal', res);
  });
});
