/** A few hostile images through the real model behind the real server: TIFF extra channels and a CMYK JPEG come back as cut-outs of their size, never a 5xx. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/process/config.ts';
import { createEngine } from '../../src/engine/index.ts';
import type { Engine } from '../../src/engine/types.ts';
import { engineConfigOf, startServer, type Running } from '../../src/process/serve.ts';
import { expectConforms } from '../../testing/harness.ts';
import { tiffWithExtraSamples } from './tiff.ts';

const KEY = 'hostile_real_model_key';
let s: Running;
let engine: Engine;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: KEY, BGR_SHUTDOWN_GRACE_S: '1' });
  engine = createEngine({ ...engineConfigOf(config), threads: 0 });
  await engine.ready();
  s = await startServer({ config, engine });
});
afterAll(async () => { await s?.shutdown(); });

describe('hostile images on the real model', () => {
  it.each([
    ['TIFF RGB + 2 extra channels', () => Promise.resolve(tiffWithExtraSamples(48, 32, 3, 2))],
    ['TIFF grey + 2 extra channels', () => Promise.resolve(tiffWithExtraSamples(48, 32, 1, 2))],
    ['JPEG CMYK', () => sharp({ create: { width: 48, height: 32, channels: 3, background: '#c84' } }).jpeg().toColourspace('cmyk').toBuffer()],
  ])('%s → 200 RGBA PNG of the input size', async (_n, build) => {
    const res = await fetch(`${s.url}/v1/bg-removal`, {
      method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ image: (await build()).toString('base64') }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status, body.toString().slice(0, 200)).toBe(200);
    expectConforms('POST', '/v1/bg-removal', { statusCode: res.status, headers: { 'content-type': res.headers.get('content-type') ?? undefined }, body: body.toString('latin1') });
    const meta = await sharp(body).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([48, 32, 4]);
  });
});
