import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ballScene, boxScene, iou, render, type Scene } from '../synthetic.ts';
import { EngineError, type RemoveOptions } from '../types.ts';
import { createSandboxEngine } from './index.ts';

const engine = createSandboxEngine({ maxPixels: 50e6, timeMs: 0 });
const opts = (o: Partial<RemoveOptions> = {}): RemoveOptions => ({
  method: 'object',
  format: 'png',
  maskOnly: false,
  ...o,
});

async function pixels(image: Buffer) {
  const meta = await sharp(image).metadata();
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  return { meta, data, info };
}

function alphaOf(data: Buffer, channels: number): Uint8Array {
  const a = new Uint8Array(data.length / channels);
  for (let i = 0; i < a.length; i++) a[i] = data[i * channels + channels - 1]!;
  return a;
}

/** Two separate objects on a plain wall: a large disc and a small square. */
function twoObjects(): Scene {
  return {
    name: 'disc-and-square',
    width: 320,
    height: 200,
    inside: (x, y) =>
      Math.max(50 - Math.hypot(x - 100, y - 100), Math.min(20 - Math.abs(x - 250), 20 - Math.abs(y - 100))),
    foreground: (x) => (x < 180 ? [200, 60, 40] : [40, 60, 200]),
    background: () => [235, 235, 230],
  };
}

describe('the sandbox engine', () => {
  it.each([ballScene(), boxScene()])(
    'finds the subject of $name (alpha IoU ≥ 0.9 against the truth, soft edge)',
    async (scene) => {
      const c = await render(scene);
      const r = await engine.removeBackground(c.image, opts());
      const { meta, data, info } = await pixels(r.image);
      expect([meta.format, info.width, info.height, meta.channels]).toEqual(['png', c.width, c.height, 4]);
      const alpha = alphaOf(data, 4);
      expect(iou(alpha, c.alpha)).toBeGreaterThan(0.9);
      // Neither constant nor binary: a soft rim of intermediate values.
      expect(alpha.some((a) => a > 10 && a < 245)).toBe(true);
    },
  );

  it('is deterministic: the same image gives the same bytes', async () => {
    const c = await render(ballScene());
    const [a, b] = await Promise.all([
      engine.removeBackground(c.image, opts()),
      engine.removeBackground(c.image, opts()),
    ]);
    expect(a.image.equals(b.image)).toBe(true);
  });

  it.each([
    { name: 'webp', o: { format: 'webp' as const }, format: 'webp', channels: 4, contentType: 'image/webp' },
    { name: 'mask_only', o: { maskOnly: true }, format: 'png', channels: 1, contentType: 'image/png' },
    { name: 'opaque bg_color', o: { bgColor: '#00ff00' }, format: 'png', channels: 3, contentType: 'image/png' },
    { name: 'translucent bg_color', o: { bgColor: '#00ff0080' }, format: 'png', channels: 4, contentType: 'image/png' },
  ])('honours $name with the real compose and encode code', async ({ o, format, channels, contentType }) => {
    const c = await render(boxScene());
    const r = await engine.removeBackground(c.image, opts(o));
    const { meta, info, data } = await pixels(r.image);
    expect([r.contentType, meta.format, info.width, info.height, meta.channels]).toEqual([
      contentType,
      format,
      c.width,
      c.height,
      channels,
    ]);
    if (o.bgColor === '#00ff00') expect([data[0], data[1], data[2]]).toEqual([0, 255, 0]); // a corner is background
  });

  it('keeps only the largest figure for method human, and both objects for object', async () => {
    const c = await render(twoObjects());
    const alphaFor = async (method: 'object' | 'human') => {
      const { data, info } = await pixels(
        (await engine.removeBackground(c.image, opts({ method, maskOnly: true }))).image,
      );
      return { data, channels: info.channels };
    };
    const [obj, hum] = await Promise.all([alphaFor('object'), alphaFor('human')]);
    const at = (a: { data: Buffer; channels: number }, x: number, y: number) => a.data[(y * c.width + x) * a.channels]!;
    expect([at(obj, 100, 100), at(obj, 250, 100)]).toEqual([255, 255]);
    expect([at(hum, 100, 100), at(hum, 250, 100)]).toEqual([255, 0]);
  });

  it('takes its per-image time and stops when aborted', async () => {
    const slow = createSandboxEngine({ maxPixels: 50e6, timeMs: 300 });
    const c = await render(boxScene(60, 80));
    const t0 = performance.now();
    await slow.removeBackground(c.image, opts());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    const ac = new AbortController();
    const run = slow.removeBackground(c.image, opts({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    await expect(run).rejects.toMatchObject({ code: 'canceled' });
  });

  it.each([{ input: Buffer.from('not an image at all'), code: 'invalid_image' }])(
    'fails like the model engine on bad input ($code)',
    async ({ input, code }) => {
      const err = await engine.removeBackground(input, opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe(code);
    },
  );

  it('refuses too many pixels with image_too_large', async () => {
    const small = createSandboxEngine({ maxPixels: 1000, timeMs: 0 });
    const c = await render(boxScene());
    await expect(small.removeBackground(c.image, opts())).rejects.toMatchObject({ code: 'image_too_large' });
  });
});
