/** The guarded fetch end to end against a local server: allow-list switch, redirects re-checked, size and time caps. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { pngOf } from '../../testing/fixtures.ts';
import { startImageServer, type ImageServer } from '../../testing/image-server.ts';
import { guardedFetch, type FetchPolicy } from './guarded-fetch.ts';

let srv: ImageServer;
let png: Buffer;
const local: FetchPolicy = { allowPrivate: ['127.0.0.1'], timeoutMs: 1000, maxBytes: 64 * 1024, maxRedirects: 3 };
const strict: FetchPolicy = { ...local, allowPrivate: [] };

beforeAll(async () => {
  png = await pngOf();
  srv = await startImageServer(png);
});
afterAll(() => srv.close());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return (e as ApiError).code;
  }
}

describe('guardedFetch', () => {
  it('fetches from an allow-listed address and follows a checked redirect', async () => {
    const res = await guardedFetch(`${srv.url}/redirect-png`, local);
    expect(res.status).toBe(200);
    expect(res.body.equals(png)).toBe(true);
    expect(res.url).toBe(`${srv.url}/png`);
  });

  it('refuses the same URL without the allow-list, before connecting', async () => {
    const hits = srv.hits;
    expect(await codeOf(guardedFetch(`${srv.url}/png`, strict))).toBe('image_url_forbidden');
    expect(srv.hits).toBe(hits);
  });

  it("'all' lets private addresses through (dev mode)", async () => {
    expect((await guardedFetch(`${srv.url}/png`, { ...strict, allowPrivate: 'all' })).status).toBe(200);
  });

  it.each([
    ['/redirect-private', 'image_url_forbidden'],
    ['/loop', 'image_fetch_failed'],
    ['/big', 'payload_too_large'],
    ['/hang', 'image_fetch_failed'],
  ])('%s → %s', async (path, code) => {
    expect(await codeOf(guardedFetch(`${srv.url}${path}`, local))).toBe(code);
  });

  it('does not follow redirects for POST (webhooks) unless asked', async () => {
    const res = await guardedFetch(`${srv.url}/redirect-private`, local, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(302);
  });

  it('refuses a host name that resolves to a private address', async () => {
    expect(await codeOf(guardedFetch(srv.url.replace('127.0.0.1', 'localhost') + '/png', strict))).toBe(
      'image_url_forbidden',
    );
  });

  it('times out within the policy', async () => {
    const t0 = Date.now();
    await codeOf(guardedFetch(`${srv.url}/hang`, { ...local, timeoutMs: 200 }));
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
