/**
 * The reference HTTP server: routes and request validation bound from openapi.yaml by operationId
 * (fastify-openapi-glue), the gateway hooks (auth, scopes, rate limit, admission) and the v1 and v2
 * handlers over one RemovalService. It never loads a model: whatever runs the images sits behind the
 * service (an engine in this process, or workers through the queue), and `ready` says whether it can.
 *
 * By the time a handler runs, the key is authenticated and scoped (`request.caller`), rate-limited, and
 * the body/params/headers are validated against the contract. Throw `ApiError(code)` for errors; the
 * central handler formats them.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteHandlerMethod,
} from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import fp from 'fastify-plugin';
import { Admission } from '../policy/admission.ts';
import type { Config } from '../process/config.ts';
import type { AppContext } from './context.ts';
import { ApiError, installErrorHandlers, sendError } from '../errors.ts';
import { authHook } from './auth.ts';
import { keyIdHasher, scopeOfPath, type KeyIdOf } from '../policy/keys.ts';
import { multipartBodies } from './multipart-body.ts';
import { glueSpecification } from './glue-spec.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { systemClock, type Clock, type KeyStore } from '../ports.ts';
import { rateLimitHook, type RateLimitStore } from './rate-limit.ts';
import { demoRoutes } from './routes/demo.ts';
import { healthRoutes } from './routes/health.ts';
import { v1Handler } from './routes/v1.ts';
import { v2Handlers } from './routes/v2.ts';
import { publicBaseUrl } from './public-url.ts';
import type { RemovalService } from '../removal/service.ts';
import { ignoreUnknownExpectations, onClientError, transportOptions } from './transport.ts';
import { validatorCompiler } from './validation.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared services for handlers (see AppContext). */
    bgr: AppContext;
  }
}

export interface AppDeps {
  config: Config;
  keys: KeyStore;
  /** The removal service behind v1 and v2. */
  service: RemovalService;
  /** Whether images can run (the engine is loaded, or workers exist), for `/readyz`. */
  ready: () => boolean;
  /** secret → key id; absent → from `config.keyIdSecret`. */
  keyId?: KeyIdOf;
  clock?: Clock;
  /** false/undefined: silent; true or pino options: Fastify's pino; or a ready pino logger instance. */
  logger?: boolean | { level?: string } | FastifyBaseLogger;
  /** Rate-limit counters shared by every API node (Redis); absent → in this process. */
  rateLimitStore?: RateLimitStore;
  /** Whether the backend answers (Redis ping), for `/readyz`; absent → nothing to check. */
  backendUp?: () => Promise<boolean>;
  /** This node's admission control, shared with its v2 jobs; absent → one from the config. */
  admission?: Admission;
  /** This node's metrics: served at `/metrics` when `config.metrics`, and fed by every response. */
  metrics?: Metrics;
}

