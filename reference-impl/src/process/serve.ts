/** `bgr serve`: config → engine → removal service → app → listen, with graceful shutdown on SIGINT/SIGTERM. */
import { ConfigError, configHelp, loadConfig, requireWebhookSecret, type Config } from './config.ts';
import { startRedisNode } from './distributed.ts';
import { describeCpu } from '../engine/cpu.ts';
import { createEngine } from '../engine/index.ts';
import { createSandbox } from '../sandbox/index.ts';
import { sandboxCommand, sandboxDeps } from './sandbox.ts';
import { untilSignal } from './signals.ts';
import type { Engine, EngineConfig } from '../engine/types.ts';
import { createLogger } from './logger.ts';
import { gracefulShutdown, type Running, type ServerDeps } from './running.ts';
import { startServer } from './server.ts';

export { gracefulShutdown, sandboxDeps, startServer, type Running, type ServerDeps };

/** The engine config derived from the server config. */
export function engineConfigOf(config: Config): EngineConfig {
  return {
    device: config.device,
    precision: config.precision,
    workers: config.workers,
    threads: config.threads,
    cacheDir: config.cacheDir,
    maxPixels: config.maxPixels,
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
  if (config.engine === 'sandbox' && !config.redisUrl) return sandboxCommand(args);
  const log = createLogger(config.logLevel, config.logFormat);
  const sandbox = config.engine === 'sandbox';
  const makeEngine = () => {
    try {
      // Nodes of a Redis deployment may run the sandbox engine too (tests of the distributed code without the model).
      return sandbox
        ? createSandbox({ maxPixels: config.maxPixels, timeMs: config.sandboxMs })
        : createEngine(engineConfigOf(config));
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
  process.stdout.write(
    `bgr serve: listening on ${running.url} (role ${config.role}, ${config.redisUrl ? 'Redis' : 'in-memory'} backend${sandbox ? ', sandbox engine' : ''})\n`,
  );
  if (config.devKey) process.stdout.write(`dev key: ${config.devKey}\n`);
  engine?.ready().then(
    // The CPU goes with it: int8 speed, and which int8 kernels run, depend on it.
    () => running.app.log.info({ precision: config.precision, cpu: describeCpu() }, 'engine ready'),
    (e: Error) => running.app.log.error({ err: e }, 'engine failed to become ready'),
  );
  return untilSignal(running, config.shutdownGraceS);
}
