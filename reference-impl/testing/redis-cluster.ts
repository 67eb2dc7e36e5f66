/** A real local Redis Cluster for tests: 3 masters (`redis-server --cluster-enabled yes` + `redis-cli --cluster create`), torn down after. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (BGR_REDIS_URL). */
  url: string;
  ports: number[];
  /** SHUTDOWN NOSAVE on every node, and the config folder removed. Idempotent. */
  stop(): void;
}

const canBind = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A port whose cluster-bus port (port + 10000) is free too; below the ephemeral range so neither is taken meanwhile. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (!taken.has(port) && (await canBind(port)) && (await canBind(port + 10000))) return port;
  }
}

function cli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Starts the cluster and resolves once every slot is served (cluster_state:ok on every node). */
export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bgr-cluster-'));
  const ports: number[] = [];
  const taken = new Set<number>();
  const stop = () => {
    for (const p of ports) {
      try {
        cli(p, 'shutdown', 'nosave');
      } catch {
        /* already down */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      execFileSync('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir, `${port}.pid`),
        '--logfile',
        join(dir, `${port}.log`),
      ]);
      ports.push(port);
    }
    for (const p of ports) await until(() => cli(p, 'ping').trim() === 'PONG');
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { stdio: 'ignore' },
    );
    for (const p of ports) await until(() => /cluster_state:ok/.test(cli(p, 'cluster', 'info')));
  } catch (err) {
    stop();
    throw err;
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop };
}

async function until(ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (ok()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('the local Redis Cluster did not come up');
    await new Promise((r) => setTimeout(r, 50));
  }
}
