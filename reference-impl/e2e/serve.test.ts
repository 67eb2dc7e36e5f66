/** Real HTTP on 127.0.0.1: graceful shutdown finishes in-flight requests, refuses new ones, cuts stragglers after the grace period, closes the engine. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/process/config.ts';
import { startServer } from '../src/process/serve.ts';
import { FakeEngine } from '../testing/fake-engine.ts';
import { pngOf } from '../testing/fixtures.ts';
import { expectConforms } from '../testing/harness.ts';

const KEY = 'serve_test_key';

async function start(delayMs: number, graceS: string) {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: KEY, BGR_SHUTDOWN_GRACE_S: graceS });
  const engine = new FakeEngine({ delayMs });
  return { engine, ...(await startServer({ config, engine })) };
}

async function call(url: string, image: string) {
  const res = await fetch(`${url}/v1/bg-removal`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ image }),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    statusCode: res.status,
    headers: {
      'content-type': res.headers.get('content-type') ?? undefined,
      'retry-after': res.headers.get('retry-after') ?? undefined,
    },
    body: body.toString('latin1'),
  };
}

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new ones, then closes the engine', async () => {
    const s = await start(600, '10');
    const image = (await pngOf()).toString('base64');
    const inflight = call(s.url, image);
    await new Promise((r) => setTimeout(r, 150));
    const stopping = s.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    await expect(call(s.url, image)).rejects.toThrow(); // listener closed: connection refused
    const res = await inflight;
    expect(res.statusCode, res.body).toBe(200);
    expectConforms('POST', '/v1/bg-removal', res);
    await stopping;
    expect(s.engine.closed).toBe(true);
  });

  it('cuts requests still running after the grace period and aborts their jobs', async () => {
    const s = await start(10_000, '0.3');
    const inflight = call(s.url, (await pngOf()).toString('base64')).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await s.shutdown();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await inflight).toBe('cut');
    // The cut connection aborts the job (the handler's 'close' listener), so the worker is freed.
    await vi.waitFor(() => expect(s.engine.aborted).toBe(1), { timeout: 2000 });
  });
});

describe('bgr serve', () => {
  it('exits 2 with a clear message on a bad option', async () => {
    const run = promisify(execFile);
    const out = await run('node', ['bin/bgr.mjs', 'serve', '--port', 'x'], {
      cwd: new URL('../..', import.meta.url).pathname.replace(/reference-impl\/$/, ''),
    }).catch((e) => e);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/PORT must be an integer/);
  });

  it('exits 2 when an api/worker role has no Redis to share requests through', async () => {
    const run = promisify(execFile);
    const out = await run('node', ['bin/bgr.mjs', 'serve', '--role', 'worker'], {
      cwd: new URL('../..', import.meta.url).pathname.replace(/reference-impl\/$/, ''),
      env: { ...process.env, BGR_REDIS_URL: '' },
    }).catch((e) => e);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/BGR_ROLE=worker needs BGR_REDIS_URL/);
  });

  it.each([
    [
      'no secret with keys configured',
      { BGR_API_KEYS: 'prod_key_1', BGR_WEBHOOK_SECRET: '' },
      /BGR_WEBHOOK_SECRET is required when BGR_API_KEYS is set/,
    ],
    [
      'a malformed secret',
      { BGR_API_KEYS: 'prod_key_1', BGR_WEBHOOK_SECRET: 'whsec_abc' },
      /BGR_WEBHOOK_SECRET is not a valid Standard Webhooks secret/,
    ],
  ])('refuses to start with %s: exit 2, one clear line', async (_name, env, message) => {
    const run = promisify(execFile);
    const out = await run('node', ['bin/bgr.mjs', 'serve', '--port', '0'], {
      cwd: new URL('../..', import.meta.url).pathname.replace(/reference-impl\/$/, ''),
      env: { ...process.env, BGR_REDIS_URL: '', ...env },
    }).catch((e) => e);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1); // no stack trace
  });
});
