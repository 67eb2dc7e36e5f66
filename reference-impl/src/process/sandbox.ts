/**
 * The sandbox as a command (`bgr-sandbox`, and `bgr serve --engine sandbox` without Redis): the reference
 * server on the model-free engine, in one process, with scripted outcomes. It imports neither the model nor
 * the Redis wiring, so that the sandbox package installs without them.
 */
import { ConfigError, configHelp, loadConfig, requireWebhookSecret, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { memoryBackend } from './removal-service.ts';
import { untilSignal } from './signals.ts';
import type { ServerDeps, Running } from './running.ts';
import { startServer } from './server.ts';
import { createSandbox, installProductionShape, installScripts, scriptedQueue } from '../sandbox/index.ts';

/**
 * The sandbox's extra parts: scripted outcomes (the x-bgr-sandbox header) carried by an HTTP hook and, for
 * v2 jobs, by the in-memory queue; and in the production shape, the hooks that switch the extensions off.
 */
export function sandboxDeps(config: Config, clock?: ServerDeps['clock']): Pick<ServerDeps, 'backend' | 'extend'> {
  const backend = memoryBackend(config, clock);
  const extend: ServerDeps['extend'] = (app) => {
    installScripts(app);
    if (config.sandboxShape === 'production') installProductionShape(app);
  };
  return { backend: { ...backend, queue: scriptedQueue(backend.queue) }, extend };
}

/** Starts the sandbox on a loaded config. */
export async function startSandbox(config: Config, logger?: ServerDeps['logger']): Promise<Running> {
  const engine = createSandbox({ maxPixels: config.maxPixels, timeMs: config.sandboxMs });
  return startServer({ config, engine, ...(logger ? { logger } : {}), ...sandboxDeps(config) });
}

/** The `bgr-sandbox` command: resolves with the exit code once the sandbox has shut down. */
export async function sandboxCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      `bgr-sandbox: the Background Removal API without a model (the x-bgr-sandbox header scripts outcomes).\n${configHelp()}`,
    );
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig({ BGR_ENGINE: 'sandbox', ...env }, args);
    if (config.engine !== 'sandbox')
      throw new ConfigError('bgr-sandbox runs only the sandbox engine (--engine sandbox)');
    if (config.redisUrl)
      throw new ConfigError(
        'the sandbox runs in one process: BGR_REDIS_URL is not supported (use bgr serve for Redis)',
      );
    requireWebhookSecret(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`bgr-sandbox: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(config.logLevel, config.logFormat);
  let running: Running;
  try {
    running = await startSandbox(config, log);
  } catch (e) {
    process.stderr.write(`bgr-sandbox: ${(e as Error).message}\n`);
    return 1;
  }
  const shape = config.sandboxShape === 'production' ? ', production shape' : '';
  process.stdout.write(
    `bgr-sandbox: listening on ${running.url} (sandbox engine, ${config.sandboxMs} ms per image${shape}, no model)\n`,
  );
  if (config.devKey) process.stdout.write(`dev key: ${config.devKey}\n`);
  return untilSignal(running, config.shutdownGraceS);
}
