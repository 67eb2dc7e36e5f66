/** The int8 graph on this CPU and on an emulated AVX2-only CPU: alpha IoU vs fp32 on each, and how far apart the two int8 masks are. */
// Run: npx tsx reference-impl/bench/cross-cpu.bench.ts [--old] [--heldout]. The AVX2 side runs under
// qemu-user (testing/emulated-cpu.ts), about 150× slower than native: ~2 min per 1024² image on 2 cores,
// so the default is the four shared photos; --heldout adds the eight held-out scenes, --old adds the
// previous (8-bit, saturating) recipe on the shared photos, which shows the emulation reproduces what an
// AVX2 host did to it. fp32 runs natively only: the reference both int8 results are scored against.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuInfo, describeCpu } from '../src/engine/cpu.ts';
import { toInt8 } from '../src/engine/graph/int8.ts';
import { decodeModel, encodeModel } from '../src/engine/graph/onnx.ts';
import { loadCalibration, preparedModel } from '../src/engine/graph/prepare.ts';
import { defaultCacheDir, ensureModel } from '../src/engine/model.ts';
import { iou } from '../src/engine/synthetic.ts';
import { AVX2_LABEL, canEmulateAvx2, runOrt } from '../src/engine/testing/emulated-cpu.ts';
import { fallsBack, INT8_FALLBACK } from '../src/engine/graph/precision.ts';
import { MODEL_SIZE, toAlpha, unsureShare } from '../src/engine/tensor.ts';
import { heldoutImages } from './heldout-images.ts';
import { benchImages } from './images.ts';
import { modelInput, RECIPE_V4 } from './int8.bench.ts';

export interface CrossCpuRow {
  recipe: string;
  image: string;
  /** Alpha IoU (at 0.5) vs the fp32 graph, int8 on this CPU and on the emulated AVX2 CPU. */
  iouHere: number;
  iouAvx2: number;
  /** The two int8 alpha masks against each other: IoU, and the largest difference of an alpha byte. */
  iouBetween: number;
  maxAlphaDiff: number;
  /** Share of int8's output unsure (INT8_FALLBACK.band) on each CPU: the engine's fallback decision rests on it. */
  unsureHere: number;
  unsureAvx2: number;
}

const floats = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);

export async function runCrossCpuBench(options: {
  heldout?: boolean;
  old?: boolean;
  threads?: number;
  log?: (s: string) => void;
}): Promise<{ here: string; emulated: string; rows: CrossCpuRow[] }> {
  if (!(await canEmulateAvx2()))
    throw new Error('needs an x86-64 Linux host with qemu-user (apt-get install qemu-user)');
  const log = options.log ?? (() => {});
  const cacheDir = defaultCacheDir();
  const shipped = await ensureModel(cacheDir);
  const fp32 = new Uint8Array(await readFile(await preparedModel(shipped, cacheDir, 'fp32')));
  const recipes: [string, Uint8Array, boolean][] = [
    ['int8 (committed)', new Uint8Array(await readFile(await preparedModel(shipped, cacheDir, 'int8'))), true],
  ];
  if (options.old) {
    const { params } = await loadCalibration();
    recipes.push(['v4 8-bit (old)', encodeModel(toInt8(decodeModel(fp32), params, RECIPE_V4)), false]);
  }
  const images = [...(await benchImages()).images, ...(options.heldout ? await heldoutImages() : [])];
  const xs = await Promise.all(
    images.map(async (i) => ({
      name: i.name.replace(/\.jpg$/, ''),
      x: await modelInput(i.data),
    })),
  );
  const job = {
    inputName: 'input',
    dims: [1, 3, MODEL_SIZE, MODEL_SIZE],
    outputs: ['output'],
    threads: options.threads ?? 2,
  };
  const alpha = (runs: Uint8Array[][]) => runs.map(([out]) => toAlpha(floats(out!)));
  const unsure = (runs: Uint8Array[][]) => runs.map(([out]) => unsureShare(floats(out!), INT8_FALLBACK.band));

  log('fp32 on this CPU');
  const ref = alpha(await runOrt({ ...job, model: fp32, inputs: xs.map((i) => i.x), cpu: 'native' }));
  const rows: CrossCpuRow[] = [];
  for (const [recipe, model, everyImage] of recipes) {
    const set = everyImage ? xs : xs.slice(0, 4);
    log(`${recipe} on this CPU`);
    const hereRuns = await runOrt({ ...job, model, inputs: set.map((i) => i.x), cpu: 'native' });
    log(`${recipe} on the emulated AVX2 CPU (${set.length} images, ~2 min each)`);
    const avx2Runs = await runOrt({ ...job, model, inputs: set.map((i) => i.x), cpu: 'avx2', timeoutMs: 3_600_000 });
    const [here, avx2] = [alpha(hereRuns), alpha(avx2Runs)];
    const [unsureHere, unsureAvx2] = [unsure(hereRuns), unsure(avx2Runs)];
    for (const [i, img] of set.entries()) {
      const [h, a] = [here[i]!, avx2[i]!];
      rows.push({
        recipe,
        image: img.name,
        iouHere: iou(ref[i]!, h),
        iouAvx2: iou(ref[i]!, a),
        iouBetween: iou(h, a),
        maxAlphaDiff: h.reduce((m, v, k) => Math.max(m, Math.abs(v - a[k]!)), 0),
        unsureHere: unsureHere[i]!,
        unsureAvx2: unsureAvx2[i]!,
      });
    }
  }
  return { here: describeCpu(cpuInfo()), emulated: AVX2_LABEL, rows };
}

