/**
 * The one end-to-end test on the real model behind the real server: a few hostile images (TIFF extra channels, a
 * CMYK JPEG) come back as cut-outs of their size, never a 5xx; the suite's image-quality checks pass through the
 * API (the checks that a sandbox cannot prove); and the sandbox's example client runs unchanged.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/process/config.ts';
import { createEngine } from '../../src/engine/index.ts';
import type { Engine } from '../../src/engine/types.ts';
import { engineConfigOf, startServer, type Running } from '../../src/process/serve.ts';
import { runChecks } from '../../../conformance/src/runner.ts';
import { expectConforms } from '../../testing/harness.ts';
import { tiffWithExtraSamples } from './tiff.ts';

const KEY = 'hostile_real_model_key';
const run = promisify(execFile);
let s: Running;
let engine: Engine;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: KEY, BGR_SHUTDOWN_GRACE_S: '1' });
  engine = createEngine({ ...engineConfigOf(config), threads: 0 });
  await engine.ready();
  s = await startServer({ config, engine });
});
afterAll(async () => {
  await s?.shutdown();
});

describe('hostile images on the real model', () => {
  it.each([
    ['TIFF RGB + 2 extra channels', () => Promise.resolve(tiffWithExtraSamples(48, 32, 3, 2))],
    ['TIFF grey + 2 extra channels', () => Promise.resolve(tiffWithExtraSamples(48, 32, 1, 2))],
    [
      'JPEG CMYK',
      () =>
        sharp({ create: { width: 48, height: 32, channels: 3, background: '#c84' } })
          .jpeg()
          .toColourspace('cmyk')
          .toBuffer(),
    ],
  ])('%s → 200 RGBA PNG of the input size', async (_n, build) => {
    const res = await fetch(`${s.url}/v1/bg-removal`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ image: (await build()).toString('base64') }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status, body.toString().slice(0, 200)).toBe(200);
    expectConforms('POST', '/v1/bg-removal', {
      statusCode: res.status,
      headers: { 'content-type': res.headers.get('content-type') ?? undefined },
      body: body.toString('latin1'),
    });
    const meta = await sharp(body).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([48, 32, 4]);
  });
});

describe("the sandbox's example client on the real model", () => {
  it('runs unchanged: the request completes; the sandbox-only headers are ignored (no 429, no FAILED)', async () => {
    const photo = join(await mkdtemp(join(tmpdir(), 'bgr-client-')), 'photo.png');
    await writeFile(
      photo,
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#8ab' } })
        .png()
        .toBuffer(),
    );
    const script = new URL('../../../sandbox/examples/client.mjs', import.meta.url);
    const { stdout } = await run(process.execPath, [script.pathname, photo], {
      env: { ...process.env, BGR_BASE_URL: s.url, BGR_API_KEY: KEY },
    });
    expect(JSON.parse(stdout)).toEqual({ completed: true, failed: null });
  });
});

describe('the conformance checks that need the model', () => {
  it('V1-QUALITY-IOU and V1-HUMAN-DIFFERS pass on the real model', async () => {
    const report = await runChecks({
      baseUrl: s.url,
      apiKey: KEY,
      only: ['V1-QUALITY-IOU', 'V1-HUMAN-DIFFERS'],
      samples: 1,
    });
    expect(report.results.map((r) => [r.id, r.outcome, r.outcome === 'pass' ? '' : r.reason])).toEqual([
      ['V1-QUALITY-IOU', 'pass', ''],
      ['V1-HUMAN-DIFFERS', 'pass', ''],
    ]);
  });
});
