/** The served v2 API end to end over real HTTP (fake engine): lifecycle wiring and where absolute URLs come from. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { loadConfig } from './config.ts';
import { startServer, type Running } from './serve.ts';
import { FakeEngine } from '../../testing/fake-engine.ts';
import { pngOf } from '../../testing/fixtures.ts';

const key = 'async-api-key-1';
let server: Running | undefined;
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
});

async function start(env: Record<string, string> = {}) {
  server = await startServer({
    config: loadConfig({ PORT: '0', BGR_API_KEYS: `${key}:5`, ...env }),
    engine: new FakeEngine({ delayMs: 50 }),
  });
  return server;
}

async function submit(s: Running, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/v2/bg-removal`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ image: (await pngOf(40, 30)).toString('base64') }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('v2 as served by bgr serve', () => {
  it('runs a request to COMPLETED and serves its output, every body conforming', async () => {
    const s = await start();
    const contract = loadContract();
    const sub = await submit(s);
    expect(sub.status).toBe(200);
    for (let state = ''; state !== 'COMPLETED'; await new Promise((r) => setTimeout(r, 20))) {
      state = (await (await fetch(sub.body.status_url!, { headers: { 'x-api-key': key } })).json()).status;
    }
    const result = await fetch(sub.body.response_url!, { headers: { 'x-api-key': key } });
    const body = await result.json();
    expect(
      contract.validateResponse(
        contract.findOperation('GET', '/v2/requests/x')!,
        result.status,
        result.headers.get('content-type')!,
        body,
      ),
    ).toEqual([]);
    expect(body.metrics.remaining_credits).toBe(4);
    const output = await fetch(body.output, { headers: { 'x-api-key': key } });
    expect([output.status, output.headers.get('content-type')]).toEqual([200, 'image/png']);
  });

  it.each([
    ['the request host by default', {}, {}, (s: Running) => s.url],
    ['BGR_PUBLIC_URL when set', { BGR_PUBLIC_URL: 'https://api.example.com/' }, {}, () => 'https://api.example.com'],
    [
      'forwarded headers only when trusted',
      { BGR_TRUST_PROXY: 'true' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.com' },
      () => 'https://edge.example.com',
    ],
    [
      'not forwarded headers when untrusted',
      {},
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example.com' },
      (s: Running) => s.url,
    ],
  ])('builds absolute URLs from %s', async (_name, env, headers, base) => {
    const s = await start(env);
    const { body } = await submit(s, headers);
    const id = body.request_id!;
    expect(body).toMatchObject({
      status_url: `${base(s)}/v2/requests/${id}/status`,
      response_url: `${base(s)}/v2/requests/${id}`,
      poll_url: `${base(s)}/v2/requests/${id}/status`,
      cancel_url: `${base(s)}/v2/requests/${id}/cancel`,
    });
  });
});
