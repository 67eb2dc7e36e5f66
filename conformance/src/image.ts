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
}

export function sniffFormat(buf: Buffer): ImageInfo['format'] {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return 'unknown';
}

/** Decodes an image; undefined when it cannot be decoded. */
export async function inspectImage(buf: Buffer): Promise<ImageInfo | undefined> {
  try {
    const meta = await sharp(buf).metadata();
    const { data, info } = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const alpha = new Uint8Array(info.width * info.height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = data[i * info.channels + 3]!;
    return { format: sniffFormat(buf), width: info.width, height: info.height, hasAlpha: meta.hasAlpha === true, alpha };
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

/** Share of pixels whose foreground/background verdict differs between two masks. */
export function maskDifference(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if ((a[i]! >= 128) !== (b[i]! >= 128)) n++;
  return n / a.length;
}
