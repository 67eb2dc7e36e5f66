/** A removal request as the server checked it where it entered (v1 or v2, JSON or multipart), and its idempotency hash. */
import { createHash } from 'node:crypto';
import type { Method, OutputFormat } from '@bgr/spec';
import type { ProbedImage } from '../engine/types.ts';

/** The image as the client gave it: a URL, data URI or base64 string (JSON), or the bytes (multipart). */
export type ImageSource = string | Buffer;

/** What a job runs on: the image as given (resolved by the job), or already resolved and probed (v1). */
export type JobInput = ImageSource | ProbedImage;

export function isProbed(input: JobInput): input is ProbedImage {
  return typeof input === 'object' && !Buffer.isBuffer(input);
}

/** The options, normalised (defaults applied, so equal bodies hash equally). */
export interface RemovalOptions {
  method: Method;
  format: OutputFormat;
  maskOnly: boolean;
  bgColor?: string;
  base64: boolean;
  webhook?: string;
}

/**
 * One checked request: built once by the HTTP edge from a body the contract's schema accepted, and taken
 * as it is by every later layer (nothing re-validates it). The image is read and probed once, when its
 * bytes are resolved (see `input/image.ts`), and travels on as a `ProbedImage`.
 */
export interface RemovalRequest extends RemovalOptions {
  image: ImageSource;
}

/** SHA-256 of the normalised request: equal for bodies that mean the same (defaults, JSON key order). */
export function bodyHash(p: RemovalRequest): string {
  const image =
    typeof p.image === 'string' ? { text: p.image } : { bytes: createHash('sha256').update(p.image).digest('hex') };
  const canonical = JSON.stringify([
    image,
    p.method,
    p.format,
    p.maskOnly,
    p.bgColor?.replace(/^#/, '').toLowerCase() ?? null,
    p.base64,
    p.webhook ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
