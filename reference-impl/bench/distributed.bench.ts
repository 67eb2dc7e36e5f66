/** Distributed benchmark: N v2 submissions over 2 API nodes + 2 worker processes on Redis vs one in-memory process; terminal, reconciled, throughput ratio. */
// Run: npx tsx reference-impl/bench/distributed.bench.ts [--n 40] [--redis-url redis://127.0.0.1:6379]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { loadFixtures } from '../../conformance/src/fixtures.ts';
import { createRedis, whenReady } from '../src/adapters/redis/connection.ts';
import { deletePrefix } from '../testing/redis.ts';
import { spawnNode, type NodeProcess } from '../testing/nodes.ts';
import { quantile } from './stats.ts';

export interface DistributedBenchOptions {
  /** Submissions per setup (default 40). */
  n?: number;
  /** Default BGR_TEST_REDIS_URL or redis://127.0.0.1:6379; the bench uses its own key prefix and deletes it. */
  redisUrl?: string;
  apiNodes?: number;
  workers?: number;
  /** Intra-op threads per worker process (default 1: the workers share the machine's cores). */
  workerThreads?: number;
  /** Seconds between status sweeps over the pending requests (default 0.2). */
  pollS?: number;
  log?: (line: string) => void;
}

export interface SetupReport {
  label: string;
  n: number;
  completed: number;
  failed: number;
  /** First submit → last terminal state seen. */
  wallS: number;
  /** Requests per second over wallS. */
  throughput: number;
  /** Submit → terminal seen, seconds. */
  latency: { p50: number; p95: number };
  /** Credits the key lost over the run (configured − lowest remaining_credits seen). */
  charged: number;
  /** Every request terminal, charged exactly the COMPLETED ones, each charge a distinct balance (no double charge). */
  reconciled: boolean;
  problems: string[];
}

export interface DistributedBenchReport {
  skipped?: string;
  n: number;
  cores: number;
  distributed?: SetupReport;
  single?: SetupReport;
  /** distributed throughput / single-process throughput. */
  ratio?: number;
}

const KEY = `bench_${randomBytes(6).toString('hex')}`;

/** Submits `n` at once, round-robin over `urls`, polls until all ended, and checks the books. */
async function drive(
  label: string,
  urls: string[],
  n: number,
  credits: number,
  image: string,
  pollS: number,
): Promise<SetupReport> {
  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
  const t0 = performance.now();
  const subs = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${urls[i % urls.length]}/v2/bg-removal`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ image }),
      });
      const body = (await res.json()) as { request_id?: string; code?: string };
      return { i, status: res.status, id: body.request_id, code: body.code, at: performance.now() };
    }),
  );
  const problems: string[] = [];
  for (const s of subs) if (s.status !== 200) problems.push(`submit ${s.i} answered ${s.status} ${s.code ?? ''}`);
  const pending = new Map(subs.filter((s) => s.id).map((s) => [s.id!, s]));
  const ended = new Map<string, { state: string; remaining?: number; latencyS: number }>();
  let sweep = 0;
  const deadline = Date.now() + Math.max(600_000, n * 30_000);
  while (pending.size > 0 && Date.now() < deadline) {
    await sleep(pollS * 1000);
    // Any API node answers for any request: alternate them.
    await Promise.all(
      [...pending.values()].map(async (s) => {
        const res = await fetch(`${urls[(s.i + ++sweep) % urls.length]}/v2/requests/${s.id}/status`, {
          headers: { 'x-api-key': KEY },
        });
        const body = (await res.json()) as { status?: string; metrics?: { remaining_credits?: number } };
        if (body.status === 'COMPLETED' || body.status === 'FAILED') {
          pending.delete(s.id!);
          ended.set(s.id!, { state: body.status, latencyS: (performance.now() - s.at) / 1000 });
        }
      }),
    );
  }
  const wallS = (performance.now() - t0) / 1000;
  for (const s of pending.values()) problems.push(`request ${s.id} never ended`);
  // The balances are read once everything ended, so no settle is still on its way.
  for (const id of ended.keys()) {
    const res = await fetch(`${urls[0]}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } });
    ended.get(id)!.remaining = ((await res.json()) as { metrics?: { remaining_credits?: number } }).metrics
      ?.remaining_credits;
  }
  const done = [...ended.values()];
  const completed = done.filter((e) => e.state === 'COMPLETED');
  const balances = completed
    .map((e) => e.remaining)
    .filter((r): r is number => r !== undefined)
    .sort((a, b) => b - a);
  const charged = balances.length ? credits - balances.at(-1)! : 0;
  if (balances.length !== completed.length)
    problems.push(`${completed.length - balances.length} COMPLETED without remaining_credits`);
  if (charged !== completed.length)
    problems.push(`charged ${charged} credits for ${completed.length} COMPLETED requests`);
  // Each charge leaves a distinct balance: credits−1 … credits−completed, once each.
  if (balances.some((b, i) => b !== credits - 1 - i))
    problems.push(`remaining_credits are not one distinct step per completion: ${balances.join(',')}`);
  return {
    label,
    n,
    completed: completed.length,
    failed: done.length - completed.length,
    wallS,
    throughput: done.length / wallS,
    latency: {
      p50: quantile(
        done.map((e) => e.latencyS),
        0.5,
      ),
      p95: quantile(
        done.map((e) => e.latencyS),
        0.95,
      ),
    },
    charged,
    reconciled: problems.length === 0 && ended.size === n,
    problems,
  };
}

