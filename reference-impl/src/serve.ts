/** `bgr serve`: config → engine → app → listen, with graceful shutdown on SIGINT/SIGTERM (issue 3 "Server", issue 4 "Graceful shutdown"). */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from './app.ts';
import { ConfigError, configHelp, loadConfig, type Config } from './config.ts';
import type { Engine, EngineConfig } from './engine/types.ts';
import { MemoryKeyStore } from './keys.ts';

/** The engine config derived from the server config. */
export function engineConfigOf(config: Config): EngineConfig {
  return { device: config.device, workers: config.workers, threads: config.threads, cacheDir: config.cacheDir, maxPixels: config.maxPixels };
}

/**
 * Stops accepting (new requests get 503 in the contract's format), lets in-flight requests finish for up
 * to `graceMs`, then cuts the remaining connections (their jobs are aborted), and closes the engine.
 */
export async function gracefulShutdown(app: FastifyInstance, engine: Engine, graceMs: number): Promise<void> {
  const cut = setTimeout(() => {
    app.log.warn({ graceMs }, 'grace period over: closing the remaining connections');
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
  await engine.close();
}

export interface Running { app: FastifyInstance; url: string; shutdown(): Promise<void> }

/** Builds and starts the server on an already-created engine (tests use a fake one). */
export async function startServer(deps: Omit<AppDeps, 'keys'> & Partial<Pick<AppDeps, 'keys'>>): Promise<Running> {
  const { config } = deps;
  const keys = deps.keys ?? new MemoryKeyStore(config.keys, { clock: deps.clock, rememberMs: Math.max(2 * 3600_000, 2 * config.resultTtlS * 1000) });
  const app = buildApp({ ...deps, keys });
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

interface EngineModule { createEngine(config: EngineConfig, log?: FastifyBaseLogger): Engine | Promise<Engine> }

/** The engine lives on another branch until merge: import it by a computed path so a missing module is a clear message, not a type error. */
async function loadEngineModule(): Promise<EngineModule | undefined> {
  const path = './engine/index.ts';
  try {
    return (await import(path)) as EngineModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('engine/index')) return undefined;
    throw e;
  }
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
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`bgr serve: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const mod = await loadEngineModule();
  if (!mod) {
    process.stderr.write('bgr serve: engine not built yet (reference-impl/src/engine/index.ts with createEngine is missing)\n');
    return 1;
  }
  let engine: Engine;
  try {
    engine = await mod.createEngine(engineConfigOf(config));
  } catch (e) {
    process.stderr.write(`bgr serve: the engine could not start: ${(e as Error).message}\n`);
    return 1;
  }
  const running = await startServer({ config, engine, logger: { level: config.logLevel } });
  process.stdout.write(`bgr serve: listening on ${running.url}\n`);
  if (config.devKey) process.stdout.write(`dev key: ${config.devKey}\n`);
  engine.ready().then(
    () => running.app.log.info('engine ready'),
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
