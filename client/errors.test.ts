import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, BgRemovalClient } from './index.ts';

// A server that refuses every call the way the reference does: an error body without request_id, the trace id in a header.
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(req.url?.startsWith('/v1') ? 400 : 404, {
    'content-type': 'application/json',
    'x-request-id': 'trace-123',
  });
  res.end(JSON.stringify({ error: 'nope', code: req.url?.startsWith('/v1') ? 'invalid_parameter' : 'not_found' }));
});
let baseUrl = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe('ApiError.traceId', () => {
  it.each([
    ['v1', (c: BgRemovalClient) => c.removeBackground({ image: Buffer.from('x') })],
    ['v2 status', (c: BgRemovalClient) => c.job('6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7').status()],
  ])('%s: the x-request-id header, never taken for a request id', async (_n, call) => {
    const error = await call(new BgRemovalClient({ baseUrl, apiKey: 'k', maxRetries: 0 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ traceId: 'trace-123' });
    expect(Object.keys((error as ApiError).body as object)).not.toContain('request_id');
  });
});