export async function runDistributedBench(options: DistributedBenchOptions = {}): Promise<DistributedBenchReport> {
  const n = options.n ?? 40;
  const redisUrl = options.redisUrl ?? process.env.BGR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const log = options.log ?? (() => {});
  const report: DistributedBenchReport = { n, cores: availableParallelism() };
  const probe = createRedis({ url: redisUrl, role: 'api' });
  const up = await whenReady(probe, 3000);
  probe.disconnect();
  if (!up) return { ...report, skipped: `no Redis at ${redisUrl}` };

  const credits = n + 10;
  const image = (await loadFixtures()).disc.base64;
  const common = {
    BGR_API_KEYS: `${KEY}:${credits}`,
    BGR_RATE_LIMIT: `${n * 4}/min`,
    BGR_QUEUE_MAX: String(n + 10),
    BGR_LOG_LEVEL: 'error',
  };
  const pollS = options.pollS ?? 0.2;
  const prefix = `bgrbench:${randomBytes(6).toString('hex')}:`;
  const workers = options.workers ?? 2;
  const apiNodes = options.apiNodes ?? 2;
  const nodes: NodeProcess[] = [];
  try {
    const env = {
      ...common,
      BGR_REDIS_URL: redisUrl,
      BGR_REDIS_PREFIX: prefix,
      BGR_THREADS: String(options.workerThreads ?? 1),
    };
    log(`distributed: starting ${apiNodes} API nodes and ${workers} workers (${env.BGR_THREADS} thread each)…`);
    nodes.push(
      ...(await Promise.all([
        ...Array.from({ length: workers }, () =>
          spawnNode({ ...env, BGR_ROLE: 'worker' }, { ready: true, timeoutMs: 180_000 }),
        ),
        ...Array.from({ length: apiNodes }, () => spawnNode({ ...env, BGR_ROLE: 'api' }, { ready: true })),
      ])),
    );
    log(`distributed: ${n} submissions…`);
    report.distributed = await drive(
      `${apiNodes} API nodes + ${workers} workers (Redis)`,
      nodes.filter((p) => p.role === 'api').map((p) => p.url),
      n,
      credits,
      image,
      pollS,
    );
  } finally {
    await Promise.all(nodes.splice(0).map((p) => p.stop()));
    await deletePrefix(prefix).catch(() => 0);
  }
  try {
    log('single: starting one in-memory process (defaults: 1 inference worker, every core)…');
    nodes.push(
      await spawnNode(
        { ...common, BGR_REDIS_URL: '', BGR_ROLE: 'all', BGR_WORKERS: '1', BGR_THREADS: String(report.cores) },
        { ready: true, timeoutMs: 180_000 },
      ),
    );
    log(`single: ${n} submissions…`);
    report.single = await drive('one process (in-memory)', [nodes[0]!.url], n, credits, image, pollS);
  } finally {
    await Promise.all(nodes.splice(0).map((p) => p.stop()));
  }
  report.ratio = report.distributed.throughput / report.single.throughput;
  return report;
}

export function formatDistributedBench(r: DistributedBenchReport): string {
  if (r.skipped) return `distributed bench skipped: ${r.skipped}\n`;
  const row = (s: SetupReport) =>
    `  ${s.label.padEnd(38)} ${String(s.completed).padStart(4)} ok ${String(s.failed).padStart(3)} failed  ${s.wallS.toFixed(1).padStart(6)} s  ${s.throughput.toFixed(3)} req/s  p50 ${s.latency.p50.toFixed(1)} s p95 ${s.latency.p95.toFixed(1)} s  charged ${s.charged}  ${s.reconciled ? 'reconciled' : `NOT reconciled: ${s.problems.slice(0, 3).join('; ')}`}\n`;
  return `distributed bench: ${r.n} v2 submissions each, ${r.cores} cores\n${row(r.distributed!)}${row(r.single!)}  throughput ratio distributed / single: ${r.ratio!.toFixed(2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const report = await runDistributedBench({
    n: opt('--n') ? Number(opt('--n')) : undefined,
    redisUrl: opt('--redis-url'),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(formatDistributedBench(report));
  const ok = report.skipped || (report.distributed?.reconciled && report.single?.reconciled);
  process.exitCode = ok ? 0 : 1;
}
