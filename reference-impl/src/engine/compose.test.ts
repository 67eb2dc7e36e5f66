import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { composePixels, encode, parseHexColor, type Pixels } from './compose.ts';

const img = () => ({ rgba: Buffer.from([10, 20, 30, 255, 40, 50, 60, 255]), width: 2, height: 1, hasAlpha: false });

describe('compose', () => {
  it('parses #rrggbb and #rrggbbaa', () => {
    expect(parseHexColor('#ff8000')).toEqual({ r: 255, g: 128, b: 0, a: 255 });
    expect(parseHexColor('#00ff0080')).toEqual({ r: 0, g: 255, b: 0, a: 128 });
    expect(() => parseHexColor('red')).toThrow(TypeError);
    expect(() => parseHexColor('#fff')).toThrow(TypeError);
  });

  it('writes the alpha into RGBA', () => {
    const px = composePixels(img(), Uint8Array.from([0, 255]), { maskOnly: false });
    expect(px.channels).toBe(4);
    expect([...px.data]).toEqual([10, 20, 30, 0, 40, 50, 60, 255]);
  });

  it('multiplies by the input alpha', () => {
    const i = { ...img(), hasAlpha: true };
    i.rgba[7] = 128;
    const px = composePixels(i, Uint8Array.from([255, 255]), { maskOnly: true });
    expect(px.channels).toBe(1);
    expect([...px.data]).toEqual([255, 128]);
  });

  it('flattens onto an opaque colour with 3 channels', () => {
    const px = composePixels(img(), Uint8Array.from([0, 255]), { maskOnly: false, bgColor: parseHexColor('#ff0000') });
    expect(px.channels).toBe(3);
    expect([...px.data]).toEqual([255, 0, 0, 40, 50, 60]);
  });

  it('composites over a translucent colour and keeps alpha', () => {
    const px = composePixels(img(), Uint8Array.from([0, 255]), {
      maskOnly: false,
      bgColor: parseHexColor('#0000ff80'),
    });
    expect(px.channels).toBe(4);
    expect([...px.data]).toEqual([0, 0, 255, 128, 40, 50, 60, 255]);
  });

  // Every output shape decodes back to the same pixels (PNG is lossless whichever encoder writes it).
  const [w, h] = [37, 23]; // odd sizes: row filters and strides are not multiples of anything convenient
  const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 5) * 31) % 256));
  it.each<[string, Pixels]>([
    ['RGBA', { data: noise(w * h * 4), channels: 4 }],
    ['RGB (flattened)', { data: noise(w * h * 3), channels: 3 }],
    ['grey (mask only)', { data: noise(w * h), channels: 1 }],
  ])('encodes %s as a PNG that decodes to the same pixels', async (_name, px) => {
    const png = await encode(px, w, h, 'png');
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', w, h, px.channels]);
    const decoded = sharp(png);
    const data = await (px.channels === 1 ? decoded.toColourspace('b-w') : decoded).raw().toBuffer();
    expect(data.equals(px.data)).toBe(true);
  });

  // The per-pixel formulas composePixels had in one loop before its loops were split by case: every case must
  // give the same bytes on every value of alpha × input alpha.
  it.each([false, true])('RGBA and mask bytes are the per-pixel formulas (input alpha: %s)', (hasAlpha) => {
    const n = 256 * 256;
    const rgba = Buffer.from(Array.from({ length: n * 4 }, (_, i) => (i % 4 === 3 ? i >> 10 : (i * 31) % 256)));
    const alpha = Uint8Array.from({ length: n }, (_, i) => i % 256);
    const img = () => ({ rgba: Buffer.from(rgba), width: 256, height: 256, hasAlpha });
    const cut = (i: number) => (hasAlpha ? Math.trunc((alpha[i]! * rgba[i * 4 + 3]! + 127) / 255) : alpha[i]!);
    const mask = composePixels(img(), alpha, { maskOnly: true });
    expect([...mask.data]).toEqual(Array.from({ length: n }, (_, i) => cut(i)));
    const out = composePixels(img(), alpha, { maskOnly: false });
    const want = Buffer.from(rgba);
    for (let i = 0; i < n; i++) want[i * 4 + 3] = cut(i);
    expect(out.data.equals(want)).toBe(true);
  });
});
