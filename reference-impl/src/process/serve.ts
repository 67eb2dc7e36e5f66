/** `bgr serve`: config → engine → app → listen, with graceful shutdown on SIGINT/SIGTERM (issue 3 "Server", issue 4 "Graceful shutdown"). */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { Admission } from '../http/admission.ts';
import { buildApp, type AppDeps } from '../http/app.ts';
import { ConfigError, configHelp, loadConfig, requireWebhookSecret, type Config } from './config.ts';
import { baseUrlOf, createLifecycle, memoryBackend } from './async-api.ts';
import { startRedisNode } from './distributed.ts';
import { createEngine } from '../engine/index.ts';
import { createSandbox } from '../sandbox/index.ts';
import { sandboxCommand, sandboxDeps } from './sandbox.ts';
import { untilSignal } from './signals.ts';
import type { Engine, EngineConfig } from '../engine/types.ts';
import { MemoryKeyStore } from '../http/keys.ts';
import { createLogger } from './logger.ts';
import { meteredEngine } from '../metrics/metered-engine.ts';
import { Metrics } from '../metrics/metrics.ts';
import { QueueEngine } from '../adapters/redis/queue-engine.ts';
import { gracefulShutdown, type Running, type ServerDeps } from './running.ts';
import { v2Handlers } from '../http/routes/v2.ts';

export { gracefulShutdown, sandboxDeps, type Running, type ServerDeps };

/** The engine config derived from the server config. */
export function engineConfigOf(config: Config): EngineConfig {
  return { device: config.device, precision: config.precision, workers: config.workers, threads: config.threads, cacheDir: config.cacheDir, maxPixels: config.maxPixels };
}

function loggerOf(logger: AppDeps['logger']): FastifyBaseLogger {
  if (typeof logger === 'object' && logger !== null && 'child' in logger) return logger;
  if (!logger) return pino({ enabled: false });
  return pino(logger === true ? {} : logger);
}

/** Builds and starts the server (v1 and v2) on an already-created engine (tests use a fake one). */
export async function startServer(deps: ServerDeps): Promise<Running> {
  const { config } = deps;
  const keys = deps.keys ?? new MemoryKeyStore(config.keys, { clock: deps.clock, rememberMs: Math.max(2 * 3600_000, 2 * config.resultTtlS * 1000) });
  const backend = deps.backend ?? memoryBackend(config, deps.clock);
  // One pino logger for the HTTP layer and the lifecycle, so v2 job logs share the server's output.
  const log = loggerOf(deps.logger);
  const metrics = deps.metrics ?? new Metrics({ role: config.role });
  // An API node's QueueEngine runs nothing here: its images are counted on the workers.
  const engine = deps.engine instanceof QueueEngine ? deps.engine : meteredEngine(deps.engine, metrics);
  if (backend.depth) metrics.queueDepth = () => backend.depth!();
  // One admission control per node: v1 requests and v2 jobs share its bounds, and it owns "images in flight".
  const admission = new Admission(config);
  metrics.imagesInFlight = () => admission.usage.images;
  const service = createLifecycle(config, {
    engine, keys, backend, clock: deps.clock, log, worker: deps.worker, metrics, admission, ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
  });
  deps.onLifecycle?.(service);
  const app = buildApp({ ...deps, engine, metrics, admission, logger: log, keys, v2: v2Handlers({ service, baseUrl: baseUrlOf(config) }) });
  // Open status streams would hold server.close() (which runs before onClose) until the grace period cuts them.
  app.addHook('preClose', async () => service.endStreams());
  deps.extend?.(app);
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
  // The sandbox in one process is its own command (it never loads the model or the Redis wiring).
  if (config.engine === 'sandbox' && !config.redisUrl) return sandboxCommand(args, startServer);
  const log = createLogger(config.logLevel, config.logFormat);
  const sandbox = config.engine === 'sandbox';
  const makeEngine = () => {
    try {
      // Nodes of a Redis deployment may run the sandbox engine too (tests of the distributed code without the model).
      return sandbox ? createSandbox({ maxPixels: config.maxPixels, timeMs: config.sandboxMs }) : createEngine(engineConfigOf(config));
    } catch (e) {
      throw new Error(`the engine could not start: ${(e as Error).message}`);
    }
  };
  let engine: Engine;
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
  process.stdout.write(`bgr serve: listening on ${running.url} (role ${config.role}, ${config.redisUrl ? 'Redis' : 'in-memory'} backend${sandbox ? ', sandbox engine' : ''})\n`);
  if (config.devKey) process.stdout.write(`dev key: ${config.devKey}\n`);
  engine.ready().then(
    () => running.app.log.info('engine ready'),
    (e: Error) => running.app.log.error({ err: e }, 'engine failed to become ready'),
  );
  return untilSignal(running, config.shutdownGraceS);
}
