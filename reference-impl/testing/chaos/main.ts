/** `npm run chaos -- [--seed N] [--duration S] [--faults N] [--clients N] [--soak] [--out DIR] [--wait-replicas]`: one run, its table, exit 1 on any violation. */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { check, formatVerdict } from './checker.ts';
import { History } from './history.ts';
import { runChaos } from './run.ts';

const USAGE = `usage: npm run chaos -- [--seed N] [--duration S] [--faults N] [--clients N] [--think MS] [--soak [--requests N]] [--out DIR] [--wait-replicas] [--check HISTORY]

  --seed           the workload's and the fault schedule's seed (default 1)
  --duration       seconds of load (default 600)
  --faults         faults to inject (default one per 25 s)
  --clients        concurrent clients (default 6), each thinking --think ms between calls (default 60)
  --soak           no faults: a long run sampling memory and Redis keys, stopping after --requests (default 20000)
  --out            where the history and the node logs go (default a temporary folder)
  --wait-replicas  runs the API nodes with BGR_REDIS_WAIT_REPLICAS=1
  --check          re-checks a saved history.jsonl without running anything
`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string', default: '600' },
      faults: { type: 'string' },
      clients: { type: 'string', default: '6' },
      think: { type: 'string', default: '60' },
      soak: { type: 'boolean', default: false },
      requests: { type: 'string', default: '20000' },
      out: { type: 'string' },
      'wait-replicas': { type: 'boolean', default: false },
      check: { type: 'string' },
    },
  }));
  // Counts are whole numbers; durations (seconds, ms) may have a fraction, as Number() always read them.
  for (const k of ['seed', 'duration', 'faults', 'clients', 'think', 'requests'] as const) {
    const v = values[k];
    const n = Number(v);
    const whole = k !== 'duration' && k !== 'think';
    if (v !== undefined && !(Number.isFinite(n) && n >= 0 && (!whole || Number.isInteger(n))))
      throw new Error(`--${k} must be a ${whole ? 'whole number' : 'number'} ≥ 0, got '${v}'`);
  }
} catch (e) {
  process.stderr.write(`chaos: ${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (values.check) {
  // Re-check a saved history without running anything.
  const v = check(History.parse(readFileSync(values.check, 'utf8')));
  process.stdout.write(`${formatVerdict(v)}\n`);
  process.exit(v.ok ? 0 : 1);
}
const seed = Number(values.seed);
const durationMs = Number(values.duration) * 1000;
const soak = values.soak;
const result = await runChaos({
  seed,
  durationMs,
  faults: soak ? 0 : Number(values.faults ?? Math.max(1, Math.round(durationMs / 25_000))),
  clients: Number(values.clients),
  thinkMs: Number(values.think),
  outDir: values.out ?? join(tmpdir(), `bgr-chaos-${soak ? 'soak' : 'run'}-${seed}-${process.pid}`),
  retentionS: soak ? 30 : 3600,
  ...(values['wait-replicas'] ? { env: { BGR_REDIS_WAIT_REPLICAS: '1' } } : {}),
  ...(soak ? { sampleEvery: 1000, stopAfter: Number(values.requests) } : {}),
});
const byKind = new Map<string, number>();
for (const f of result.faults) byKind.set(f.fault, (byKind.get(f.fault) ?? 0) + 1);
// Stalls are observed, not injected: reported apart.
const stalls = byKind.get('stall') ?? 0;
byKind.delete('stall');
process.stdout.write(
  `\nseed ${seed}: ${result.acknowledged} acknowledged requests, ${result.faults.length - stalls} faults injected (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}), ${stalls} stalls observed (PING ≥ 1 s late)\n`,
);
const ops = result.history.events.filter((e) => e.kind === 'op');
const submits = ops
  .filter((e) => e.op === 'submit' && e.status === 200)
  .map((e) => e.t1 - e.t0)
  .sort((a, b) => a - b);
const pct = (q: number) => submits[Math.min(submits.length - 1, Math.floor(q * submits.length))] ?? 0;
process.stdout.write(
  `submit latency (200s): p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, p99 ${pct(0.99)} ms over ${submits.length}; ${ops.length} exchanges in all\n`,
);
const lag = result.faults.filter((f) => f.lagBytes !== undefined).map((f) => f.lagBytes!);
if (lag.length) process.stdout.write(`failovers: replica behind by ${lag.join(', ')} bytes when promoted\n`);
if (result.samples.length) {
  process.stdout.write('\nsoak: per 1,000 requests (RSS MB / heap MB / handles; Redis keys)\n');
  const rows = new Map<number, string[]>();
  for (const x of result.samples)
    rows.set(x.requests, [...(rows.get(x.requests) ?? []), `${x.node} ${x.rssMb}/${x.heapMb}/${x.handles}`]);
  for (const [n, cells] of rows)
    process.stdout.write(
      `${String(n).padStart(6)}  ${cells.join('  ')}  keys ${result.samples.find((x) => x.requests === n)!.redisKeys}\n`,
    );
}
process.stdout.write(`${formatVerdict(result.verdict)}\nhistory: ${join(result.outDir, 'history.jsonl')}\n`);
process.exit(result.verdict.ok ? 0 : 1);
