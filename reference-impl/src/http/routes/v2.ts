/** The v2 HTTP handlers, keyed by the contract's operationIds, for the server to mount on its routes. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { ApiError } from '../../errors.ts';
import type { RemovalService } from '../../removal/service.ts';
import { removalRequestOf } from '../submission.ts';
import { streamHeaders } from '../../removal/status-stream.ts';

export type V2OperationId =
  'submitRemoval' | 'getRequestStatus' | 'getRequestResult' | 'getRequestOutput' | 'cancelRequest';
export type V2Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface V2RoutesOptions {
  service: RemovalService;
  /**
   * The public base URL for absolute URLs in bodies: the configured public URL, or the request's
   * host / forwarded headers when the proxy is trusted. The server decides; we only call it.
   */
  baseUrl: (request: FastifyRequest) => string;
}

/** The contract's paths for each handler (the server may mount by operationId from openapi.yaml instead). */
export const v2Paths: Record<V2OperationId, { method: 'GET' | 'POST'; url: string }> = {
  submitRemoval: { method: 'POST', url: '/v2/bg-removal' },
  getRequestStatus: { method: 'GET', url: '/v2/requests/:request_id/status' },
  getRequestResult: { method: 'GET', url: '/v2/requests/:request_id' },
  getRequestOutput: { method: 'GET', url: '/v2/requests/:request_id/output' },
  cancelRequest: { method: 'POST', url: '/v2/requests/:request_id/cancel' },
};

/** The caller's key id: the owner of the requests it submits. */
function owner(request: FastifyRequest): string {
  // The auth hook runs first; reaching here without a caller is a wiring bug, answered as 401 regardless.
  if (!request.caller) throw new ApiError('unauthorized');
  return request.caller.id;
}

function requestId(request: FastifyRequest): string {
  const id = (request.params as { request_id?: unknown }).request_id;
  return typeof id === 'string' ? id : '';
}

/**
 * The status-stream extension is served when `text/event-stream` is the client's preferred type (RFC 9110
 * negotiation: highest q, then the order given). A client that prefers JSON or a wildcard gets JSON: tools
 * such as Redocly Respect send both and expect JSON.
 */
function wantsEventStream(request: FastifyRequest): boolean {
  return new Negotiator(request).mediaType(['application/json', 'text/event-stream']) === 'text/event-stream';
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const v = request.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length < 1 || v.length > 255) {
    throw new ApiError('invalid_parameter', 'Idempotency-Key must be 1 to 255 characters.');
  }
  return v;
}

/** Builds the five handlers. Errors are thrown as ApiError; the central error handler renders them. */
export function v2Handlers({ service, baseUrl }: V2RoutesOptions): Record<V2OperationId, V2Handler> {
  return {
    async submitRemoval(request, reply) {
      const key = owner(request);
      const removal = removalRequestOf(request.body);
      const ikey = idempotencyKey(request);
      const body = await service.submit(key, removal, {
        baseUrl: baseUrl(request),
        ...(ikey ? { idempotencyKey: ikey } : {}),
      });
      // The x-request-id header stays this exchange's trace id (a replay gets its own); the log ties the two.
      request.log.info({ request_id: body.request_id }, 'v2 request submitted');
      return reply.code(200).send(body);
    },

    async getRequestStatus(request, reply) {
      if (wantsEventStream(request)) {
        const stream = await service.statusStream(owner(request), requestId(request), baseUrl(request));
        return reply.code(200).headers(streamHeaders).send(stream);
      }
      const view = await service.status(owner(request), requestId(request), baseUrl(request));
      return reply.code(view.status).send(view.body);
    },

    async getRequestResult(request, reply) {
      const view = await service.result(owner(request), requestId(request), baseUrl(request));
      return reply.code(view.status).send(view.body);
    },

    async getRequestOutput(request, reply) {
      const out = await service.output(owner(request), requestId(request));
      // Private: the image belongs to one key; cacheable until the request expires at most.
      reply.header('cache-control', `private, max-age=${out.maxAgeS}`);
      return reply.code(200).type(out.contentType).send(out.bytes);
    },

    async cancelRequest(request, reply) {
      const body = await service.cancel(owner(request), requestId(request));
      return reply.code(200).send(body);
    },
  };
}
