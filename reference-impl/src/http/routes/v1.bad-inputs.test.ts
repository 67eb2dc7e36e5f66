/** Bad inputs to POST /v1/bg-removal: each gets its documented 4xx and code, never a 5xx, and the response conforms to the contract. */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bmp, multipart, pngDeclaring, pngOf, svg } from '../../../testing/fixtures.ts';
import { expectConforms, KEY, makeApp, type Harness } from '../../../testing/harness.ts';
import { startImageServer, type ImageServer } from '../../../testing/image-server.ts';

let guarded: Harness; // default SSRF policy: private addresses refused
let local: Harness; // 127.0.0.1 allow-listed (to reach the test server), small limits
let srv: ImageServer;
let png: Buffer;

beforeAll(async () => {
  png = await pngOf(16, 12);
  srv = await startImageServer(png);
  guarded = await makeApp();
  local = await makeApp({
    env: { BGR_ALLOW_PRIVATE_URLS: '127.0.0.1', BGR_BODY_LIMIT: '256KiB', BGR_FETCH_MAX_BYTES: '64KiB' },
  });
});
afterAll(async () => {
  await Promise.all([guarded.app.close(), local.app.close(), srv.close()]);
});

type Case = [name: string, app: 'guarded' | 'local', req: () => InjectOptions, status: number, code: string];
const json = (body: unknown) => (): InjectOptions => ({ payload: body as object });
const raw = (payload: string | Buffer, type?: string) => (): InjectOptions => ({
  payload,
  headers: type ? { 'content-type': type } : {},
});
const b64 = (b: Buffer) => b.toString('base64');
const url = (path: string) => () => ({ payload: { image: `${srv.url}${path}` } });

