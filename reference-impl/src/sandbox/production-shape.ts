/**
 * The sandbox in the production service's shape: the contract's extensions switched off around the same server,
 * so that a client (or a test) meets what production answers. Error and FAILED bodies carry no `code`; a pending
 * result answers 200; bodies carry no timestamps, `expires_at` or `queue_position`; the submit has no
 * `cancel_url` and cancel is an unknown route (404); `Idempotency-Key` and `webhook` are ignored; the status URL
 * answers JSON whatever the Accept header; output options and multipart bodies are refused (400, 415). The output
 * endpoint stays: production serves its output from a media URL, the sandbox from that endpoint.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

/** Body fields that only extensions add. */
const extensionFields = [
  'code',
  'cancel_url',
  'created_at',
  'started_at',
  'completed_at',
  'expires_at',
  'queue_position',
];
/** Submit fields of the `output-options` extension. */
const outputOptions = ['format', 'mask_only', 'bg_color', 'base64'];

const isSubmit = (r: FastifyRequest) => r.method === 'POST' && /^\/v[12]\/bg-removal(\?|$)/.test(r.url);

function strip(payload: unknown): unknown {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return payload;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return payload;
  }
  for (const f of extensionFields) delete body[f];
  // Production's error bodies are `{"error": …}` alone (a FAILED body keeps its status, metrics and request id).
  if (!('status' in body) && 'error' in body) delete body.request_id;
  return JSON.stringify(body);
}

export function installProductionShape(app: FastifyInstance): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    delete request.headers['idempotency-key'];
    if (/text\/event-stream/i.test(String(request.headers.accept ?? ''))) request.headers.accept = 'application/json';
    if (request.method === 'POST' && /^\/v2\/requests\/[^/]+\/cancel(\?|$)/.test(request.url)) {
      throw new ApiError('not_found', `Route POST ${request.url.split('?')[0]} not found.`);
    }
    if (isSubmit(request) && /^multipart\//i.test(String(request.headers['content-type'] ?? ''))) {
      throw new ApiError('unsupported_media_type', 'The body must be application/json.');
    }
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    if (!isSubmit(request) || typeof request.body !== 'object' || request.body === null) return;
    const body = request.body as Record<string, unknown>;
    const used = outputOptions.filter((o) => o in body);
    if (used.length) throw new ApiError('invalid_parameter', `Unknown field: ${used.join(', ')}.`);
    delete body.webhook;
  });
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    // A pending result is its status body, served 200 as production does.
    if (reply.statusCode === 202 && request.method === 'GET') reply.code(200);
    return strip(payload);
  });
}
