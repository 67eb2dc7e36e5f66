/**
 * Starting a server: keys, backend, removal service and app on an engine the caller made, listening. Apart from
 * `bgr serve` (serve.ts), which also chooses the engine and wires Redis, so that the sandbox starts a server
 * without importing the model or the Redis wiring.
 */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { Admission } from '../policy/admission.ts';
import { buildApp, type AppDeps } from '../http/app.ts';
import { createRemovalService, memoryBackend } from './removal-service.ts';
import { keyIdHasher, MemoryKeyStore } from '../policy/keys.ts';
import { Metrics } from '../metrics/metrics.ts';
import { listen, type Running, type ServerDeps } from './running.ts';

function loggerOf(logger: AppDeps['logger']): FastifyBaseLogger {
  if (typeof logger === 'object' && logger !== null && 'child' in logger) return logger;
  if (!logger) return pino({ enabled: false });
  return pino(logger === true ? {} : logger);
}

/** Builds and starts the server (v1 and v2) on an already-created engine (tests use a fake one), or none on an API-only node. */
export async function startServer(deps: ServerDeps): Promise<Running> {
  const { config, engine } = deps;
  const keyId = deps.keyId ?? keyIdHasher(config.keyIdSecret);
  const keys =
    deps.keys ??
    new MemoryKeyStore(config.keys, {
      clock: deps.clock,
      keyId,
      rememberMs: Math.max(2 * 3600_000, 2 * config.resultTtlS * 1000),
    });
  const backend = deps.backend ?? memoryBackend(config, deps.clock);
  // One pino logger for the HTTP layer and the service, so job logs share the server's output.
  const log = loggerOf(deps.logger);
  const metrics = deps.metrics ?? new Metrics({ role: config.role });
  if (engine?.restarts) metrics.workerRestarts = () => engine.restarts!();
  if (backend.depth) metrics.queueDepth = () => backend.depth!();
  // One admission control per node: v1 requests and jobs share its bounds, and it owns "images in flight".
  const admission = new Admission(config);
  metrics.imagesInFlight = () => admission.usage.images;
  const service = createRemovalService(config, {
    ...(engine ? { engine } : {}),
    keys,
    backend,
    clock: deps.clock,
    log,
    metrics,
    admission,
    ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
  });
  deps.onLifecycle?.(service);
  // An API-only node runs no images: it is ready when its backend is (checked by /readyz too).
  const ready = () => engine?.isReady() ?? true;
  const app = buildApp({ ...deps, keyId, service, ready, metrics, admission, logger: log, keys });
  // Open status streams would hold server.close() (which runs before onClose) until the grace period cuts them.
  app.addHook('preClose', async () => service.endStreams());
  deps.extend?.(app);
  // Drain v2 jobs (and their webhooks) before the engine closes.
  app.addHook('onClose', async () => {
    await service.close();
    await backend.close?.();
  });
  return listen(app, deps.engine, config);
}
