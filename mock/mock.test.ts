import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { startMock, type RunningMock } from './server.ts';

const contract = loadContract();
let mock: RunningMock;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  mock = await startMock({ port: await freePort() });
});
afterAll(() => mock?.close());

async function call(method: string, path: string, init: { key?: string; body?: unknown; prefer?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.key !== undefined) headers['x-api-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.prefer) headers.prefer = init.prefer;
  const res = await fetch(mock.url + path, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
  const op = contract.findOperation(method, path)!;
  return { status: res.status, type, body, violations: contract.validateResponse(op, res.status, type, body) };
}

const id = '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7';
const image = { image: 'https://example.com/photo.jpg' };

describe('the Prism mock', () => {
  it.each([
    ['POST', '/v1/bg-removal', 200, image],
    ['POST', '/v2/bg-removal', 200, image],
    ['GET', `/v2/requests/${id}/status`, 200, undefined],
    ['GET', `/v2/requests/${id}`, 200, undefined],
    ['GET', `/v2/requests/${id}/output`, 200, undefined],
    ['POST', `/v2/requests/${id}/cancel`, 200, undefined],
  ])('%s %s answers %i with a body valid against the contract', async (method, path, status, body) => {
    const res = await call(method, path, { key: 'any', body });
    expect(res.status).toBe(status);
    expect(res.violations).toEqual([]);
  });

  it.each([
    ['POST', '/v1/bg-removal'],
    ['POST', '/v2/bg-removal'],
    ['GET', `/v2/requests/${id}/status`],
  ])('%s %s answers 401 without a key', async (method, path) => {
    const res = await call(method, path, { body: method === 'POST' ? image : undefined });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'unauthorized' });
    expect(res.violations).toEqual([]);
  });

  it.each(['/v1/bg-removal', '/v2/bg-removal'])('POST %s answers 400 for a missing image', async (path) => {
    const res = await call('POST', path, { key: 'any', body: { method: 'object' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_parameter' });
    expect(res.violations).toEqual([]);
  });

  it('answers the FAILED example with 422 when asked (Prefer: code=422)', async () => {
    const res = await call('GET', `/v2/requests/${id}/status`, { key: 'any', prefer: 'code=422' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'FAILED', code: 'invalid_image' });
    expect(res.violations).toEqual([]);
  });

  it('answers the pending 202 from the result endpoint when asked', async () => {
    const res = await call('GET', `/v2/requests/${id}`, { key: 'any', prefer: 'code=202' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'PROCESSING' });
    expect(res.body).not.toHaveProperty('output');
    expect(res.violations).toEqual([]);
  });
});
