/** Test helpers for the distributed deployment: real `bgr serve` processes (api / worker / all, sandbox engine by default) on a shared Redis prefix. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { generateWebhookSecret } from '../src/removal/webhook.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The deployment's webhook secret unless a test passes its own (`bgr serve` refuses keys without one). */
export const nodeWebhookSecret = generateWebhookSecret();

/** A port nothing listens on right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface NodeProcess {
  role: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** The process's stderr so far (its pino logs at BGR_LOG_LEVEL), for failure messages. */
  logs(): string;
  /** SIGTERM and wait (SIGKILL after `ms`). */
  stop(ms?: number): Promise<void>;
}

/** The nodes and other resources one test file starts: `stopAll()` (its afterAll) stops the nodes, then runs the cleanups newest first. */
export function nodePool() {
  const nodes: NodeProcess[] = [];
  const cleanups: (() => unknown)[] = [];
  return {
    cleanups,
    async start(env: Record<string, string>, role: 'api' | 'worker', ready = true): Promise<NodeProcess> {
      const p = await spawnNode({ ...env, BGR_ROLE: role }, { ready });
      nodes.push(p);
      return p;
    },
    async stopAll(): Promise<void> {
      await Promise.all(nodes.map((p) => p.stop()));
      for (const c of cleanups.reverse()) await c();
    },
  };
}

/**
 * The engine of every node a test starts unless its env says otherwise: the model-free sandbox (these tests
 * are about processes, queues and Redis, not the model), with a per-image time long enough that a request
 * is seen QUEUED and PROCESSING.
 */
export const sandboxEngine = { BGR_ENGINE: 'sandbox', BGR_SANDBOX_MS: '200' } as const;

/**
 * Starts `node bin/bgr.mjs serve` with `env` on top of the parent's, and resolves once it listens.
 * `ready`: also wait for `/readyz` 200 (a worker's model loaded and warm). Register `stop` for cleanup.
 */
export async function spawnNode(
  env: Record<string, string>,
  opts: { ready?: boolean; timeoutMs?: number } = {},
): Promise<NodeProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['bin/bgr.mjs', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      ...sandboxEngine,
      BGR_LOG_LEVEL: 'warn',
      BGR_WEBHOOK_SECRET: nodeWebhookSecret,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-20_000);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const url = `http://127.0.0.1:${port}`;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!/listening on/.test(out)) {
    if (done || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bgr serve (${env.BGR_ROLE ?? 'all'}) did not start:\n${out}\n${err}`);
    }
    await sleep(50);
  }
  if (opts.ready) {
    for (;;) {
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (done || Date.now() > deadline)
        throw new Error(`bgr serve (${env.BGR_ROLE ?? 'all'}) never became ready:\n${err}`);
      await sleep(100);
    }
  }
  return {
    role: env.BGR_ROLE ?? 'all',
    url,
    port,
    child,
    exited,
    logs: () => err,
    stop: async (ms = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `get` until `ok` holds, or throws with the last value after `ms`. */
export async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await sleep(stepMs);
  }
}

/**
 * Our own throwaway redis-server on `port` (never the machine's 6379: outage tests stop it), no persistence.
 * `dir`: its working folder (a replica writes the RDB it receives there; default the server's own).
 */
export async function startOwnRedis(port: number, opts: { dir?: string } = {}): Promise<void> {
  execFileSync('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...(opts.dir ? ['--dir', opts.dir] : []),
    '--daemonize',
    'yes',
    '--pidfile',
    `/tmp/bgr-test-redis-${port}.pid`,
  ]);
  for (let i = 0; i < 100; i++) {
    try {
      if (
        execFileSync('redis-cli', ['-p', String(port), 'ping'])
          .toString()
          .trim() === 'PONG'
      )
        return;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not start`);
}

/** Stops that server (SHUTDOWN NOSAVE); a no-op when it is already down. */
export function stopOwnRedis(port: number): void {
  try {
    execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
  } catch {
    /* already down: redis-cli exits non-zero */
  }
}
