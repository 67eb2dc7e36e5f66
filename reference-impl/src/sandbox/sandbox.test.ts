/** The scripted outcomes end to end on an in-process sandbox server: the same directive drives v1 and v2 alike. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, boxScene } from '../engine/synthetic.ts';
import { loadConfig } from '../process/config.ts';
import { sandboxDeps, startServer, type Running } from '../process/serve.ts';
import { createSandbox } from './index.ts';

const KEY = 'sandbox_test_key';
let server: Running;
let image: string;

beforeAll(async () => {
  const config = loadConfig({
    BGR_API_KEYS: KEY,
    BGR_ENGINE: 'sandbox',
    BGR_SANDBOX_MS: '0',
    PORT: '0',
    BGR_V1_DEADLINE_S: '1',
    BGR_RATE_LIMIT: '1000/min',
  });
  server = await startServer({
    config,
    engine: createSandbox({ maxPixels: config.maxPixels, timeMs: 0 }),
    ...sandboxDeps(config),
  });
  image = (await render(boxScene(60, 80))).image.toString('base64');
});
afterAll(() => server.shutdown());

// The once= cases run before the slow ones: admission refuses a v1 request fast (429 queue_full) when the time it
// has measured per image would take it past 80 % of the (short) v1 deadline.
const post = (path: string, script?: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...(script ? { 'x-bgr-sandbox': script } : {}) },
    body: JSON.stringify({ image }),
  });
const get = (url: string) => fetch(url, { headers: { 'x-api-key': KEY } });

/** Submits and polls the status until it leaves the pending states (or `ms` pass); the last status answer. */
async function v2(
  script: string | undefined,
  ms = 3000,
): Promise<{ status: number; body: Record<string, unknown>; id: string; seen: string[] }> {
  const sub = (await (await post('/v2/bg-removal', script)).json()) as { request_id: string; status_url: string };
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await get(sub.status_url);
    const body = (await res.json()) as Record<string, unknown>;
    if (seen.at(-1) !== body.status) seen.push(String(body.status));
    if (!['QUEUED', 'PROCESSING'].includes(String(body.status)) || Date.now() > deadline)
      return { status: res.status, body, id: sub.request_id, seen };
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scripted outcomes (x-bgr-sandbox)', () => {
  it('without a script: v1 200 PNG, v2 COMPLETED', async () => {
    const r = await post('/v1/bg-removal');
    expect([r.status, r.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect((await v2(undefined)).body.status).toBe('COMPLETED');
  });

  it.each([
    { code: 'invalid_image', v1: 400 },
    { code: 'inference_failed', v1: 500 },
    { code: 'image_fetch_failed', v1: 400 },
  ])('fail=$code: v1 answers $v1 with the code, v2 ends FAILED (422) with it', async ({ code, v1 }) => {
    const r = await post('/v1/bg-removal', `fail=${code}`);
    expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([v1, code]);
    const job = await v2(`fail=${code}`);
    expect([job.status, job.body.status, job.body.code]).toEqual([422, 'FAILED', code]);
  });

  it.each([
    { once: '429', status: 429, code: 'rate_limited', retryAfter: '1' },
    { once: '500', status: 500, code: 'internal', retryAfter: null },
    { once: '502', status: 502, code: 'worker_unavailable', retryAfter: null },
    { once: '504', status: 504, code: 'deadline_exceeded', retryAfter: null },
  ])(
    'once=$once: the first try answers $status, the retry passes, the next try fails again (v1 and v2)',
    async ({ once, status, code, retryAfter }) => {
      for (const path of ['/v1/bg-removal', '/v2/bg-removal']) {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await post(path, `once=${once}`);
          statuses.push(r.status);
          if (i === 0) {
            expect(((await r.json()) as { code: string }).code).toBe(code);
            expect(r.headers.get('retry-after')).toBe(retryAfter);
          } else await r.arrayBuffer();
        }
        expect(statuses, path).toEqual([status, 200, status]);
      }
    },
  );

  it("a malformed script is the caller's mistake: 400 invalid_parameter naming the header", async () => {
    const r = await post('/v1/bg-removal', 'explode');
    const body = (await r.json()) as { code: string; error: string };
    expect([r.status, body.code]).toEqual([400, 'invalid_parameter']);
    expect(body.error).toMatch(/x-bgr-sandbox/);
  });
  it('delay=N: v1 takes N seconds; v2 is PROCESSING for N seconds, then COMPLETED', async () => {
    const t0 = Date.now();
    expect((await post('/v1/bg-removal', 'delay=0.4')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    const job = await v2('delay=0.4');
    expect(job.seen).toEqual(['PROCESSING', 'COMPLETED']);
    expect(Number((job.body.metrics as { total_time: number }).total_time)).toBeGreaterThanOrEqual(0.39);
  });

  it('queued: v2 stays QUEUED until canceled; v1 gets no answer before its deadline (504)', async () => {
    const job = await v2('queued', 300);
    expect([job.status, job.seen]).toEqual([200, ['QUEUED']]);
    const cancel = await fetch(`${server.url}/v2/requests/${job.id}/cancel`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
    });
    expect(((await cancel.json()) as { status: string }).status).toBe('FAILED');
    const r = await post('/v1/bg-removal', 'queued');
    expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([504, 'deadline_exceeded']);
  });
});
