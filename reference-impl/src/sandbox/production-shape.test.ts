/** The sandbox in the production shape: `bgr check` finds the core conformant and no extension but the output endpoint. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../conformance/src/runner.ts';
import type { Report } from '../../../conformance/src/report.ts';
import { loadConfig } from '../process/config.ts';
import { sandboxDeps } from '../process/sandbox.ts';
import { startServer, type Running } from '../process/serve.ts';
import { createSandbox } from './index.ts';

const keys = ['prod-shape-key-1', 'prod-shape-key-2'];
const webhookSecret = `whsec_${Buffer.from('production-shape-webhook-secret').toString('base64')}`;
let server: Running;
let report: Report;

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    BGR_API_KEYS: keys.join(','),
    BGR_RATE_LIMIT: '500/min',
    BGR_RESULT_TTL_S: '3',
    BGR_SANDBOX_SHAPE: 'production',
    BGR_WEBHOOK_SECRET: webhookSecret,
    BGR_ALLOW_PRIVATE_URLS: '127.0.0.1/32',
  });
  server = await startServer({
    config,
    engine: createSandbox({ maxPixels: config.maxPixels, timeMs: 300 }),
    ...sandboxDeps(config),
  });
  report = await runChecks({
    baseUrl: server.url,
    apiKey: keys[0]!,
    secondApiKey: keys[1]!,
    profile: 'full',
    retentionS: 3,
    samples: 1,
    webhookListen: '127.0.0.1:0',
    webhookSecret,
  });
}, 120_000);
afterAll(() => server?.shutdown());

const json = async (res: Response) => [res.status, await res.json()] as const;
const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers: { 'x-api-key': keys[0]!, ...headers } });

describe('the sandbox in the production shape', () => {
  it('is core CONFORMANT', () => {
    expect(
      report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail').map((r) => `${r.id}: ${r.reason}`),
    ).toEqual([]);
    expect(report.core).toBe('CONFORMANT');
  });

  it('offers no extension but the output endpoint', () => {
    const offered = report.capabilities
      .filter((c) => c.verdict !== 'not offered')
      .map((c) => `${c.extension}: ${c.verdict}`);
    expect(offered).toEqual(['output-endpoint: offered, conformant']);
  });

  it.each([
    [
      'an error body',
      '/v2/requests/00000000-0000-4000-8000-000000000000/status',
      {},
      404,
      { error: expect.any(String) },
    ],
    [
      'a status body asked for a stream',
      '/v2/requests/00000000-0000-4000-8000-000000000000/status',
      { accept: 'text/event-stream' },
      404,
      { error: expect.any(String) },
    ],
  ])('answers %s as production does', async (_n, path, headers, status, body) => {
    const [s, b] = await json(await get(path, headers));
    expect([s, b]).toEqual([status, body]);
  });

  it('keeps the scripted outcomes: a FAILED request without a code', async () => {
    const scene = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
      'base64',
    );
    const sub = (await (
      await fetch(`${server.url}/v2/bg-removal`, {
        method: 'POST',
        headers: { 'x-api-key': keys[0]!, 'content-type': 'application/json', 'x-bgr-sandbox': 'fail=invalid_image' },
        body: JSON.stringify({ image: scene.toString('base64') }),
      })
    ).json()) as { status_url: string; cancel_url?: string };
    expect(sub.cancel_url).toBeUndefined();
    let last: readonly [number, Record<string, unknown>];
    do last = await json(await fetch(sub.status_url, { headers: { 'x-api-key': keys[0]! } }));
    while (last[1].status !== 'FAILED');
    expect(last[0]).toBe(422);
    expect(Object.keys(last[1]).sort()).toEqual(['error', 'metrics', 'request_id', 'status']);
  });
});