/** preParsing hook for operations without a request body: drain what was sent and parse nothing. */
async function discardBody(
  request: FastifyRequest,
  _reply: unknown,
  payload: NodeJS.ReadableStream,
): Promise<NodeJS.ReadableStream> {
  for (const h of ['content-type', 'content-length', 'transfer-encoding']) delete request.headers[h];
  payload.resume();
  return payload;
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Builds the app (not listening). Call `await app.ready()` (or inject/listen, which do it) before use. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, keys, service } = deps;
  const keyId = deps.keyId ?? keyIdHasher(config.keyIdSecret);
  const logger = deps.logger;
  const isInstance =
    typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).child === 'function';
  const app = Fastify({
    ...(isInstance
      ? { loggerInstance: logger as FastifyBaseLogger }
      : { logger: (logger as boolean | { level?: string } | undefined) ?? false }),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    genReqId: () => randomUUID(),
    // A client-chosen id would double as a credit-hold id: never take it from the request.
    requestIdHeader: false,
    // Our own closing hook answers 503 in the contract's error format instead.
    return503OnClosing: false,
    ...transportOptions(config),
    clientErrorHandler: onClientError,
    // Undecodable paths (bad percent-encoding, over-long ids) answer in the contract's format: 404 not_found.
    frameworkErrors: (err, _request, reply) => sendError(reply, err),
  });
  ignoreUnknownExpectations(app.server);

  let closing = false;
  const admission = deps.admission ?? new Admission(config);
  const ctx: AppContext = {
    config,
    service,
    keys,
    clock: deps.clock ?? systemClock,
    isClosing: () => closing,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };
  app.decorate('bgr', ctx);
  installErrorHandlers(app);
  app.setValidatorCompiler(validatorCompiler());
  // Responses are checked by the contract tests; fast-json-stringify would silently drop unknown fields.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Only the contract's request types: JSON (Fastify's parser) and multipart (below); anything else → 415.
  app.removeContentTypeParser('text/plain');
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', request.id);
    // While draining, keep-alive sockets would hold server.close() open until they time out.
    if (closing) reply.header('connection', 'close');
  });

  multipartBodies(app, { fileSize: config.bodyLimit, files: 1, fields: 20, parts: 25, fieldSize: 1024 * 1024 });
  healthRoutes(app, deps.ready, () => closing, deps.backendUp);
  if (deps.metrics && config.metrics) metricsRoutes(app, deps.metrics);
  demoRoutes(app, config.devKey);

  app.register(
    fp(async (api) => {
      const limit = await rateLimitHook(api, config.rateLimit, deps.rateLimitStore);
      const shedding = async () => {
        if (closing)
          throw new ApiError('service_unavailable', 'The server is shutting down.', {
            'Retry-After': '5',
            connection: 'close',
          });
      };
      const admit = async (_request: FastifyRequest, reply: FastifyReply) => {
        const release = admission.enter();
        reply.raw.once('close', release);
        reply.raw.once('finish', release);
      };
      const requireBody = async (request: FastifyRequest) => {
        // With no content type there is no parser and so no schema check: the body would reach the handler empty.
        if (request.body === undefined || request.body === null) {
          throw new ApiError(
            'invalid_parameter',
            'A request body is required (application/json or multipart/form-data).',
          );
        }
      };
      // Gateway order: shed while closing → authenticate (401/403) → rate-limit (429) — all before the body is read.
      api.addHook('onRoute', (route) => {
        const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
        if (!operationId) return;
        // Only the operations that start an inference count against the plan's rate: polling once a second
        // (as the SDKs do) must not use up the quota of the request being polled.
        const limited = operationId === 'removeBackground' || operationId === 'submitRemoval' ? [limit] : [];
        // v1 holds its connection while the image runs: bound the images in flight before the body is read.
        if (operationId === 'removeBackground') limited.push(admit);
        route.onRequest = [
          shedding,
          authHook(keys, keyId, scopeOfPath(route.url)),
          ...limited,
          ...asArray(route.onRequest),
        ];
        if ((route.schema as { body?: unknown }).body)
          route.preValidation = [...asArray(route.preValidation), requireBody];
        // Cancel declares no body: one sent anyway is discarded unread, so it can only get cancel's own answers.
        else if (route.method === 'POST') route.preParsing = [...asArray(route.preParsing), discardBody];
      });
      const handlers: Record<string, RouteHandlerMethod> = {
        removeBackground: v1Handler(ctx) as RouteHandlerMethod,
        ...(v2Handlers({ service, baseUrl: publicBaseUrl(config.publicUrl) }) as Record<string, RouteHandlerMethod>),
      };
      await api.register(openapiGlue, {
        specification: glueSpecification(),
        operationResolver: (operationId: string) => {
          const handler = handlers[operationId];
          if (!handler) throw new Error(`openapi.yaml operation ${operationId} has no handler`);
          return handler;
        },
      });
    }),
  );
  return app;
}
