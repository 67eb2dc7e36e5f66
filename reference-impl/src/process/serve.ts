/** `bgr serve`: config → engine → removal service → app → listen, with graceful shutdown on SIGINT/SIGTERM. */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { Admission } from '../policy/admission.ts';
import { buildApp, type AppDeps } from '../http/app.ts';
import { ConfigError, configHelp, loadConfig, requireWebhookSecret, type Config } from './config.ts';
import { createRemovalService, memoryBackend } from './removal-service.ts';
import { startRedisNode } from './distributed.ts';
import { describeCpu } from '../engine/cpu.ts';
import { createEngine } from '../engine/index.ts';
import type { Engine, EngineConfig } from '../engine/types.ts';
import { keyIdHasher, MemoryKeyStore } from '../policy/keys.ts';
import { createLogger } from './logger.ts';
import { Metrics } from '../metrics/metrics.ts';
import { gracefulShutdown, type Running, type ServerDeps } from './running.ts';

export { gracefulShutdown, type Running, type ServerDeps };

/** The engine config derived from the server config. */
export function engineConfigOf(config: Config): EngineConfig {
  return { device: config.device, precision: config.precision, workers: config.workers, threads: config.threads, cacheDir: config.cacheDir, maxPixels: config.maxPixels };
}

function loggerOf(logger: AppDeps['logger']): FastifyBaseLogger {
  if (typeof logger === 'object' && logger !== null && 'child' in logger) return logger;
  if (!logger) return pino({ enabled: false });
  return pino(logger === true ? {} : logger);
}

/** Builds and starts the server (v1 and v2) on an already-created engine (tests use a fake one), or none on an API-only node. */
export async function startServer(deps: ServerDeps): Promise<Running> {
  const { config, engine } = deps;
  const keyId = deps.keyId ?? keyIdHasher(config.keyIdSecret);
  const keys = deps.keys ?? new MemoryKeyStore(config.keys, { clock: deps.clock, keyId, rememberMs: Math.max(2 * 3600_000, 2 * config.resultTtlS * 1000) });
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
    ...(engine ? { engine } : {}), keys, backend, clock: deps.clock, log, metrics, admission, ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
  });
  deps.onLifecycle?.(service);
  // An API-only node runs no images: it is ready when its backend is (checked by /readyz too).
  const ready = () => engine?.isReady() ?? true;
  const app = buildApp({ ...deps, keyId, service, ready, metrics, admission, logger: log, keys });
  // Open status streams would hold server.close() (which runs before onClose) until the grace period cuts them.
  app.addHook('preClose', async () => service.endStreams());
  // Drain v2 jobs (and their webhooks) before the engine closes.
  app.addHook('onClose', async () => {
    await service.close();
    await backend.close?.();
  });
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let done: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    shutdown: () => (done ??= gracefulShutdown(app, deps.engine, config.shutdownGraceS * 1000)),
  };
}

/** The `bgr serve` command. Resolves with the exit code once the server has shut down. */
export async function serveCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(configHelp());
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(process.env, args);
    requireWebhookSecret(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`bgr serve: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  const makeEngine = () => {
    try {
      return createEngine(engineConfigOf(config));
    } catch (e) {
      throw new Error(`the engine could not start: ${(e as Error).message}`);
    }
  };
  let engine: Engine | undefined;
  let running: Running;
  try {
    if (config.redisUrl) {
      ({ engine, running } = await startRedisNode(config, log, makeEngine, startServer));
    } else {
      engine = makeEngine();
      running = await startServer({ config, engine, logger: log });
    }
  } catch (e) {
    process.stderr.write(`bgr serve: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`bgr serve: listening on ${running.url} (role ${config.role}, ${config.redisUrl ? 'Redis' : 'in-memory'} backend)\n`);
  if (config.devKey) process.stdout.write(`dev key: ${config.devKey}\n`);
  engine?.ready().then(
    // The CPU goes with it: int8 speed, and which int8 kernels run, depend on it.
    () => running.app.log.info({ precision: config.precision, cpu: describeCpu() }, 'engine ready'),
    (e: Error) => running.app.log.error({ err: e }, 'engine failed to become ready'),
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        running.app.log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      running.app.log.info({ signal, graceS: config.shutdownGraceS }, 'shutting down');
      running.shutdown().then(() => resolve(0), (e: Error) => {
        running.app.log.error({ err: e }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
