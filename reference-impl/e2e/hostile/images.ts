/** The image corner of the hostile-input corpus: every accepted format's odd corners, and formats we refuse, each with the answer the contract promises. */
import sharp from 'sharp';
import { bmp, pngDeclaring, svg } from '../../testing/fixtures.ts';
import { tiffWithExtraSamples } from './tiff.ts';

/** ok: a 200 (v1) / COMPLETED (v2) with an image of the given size; otherwise the 4xx and its code. */
export type ImageOutcome = { ok: [width: number, height: number] } | { status: number; code: string };

export interface ImageCase {
  name: string;
  bytes: () => Promise<Buffer>;
  expect: ImageOutcome;
}

const base = () =>
  sharp({ create: { width: 12, height: 8, channels: 4, background: { r: 40, g: 90, b: 200, alpha: 0.6 } } });
const ok = (width = 12, height = 8): ImageOutcome => ({ ok: [width, height] });
const bad = (status: number, code: string): ImageOutcome => ({ status, code });
const truncate = (b: Buffer, keep: number) => b.subarray(0, keep);

/** A JPEG whose EXIF says "rotate 90°": the result must have the displayed (swapped) size. */
const rotatedJpeg = () => base().jpeg().withMetadata({ orientation: 6 }).toBuffer();

export const imageCases: ImageCase[] = [
  // PNG
  {
    name: 'PNG 1×1',
    bytes: () =>
      sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
    expect: ok(1, 1),
  },
  { name: 'PNG 16-bit RGBA', bytes: () => base().png().toColourspace('rgb16').toBuffer(), expect: ok() },
  { name: 'PNG palette', bytes: () => base().png({ palette: true, colours: 4 }).toBuffer(), expect: ok() },
  { name: 'PNG grey + alpha', bytes: () => base().toColourspace('b-w').png().toBuffer(), expect: ok() },
  { name: 'PNG interlaced', bytes: () => base().png({ progressive: true }).toBuffer(), expect: ok() },
  {
    name: 'PNG 1×5000 strip',
    bytes: () =>
      sharp({ create: { width: 1, height: 5000, channels: 3, background: '#123' } })
        .png()
        .toBuffer(),
    expect: ok(1, 5000),
  },
  {
    name: 'PNG truncated after the header',
    bytes: async () => truncate(await base().png().toBuffer(), 40),
    expect: bad(400, 'invalid_image'),
  },
  {
    name: 'PNG signature only',
    bytes: async () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    expect: bad(400, 'invalid_image'),
  },
  {
    name: 'PNG declaring 100k×100k (bomb)',
    bytes: async () => pngDeclaring(100_000, 100_000),
    expect: bad(413, 'image_too_large'),
  },
  { name: 'PNG declaring 0×0', bytes: async () => pngDeclaring(0, 0), expect: bad(400, 'invalid_image') },
  {
    name: "PNG declaring 2^31×1 (over libpng's limits)",
    bytes: async () => pngDeclaring(2 ** 31 - 1, 1),
    expect: bad(400, 'invalid_image'),
  },
  // JPEG
  { name: 'JPEG baseline', bytes: () => base().jpeg().toBuffer(), expect: ok() },
  { name: 'JPEG progressive', bytes: () => base().jpeg({ progressive: true }).toBuffer(), expect: ok() },
  { name: 'JPEG CMYK', bytes: () => base().jpeg().toColourspace('cmyk').toBuffer(), expect: ok() },
  { name: 'JPEG grey', bytes: () => base().toColourspace('b-w').jpeg().toBuffer(), expect: ok() },
  { name: 'JPEG EXIF orientation 6', bytes: rotatedJpeg, expect: ok(8, 12) },
  {
    name: 'JPEG SOI marker only',
    bytes: async () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]),
    expect: bad(400, 'invalid_image'),
  },
  // WebP, GIF, AVIF
  { name: 'WebP lossy with alpha', bytes: () => base().webp().toBuffer(), expect: ok() },
  { name: 'WebP lossless', bytes: () => base().webp({ lossless: true }).toBuffer(), expect: ok() },
  {
    name: 'WebP RIFF header only',
    bytes: async () => Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'),
    expect: bad(400, 'invalid_image'),
  },
  { name: 'GIF', bytes: () => base().gif().toBuffer(), expect: ok() },
  {
    name: 'GIF animated (first frame)',
    bytes: () =>
      sharp(Buffer.alloc(12 * 8 * 4 * 3, 128), { raw: { width: 12, height: 24, channels: 4, pageHeight: 8 } })
        .gif()
        .toBuffer(),
    expect: ok(),
  },
  { name: 'GIF header only', bytes: async () => Buffer.from('GIF89a', 'latin1'), expect: bad(400, 'invalid_image') },
  { name: 'AVIF', bytes: () => base().avif({ effort: 0 }).toBuffer(), expect: ok() },
  // TIFF
  { name: 'TIFF RGB', bytes: () => base().tiff().toBuffer(), expect: ok() },
  { name: 'TIFF 16-bit', bytes: () => base().toColourspace('rgb16').tiff().toBuffer(), expect: ok() },
  {
    name: 'TIFF multi-page (first page)',
    bytes: () =>
      sharp(Buffer.alloc(12 * 16 * 3, 99), { raw: { width: 12, height: 16, channels: 3, pageHeight: 8 } })
        .tiff()
        .toBuffer(),
    expect: ok(),
  },
  { name: 'TIFF RGB + 2 extra channels', bytes: async () => tiffWithExtraSamples(12, 8, 3, 2), expect: ok() },
  { name: 'TIFF grey + 2 extra channels', bytes: async () => tiffWithExtraSamples(12, 8, 1, 2), expect: ok() },
  {
    name: "TIFF RGB + alpha + 2 extra (6 channels: over libvips' limit)",
    bytes: async () => tiffWithExtraSamples(12, 8, 3, 3, true),
    expect: bad(415, 'unsupported_media_type'),
  },
  { name: 'TIFF grey + alpha + 2 extra', bytes: async () => tiffWithExtraSamples(12, 8, 1, 3, true), expect: ok() },
  {
    name: 'TIFF header only',
    bytes: async () => Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]),
    expect: bad(400, 'invalid_image'),
  },
  // Formats we refuse
  { name: 'SVG with an external reference', bytes: async () => svg, expect: bad(415, 'unsupported_media_type') },
  {
    name: 'SVG behind a UTF-8 BOM and spaces',
    bytes: async () => Buffer.concat([Buffer.from('\uFEFF  \n'), svg]),
    expect: bad(415, 'unsupported_media_type'),
  },
  { name: 'BMP', bytes: async () => bmp, expect: bad(415, 'unsupported_media_type') },
  {
    name: 'PDF',
    bytes: async () => Buffer.from('%PDF-1.7\n1 0 obj\n', 'latin1'),
    expect: bad(415, 'unsupported_media_type'),
  },
  {
    name: 'HEIC brand',
    bytes: async () => Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'),
    expect: bad(415, 'unsupported_media_type'),
  },
  {
    name: 'JPEG XL codestream',
    bytes: async () => Buffer.from([0xff, 0x0a, 0xfa, 0x7f, 0, 0, 0, 0]),
    expect: bad(415, 'unsupported_media_type'),
  },
  {
    name: 'PSD',
    bytes: async () => Buffer.from('8BPS\0\x01\0\0\0\0\0\0', 'latin1'),
    expect: bad(415, 'unsupported_media_type'),
  },
  {
    name: 'ICO',
    bytes: async () => Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0]),
    expect: bad(415, 'unsupported_media_type'),
  },
  // Not images at all
  {
    name: 'random bytes',
    bytes: async () => Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 131 + 7) % 256)),
    expect: bad(400, 'invalid_image'),
  },
  {
    name: 'HTML page',
    bytes: async () => Buffer.from('<!doctype html><html><body>hi</body></html>'),
    expect: bad(400, 'invalid_image'),
  },
  { name: 'a single zero byte', bytes: async () => Buffer.from([0]), expect: bad(400, 'invalid_image') },
];
