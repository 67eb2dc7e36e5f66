/** Small generated inputs for the pipeline tests: every accepted format and colour model, and bad inputs. */
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

/** 64×48 RGB: a red disc (R=255) on black, so the fake worker's alpha (= red channel) is a known disc. */
export async function discRaw(width = 64, height = 48): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) / 3) {
        const i = (y * width + x) * 3;
        rgb[i] = 255;
        rgb[i + 1] = 60;
        rgb[i + 2] = 30;
      }
    }
  }
  return rgb;
}

export async function disc(width = 64, height = 48): Promise<Sharp> {
  return sharp(await discRaw(width, height), { raw: { width, height, channels: 3 } });
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid PNG header declaring width×height (a decompression bomb's shape) with a tiny IDAT. */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface Input {
  name: string;
  build: () => Promise<Buffer>;
  width: number;
  height: number;
  hasAlpha?: boolean;
}

/** Accepted inputs; width×height is the size the output must have (after EXIF orientation). */
export const GOOD_INPUTS: Input[] = [
  { name: 'JPEG', build: async () => (await disc()).jpeg().toBuffer(), width: 64, height: 48 },
  { name: 'PNG', build: async () => (await disc()).png().toBuffer(), width: 64, height: 48 },
  { name: 'WebP', build: async () => (await disc()).webp({ lossless: true }).toBuffer(), width: 64, height: 48 },
  { name: 'AVIF', build: async () => (await disc()).avif().toBuffer(), width: 64, height: 48 },
  { name: 'TIFF', build: async () => (await disc()).tiff().toBuffer(), width: 64, height: 48 },
  {
    name: 'JPEG with EXIF orientation 6 (90° cw)',
    build: async () => (await disc()).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    width: 48,
    height: 64,
  },
  {
    name: 'CMYK JPEG',
    build: async () => (await disc()).toColourspace('cmyk').jpeg().toBuffer(),
    width: 64,
    height: 48,
  },
  {
    name: '16-bit PNG',
    build: async () => (await disc()).toColourspace('rgb16').png().toBuffer(),
    width: 64,
    height: 48,
  },
  { name: 'greyscale PNG', build: async () => (await disc()).greyscale().png().toBuffer(), width: 64, height: 48 },
  {
    name: 'RGBA PNG',
    build: async () => (await disc()).ensureAlpha(0.5).png().toBuffer(),
    width: 64,
    height: 48,
    hasAlpha: true,
  },
  {
    name: 'palette PNG',
    build: async () => (await disc()).png({ palette: true, colours: 8 }).toBuffer(),
    width: 64,
    height: 48,
  },
  {
    name: 'animated GIF (first frame only)',
    build: async () => {
      const a = await (await disc()).png().toBuffer();
      const b = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#0000ff' } })
        .png()
        .toBuffer();
      return sharp([a, b], { join: { animated: true } })
        .gif()
        .toBuffer();
    },
    width: 64,
    height: 48,
    hasAlpha: true, // GIF decodes with a (fully opaque here) alpha channel
  },
];

export const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><image href="http://169.254.169.254/x.png" width="64" height="48"/><circle cx="32" cy="24" r="16" fill="red"/></svg>',
);

export interface BadInput {
  name: string;
  build: () => Promise<Buffer>;
  code: string;
  maxPixels?: number;
}

export const BAD_INPUTS: BadInput[] = [
  { name: 'empty buffer', build: async () => Buffer.alloc(0), code: 'invalid_image' },
  {
    name: 'garbage bytes',
    build: async () => Buffer.from('this is not an image at all, just text'),
    code: 'invalid_image',
  },
  {
    name: 'truncated JPEG',
    build: async () => (await (await disc(200, 150)).jpeg().toBuffer()).subarray(0, 400),
    code: 'invalid_image',
  },
  {
    name: 'truncated PNG',
    build: async () => {
      const b = await (await disc(200, 150)).png().toBuffer();
      return b.subarray(0, b.length - 40);
    },
    code: 'invalid_image',
  },
  { name: 'SVG', build: async () => SVG, code: 'unsupported_media_type' },
  {
    name: 'BMP',
    build: async () =>
      Buffer.from(
        '424d3a0000000000000036000000280000000100000001000000010018000000000004000000130b0000130b00000000000000000000ff000000',
        'hex',
      ),
    code: 'unsupported_media_type',
  },
  {
    name: 'PPM',
    build: async () => Buffer.concat([Buffer.from('P6\n2 2\n255\n'), Buffer.alloc(12, 200)]),
    code: 'unsupported_media_type',
  },
  { name: 'PNG declaring 100000×100000', build: async () => pngDeclaring(100_000, 100_000), code: 'image_too_large' },
  {
    name: 'JPEG over a small maxPixels',
    build: async () => (await disc()).jpeg().toBuffer(),
    code: 'image_too_large',
    maxPixels: 64 * 48 - 1,
  },
];
