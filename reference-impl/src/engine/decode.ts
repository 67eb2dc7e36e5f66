/** Decoding: format allow-list, pixel limit, EXIF orientation, and conversion to 8-bit sRGB RGBA. */
import sharp, { type Metadata } from 'sharp';
import { EngineError } from './errors.ts';

/** sharp's `metadata().format` values we accept; AVIF reports as `heif` with `av1` compression. */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'heif', 'tiff']);

export interface Decoded {
  /** Interleaved RGBA, 8-bit sRGB, already oriented (EXIF applied). */
  rgba: Buffer;
  width: number;
  height: number;
  /** Whether the input carried an alpha channel (its transparency is kept in the output). */
  hasAlpha: boolean;
}

/** Recognises a few image formats sharp cannot decode, so they get unsupported_media_type, not invalid_image. */
export function sniffOtherFormat(b: Buffer): string | undefined {
  const ascii = b.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('BM') && b.length > 26) return 'bmp';
  if (/^P[1-7]\s/.test(ascii)) return 'netpbm';
  if (ascii.startsWith('%PDF')) return 'pdf';
  if (ascii.startsWith('8BPS')) return 'psd';
  if (b.readUInt32BE(0) === 0x00000100 && b.length > 6) return 'ico';
  if (ascii.startsWith('\xff\x0a') || ascii.startsWith('\x00\x00\x00\x0cJXL ')) return 'jxl';
  if (/^....ftyp(heic|heix|hevc|mif1)/s.test(ascii)) return 'heic';
  if (/^\x00\x00\x00\x0cjP {2}/.test(ascii) || ascii.startsWith('\xff\x4f\xff\x51')) return 'jpeg2000';
  return undefined;
}

function invalid(err: unknown, input?: Buffer): EngineError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(msg)) return new EngineError('image_too_large', 'the image has too many pixels');
  if (/unsupported image format/i.test(msg)) {
    const other = input && input.length >= 4 ? sniffOtherFormat(input) : undefined;
    if (other) return new EngineError('unsupported_media_type', `image format ${other} is not accepted (use JPEG, PNG, WebP, GIF, AVIF or TIFF)`);
    return new EngineError('invalid_image', 'the data is not a recognised image');
  }
  return new EngineError('invalid_image', `the image could not be decoded: ${msg}`);
}

/** Reads the header only: format and dimensions are checked before any pixel is decoded. */
export async function probe(input: Buffer, maxPixels: number): Promise<Metadata> {
  if (input.length === 0) throw new EngineError('invalid_image', 'the image is empty');
  // No pixel limit here: metadata() reads only the header, and our own check gives a clearer message.
  const meta = await sharp(input, { limitInputPixels: false }).metadata().catch((err: unknown) => {
    throw invalid(err, input);
  });
  const format = meta.format as string;
  if (!ACCEPTED.has(format) || (format === 'heif' && meta.compression !== 'av1')) {
    const name = format === 'heif' ? `heif/${meta.compression ?? '?'}` : format;
    throw new EngineError('unsupported_media_type', `image format ${name} is not accepted (use JPEG, PNG, WebP, GIF, AVIF or TIFF)`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0; // for GIF/TIFF with pages this is one page's height (first frame only)
  if (width <= 0 || height <= 0) throw new EngineError('invalid_image', 'the image has no pixels');
  if (width * height > maxPixels) {
    throw new EngineError('image_too_large', `the image has ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}`);
  }
  return meta;
}

/** Decodes the first frame/page to oriented 8-bit sRGB RGBA (CMYK, 16-bit, grey and palette inputs included). */
export async function decode(input: Buffer, maxPixels: number): Promise<Decoded> {
  const meta = await probe(input, maxPixels);
  const { data, info } = await sharp(input, { limitInputPixels: maxPixels, pages: 1, page: 0 })
    .rotate() // EXIF auto-orient: phone photos must come back the way they are displayed
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw invalid(err);
    });
  if (info.channels !== 4) throw new EngineError('internal', `decoder produced ${info.channels} channels, expected 4`);
  return { rgba: data, width: info.width, height: info.height, hasAlpha: meta.hasAlpha === true };
}

/** Resizes the decoded image to size×size RGB (aspect not kept: the model expects a square). */
export async function resizeRgb(img: Decoded, size: number): Promise<Uint8Array> {
  let pipeline = sharp(img.rgba, { raw: { width: img.width, height: img.height, channels: 4 } })
    // lanczos3 (as rembg does): bilinear is ~30 ms faster per image but lowered IoU against the
    // reference from 0.986 to 0.977 on anime-girl-1.
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' });
  // Transparent areas go onto white (what a viewer shows) rather than their undefined hidden colour.
  pipeline = img.hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline.removeAlpha();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new EngineError('internal', `resize produced ${info.width}×${info.height}×${info.channels}`);
  }
  // A private copy with its own ArrayBuffer, so it can be transferred to a worker.
  return new Uint8Array(data);
}
