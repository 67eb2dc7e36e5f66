/** A Redis primary with one replica, both real `redis-server` processes with AOF on, that can fail over or restart. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../nodes.ts';

interface Instance {
  port: number;
  dir: string;
  child?: ChildProcess;
}

export interface RedisPair {
  /** The port of the current primary. */
  primary(): number;
  /** The primary dies (SIGKILL); the replica is promoted; the old one comes back as its replica. Returns the bytes the replica lagged when promoted. */
  failover(onPromoted: (port: number) => void): Promise<number>;
  /** SIGKILL of the primary, then a restart on the same port and files (AOF replayed). `downMs`: how long it stays down. */
  restart(downMs: number): Promise<void>;
  cli(port: number, ...args: string[]): string;
  stop(): void;
}

function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 })
    .toString()
    .trim();
}

async function up(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (cli(port, 'ping') === 'PONG') return;
    } catch {
      /* starting */
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not start`);
}

function launch(inst: Instance, replicaOf?: number): void {
  const args = [
    '--port',
    String(inst.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    inst.dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    '--logfile',
    join(inst.dir, 'redis.log'),
  ];
  if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  inst.child = spawn('redis-server', args, { stdio: 'ignore' });
}

/** Starts the pair and waits until the replica is in sync. */
export async function startRedisPair(): Promise<RedisPair> {
  const root = mkdtempSync(join(tmpdir(), 'bgr-chaos-redis-'));
  const a: Instance = { port: await freePort(), dir: mkdtempSync(join(root, 'a-')) };
  const b: Instance = { port: await freePort(), dir: mkdtempSync(join(root, 'b-')) };
  let [primary, replica] = [a, b];
  launch(primary);
  await up(primary.port);
  launch(replica, primary.port);
  await up(replica.port);
  for (let i = 0; i < 200 && !/master_link_status:up/.test(cli(replica.port, 'info', 'replication')); i++)
    await sleep(50);
  const offset = (port: number, field: string) =>
    Number(new RegExp(`${field}:(\\d+)`).exec(cli(port, 'info', 'replication'))?.[1] ?? 0);
  const kill = async (inst: Instance) => {
    const c = inst.child;
    if (!c || c.exitCode !== null) return;
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
  };
  return {
    primary: () => primary.port,
    async failover(onPromoted) {
      // The lag is read just before the primary dies: what the replica has not yet received is lost.
      let lag = 0;
      try {
        lag = Math.max(0, offset(primary.port, 'master_repl_offset') - offset(replica.port, 'slave_repl_offset'));
      } catch {
        /* primary down */
      }
      await kill(primary);
      cli(replica.port, 'replicaof', 'no', 'one');
      [primary, replica] = [replica, primary];
      onPromoted(primary.port);
      // The old primary returns as a replica of the new one (its unreplicated writes are discarded).
      launch(replica, primary.port);
      await up(replica.port);
      return lag;
    },
    async restart(downMs) {
      await kill(primary);
      await sleep(downMs);
      launch(primary);
      await up(primary.port);
      // AOF loading: PING answers LOADING errors until done.
      for (let i = 0; i < 200 && /loading:1/.test(cli(primary.port, 'info', 'persistence')); i++) await sleep(50);
    },
    cli,
    stop() {
      for (const inst of [a, b]) inst.child?.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}
