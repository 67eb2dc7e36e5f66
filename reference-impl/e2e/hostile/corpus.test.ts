/**
 * The hostile-input corpus: images, multipart, URLs and redirects, ids, headers and cancel bodies against
 * the real server on a FakeEngine. Every answer has the status and code the contract promises and its body shape;
 * none is a 5xx. Transport-level faults (raw sockets) are in transport.test.ts.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, pngOf } from '../../testing/fixtures.ts';
import { imageCases } from './images.ts';
import { startOrigin, type Origin } from './origin.ts';
import { expectAnswer, KEY, startCorpusServer, v2Outcome, type CorpusServer } from './server.ts';

let s: CorpusServer;
let origin: Origin;
let png: Buffer;

beforeAll(async () => {
  png = await pngOf(16, 12);
  [s, origin] = await Promise.all([startCorpusServer(), startOrigin(png)]);
});
afterAll(async () => {
  await Promise.all([s?.shutdown(), origin?.close()]);
});

const v1 = (payload: unknown, headers: Record<string, string> = {}) =>
  s.app.inject({
    method: 'POST',
    url: '/v1/bg-removal',
    headers: { 'x-api-key': KEY, ...headers },
    payload: payload as string,
  });
const file = (data: Buffer, type = 'application/octet-stream') =>
  multipart([{ name: 'image', filename: 'x', type, data }]);

describe('images: every format, its odd corners, and formats we refuse', () => {
  it.each(imageCases.map((c) => [c.name, c] as const))('%s on v1 (JSON base64 and multipart) and v2', async (_n, c) => {
    const bytes = await c.bytes();
    for (const res of [
      await v1({ image: bytes.toString('base64') }),
      await v1(file(bytes).payload, file(bytes).headers),
    ]) {
      if ('ok' in c.expect) {
        expectAnswer('POST', '/v1/bg-removal', res, 200);
        const meta = await sharp(res.rawPayload).metadata();
        expect([meta.width, meta.height]).toEqual(c.expect.ok);
      } else expectAnswer('POST', '/v1/bg-removal', res, c.expect.status, c.expect.code);
    }
    const { submit, end } = await v2Outcome(s, { image: bytes.toString('base64') });
    expectAnswer('POST', '/v2/bg-removal', submit, 200);
    if ('ok' in c.expect) expect(end!.json().status).toBe('COMPLETED');
    else expect([end!.statusCode, end!.json().code]).toEqual([422, c.expect.code]);
  });
});

type Req = { payload: string | Buffer; headers: Record<string, string> };
const raw = (payload: string | Buffer, type: string): Req => ({ payload, headers: { 'content-type': type } });
const B = '----corpus';
const mp = (body: string, boundary = B): Req =>
  raw(body.replace(/\n/g, '\r\n'), `multipart/form-data; boundary=${boundary}`);
const part = (headers: string, value: string) => `--${B}\n${headers}\n\n${value}\n`;

const multipartCases: [name: string, status: number, code: string, req: () => Req][] = [
  ['no boundary parameter', 400, 'invalid_parameter', () => raw('--x\r\n\r\n', 'multipart/form-data')],
  ['empty boundary', 400, 'invalid_parameter', () => raw('--\r\n\r\n', 'multipart/form-data; boundary=')],
  ['garbage body', 400, 'invalid_parameter', () => mp('this is not multipart at all')],
  ['empty body', 400, 'invalid_parameter', () => mp('')],
  [
    'truncated inside a part',
    400,
    'invalid_parameter',
    () =>
      mp(`--${B}\nContent-Disposition: form-data; name="image"; filename="a.png"\nContent-Type: image/png\n\n\x89PNG`),
  ],
  [
    'no closing delimiter',
    400,
    'invalid_parameter',
    () => mp(part('Content-Disposition: form-data; name="method"', 'object')),
  ],
  [
    'part without Content-Disposition',
    400,
    'invalid_parameter',
    () => mp(`${part('Content-Type: text/plain', 'x')}--${B}--\n`),
  ],
  ['boundary of 71 characters', 400, 'invalid_parameter', () => mp(`--${'b'.repeat(71)}--\n`, 'b'.repeat(71))],
  [
    'JSON-typed field holding bad JSON',
    400,
    'invalid_parameter',
    () =>
      mp(`${part('Content-Disposition: form-data; name="method"\nContent-Type: application/json', '{oops')}--${B}--\n`),
  ],
  [
    'JSON-typed image field holding bad JSON',
    400,
    'invalid_parameter',
    () =>
      mp(
        `${part('Content-Disposition: form-data; name="image"\nContent-Type: application/json', '"unterminated')}--${B}--\n`,
      ),
  ],
  [
    'thirty text fields',
    413,
    'payload_too_large',
    () => multipart(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, value: 'x' }))),
  ],
  [
    'field over the field size limit (truncated, so no image)',
    400,
    'invalid_parameter',
    () => multipart([{ name: 'method', value: 'x'.repeat(1024 * 1024 + 10) }]),
  ],
  ['only the closing delimiter', 400, 'invalid_parameter', () => mp(`--${B}--\n`)],
];

describe('multipart edge cases', () => {
  it.each(multipartCases)('%s → %i %s on v1 and v2', async (_n, status, code, req) => {
    for (const url of ['/v1/bg-removal', '/v2/bg-removal']) {
      const r = req();
      const res = await s.app.inject({
        method: 'POST',
        url,
        headers: { 'x-api-key': KEY, ...r.headers },
        payload: r.payload,
      });
      expectAnswer('POST', url, res, status, code);
    }
  });
});

const urlCases: [name: string, path: string, status: number, code: string][] = [
  ['redirect to http://[::1 (unclosed bracket)', '/redirect-unclosed-ipv6', 400, 'image_fetch_failed'],
  ['redirect to port 99999', '/redirect-port-99999', 400, 'image_fetch_failed'],
  ['redirect to a host with a space', '/redirect-space-in-host', 400, 'image_fetch_failed'],
  ['redirect to http:/// (no host)', '/redirect-empty-host', 400, 'image_fetch_failed'],
  ['redirect to file:', '/redirect-file', 400, 'image_url_forbidden'],
  ['redirect to gopher: (Redis smuggling)', '/redirect-gopher', 400, 'image_url_forbidden'],
  ['redirect to cloud metadata', '/redirect-metadata', 400, 'image_url_forbidden'],
  ['redirect to an IPv4-mapped loopback', '/redirect-mapped-loopback', 400, 'image_fetch_failed'],
  ['redirect with an empty Location', '/redirect-empty', 400, 'image_fetch_failed'],
  ['origin answering 500', '/status-500', 400, 'image_fetch_failed'],
  ['Content-Length larger than the body', '/lying-length', 400, 'image_fetch_failed'],
  ['HTML served as image/png', '/html-as-png', 400, 'invalid_image'],
];

describe('URL and redirect tricks', () => {
  it.each(urlCases)('%s → %s %s on v1, FAILED with the code on v2', async (_n, path, status, code) => {
    const image = `${origin.url}${path}`;
    expectAnswer('POST', '/v1/bg-removal', await v1({ image }), status, code);
    const { end } = await v2Outcome(s, { image });
    expect([end!.statusCode, end!.json().code]).toEqual([422, code]);
  });

  it.each([['a relative redirect to a PNG is followed', `/redirect-relative-png`]])('%s', async (_n, path) => {
    expectAnswer('POST', '/v1/bg-removal', await v1({ image: `${origin.url}${path}` }), 200);
  });

  it.each([
    ['javascript: URL', 'javascript:alert(1)', 400, 'image_url_forbidden'],
    [
      'URL with credentials to loopback on a closed port',
      'http://user:pass@127.0.0.1:1/a.png',
      400,
      'image_fetch_failed',
    ],
    ['URL with port 99999', 'http://example.com:99999/a.png', 400, 'invalid_parameter'],
    ['URL with a space in the host', 'http://exa mple.com/a.png', 400, 'invalid_parameter'],
    ['hex-encoded loopback on a closed port', 'http://0x7f.0.0.1:1/a.png', 400, 'image_fetch_failed'],
    ['URL of 5000 characters', `http://example.invalid/${'a'.repeat(5000)}`, 400, 'image_fetch_failed'],
  ] as const)('%s → %i %s', async (_n, image, status, code) => {
    expectAnswer('POST', '/v1/bg-removal', await v1({ image }), status, code);
  });
});

const ids: [name: string, path: string][] = [
  ['a 1-character id', 'x'],
  ['a 100-character id', 'a'.repeat(100)],
  ['a 101-character id', 'a'.repeat(101)],
  ['a 128-character id', 'a'.repeat(128)],
  ['a 129-character id', 'a'.repeat(129)],
  ['a 2000-character id', 'a'.repeat(2000)],
  ['bad percent-encoding %zz', '%zz'],
  ['a lone %', '%'],
  ['truncated UTF-8 %E0%A4%A', '%E0%A4%A'],
  ['an encoded NUL', '%00'],
  ['an encoded slash', 'a%2Fb'],
  ['unicode', '%F0%9F%98%80'],
  ['dot-dot', '..'],
];
const endpoints: [method: 'GET' | 'POST', suffix: string][] = [
  ['GET', '/status'],
  ['GET', ''],
  ['GET', '/output'],
  ['POST', '/cancel'],
];

describe('request ids', () => {
  it.each(ids)('%s → 404 not_found on status, result, output and cancel', async (_n, id) => {
    for (const [method, suffix] of endpoints) {
      const url = `/v2/requests/${id}${suffix}`;
      const res = await s.app.inject({ method, url, headers: { 'x-api-key': KEY } });
      expectAnswer(method, url.replace(id, 'id'), res, 404, 'not_found');
    }
  });

  it.each(endpoints)('an empty id on %s …%s → 404 not_found', async (method, suffix) => {
    const res = await s.app.inject({ method, url: `/v2/requests/${suffix}`, headers: { 'x-api-key': KEY } });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });
});

describe('cancel with a body: the body is ignored, the answers stay the declared ones', () => {
  it.each([
    ['malformed JSON', '{oops', 'application/json'],
    ['text/plain', 'cancel please', 'text/plain'],
    ['a body over the body limit', Buffer.alloc(3 * 1024 * 1024, 0x41), 'application/octet-stream'],
    ['multipart without a boundary', '--x', 'multipart/form-data'],
  ] as const)('%s', async (_n, payload, type) => {
    const { submit } = await v2Outcome(s, { image: png.toString('base64') });
    const url = `/v2/requests/${submit.json().request_id}/cancel`;
    const res = await s.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': KEY, 'content-type': type },
      payload,
    });
    expectAnswer('POST', url, res, 409, 'not_cancelable'); // it has ended already
    const unknown = await s.app.inject({
      method: 'POST',
      url: '/v2/requests/nope/cancel',
      headers: { 'x-api-key': KEY, 'content-type': type },
      payload,
    });
    expectAnswer('POST', '/v2/requests/nope/cancel', unknown, 404, 'not_found');
  });
});

describe('headers', () => {
  it.each([
    ['an API key of 10,000 characters', { 'x-api-key': 'k'.repeat(10_000) }, 401, 'unauthorized'],
    ['Idempotency-Key of 256 characters', { 'idempotency-key': 'i'.repeat(256) }, 400, 'invalid_parameter'],
    [
      'content-type application/json; charset=latin1',
      { 'content-type': 'application/json; charset=latin1' },
      200,
      undefined,
    ],
    [
      'content-type with a parameter of 2000 characters',
      { 'content-type': `application/json; x=${'y'.repeat(2000)}` },
      200,
      undefined,
    ],
    ['content-type image/png (raw bytes)', { 'content-type': 'image/png' }, 415, 'unsupported_media_type'],
  ] as const)('%s → %i', async (_n, headers, status, code) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ image: png.toString('base64') }),
    });
    expectAnswer('POST', '/v2/bg-removal', res, status, code);
  });

  const submitUrls = async (headers: Record<string, string>) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v2/bg-removal',
      headers: { 'x-api-key': KEY, ...headers },
      payload: { image: png.toString('base64') },
    });
    expectAnswer('POST', '/v2/bg-removal', res, 200);
    return res.json() as { status_url: string; cancel_url: string };
  };

  it.each([
    ['a path and quotes in Host', 'evil.example:1/x?"<>'],
    ['a space in Host', 'evil example'],
    ['port 99999 in Host', 'api.example.com:99999'],
    ['an unclosed IPv6 Host', '[::1'],
    ['userinfo in Host', 'user@evil.example'],
  ])('%s → links use the listen address', async (_n, host) => {
    const body = await submitUrls({ host });
    expect(body.status_url.startsWith(`http://127.0.0.1:${s.port}/v2/requests/`), body.status_url).toBe(true);
  });

  it.each([
    ['a name with a port', 'api.example.com:8443', 'http://api.example.com:8443'],
    ['an IPv6 literal', '[2001:db8::1]:8080', 'http://[2001:db8::1]:8080'],
    ['a bare name', 'bgr.example.org', 'http://bgr.example.org'],
  ])('a valid Host (%s) is used', async (_n, host, base) => {
    expect((await submitUrls({ host })).status_url.startsWith(`${base}/v2/requests/`)).toBe(true);
  });

  it.each([
    [
      'from a trusted proxy: used',
      '127.0.0.1',
      { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' },
      'https://api.example.com',
    ],
    [
      'from a peer that is not the trusted proxy: ignored',
      '10.9.9.9',
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
      'http://h.example',
    ],
    [
      'invalid, from a trusted proxy: listen address',
      '127.0.0.1',
      { 'x-forwarded-host': 'evil.example/x?"<>' },
      'http://127.0.0.1:',
    ],
    [
      'an odd protocol from a trusted proxy: http',
      '127.0.0.1',
      { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'javascript' },
      'http://api.example.com',
    ],
  ] as const)('X-Forwarded-Host %s', async (_n, proxies, headers, base) => {
    const t = await startCorpusServer({ BGR_TRUST_PROXY: proxies });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v2/bg-removal',
        headers: { 'x-api-key': KEY, host: 'h.example', ...headers },
        payload: { image: png.toString('base64') },
      });
      expectAnswer('POST', '/v2/bg-removal', res, 200);
      expect(res.json().status_url.startsWith(base), res.json().status_url).toBe(true);
    } finally {
      await t.shutdown();
    }
  });

  it('X-Forwarded-Host is ignored without a trusted proxy', async () => {
    const body = await submitUrls({
      host: 'api.example.com',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'gopher',
    });
    expect(body.status_url.startsWith('http://api.example.com/v2/')).toBe(true);
  });
});
