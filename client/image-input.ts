/** Turns what callers hold (path, bytes, URL, base64) into the contract's `image` string. */
import { readFile } from 'node:fs/promises';
import type { ImageInput } from './types.ts';

const URL_PREFIX = /^(https?:|data:)/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Files and bytes go as raw base64 in JSON, as the production SDK sends them: one body shape for v1 and
 * v2, and a byte-identical body on retry, which `Idempotency-Key` needs (multipart boundaries differ).
 */
export async function toImageField(input: ImageInput): Promise<string> {
  if (input instanceof URL) return input.href;
  if (input instanceof ArrayBuffer) return Buffer.from(input).toString('base64');
  if (input instanceof Uint8Array)
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('base64');
  if (typeof input !== 'string' || input.length === 0)
    throw new TypeError('image must be a non-empty string, URL, Buffer, Uint8Array or ArrayBuffer');
  if (URL_PREFIX.test(input)) return input;
  // A string is a path when such a file exists; otherwise it must look like base64, or it is a typo'd path.
  const file = await readFile(input).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENAMETOOLONG' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (file) return file.toString('base64');
  const compact = input.replace(/\s+/g, '');
  if (compact.length % 4 === 0 && BASE64.test(compact)) return compact;
  throw new TypeError(`image: no such file, and not a URL or base64: ${input.slice(0, 80)}`);
}

/** Decodes a `data:` URI (the `output` of a request submitted with `base64: true`). */
export function decodeDataUri(uri: string): { image: Buffer; contentType: string } {
  const match = /^data:([^,]*?),(.*)$/s.exec(uri);
  if (!match) throw new TypeError('not a data: URI');
  const meta = match[1] ?? '';
  const payload = match[2] ?? '';
  const isBase64 = /;base64$/i.test(meta);
  const contentType = (isBase64 ? meta.slice(0, -';base64'.length) : meta) || 'text/plain;charset=US-ASCII';
  const image = isBase64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  return { image, contentType };
}
