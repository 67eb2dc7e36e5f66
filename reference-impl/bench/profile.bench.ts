/** Where model time goes: onnxruntime's profiler, kernel time by op type, for the fp32 and int8 graphs on one image. */
// Run: npx tsx reference-impl/bench/profile.bench.ts [--runs N] [--image NAME]. Shares within one run are
// what to read (they hold under load better than absolute times); each report names the CPU it ran on.
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describeCpu } from '../src/engine/cpu.ts';
import { decode, resizeRgb } from '../src/engine/decode.ts';
import { type Precision, preparedModel } from '../src/engine/graph/prepare.ts';
import { defaultCacheDir, ensureModel } from '../src/engine/model.ts';
import { MODEL_SIZE, toPlanarInput } from '../src/engine/tensor.ts';
import { benchImages } from './images.ts';

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}
export interface OpShare {
  op: string;
  ms: number;
  share: number;
}
export interface ProfileReport {
  cpu: string;
  image: string;
  runs: number;
  graphs: { precision: Precision; totalMs: number; ops: OpShare[] }[];
}

/** Sums the profiler's kernel events per op type over `runs` timed runs (after one untimed). */
async function profile(
  file: string,
  x: Float32Array,
  runs: number,
  threads: number,
): Promise<{ totalMs: number; ops: OpShare[] }> {
  const prefix = path.join(os.tmpdir(), `bgr-profile-${process.pid}-${path.basename(file)}`);
  const session = await ort.InferenceSession.create(file, {
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = { input: new ort.Tensor('float32', x, [1, 3, MODEL_SIZE, MODEL_SIZE]) };
  for (let r = 0; r <= runs; r++) await session.run(feeds, ['output']);
  session.endProfiling(); // writes <prefix>_<date>.json
  await session.release();
  const base = path.basename(prefix);
  const found = (await readdir(path.dirname(prefix)))
    .filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .sort()
    .at(-1);
  if (!found) throw new Error(`onnxruntime wrote no profile file ${prefix}_*.json`);
  const jsonFile = path.join(path.dirname(prefix), found);
  const events = JSON.parse(await readFile(jsonFile, 'utf8')) as ProfileEvent[];
  await rm(jsonFile, { force: true });
  const runStarts = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const byOp = new Map<string, number>();
  // Kernel events of every run but the first (warm-up).
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const perRun = kernels.length / runStarts.length;
  for (const e of kernels.slice(perRun))
    byOp.set(e.args?.op_name ?? '?', (byOp.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 1000 / runs);
  const totalMs = runStarts.slice(1).reduce((s, e) => s + e.dur / 1000, 0) / runs;
  const kernelMs = [...byOp.values()].reduce((a, b) => a + b, 0);
  const ops = [...byOp].map(([op, ms]) => ({ op, ms, share: ms / kernelMs })).sort((a, b) => b.ms - a.ms);
  return { totalMs, ops };
}

export async function runProfileBench(
  options: { runs?: number; image?: string; threads?: number } = {},
): Promise<ProfileReport> {
  const runs = options.runs ?? 2;
  const { images } = await benchImages();
  const img = images.find((i) => i.name === options.image) ?? images[0]!;
  const x = toPlanarInput(await resizeRgb(await decode(img.data, 5e7), MODEL_SIZE));
  const cacheDir = defaultCacheDir();
  const shipped = await ensureModel(cacheDir);
  const graphs = [];
  for (const precision of ['fp32', 'int8'] as Precision[]) {
    graphs.push({
      precision,
      ...(await profile(await preparedModel(shipped, cacheDir, precision), x, runs, options.threads ?? 2)),
    });
  }
  return { cpu: describeCpu(), image: img.name, runs, graphs };
}

export function formatProfileBench(r: ProfileReport): string {
  const lines = [`model profile — ${r.image}, ${r.runs} run(s) after a warm-up; CPU: ${r.cpu}`];
  for (const g of r.graphs) {
    lines.push(
      `  ${g.precision}: model_run ${g.totalMs.toFixed(0)} ms; kernel time by op: ${g.ops
        .filter((o) => o.share >= 0.005)
        .map((o) => `${o.op} ${o.ms.toFixed(0)} ms (${(o.share * 100).toFixed(1)} %)`)
        .join(', ')}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const arg = (k: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : undefined);
  const report = await runProfileBench({ runs: Number(arg('--runs')) || 2, image: arg('--image') });
  process.stdout.write(`${formatProfileBench(report)}\n`);
}
