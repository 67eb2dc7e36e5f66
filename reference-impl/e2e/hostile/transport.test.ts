/**
 * Transport-level hostility over raw sockets: what Node's parser refuses, slow clients, keep-alive idlers,
 * Expect, and HTTP/1.0 without Host. Each answer carries the shared error body with a code; none is a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngOf } from '../../testing/fixtures.ts';
import { rawRequest, type RawRequest } from '../../testing/raw-http.ts';
import { expectErrorBody, KEY, startCorpusServer, type CorpusServer } from './server.ts';

let s: CorpusServer;
let image: string;
beforeAll(async () => {
  s = await startCorpusServer();
  image = JSON.stringify({ image: (await pngOf(8, 6)).toString('base64') });
});
afterAll(async () => {
  await s?.shutdown();
});

const post = (path: string, extra = '', body = image) =>
  `POST ${path} HTTP/1.1\r\nHost: a.example\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

const cases: [name: string, status: number, code: string, req: () => RawRequest][] = [
  ['garbage request line', 400, 'invalid_parameter', () => ({ chunks: ['HELLO\r\n\r\n'] })],
  ['binary noise', 400, 'invalid_parameter', () => ({ chunks: [Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10])] })],
  [
    'HTTP/2 preface on an HTTP/1 port',
    400,
    'invalid_parameter',
    () => ({ chunks: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'] }),
  ],
  [
    'space in the header name',
    400,
    'invalid_parameter',
    () => ({ chunks: ['GET /healthz HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n'] }),
  ],
  [
    'request head over 16 KiB',
    431,
    'headers_too_large',
    () => ({ chunks: [`GET /healthz HTTP/1.1\r\nHost: a\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`] }),
  ],
  [
    '10,000 headers',
    431,
    'headers_too_large',
    () => ({ chunks: [`GET /healthz HTTP/1.1\r\nHost: a\r\n${'x: y\r\n'.repeat(10_000)}\r\n`] }),
  ],
  [
    'Content-Length not a number',
    400,
    'invalid_parameter',
    () => ({ chunks: [post('/v1/bg-removal').replace(/content-length: \d+/, 'content-length: abc')] }),
  ],
  [
    'Content-Length of 2^70',
    400,
    'invalid_parameter',
    () => ({
      chunks: [post('/v1/bg-removal').replace(/content-length: \d+/, 'content-length: 1180591620717411303424')],
    }),
  ],
  [
    'two different Content-Lengths',
    400,
    'invalid_parameter',
    () => ({ chunks: [post('/v1/bg-removal', 'content-length: 3\r\n')] }),
  ],
  [
    'Content-Length with Transfer-Encoding (smuggling)',
    400,
    'invalid_parameter',
    () => ({ chunks: [post('/v1/bg-removal', 'transfer-encoding: chunked\r\n')] }),
  ],
  [
    'bad chunk size',
    400,
    'invalid_parameter',
    () => ({
      chunks: [
        `POST /v1/bg-removal HTTP/1.1\r\nHost: a\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ],
    }),
  ],
  [
    'Content-Length over the body limit',
    413,
    'payload_too_large',
    () => ({ chunks: [post('/v1/bg-removal').replace(/content-length: \d+/, 'content-length: 999999999')] }),
  ],
  [
    'headers sent slowly (slowloris)',
    408,
    'request_timeout',
    () => ({
      chunks: ['GET /healthz HTTP/1.1\r\n', 'Host: a\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n', 'x-c: 3\r\n', 'x-d: 4\r\n'],
      pauseMs: 600,
      waitMs: 6000,
    }),
  ],
  [
    'a body that never arrives',
    408,
    'request_timeout',
    () => ({ chunks: [post('/v1/bg-removal').slice(0, -10)], waitMs: 6000 }),
  ],
];

describe('transport errors answer the shared error body', () => {
  it.each(cases)('%s → %i %s', async (_n, status, code, req) => {
    const res = await rawRequest(s.url, req());
    expect(res.status, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectErrorBody(res.body, code);
  });

  it('a body trickled at 1 byte per 300 ms is cut at the request timeout, also after an early 401', async () => {
    const body = '{"image":"' + 'A'.repeat(100) + '"}';
    const head = `POST /v1/bg-removal HTTP/1.1\r\nHost: a\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    const res = await rawRequest(s.url, {
      chunks: [head, ...body.split('')],
      pauseMs: 300,
      waitMs: 15_000,
      untilClose: true,
    });
    expect(res.status).toBe(401); // answered before the body, as the gateway order says
    expect(res.closed).toBe(true);
    expect(res.ms).toBeLessThan(6000); // request timeout 2 s (+ Node's check interval), not the 30 s of the body
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const res = await rawRequest(s.url, {
      chunks: ['GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'],
      waitMs: 8000,
      untilClose: true,
    });
    expect(res.status).toBe(200);
    expect(res.closed).toBe(true);
    expect(res.ms).toBeLessThan(4000); // keep-alive timeout 1 s (Fastify's default would hold it 72 s)
  });

  it('an unknown Expect is ignored, not answered with a bare 417', async () => {
    const res = await rawRequest(s.url, { chunks: [post('/v1/bg-removal', 'expect: something-else\r\n')] });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
  });

  it('HTTP/1.0 without Host gets links on the listen address', async () => {
    const res = await rawRequest(s.url, {
      chunks: [post('/v2/bg-removal').replace('HTTP/1.1\r\nHost: a.example\r\n', 'HTTP/1.0\r\n')],
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status_url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/v2/requests/`));
  });

  it('the server still serves after all of it', async () => {
    const res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