/** An unsure share as a percentage, with the engine's fallback decision it gives. */
const pct = (share: number) => `${(share * 100).toFixed(3)} % (${fallsBack(share) ? 'yes' : 'no'})`;

export function formatCrossCpuBench(r: Awaited<ReturnType<typeof runCrossCpuBench>>): string {
  const lines = [
    `int8 on two CPUs — here: ${r.here}; AVX2: ${r.emulated}`,
    '  recipe            | image            | IoU vs fp32 here | on AVX2 | Δ      | here vs AVX2 IoU | max |Δalpha| | unsure here / AVX2 (fp32 fallback?)',
  ];
  for (const x of r.rows)
    lines.push(
      `  ${x.recipe.padEnd(17)} | ${x.image.padEnd(16)} | ${x.iouHere.toFixed(4).padStart(16)} | ${x.iouAvx2.toFixed(4).padStart(7)} | ${(x.iouAvx2 - x.iouHere).toFixed(4).padStart(6)} | ${x.iouBetween.toFixed(4).padStart(16)} | ${String(x.maxAlphaDiff).padStart(3)}/255     | ${pct(x.unsureHere)} / ${pct(x.unsureAvx2)}`,
    );
  for (const recipe of new Set(r.rows.map((x) => x.recipe))) {
    const rs = r.rows.filter((x) => x.recipe === recipe);
    const m = (f: (x: CrossCpuRow) => number) => rs.reduce((s, x) => s + f(x), 0) / rs.length;
    lines.push(
      `  ${recipe}: mean IoU vs fp32 ${m((x) => x.iouHere).toFixed(4)} here, ${m((x) => x.iouAvx2).toFixed(4)} on AVX2; worst ${Math.min(...rs.map((x) => x.iouHere)).toFixed(4)} / ${Math.min(...rs.map((x) => x.iouAvx2)).toFixed(4)}; largest |Δ IoU| ${Math.max(...rs.map((x) => Math.abs(x.iouAvx2 - x.iouHere))).toFixed(4)}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const report = await runCrossCpuBench({
    heldout: process.argv.includes('--heldout'),
    old: process.argv.includes('--old'),
    log: (s) => process.stderr.write(`  … ${s}\n`),
  });
  process.stdout.write(`${formatCrossCpuBench(report)}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
}
