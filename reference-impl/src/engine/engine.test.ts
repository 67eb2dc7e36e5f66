import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, EngineError, type Engine, type RemoveOptions } from './index.ts';
import { BAD_INPUTS, disc, GOOD_INPUTS } from './testing/inputs.ts';

// The whole pipeline with a fake worker (alpha = the input's red channel, no model): fast and exact.
const FAKE = new URL('./testing/fake-worker.ts', import.meta.url);
const opts = (o: Partial<RemoveOptions> = {}): RemoveOptions => ({
  method: 'object',
  format: 'png',
  maskOnly: false,
  ...o,
});

async function errorCode(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof EngineError ? e.code : `not an EngineError: ${String(e)}`),
  );
}

describe('engine pipeline (fake worker)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(
      { device: 'cpu', workers: 1, threads: 1, maxPixels: 1_000_000 },
      { workerScript: FAKE, modelPath: 'fake' },
    );
    await engine.ready();
  });
  afterAll(() => engine.close());

  it('is ready after ready()', () => {
    expect(engine.isReady()).toBe(true);
  });

  it.each(GOOD_INPUTS)('$name → RGBA PNG with the oriented input size', async ({ build, width, height }) => {
    const r = await engine.removeBackground(await build(), opts());
    expect(r.contentType).toBe('image/png');
    expect([r.width, r.height]).toEqual([width, height]);
    const meta = await sharp(r.image).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', width, height, 4]);
    for (const v of Object.values(r.timings)) expect(v).toBeGreaterThanOrEqual(0);
  });

  const OUTPUTS: { name: string; o: Partial<RemoveOptions>; format: string; channels: number; type: string }[] = [
    { name: 'png', o: {}, format: 'png', channels: 4, type: 'image/png' },
    { name: 'webp', o: { format: 'webp' }, format: 'webp', channels: 4, type: 'image/webp' },
    { name: 'maskOnly png', o: { maskOnly: true }, format: 'png', channels: 1, type: 'image/png' },
    { name: 'maskOnly webp', o: { maskOnly: true, format: 'webp' }, format: 'webp', channels: 3, type: 'image/webp' }, // WebP has no grey mode
    { name: 'bgColor #rrggbb', o: { bgColor: '#00ff00' }, format: 'png', channels: 3, type: 'image/png' },
    { name: 'bgColor #rrggbbaa', o: { bgColor: '#00ff0080' }, format: 'png', channels: 4, type: 'image/png' },
  ];
  it.each(OUTPUTS)('output $name → $format with $channels channels', async ({ o, format, channels, type }) => {
    const r = await engine.removeBackground(await (await disc()).png().toBuffer(), opts(o));
    expect(r.contentType).toBe(type);
    const meta = await sharp(r.image).metadata();
    expect([meta.format, meta.channels]).toEqual([format, channels]);
  });

  it('maskOnly: the mask is the alpha (white object, black background)', async () => {
    const r = await engine.removeBackground(await (await disc()).png().toBuffer(), opts({ maskOnly: true }));
    expect((await sharp(r.image).metadata()).channels).toBe(1);
    // sharp widens grey to sRGB when decoding to raw: read one channel back.
    const data = await sharp(r.image).extractChannel(0).raw().toBuffer();
    expect(data[24 * 64 + 32]).toBe(255);
    expect(data[0]).toBe(0);
  });

  it('PNG output: transparent background, opaque object, colours kept', async () => {
    const r = await engine.removeBackground(await (await disc()).png().toBuffer(), opts());
    const { data } = await sharp(r.image).raw().toBuffer({ resolveWithObject: true });
    const c = (24 * 64 + 32) * 4;
    expect([...data.subarray(c, c + 4)]).toEqual([255, 60, 30, 255]);
    expect(data[3]).toBe(0);
  });

  it('bgColor: no alpha, the colour in background pixels, the object unchanged', async () => {
    const r = await engine.removeBackground(await (await disc()).png().toBuffer(), opts({ bgColor: '#3366cc' }));
    const { data, info } = await sharp(r.image).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect([...data.subarray(0, 3)]).toEqual([0x33, 0x66, 0xcc]);
    const c = (24 * 64 + 32) * 3;
    expect([...data.subarray(c, c + 3)]).toEqual([255, 60, 30]);
  });

  it('keeps the input’s own transparency', async () => {
    const half = GOOD_INPUTS.find((i) => i.name === 'RGBA PNG')!;
    const r = await engine.removeBackground(await half.build(), opts());
    const { data } = await sharp(r.image).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[(24 * 64 + 32) * 4 + 3]! - 128)).toBeLessThanOrEqual(1); // object alpha 255 × input alpha 0.5
  });

  it.each(BAD_INPUTS.filter((b) => !b.maxPixels))('$name → $code', async ({ build, code }) => {
    expect(await errorCode(engine.removeBackground(await build(), opts()))).toBe(code);
  });

  it('rejects images over maxPixels (config)', async () => {
    const big = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    expect(await errorCode(engine.removeBackground(big, opts()))).toBe('image_too_large');
  });

  it('an already-aborted signal → canceled, nothing runs', async () => {
    expect(
      await errorCode(
        engine.removeBackground(await (await disc()).png().toBuffer(), opts({ signal: AbortSignal.abort() })),
      ),
    ).toBe('canceled');
  });

  it('rejects a malformed bgColor before doing any work', async () => {
    await expect(engine.removeBackground(Buffer.alloc(0), opts({ bgColor: 'green' }))).rejects.toThrow(TypeError);
  });

  it('method human: runs the person model and keeps the input size', async () => {
    // The real-model test covers the quality of human vs object on car-1.jpg.
    const p = engine.removeBackground(await (await disc()).png().toBuffer(), opts({ method: 'human' }));
    await expect(p).resolves.toMatchObject({ width: 64, height: 48 });
  });
});

describe('engine startup', () => {
  it('fails with a clear message when the worker cannot load the model', async () => {
    const e = createEngine(
      { device: 'cpu', workers: 1, threads: 1, maxPixels: 1e6 },
      { workerScript: FAKE, modelPath: 'fail-start' },
    );
    await expect(e.ready()).rejects.toThrow(/failed to start: fake model could not be loaded/);
    expect(e.isReady()).toBe(false);
    await e.close();
  });

  const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const cudaLib = path.join(
    ortDir,
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
    'libonnxruntime_providers_cuda.so',
  );
  it.skipIf(existsSync(cudaLib))('device cuda without the CUDA provider → startup error naming it', async () => {
    const e = createEngine(
      { device: 'cuda', workers: 1, threads: 1, maxPixels: 1e6 },
      { workerScript: FAKE, modelPath: 'fake' },
    );
    await expect(e.ready()).rejects.toThrow(
      /CUDA execution provider is not installed.*libonnxruntime_providers_cuda\.so/,
    );
    await e.close();
  });

  it('closing rejects later requests with worker_unavailable', async () => {
    const e = createEngine(
      { device: 'cpu', workers: 1, threads: 1, maxPixels: 1e6 },
      { workerScript: FAKE, modelPath: 'fake' },
    );
    await e.ready();
    await e.close();
    expect(e.isReady()).toBe(false);
    expect(await errorCode(e.removeBackground(await (await disc()).png().toBuffer(), opts()))).toBe(
      'worker_unavailable',
    );
  });
});
