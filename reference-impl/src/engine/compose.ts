/** Output: resizes the model's alpha to the input size, builds RGBA / mask / flattened pixels, encodes. */
import { CompressionType, FilterType, Transformer } from '@napi-rs/image';
import sharp from 'sharp';
import { EngineError } from './errors.ts';
import type { Decoded } from './decode.ts';

export interface Mask8 {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Parses `#rrggbb` or `#rrggbbaa` (leading # optional); a malformed colour is a caller error (TypeError). */
export function parseHexColor(hex: string): Rgba {
  // The server checked the value against the contract's pattern; this only reads it (a wrong one is a bug).
  const digits = hex.trim().replace(/^#/, '');
  const n = Number.parseInt(digits.slice(0, 6), 16);
  const a = digits.length === 8 ? Number.parseInt(digits.slice(6), 16) : 255;
  if (
    (digits.length !== 6 && digits.length !== 8) ||
    !/^[0-9a-f]+$/i.test(digits) ||
    Number.isNaN(n) ||
    Number.isNaN(a)
  ) {
    throw new TypeError(`bgColor must be #rrggbb or #rrggbbaa, got ${JSON.stringify(hex)}`);
  }
  return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255, a };
}

/** Resizes a 1-channel mask; `toColourspace('b-w')` keeps sharp from widening it to 3 channels. */
export async function resizeMask(mask: Mask8, width: number, height: number): Promise<Uint8Array> {
  if (mask.width === width && mask.height === height) return mask.data;
  const { data, info } = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    // Bilinear is enough for a smooth mask (IoU unchanged vs lanczos3) and does not ring.
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new EngineError('internal', `mask resize produced ${info.channels} channels`);
  return data;
}

export type Pixels = { data: Buffer; channels: 1 | 3 | 4 };

/**
 * Builds the output pixels in place of the decoded RGBA (one pass, explicit channels — sharp's
 * removeAlpha/joinChannel ordering is not what it looks like). The input's own transparency is kept.
 */
export function composePixels(img: Decoded, alpha: Uint8Array, opts: { maskOnly: boolean; bgColor?: Rgba }): Pixels {
  const { rgba, width, height, hasAlpha } = img;
  const n = width * height;
  if (alpha.length !== n) throw new EngineError('internal', `alpha has ${alpha.length} pixels, image ${n}`);
  if (opts.maskOnly) {
    if (!hasAlpha) return { data: Buffer.from(alpha), channels: 1 };
    const mask = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) mask[i] = (alpha[i]! * rgba[i * 4 + 3]! + 127) / 255;
    return { data: mask, channels: 1 };
  }
  const bg = opts.bgColor;
  if (bg && bg.a === 255) {
    // Opaque background: flatten, no alpha channel in the output.
    const out = Buffer.allocUnsafe(n * 3);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const a = (hasAlpha ? (alpha[i]! * rgba[j + 3]!) / 255 : alpha[i]!) / 255;
      const o = i * 3;
      out[o] = rgba[j]! * a + bg.r * (1 - a) + 0.5;
      out[o + 1] = rgba[j + 1]! * a + bg.g * (1 - a) + 0.5;
      out[o + 2] = rgba[j + 2]! * a + bg.b * (1 - a) + 0.5;
    }
    return { data: out, channels: 3 };
  }
  // Two loops rather than a test per pixel: the opaque one (every photo) is a plain byte copy, ≈ 5× faster.
  if (hasAlpha) for (let i = 0, j = 3; i < n; i++, j += 4) rgba[j] = (alpha[i]! * rgba[j]! + 127) / 255;
  else for (let i = 0, j = 3; i < n; i++, j += 4) rgba[j] = alpha[i]!;
  if (bg) {
    // Translucent background colour: composite the cut-out over it ("over" operator), alpha stays.
    const ba = bg.a / 255;
    for (let j = 0; j < rgba.length; j += 4) {
      const fa = rgba[j + 3]! / 255;
      const oa = fa + ba * (1 - fa);
      if (oa === 0) continue;
      rgba[j] = (rgba[j]! * fa + bg.r * ba * (1 - fa)) / oa + 0.5;
      rgba[j + 1] = (rgba[j + 1]! * fa + bg.g * ba * (1 - fa)) / oa + 0.5;
      rgba[j + 2] = (rgba[j + 2]! * fa + bg.b * ba * (1 - fa)) / oa + 0.5;
      rgba[j + 3] = oa * 255 + 0.5;
    }
  }
  return { data: rgba, channels: 4 };
}

/** Encodes raw pixels as PNG or WebP (lossless alpha so edges are not blocky). */
export async function encode(px: Pixels, width: number, height: number, format: 'png' | 'webp'): Promise<Buffer> {
  if (format === 'png' && px.channels === 4) {
    // The default response. fdeflate's fast mode over Paeth-filtered rows (@napi-rs/image) was 2–5× faster
    // than libvips' zlib-ng at level 3 without filters on the shared photos' cut-outs, and 21–34 % smaller on
    // three of them (12 % larger on car-1); libvips' own filtered levels were slower still (engine README).
    return Transformer.fromRgbaPixels(px.data, width, height).png({
      compressionType: CompressionType.Fast,
      filterType: FilterType.Paeth,
    });
  }
  // Masks (1 channel) and flattened RGB: @napi-rs/image only takes RGBA, and these outputs are rarer.
  let pipeline = sharp(px.data, { raw: { width, height, channels: px.channels } });
  if (px.channels === 1) pipeline = pipeline.toColourspace('b-w');
  // Level 6 (sharp's default) costs about twice level 3 on photos for a few % smaller files.
  return format === 'webp'
    ? pipeline.webp({ quality: 90, alphaQuality: 100, effort: 2 }).toBuffer()
    : pipeline.png({ compressionLevel: 3 }).toBuffer();
}
