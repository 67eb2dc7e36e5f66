/** What a started node is and how it stops; what starting a server takes (kept apart from serve.ts so that
 * distributed.ts and worker-node.ts, which serve.ts imports, do not import serve.ts back). */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../http/app.ts';
import type { V2Backend } from './removal-service.ts';
import type { Engine } from '../engine/types.ts';
import type { RemovalService } from '../removal/service.ts';
import type { WebhookPort } from '../removal/webhook.ts';

/**
 * Stops accepting (new requests get 503 in the contract's format), lets in-flight requests finish for up
 * to `graceMs`, then cuts the remaining connections (their jobs are aborted), and closes the engine.
 */
export async function gracefulShutdown(
  app: FastifyInstance,
  engine: Engine | undefined,
  graceMs: number,
): Promise<void> {
  const cut = setTimeout(() => {
    app.log.warn({ graceMs }, 'grace period over: closing the remaining connections');
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
  await engine?.close();
}

export interface Running {
  app: FastifyInstance;
  url: string;
  shutdown(): Promise<void>;
}

/** Listens on the configured host and port, and returns the node with its URL and its one-time graceful shutdown. */
export async function listen(
  app: FastifyInstance,
  engine: Engine | undefined,
  config: { host: string; port: number; shutdownGraceS: number },
): Promise<Running> {
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let done: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    shutdown: () => (done ??= gracefulShutdown(app, engine, config.shutdownGraceS * 1000)),
  };
}

export type ServerDeps = Omit<AppDeps, 'keys' | 'service' | 'ready'> &
  Partial<Pick<AppDeps, 'keys'>> & {
    /** The engine that runs images here; absent on an API-only node (its images run on the workers). */
    engine?: Engine;
    /** Where v2 requests live; in-memory by default. */
    backend?: V2Backend;
    /** Called with the removal service as soon as it exists (the Redis backend routes exhausted jobs to it). */
    onLifecycle?: (service: RemovalService) => void;
    /** Where webhooks go (the Redis delivery queue); absent → sent from this process. */
    webhooks?: WebhookPort;
    /** Adds hooks to the app before it listens (the sandbox's scripted outcomes). */
    extend?: (app: FastifyInstance) => void;
  };

/** serve.ts's `startServer`, handed to the Redis wiring rather than imported by it. */
export type StartServer = (deps: ServerDeps) => Promise<Running>;
