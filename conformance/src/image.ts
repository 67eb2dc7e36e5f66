/** Decoding result images: format by magic bytes, dimensions, alpha statistics and IoU against a known mask. */
import sharp from 'sharp';

export interface ImageInfo {
  /** `png` / `webp` by magic bytes, `unknown` otherwise. */
  format: 'png' | 'webp' | 'unknown';
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Alpha per pixel (all 255 when the image has no alpha channel). */
  alpha: Uint8Array;
  /** The pixels as RGBA, 4 bytes each (a greyscale image has R = G = B). */
  rgba: Buffer;
}

export function sniffFormat(buf: Buffer): ImageInfo['format'] {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP')
    return 'webp';
  return 'unknown';
}

/** Decodes an image; undefined when it cannot be decoded. */
export async function inspectImage(buf: Buffer): Promise<ImageInfo | undefined> {
  try {
    const meta = await sharp(buf).metadata();
    // sRGB first: a greyscale image (a mask) must come out as 4 channels too.
    const { data, info } = await sharp(buf)
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) return undefined;
    const alpha = new Uint8Array(info.width * info.height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = data[i * 4 + 3]!;
    return {
      format: sniffFormat(buf),
      width: info.width,
      height: info.height,
      hasAlpha: meta.hasAlpha === true,
      alpha,
      rgba: data,
    };
  } catch {
    return undefined;
  }
}

/** Share of pixels that are (mostly) transparent. */
export function transparentShare(alpha: Uint8Array): number {
  let n = 0;
  for (const a of alpha) if (a < 128) n++;
  return n / alpha.length;
}

/** Intersection over union of the foregrounds (alpha ≥ 128) of two same-sized masks. */
export function alphaIoU(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const fa = a[i]! >= 128;
    const fb = b[i]! >= 128;
    if (fa && fb) inter++;
    if (fa || fb) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/**
 * The most two answers of one deployment to the same image may disagree (share of pixels on the other side
 * of 128): room for a nondeterministic model, far below what an ignored or inverted option gives.
 */
export const maxDisagreement = 0.05;

/** Share of pixels whose foreground/background verdict differs between two masks. */
export function maskDifference(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! >= 128 !== b[i]! >= 128) n++;
  return n / a.length;
}

/** The grey level of each pixel; undefined when some pixel is not grey (R, G and B more than 2 levels apart). */
export function greyLevels(img: ImageInfo): Uint8Array | undefined {
  const grey = new Uint8Array(img.width * img.height);
  for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
    const [r, g, b] = [img.rgba[j]!, img.rgba[j + 1]!, img.rgba[j + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 2) return undefined;
    grey[i] = g;
  }
  return grey;
}

/**
 * Share of pixels of `out` more than `tolerance` levels (on some channel) from the input flattened onto
 * `colour` with `alpha`: `input × alpha + colour × (1 − alpha)`.
 */
export function flattenMismatch(
  out: ImageInfo,
  input: ImageInfo,
  alpha: Uint8Array,
  colour: readonly number[],
  tolerance = 16,
): number {
  let bad = 0;
  for (let i = 0, j = 0; i < alpha.length; i++, j += 4) {
    const a = alpha[i]! / 255;
    for (let c = 0; c < 3; c++) {
      if (Math.abs(out.rgba[j + c]! - (input.rgba[j + c]! * a + colour[c]! * (1 - a))) > tolerance) {
        bad++;
        break;
      }
    }
  }
  return bad / alpha.length;
}