const cases: Case[] = [
  // The body itself
  ['malformed JSON', 'guarded', raw('{"image":', 'application/json'), 400, 'invalid_parameter'],
  ['JSON array body', 'guarded', raw('[]', 'application/json'), 400, 'invalid_parameter'],
  ['JSON string body', 'guarded', raw('"abc"', 'application/json'), 400, 'invalid_parameter'],
  ['JSON null body', 'guarded', raw('null', 'application/json'), 400, 'invalid_parameter'],
  ['empty JSON body', 'guarded', raw('', 'application/json'), 400, 'invalid_parameter'],
  ['no body, no content type', 'guarded', () => ({}), 400, 'invalid_parameter'],
  [
    '__proto__ in body',
    'guarded',
    raw('{"image":"aGk=","__proto__":{"x":1}}', 'application/json'),
    400,
    'invalid_parameter',
  ],
  ['missing image', 'guarded', json({ method: 'object' }), 400, 'invalid_parameter'],
  ['image is a number', 'guarded', json({ image: 5 }), 400, 'invalid_parameter'],
  ['image is null', 'guarded', json({ image: null }), 400, 'invalid_parameter'],
  ['image is an array', 'guarded', json({ image: ['aGk='] }), 400, 'invalid_parameter'],
  ['image is empty', 'guarded', json({ image: '' }), 400, 'invalid_parameter'],
  ['unknown field', 'guarded', json({ image: 'aGk=', size: 'full' }), 400, 'invalid_parameter'],
  ['unknown method', 'guarded', json({ image: 'aGk=', method: 'car' }), 400, 'invalid_parameter'],
  ['method of wrong type', 'guarded', json({ image: 'aGk=', method: 1 }), 400, 'invalid_parameter'],
  ['unknown format', 'guarded', json({ image: 'aGk=', format: 'jpeg' }), 400, 'invalid_parameter'],
  [
    'mask_only as a string (no coercion)',
    'guarded',
    json({ image: 'aGk=', mask_only: 'true' }),
    400,
    'invalid_parameter',
  ],
  ['bg_color a name', 'guarded', json({ image: 'aGk=', bg_color: 'red' }), 400, 'invalid_parameter'],
  ['bg_color 5 digits', 'guarded', json({ image: 'aGk=', bg_color: '#12345' }), 400, 'invalid_parameter'],
  // Encodings
  ['whitespace-only base64', 'guarded', json({ image: '   \n ' }), 400, 'invalid_parameter'],
  ['garbage base64', 'guarded', json({ image: 'not base64!!' }), 400, 'invalid_parameter'],
  [
    'truncated base64 (length 4n+1)',
    'guarded',
    () => ({ payload: { image: b64(png).slice(0, 41) } }),
    400,
    'invalid_parameter',
  ],
  ['misplaced padding', 'guarded', json({ image: 'aGk=aGk=' }), 400, 'invalid_parameter'],
  [
    'valid base64, not an image',
    'guarded',
    json({ image: Buffer.from('hello world, not an image').toString('base64') }),
    400,
    'invalid_image',
  ],
  [
    'truncated PNG bytes',
    'guarded',
    () => ({ payload: { image: b64(png.subarray(0, png.length - 20)) } }),
    400,
    'invalid_image',
  ],
  ['data URI text/plain', 'guarded', json({ image: 'data:text/plain;base64,aGVsbG8=' }), 415, 'unsupported_media_type'],
  [
    'data URI image/svg+xml',
    'guarded',
    () => ({ payload: { image: `data:image/svg+xml;base64,${b64(svg)}` } }),
    415,
    'unsupported_media_type',
  ],
  ['data URI not base64', 'guarded', json({ image: 'data:image/png,%89PNG' }), 400, 'invalid_parameter'],
  ['data URI without comma', 'guarded', json({ image: 'data:image/png;base64' }), 400, 'invalid_parameter'],
  ['data URI with garbage payload', 'guarded', json({ image: 'data:image/png;base64,@@@@' }), 400, 'invalid_parameter'],
  // Images we refuse
  [
    'PNG declaring 100k×100k',
    'guarded',
    () => ({ payload: { image: b64(pngDeclaring(100_000, 100_000)) } }),
    413,
    'image_too_large',
  ],
  ['SVG as base64', 'guarded', () => ({ payload: { image: b64(svg) } }), 415, 'unsupported_media_type'],
  ['BMP as base64', 'guarded', () => ({ payload: { image: b64(bmp) } }), 415, 'unsupported_media_type'],
  // URLs
  ['file: URL', 'guarded', json({ image: 'file:///etc/passwd' }), 400, 'image_url_forbidden'],
  ['ftp: URL', 'guarded', json({ image: 'ftp://example.com/a.png' }), 400, 'image_url_forbidden'],
  ['loopback URL without allow-list', 'guarded', url('/png'), 400, 'image_url_forbidden'],
  [
    'localhost by name',
    'guarded',
    () => ({ payload: { image: srv.url.replace('127.0.0.1', 'localhost') + '/png' } }),
    400,
    'image_url_forbidden',
  ],
  ['IPv6 loopback', 'guarded', json({ image: 'http://[::1]:9/x.png' }), 400, 'image_url_forbidden'],
  [
    'IPv4-mapped IPv6 loopback',
    'guarded',
    json({ image: 'http://[::ffff:127.0.0.1]:9/x.png' }),
    400,
    'image_url_forbidden',
  ],
  [
    'cloud metadata address',
    'guarded',
    json({ image: 'http://169.254.169.254/latest/meta-data/' }),
    400,
    'image_url_forbidden',
  ],
  ['private 10/8', 'guarded', json({ image: 'http://10.0.0.1/a.png' }), 400, 'image_url_forbidden'],
  ['decimal-encoded loopback', 'guarded', json({ image: 'http://2130706433/a.png' }), 400, 'image_url_forbidden'],
  ['unspecified 0.0.0.0', 'guarded', json({ image: 'http://0.0.0.0/a.png' }), 400, 'image_url_forbidden'],
  ['unreachable host', 'guarded', json({ image: 'http://nonexistent.invalid/a.png' }), 400, 'image_fetch_failed'],
  ['redirect to a private address', 'local', url('/redirect-private'), 400, 'image_url_forbidden'],
  ['redirect loop', 'local', url('/loop'), 400, 'image_fetch_failed'],
  ['URL answering 404', 'local', url('/missing'), 400, 'image_fetch_failed'],
  ['text served as image/png', 'local', url('/text'), 400, 'invalid_image'],
  ['SVG served by URL', 'local', url('/svg'), 415, 'unsupported_media_type'],
  ['URL body over the fetch cap', 'local', url('/big'), 413, 'payload_too_large'],
  ['connection refused', 'local', json({ image: 'http://127.0.0.1:1/a.png' }), 400, 'image_fetch_failed'],
  // Transport
  [
    'body over the body limit',
    'local',
    () => ({ payload: { image: 'A'.repeat(300 * 1024) } }),
    413,
    'payload_too_large',
  ],
  ['text/plain content type', 'guarded', raw('aGk=', 'text/plain'), 415, 'unsupported_media_type'],
  ['application/xml content type', 'guarded', raw('<image/>', 'application/xml'), 415, 'unsupported_media_type'],
  [
    'form-urlencoded content type',
    'guarded',
    raw('image=aGk%3D', 'application/x-www-form-urlencoded'),
    415,
    'unsupported_media_type',
  ],
  [
    'multipart without the file part',
    'guarded',
    () => multipart([{ name: 'method', value: 'object' }]),
    400,
    'invalid_parameter',
  ],
  [
    'multipart image as a text field',
    'guarded',
    () => multipart([{ name: 'image', value: b64(png) }]),
    400,
    'invalid_parameter',
  ],
  [
    'multipart garbage file',
    'guarded',
    () => multipart([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.from('garbage bytes') }]),
    400,
    'invalid_image',
  ],
  [
    'multipart SVG file',
    'guarded',
    () => multipart([{ name: 'image', filename: 'a.svg', type: 'image/svg+xml', data: svg }]),
    415,
    'unsupported_media_type',
  ],
  [
    'multipart bad method',
    'guarded',
    () =>
      multipart([
        { name: 'image', filename: 'a.png', type: 'image/png', data: png },
        { name: 'method', value: 'car' },
      ]),
    400,
    'invalid_parameter',
  ],
  [
    'multipart file over the limit',
    'local',
    () => multipart([{ name: 'image', filename: 'a.png', type: 'image/png', data: Buffer.alloc(300 * 1024, 7) }]),
    413,
    'payload_too_large',
  ],
  [
    'multipart two files',
    'guarded',
    () =>
      multipart([
        { name: 'image', filename: 'a.png', type: 'image/png', data: png },
        { name: 'image', filename: 'b.png', type: 'image/png', data: png },
      ]),
    413,
    'payload_too_large',
  ],
];

describe('POST /v1/bg-removal rejects bad inputs', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('%s (%s app)', async (_name, which, req, status, code) => {
    const h = which === 'guarded' ? guarded : local;
    const before = h.engine.calls.length;
    const opts = req();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/bg-removal',
      ...opts,
      headers: { 'x-api-key': KEY, ...opts.headers },
    });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expectConforms('POST', '/v1/bg-removal', res);
    // Only undecodable bytes that pass the header check reach the engine.
    if (code !== 'invalid_image') expect(h.engine.calls.length).toBe(before);
  });

  it('the server is still up and serves a good image afterwards', async () => {
    const res = await guarded.app.inject({
      method: 'POST',
      url: '/v1/bg-removal',
      headers: { 'x-api-key': KEY },
      payload: { image: png.toString('base64') },
    });
    expect(res.statusCode).toBe(200);
    expectConforms('POST', '/v1/bg-removal', res);
  });
});
