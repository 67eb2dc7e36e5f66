import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decode, resizeRgb } from './decode.ts';
import { EngineError } from './errors.ts';
import { BAD_INPUTS, disc, GOOD_INPUTS } from './testing/inputs.ts';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sharedFixturesDir } from './testing/fixtures.ts';

describe('decode', () => {
  it.each(GOOD_INPUTS)(
    '$name → oriented 8-bit sRGB RGBA of the right size',
    async ({ build, width, height, hasAlpha }) => {
      const img = await decode(await build(), 50_000_000);
      expect([img.width, img.height]).toEqual([width, height]);
      expect(img.rgba.length).toBe(width * height * 4);
      expect(img.hasAlpha).toBe(hasAlpha === true);
      // The disc's centre is reddish in every input (CMYK and lossy codecs shift it a little; grey has no hue).
      const c = ((height >> 1) * width + (width >> 1)) * 4;
      expect(img.rgba[c]!).toBeGreaterThan(100);
    },
  );

  it('keeps the first GIF frame (red disc), not the second (blue)', async () => {
    const gif = GOOD_INPUTS.find((i) => i.name.startsWith('animated GIF'))!;
    const img = await decode(await gif.build(), 50_000_000);
    const c = (24 * 64 + 32) * 4;
    expect(img.rgba[c]!).toBeGreaterThan(200);
    expect(img.rgba[c + 2]!).toBeLessThan(100);
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise)', async () => {
    // Mark the top-left corner white, then let orientation 6 move it to the top-right.
    const raw = Buffer.alloc(64 * 48 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) raw.fill(255, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const jpeg = await sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decode(jpeg, 50_000_000);
    expect([img.width, img.height]).toEqual([48, 64]);
    expect(img.rgba[(2 * 48 + 45) * 4]!).toBeGreaterThan(200); // top-right is white
    expect(img.rgba[(2 * 48 + 2) * 4]!).toBeLessThan(50); // top-left is black
  });

  it.each(BAD_INPUTS)('$name → $code', async ({ build, code, maxPixels }) => {
    const err = await decode(await build(), maxPixels ?? 50_000_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe(code);
  });

  it('resizes to a square RGB buffer of its own (transferable)', async () => {
    const img = await decode(await GOOD_INPUTS[9]!.build(), 50_000_000); // RGBA input
    const rgb = await resizeRgb(img, 32);
    expect(rgb.length).toBe(32 * 32 * 3);
    expect(rgb.byteOffset).toBe(0);
    expect(rgb.buffer.byteLength).toBe(rgb.length);
  });

  // The model input as it was made before resizeRgb flattened opaque images too: removeAlpha, which sharp
  // applies after the resize, so the resize ran on 4 bands through a premultiply round trip.
  const before = async (img: Awaited<ReturnType<typeof decode>>, size: number) => {
    const p = sharp(img.rgba, { raw: { width: img.width, height: img.height, channels: 4 } }).resize(size, size, {
      fit: 'fill',
      kernel: 'lanczos3',
    });
    return (img.hasAlpha ? p.flatten({ background: '#ffffff' }) : p.removeAlpha()).raw().toBuffer();
  };
  const photos = sharedFixturesDir();
  const photoInputs = async () => {
    if (!photos) return [];
    const dir = path.join(photos, 'photos');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg'));
    return Promise.all(files.map(async (f) => ({ name: f, bytes: await readFile(path.join(dir, f)) })));
  };
  it('makes the same model input bytes as before, on every kind of input (and the shared photos)', async () => {
    const inputs = [
      ...(await Promise.all(GOOD_INPUTS.map(async (i) => ({ name: i.name, bytes: await i.build() })))),
      { name: '16-bit RGBA PNG', bytes: await (await disc()).ensureAlpha(0.5).toColourspace('rgb16').png().toBuffer() },
      { name: 'grey + alpha PNG', bytes: await (await disc()).greyscale().ensureAlpha(0.3).png().toBuffer() },
      {
        name: 'EXIF 8, 300×200',
        bytes: await (await disc(300, 200)).jpeg().withMetadata({ orientation: 8 }).toBuffer(),
      },
      ...(await photoInputs()),
    ];
    for (const { name, bytes } of inputs) {
      const img = await decode(bytes, 50_000_000);
      const now = Buffer.from(await resizeRgb(img, 1024));
      expect(now.equals(await before(img, 1024)), name).toBe(true);
    }
  });
});
