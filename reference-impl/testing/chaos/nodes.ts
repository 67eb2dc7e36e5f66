/** The chaos deployment's node processes: fake-engine `bgr serve` nodes that can be SIGKILLed, SIGSTOPped and restarted on their port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../nodes.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const entry = fileURLToPath(new URL('./fake-node.ts', import.meta.url));

export interface ChaosNode {
  name: string;
  role: 'api' | 'worker';
  port: number;
  url: string;
  /** Starts (or restarts) the process and resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL, waiting for the exit. */
  kill(): Promise<void>;
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void;
  /** SIGTERM (graceful), then SIGKILL after `ms`. */
  stop(ms?: number): Promise<void>;
  alive(): boolean;
}

/** A node of `role` with `env`; its stdout/stderr go to `<logDir>/<name>.log` (appended across restarts). */
export async function chaosNode(
  name: string,
  role: 'api' | 'worker',
  env: Record<string, string>,
  logDir: string,
): Promise<ChaosNode> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const log: WriteStream = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const alive = () => !!child && child.exitCode === null && child.signalCode === null;
  const node: ChaosNode = {
    name,
    role,
    port,
    url: `http://127.0.0.1:${port}`,
    alive,
    async start() {
      const c = spawn(process.execPath, ['--import', 'tsx', '--conditions=bgr-source', entry], {
        cwd: root,
        env: { ...process.env, BGR_LOG_LEVEL: 'warn', ...env, BGR_ROLE: role, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      exited = new Promise((r) => c.once('exit', r));
      let out = '';
      c.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        log.write(d);
      });
      c.stderr!.setEncoding('utf8').on('data', (d: string) => log.write(d));
      for (let i = 0; !/listening on/.test(out); i++) {
        // Redis may be down or slow right now (a fault): start-up waits up to 10 s for it, then exits; try again.
        if (c.exitCode !== null || i > 600) {
          if (c.exitCode === null) c.kill('SIGKILL');
          await exited;
          await sleep(500);
          return node.start();
        }
        await sleep(50);
      }
    },
    async kill() {
      if (!alive()) return;
      child!.kill('SIGCONT');
      child!.kill('SIGKILL');
      await exited;
    },
    signal(sig) {
      if (alive()) child!.kill(sig);
    },
    async stop(ms = 10_000) {
      if (!alive()) return;
      child!.kill('SIGCONT');
      child!.kill('SIGTERM');
      const t = setTimeout(() => child?.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
      log.end();
    },
  };
  return node;
}
