/** `bgr bench` (`npm run bench`): runs the engine, HTTP, load and distributed sections and prints one report (and JSON). */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatDistributedBench, runDistributedBench } from './distributed.bench.ts';
import { formatEngineBench, runEngineBench, type EngineBenchReport } from './engine.bench.ts';
import { exposeGc } from './gc.ts';
import { formatHttpBench, runHttpBench } from './http.bench.ts';
import { formatLoadBench, runLoadBench } from './load.bench.ts';
import { formatOverloadBench, runOverloadBench } from './overload.bench.ts';
import { formatInt8Bench, runInt8Bench } from './int8.bench.ts';
import { formatPrecisionBench, runPrecisionBench } from './precision.bench.ts';
import { cpuInfo, describeCpu } from '../src/engine/cpu.ts';
import { formatThroughputBench, runThroughputBench } from './throughput.bench.ts';

const SECTIONS = ['engine', 'http', 'precision', 'int8', 'throughput', 'load', 'overload', 'distributed'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: bgr bench [--only engine,http,precision,int8,throughput,load,overload,distributed] [--runs N] [--json FILE] [--real] [--jobs N] [--clients N] [--no-peer]

  --only      sections to run (default: all; distributed needs Redis on 127.0.0.1:6379; int8 compares
              the int8 recipe candidates on the shared photos and held-out generated scenes)
  --runs      timed runs per image in the engine, http and precision sections (default 3)
  --json      also write every figure as JSON to FILE
  --real      load and overload sections: the real model instead of the FakeEngine (load: 24 jobs instead of 200)
  --jobs      load section: number of v2 submissions
  --clients   load section: concurrent clients (default 8)
  --no-peer   engine, http and precision sections: skip @imgly/background-removal-node (no ours/peer ratio)

Machines are noisy: compare the ratios printed within one run, not absolute times across runs.
`;

/** The distributed section: 2 API nodes + 2 workers on Redis vs one in-memory process. */
async function distributedSection(opts: { log: (s: string) => void }): Promise<{ text: string; json: unknown }> {
  const report = await runDistributedBench({ log: opts.log });
  return { text: formatDistributedBench(report), json: report };
}

/** `bgr bench` flags: the valued ones and the switches (node:util parseArgs rejects anything else). */
const OPTIONS = {
  only: { type: 'string' },
  runs: { type: 'string' },
  json: { type: 'string' },
  jobs: { type: 'string' },
  clients: { type: 'string' },
  real: { type: 'boolean' },
  'no-peer': { type: 'boolean' },
} as const;

export async function benchCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let flags: Map<string, string | true>;
  try {
    const { values } = parseArgs({ args, options: OPTIONS });
    flags = new Map(Object.entries(values) as [string, string | true][]);
  } catch (e) {
    process.stderr.write(`bgr bench: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const str = (k: string) => (typeof flags.get(k) === 'string' ? (flags.get(k) as string) : undefined);
  const int = (k: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${k} must be a positive integer, got '${v}'`);
    return n;
  };
  let runs: number, jobs: number | undefined, clients: number | undefined;
  try {
    runs = int('runs') ?? 3;
    jobs = int('jobs');
    clients = int('clients');
  } catch (e) {
    process.stderr.write(`bgr bench: ${(e as Error).message}\n`);
    return 2;
  }
  const only = (str('only') ?? SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = only.filter((s) => !SECTIONS.includes(s as Section));
  if (bad.length) {
    process.stderr.write(`bgr bench: unknown section '${bad[0]}' (sections: ${SECTIONS.join(', ')})\n`);
    return 2;
  }
  const want = (s: Section) => only.includes(s);
  const real = flags.has('real');
  const log = (s: string) => process.stderr.write(`  … ${s}\n`);
  const gc = exposeGc();
  const json: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpu: cpuInfo(),
    runs,
  };
  const out = (text: string) => process.stdout.write(`${text}\n`);

  out(`bgr bench — sections: ${only.join(', ')}; ${runs} run(s) per image\nCPU: ${describeCpu()}\n`);
  let engineReport: EngineBenchReport | undefined;
  if (want('engine')) {
    engineReport = await runEngineBench({ runs, peer: !flags.has('no-peer'), log });
    json.engine = engineReport;
    out(formatEngineBench(engineReport));
  }
  if (want('http')) {
    // The peer's figures come from the engine section of this same run when there is one.
    const report = await runHttpBench({ runs, engineReport, peer: !flags.has('no-peer'), log });
    json.http = report;
    out(formatHttpBench(report));
  }
  if (want('precision')) {
    const report = await runPrecisionBench({ runs, peer: !flags.has('no-peer'), log });
    json.precision = report;
    out(formatPrecisionBench(report));
  }
  if (want('int8')) {
    const report = await runInt8Bench({ runs, log });
    json.int8 = report;
    out(formatInt8Bench(report));
  }
  if (want('throughput')) {
    const report = await runThroughputBench({ log });
    json.throughput = report;
    out(formatThroughputBench(report));
  }
  if (want('load')) {
    const report = await runLoadBench({ real, jobs, clients, gc, log });
    json.load = report;
    out(formatLoadBench(report));
  }
  if (want('overload')) {
    const report = await runOverloadBench({ real, log });
    json.overload = report;
    out(formatOverloadBench(report));
  }
  if (want('distributed')) {
    const d = await distributedSection({ log });
    json.distributed = d.json;
    out(d.text);
  }
  const file = str('json');
  if (file) {
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    out(`JSON written to ${file}`);
  }
  return 0;
}
