/**
 * Multipart bodies (@fastify/multipart) read into `request.body` as key → value (a file part as its bytes),
 * with every parse failure answered as the caller's mistake: the plugin's own `attachFieldsToBody` hook
 * lets busboy's errors (no boundary, truncated or garbage body) through as 500, and names an invalid JSON
 * field 406 — which our table reads as `insufficient_credits`.
 */
import multipart, { type Multipart } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

export interface MultipartLimits {
  fileSize: number;
  files: number;
  fields: number;
  parts: number;
  fieldSize: number;
}

const tooLarge = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT', 'FST_REQ_FILE_TOO_LARGE']);

/** What a failure while reading the parts means for the caller: always a 4xx. */
export function multipartError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: string; message?: string };
  if (e?.code && tooLarge.has(e.code))
    return new ApiError('payload_too_large', `The multipart body is too large (${e.message}).`);
  if (e?.code === 'FST_INVALID_JSON_FIELD_ERROR')
    return new ApiError(
      'invalid_parameter',
      'A multipart field declared as application/json does not hold valid JSON.',
    );
  if (e?.code === 'FST_PROTO_VIOLATION')
    return new ApiError('invalid_parameter', 'A multipart field name is not allowed.');
  return new ApiError(
    'invalid_parameter',
    'The multipart/form-data body is malformed (missing boundary, truncated or not multipart).',
  );
}

async function readParts(request: FastifyRequest): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = Object.create(null);
  const add = (name: string, value: unknown) => {
    const prev = body[name];
    body[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  };
  for await (const part of request.parts()) {
    if (part.type === 'file') add(part.fieldname, await part.toBuffer());
    else add(part.fieldname, (part as Multipart & { value: unknown }).value);
  }
  return { ...body };
}

/** Registers the plugin and the hook that fills `request.body` before the contract's schema check. */
export function multipartBodies(app: FastifyInstance, limits: MultipartLimits): void {
  app.register(multipart, { limits });
  app.addHook('preValidation', async (request, reply) => {
    if (!request.isMultipart()) return;
    try {
      request.body = await readParts(request);
    } catch (err) {
      // The rest of a broken body may be unread: close rather than parse it as the next request.
      reply.header('connection', 'close');
      throw multipartError(err);
    }
  });
}
