/**
 * Resolves the `image` input (http(s) URL, data URI, raw base64, multipart file) to checked bytes (issue 3 "Inputs and bad inputs").
 *
 * Error rule, kept consistent with the contract's table: a string that is not a usable *encoding*
 * (not base64, bad data URI, empty) → 400 `invalid_parameter`; well-encoded bytes that are not a
 * decodable image → 400 `invalid_image`; an image format we do not accept (SVG, BMP, HEIC, PDF…) or a
 * non-image data-URI media type → 415 `unsupported_media_type`; too many pixels → 413 `image_too_large`.
 */
import sharp, { type Metadata } from 'sharp';
import { ApiError } from '../errors.ts';
import { guardedFetch, type FetchPolicy } from './guarded-fetch.ts';

export interface InputPolicy {
  fetch: FetchPolicy;
  maxPixels: number;
}

export interface CheckedImage {
  bytes: Buffer;
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';
  width: number;
  height: number;
}

const dataImageTypes = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/pjpeg', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/** Turns the request's `image` (string, or Buffer from a multipart file part) into checked image bytes. */
export async function resolveImage(image: string | Buffer, policy: InputPolicy, signal?: AbortSignal): Promise<CheckedImage> {
  const bytes = typeof image === 'string' ? await bytesOf(image.trim(), policy, signal) : image;
  return checkImage(bytes, policy.maxPixels);
}

async function bytesOf(image: string, policy: InputPolicy, signal?: AbortSignal): Promise<Buffer> {
  if (image === '') throw new ApiError('invalid_parameter', 'image is empty.');
  if (/^https?:\/\//i.test(image)) return fetchImage(image, policy.fetch, signal);
  if (/^data:/i.test(image)) return decodeDataUri(image);
  // base64 has no ':' — anything with a scheme is a URL we will not fetch (file:, ftp:, gopher:…).
  if (/^[a-z][a-z0-9+.-]*:/i.test(image)) {
    throw new ApiError('image_url_forbidden', `The URL scheme '${image.slice(0, image.indexOf(':') + 1)}' is not allowed; use http or https.`);
  }
  return decodeBase64(image, 'image');
}

async function fetchImage(url: string, policy: FetchPolicy, signal?: AbortSignal): Promise<Buffer> {
  const res = await guardedFetch(url, policy, { signal });
  if (res.status < 200 || res.status > 299) throw new ApiError('image_fetch_failed', `The image URL answered HTTP ${res.status}.`);
  const type = String(res.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('image/svg')) throw new ApiError('unsupported_media_type', 'SVG images are not accepted.');
  return res.body;
}

/** `data:<image type>;base64,<data>`; other media types are 415, non-base64 payloads 400. */
export function decodeDataUri(uri: string): Buffer {
  const comma = uri.indexOf(',');
  if (comma < 0) throw new ApiError('invalid_parameter', 'The data URI has no comma before its data.');
  const meta = uri.slice(5, comma).split(';').map((s) => s.trim().toLowerCase());
  const type = meta[0] ?? '';
  if (!meta.includes('base64')) throw new ApiError('invalid_parameter', 'Data URIs must be base64-encoded (data:image/png;base64,…).');
  if (type !== '' && !dataImageTypes.has(type)) {
    throw new ApiError('unsupported_media_type', `The data URI's media type '${type}' is not a supported image type.`);
  }
  return decodeBase64(uri.slice(comma + 1), 'the data URI');
}

/** Strict base64 (standard or URL-safe alphabet, whitespace ignored, padding optional but never wrong). */
export function decodeBase64(text: string, what: string): Buffer {
  const s = text.replace(/\s+/g, '');
  if (s === '') throw new ApiError('invalid_parameter', `${what} is empty.`);
  const std = /^[A-Za-z0-9+/]*={0,2}$/.test(s);
  const url = /^[A-Za-z0-9_-]*={0,2}$/.test(s);
  if (!std && !url) {
    throw new ApiError('invalid_parameter', `${what} is neither an http(s) URL, a data URI nor valid base64.`);
  }
  const body = s.replace(/=+$/, '');
  const padded = s.length !== body.length;
  if (body.length % 4 === 1 || (padded && s.length % 4 !== 0)) {
    throw new ApiError('invalid_parameter', `${what} is truncated or malformed base64 (length ${s.length}).`);
  }
  return Buffer.from(body, url && !std ? 'base64url' : 'base64');
}

type Sniffed = CheckedImage['format'] | 'heif' | 'unsupported' | 'svg' | 'unknown';

/** Magic-number sniffing: decides before sharp sees the bytes, so SVG (which sharp would render) never reaches it. */
export function sniff(b: Buffer): Sniffed {
  const head = b.subarray(0, 16);
  const ascii = head.toString('latin1');
  if (head[0] === 0x89 && ascii.startsWith('PNG', 1)) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'webp';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return 'tiff';
  if (ascii.slice(4, 8) === 'ftyp') return 'heif';
  if (ascii.startsWith('BM') || ascii.startsWith('%PDF') || ascii.startsWith('\0\0\x01\0') || head.subarray(0, 2).equals(Buffer.from([0xff, 0x0a]))
    || ascii.startsWith('\0\0\0\x0cJXL ') || ascii.startsWith('8BPS') || ascii.startsWith('\0\0\0\x0cjP  ')) return 'unsupported';
  const text = b.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^<(\?xml|svg|!DOCTYPE svg)/i.test(text) || /<svg[\s>]/i.test(text)) return 'svg';
  return 'unknown';
}

/** Checks format and pixel count from the header only (no full decode), so a 100k×100k bomb costs nothing. */
export async function checkImage(bytes: Buffer, maxPixels: number): Promise<CheckedImage> {
  if (bytes.length === 0) throw new ApiError('invalid_image', 'The image is empty.');
  const kind = sniff(bytes);
  if (kind === 'svg') throw new ApiError('unsupported_media_type', 'SVG images are not accepted.');
  if (kind === 'unsupported') throw new ApiError('unsupported_media_type', 'This image format is not supported; use JPEG, PNG, WebP, GIF, AVIF or TIFF.');
  if (kind === 'unknown') throw new ApiError('invalid_image', 'The data is not a JPEG, PNG, WebP, GIF, AVIF or TIFF image.');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ApiError('invalid_image');
  }
  let format: CheckedImage['format'];
  if (kind === 'heif') {
    // sharp names AVIF and HEIC both 'heif'; only the AV1-coded one (AVIF) is accepted.
    if (meta.format !== 'heif' || meta.compression !== 'av1') throw new ApiError('unsupported_media_type', 'Only AVIF is accepted among HEIF images.');
    format = 'avif';
  } else format = kind;
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new ApiError('invalid_image');
  if (width * height > maxPixels) {
    throw new ApiError('image_too_large', `The image has ${width}×${height} = ${width * height} pixels; the limit is ${maxPixels}.`);
  }
  return { bytes, format, width, height };
}
