/**
 * Vitest global setup: makes a fresh machine ready for the suite, as the README promises for `npm test`.
 * Finds or installs (Debian packages) Chromium, redis-server, curl and qemu-user, and starts a throwaway Redis on
 * 127.0.0.1:6379 when none answers there (stopped again at teardown). Says clearly what is missing when it
 * cannot install (not root, no apt-get) instead of letting the suites fail one by one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const REDIS = { host: '127.0.0.1', port: 6379 };
/** Which Debian package provides each program the suite starts. */
const NEEDED = [
  {
    program: 'chromium',
    pkg: 'chromium',
    path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    why: 'docs and demo pages (playwright-core)',
  },
  {
    program: 'redis-server',
    pkg: 'redis-server',
    path: undefined,
    why: 'Redis backend tests (their own throwaway servers, and 6379 when none answers)',
  },
  { program: 'curl', pkg: 'curl', path: undefined, why: 'the conformance reproductions, run as printed' },
  // Emulates an AVX2-only CPU for the int8 kernels test; only an x86-64 host can run x86-64 qemu-user usefully.
  ...(process.platform === 'linux' && process.arch === 'x64'
    ? [
        {
          program: 'qemu-x86_64',
          pkg: 'qemu-user',
          path: '/usr/bin/qemu-x86_64',
          why: 'the int8 kernels on an emulated AVX2-only CPU',
        },
      ]
    : []),
];

let ownRedis: ChildProcess | undefined;

function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian packages, or throws a message that says what to install by hand. */
function aptInstall(pkgs: string[], reasons: string[]): void {
  const manual = `install them yourself (\`sudo apt-get install -y ${pkgs.join(' ')}\`) and run the tests again`;
  if (process.getuid?.() !== 0)
    throw new Error(`npm test needs ${reasons.join('; ')}: not root, so cannot apt-get install; ${manual}`);
  if (!onPath('apt-get'))
    throw new Error(`npm test needs ${reasons.join('; ')}: no apt-get on this machine; ${manual}`);
  process.stderr.write(`test setup: apt-get install ${pkgs.join(' ')} …\n`);
  const quiet = {
    stdio: ['ignore', 'ignore', 'inherit'] as ('ignore' | 'inherit')[],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  execFileSync('apt-get', ['update', '-qq'], quiet);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], quiet);
}

/** True when a Redis answers PING on host:port within a second. */
function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(REDIS, () => socket.write('PING\r\n'));
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

async function startOwnRedis(): Promise<void> {
  // A child of this process (no persistence): it goes away with the test run.
  ownRedis = spawn(
    'redis-server',
    ['--port', String(REDIS.port), '--bind', REDIS.host, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers()) return;
    if (ownRedis.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`test setup: redis-server did not answer on ${REDIS.host}:${REDIS.port}`);
}

export async function setup(): Promise<void> {
  const missing = NEEDED.filter((n) => !(n.path ? existsSync(n.path) : onPath(n.program)));
  if (missing.length)
    aptInstall(
      missing.map((m) => m.pkg),
      missing.map((m) => `${m.program} (${m.why})`),
    );
  if (!(await redisAnswers())) {
    process.stderr.write(
      `test setup: no Redis on ${REDIS.host}:${REDIS.port}; starting a throwaway one for this run\n`,
    );
    await startOwnRedis();
  }
}

export async function teardown(): Promise<void> {
  if (!ownRedis || ownRedis.exitCode !== null) return;
  const exited = new Promise((r) => ownRedis!.once('exit', r));
  ownRedis.kill('SIGTERM');
  await exited;
}
