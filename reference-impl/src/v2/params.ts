/** Submit bodies: normalise a JSON or multipart submit into request params, and hash them for idempotency. */
import { createHash } from 'node:crypto';
import type { SubmitRequest } from '@bgr/spec';
import { ApiError } from '../errors.ts';
import type { ImageInput, RequestParams } from './store.ts';

/** What `submit` takes: the normalised options and the image as given. */
export interface SubmitParams extends RequestParams { image: ImageInput }

const known = new Set(['image', 'method', 'format', 'mask_only', 'bg_color', 'webhook', 'base64']);
const bgColor = /^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

// Multipart fields arrive as strings; JSON booleans are booleans. Both mean the same.
function flag(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new ApiError('invalid_parameter', `${name} must be a boolean.`);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T, name: string): T {
  if (v === undefined) return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ApiError('invalid_parameter', `${name} must be one of ${allowed.join(', ')}.`);
}

/**
 * Validates and normalises a submit body (SubmitRequest, or the multipart form with `image` as bytes).
 * The HTTP layer may validate against the contract first; this is the lifecycle's own guard either way.
 */
export function parseSubmit(body: unknown, opts: { multipart?: boolean } = {}): SubmitParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_parameter', 'The body must be a JSON object.');
  }
  const b = body as Record<string, unknown> & Partial<SubmitRequest>;
  if (!opts.multipart) {
    const unknown = Object.keys(b).filter((k) => !known.has(k));
    if (unknown.length) throw new ApiError('invalid_parameter', `Unknown field: ${unknown.join(', ')}.`);
  }
  const image: unknown = b.image;
  const validImage = (typeof image === 'string' && image.length > 0) || (Buffer.isBuffer(image) && image.length > 0);
  if (!validImage) throw new ApiError('invalid_parameter', "body must have required property 'image'");
  if (b.bg_color !== undefined && (typeof b.bg_color !== 'string' || !bgColor.test(b.bg_color))) {
    throw new ApiError('invalid_parameter', 'bg_color must be #rrggbb or #rrggbbaa.');
  }
  if (b.webhook !== undefined && (typeof b.webhook !== 'string' || !isHttpUrl(b.webhook))) {
    throw new ApiError('invalid_parameter', 'webhook must be an http(s) URL.');
  }
  const params: SubmitParams = {
    image: image as ImageInput,
    method: oneOf(b.method, ['object', 'human'] as const, 'object', 'method'),
    format: oneOf(b.format, ['png', 'webp'] as const, 'png', 'format'),
    maskOnly: flag(b.mask_only, 'mask_only'),
    base64: flag(b.base64, 'base64'),
  };
  if (b.bg_color !== undefined) params.bgColor = b.bg_color;
  if (b.webhook !== undefined) params.webhook = b.webhook;
  return params;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** SHA-256 of the normalised params: equal for bodies that mean the same (defaults, JSON key order). */
export function bodyHash(p: SubmitParams): string {
  const image = typeof p.image === 'string'
    ? { text: p.image }
    : { bytes: createHash('sha256').update(p.image).digest('hex') };
  const canonical = JSON.stringify([
    image, p.method, p.format, p.maskOnly, p.bgColor?.replace(/^#/, '').toLowerCase() ?? null, p.base64, p.webhook ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
