/**
 * The one image-format probe and pixel limit, used by the server's input check and by the engine's decoder:
 * magic numbers decide the format before sharp sees a byte (SVG never reaches librsvg), then the header
 * alone gives the size, so a 100k×100k bomb costs nothing.
 */
import sharp, { type Metadata } from 'sharp';
import { EngineError } from './errors.ts';
import { isStandardSrgb } from './srgb-profile.ts';
import type { EngineInput, ImageFormat, ProbedImage } from './types.ts';

export type { ImageFormat, ProbedImage };
export type Sniffed = ImageFormat | 'heif' | 'unsupported' | 'svg' | 'unknown';

const ACCEPTED_NAMES = 'JPEG, PNG, WebP, GIF, AVIF or TIFF';
// ISO-BMFF major brands of HEVC-coded HEIF (refused); AVIF says `avif`/`avis`; `mif1`/`msf1` say nothing.
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/** Magic-number sniffing: the format the bytes claim, 'unsupported' for formats we refuse, 'unknown' for non-images. */
export function sniff(b: Buffer): Sniffed {
  const head = b.subarray(0, 16);
  const ascii = head.toString('latin1');
  if (head[0] === 0x89 && ascii.startsWith('PNG', 1)) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'webp';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return 'tiff';
  if (ascii.slice(4, 8) === 'ftyp') return HEVC_BRANDS.has(ascii.slice(8, 12)) ? 'unsupported' : 'heif';
  if (
    ascii.startsWith('BM') ||
    ascii.startsWith('%PDF') ||
    ascii.startsWith('\0\0\x01\0') ||
    ascii.startsWith('\xff\x0a') ||
    ascii.startsWith('\0\0\0\x0cJXL ') ||
    ascii.startsWith('8BPS') ||
    ascii.startsWith('\0\0\0\x0cjP  ') ||
    ascii.startsWith('\xff\x4f\xff\x51') ||
    /^P[1-7]\s/.test(ascii)
  )
    return 'unsupported';
  const text = b
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (/^<(\?xml|svg|!DOCTYPE svg)/i.test(text) || /<svg[\s>]/i.test(text)) return 'svg';
  return 'unknown';
}

/** Checks format and pixel count from the header only; throws EngineError (invalid_image, unsupported_media_type, image_too_large). */
export async function probe(bytes: Buffer, maxPixels: number): Promise<ProbedImage> {
  if (bytes.length === 0) throw new EngineError('invalid_image', 'The image is empty.');
  const kind = sniff(bytes);
  if (kind === 'svg') throw new EngineError('unsupported_media_type', 'SVG images are not accepted.');
  if (kind === 'unsupported')
    throw new EngineError('unsupported_media_type', `This image format is not supported; use ${ACCEPTED_NAMES}.`);
  if (kind === 'unknown') throw new EngineError('invalid_image', `The data is not a ${ACCEPTED_NAMES} image.`);
  let meta: Metadata;
  try {
    // No pixel limit here: metadata() reads only the header, and our own check gives a clearer message.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    // libvips refuses images with too many bands (e.g. a TIFF with RGB + alpha + 2 extra samples).
    if (/channel limit/i.test((err as Error).message))
      throw new EngineError('unsupported_media_type', 'Images with this many channels are not supported.');
    throw new EngineError('invalid_image', 'The image could not be decoded.');
  }
  let format: ImageFormat;
  if (kind === 'heif') {
    // sharp names AVIF and HEIC both 'heif'; only the AV1-coded one (AVIF) is accepted.
    if (meta.format !== 'heif' || meta.compression !== 'av1')
      throw new EngineError('unsupported_media_type', 'Only AVIF is accepted among HEIF images.');
    format = 'avif';
  } else format = kind;
  const width = meta.width ?? 0;
  const height = meta.height ?? 0; // for GIF/TIFF with pages this is one page's height (first frame only)
  if (width < 1 || height < 1) throw new EngineError('invalid_image', 'The image has no pixels.');
  if (width * height > maxPixels) {
    throw new EngineError(
      'image_too_large',
      `The image has ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}.`,
    );
  }
  const probed: ProbedImage = { bytes, format, width, height, hasAlpha: meta.hasAlpha === true };
  if (meta.icc) probed.profile = isStandardSrgb(meta.icc) ? 'standard-srgb' : 'other';
  if (meta.space === 'rgb16') probed.rgb16 = true;
  return probed;
}

/** A probed image as it is, bare bytes probed now: the engine's entry for callers that did not probe. */
export async function probed(input: EngineInput, maxPixels: number): Promise<ProbedImage> {
  return Buffer.isBuffer(input) ? probe(input, maxPixels) : input;
}
