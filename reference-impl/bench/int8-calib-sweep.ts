/** Int8 sweep record: the decoder's last stages (stage1d, stage2d) calibrated at other percentiles / MSE, benched. */
// npx tsx reference-impl/bench/int8-calib-sweep.ts [tensor regex] ['extra;sweep;candidates']  (env CALIB_ONLY, RUNS)
// Recomputes those tensors' histograms on the calibration images (p99.99 reproduces calibration.json exactly),
// then runs the int8 bench with the new ranges for those tensors only. Not a recipe change.
import { readFile } from 'node:fs/promises';
import { histograms, paramsAt } from '../src/engine/graph/calibrate.ts';
import { calibrationSet } from '../src/engine/graph/calibration-images.ts';
import type { QuantParams } from '../src/engine/graph/int8.ts';
import { loadCalibration, preparedModel } from '../src/engine/graph/prepare.ts';
import { defaultCacheDir, ensureModel } from '../src/engine/model.ts';
import { SWEEP_CANDIDATES, formatInt8Bench, runInt8Bench } from './int8.bench.ts';

const select = new RegExp(process.argv[2] ?? '^/stage[12]d/|^/Concat_9_|^graph_output_cast_[67]$');
const cacheDir = defaultCacheDir();
const fp32Bytes = new Uint8Array(await readFile(await preparedModel(await ensureModel(cacheDir), cacheDir, 'fp32')));
const { params } = await loadCalibration();
// The committed calibration's images and histogram pass (graph/calibrate.ts), for the selected tensors only.
const hist = await histograms(fp32Bytes, await calibrationSet(), {
  only: select,
  groups: 1,
  log: (s) => process.stderr.write(`calib ${s}\n`),
});
const names = [...hist.keys()];
process.stderr.write(`${names.length} tensors: ${names.join(' ')}\n`);
const at = (p: number | 'mse'): Record<string, QuantParams> => paramsAt(hist, p);
const check = at(99.99);
process.stderr.write(
  `p99.99 recomputed vs committed: ${names.map((n) => (check[n]!.scale / params[n]!.scale).toFixed(3)).join(' ')}\n`,
);
const only = process.env.CALIB_ONLY?.split(';');
const all: Record<string, Record<string, QuantParams>> = {
  'dec p99.999': at(99.999),
  'dec p99.9': at(99.9),
  'dec mse': at('mse'),
  'conv_in + dec p99.9': at(99.9),
  'conv_in+stage1+dec p99.9': at(99.9),
};
const variants = Object.fromEntries(Object.entries(all).filter(([k]) => !only || only.includes(k)));
const floatOf: Record<string, { floatNodes: RegExp }> = {
  'conv_in + dec p99.9': SWEEP_CANDIDATES['v5 + float conv_in']! as { floatNodes: RegExp },
  'conv_in+stage1+dec p99.9': SWEEP_CANDIDATES['conv_in + stage1']! as { floatNodes: RegExp },
};
const extra = (process.argv[3] ?? '').split(';').filter(Boolean);
const candidates = {
  'v5 7-bit per-channel': {},
  ...Object.fromEntries(Object.keys(variants).map((k) => [k, floatOf[k] ?? {}])),
  ...Object.fromEntries(extra.map((k) => [k, SWEEP_CANDIDATES[k]!])),
};
const report = await runInt8Bench({
  runs: Number(process.env.RUNS ?? 1),
  candidates,
  params: variants,
  log: (s) => process.stderr.write(`  … ${s}\n`),
});
process.stdout.write(`${formatInt8Bench(report)}\n${JSON.stringify(report)}\n`);
