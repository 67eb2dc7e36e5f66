/** Precision bench (issue 12): per model graph — model time, v1 latency over HTTP, ours/peer, and alpha IoU/MAE vs fp32. */
// Everything is measured in one process and one run, variants alternating (the order rotates each round),
// so machine noise hits every variant alike: read the ratios, not the absolute times.
import * as ort from 'onnxruntime-node';
import { describeCpu } from '../src/engine/cpu.ts';
import { BgRemovalClient } from '../../client/index.ts';
import { loadConfig } from '../src/process/config.ts';
import { decode, resizeRgb } from '../src/engine/decode.ts';
import { type Precision, preparedModel } from '../src/engine/graph/prepare.ts';
import { createEngine } from '../src/engine/index.ts';
import { defaultCacheDir, ensureModel } from '../src/engine/model.ts';
import { iou } from '../src/engine/synthetic.ts';
import { MODEL_SIZE, toAlpha, toPlanarInput } from '../src/engine/tensor.ts';
import { engineConfigOf, startServer } from '../src/process/serve.ts';
import { loadPeer, type PeerRun } from './engine.bench.ts';
import { benchImages } from './images.ts';
import { fmt, quantile } from './stats.ts';

const KEY = 'bench_precision_key';
/** The shipped graph is measured for its model time and equality only; the server runs the prepared ones. */
type Variant = 'shipped' | Precision;
const VARIANTS: Variant[] = ['shipped', 'fp32', 'int8'];
const SERVED: Precision[] = ['fp32', 'int8'];

export interface VariantReport {
  variant: Variant;
  /** onnxruntime `run` p50 (ms), summed over the images; and the ratio fp32 / this. */
  modelMs: number;
  speedupVsFp32: number;
  /** v1 over HTTP: Σ p50 over the images (ms), and Σ ours p50 / Σ peer p50. */
  e2eMs?: number;
  ratio?: number;
  /** Alpha (1024², threshold 0.5) IoU vs the fp32 graph's output: mean and worst image; mean absolute error (0–1). */
  iouMean: number;
  iouWorst: number;
  iouWorstImage: string;
  mae: number;
  perImage: { name: string; modelMs: number; e2eMs?: number; iou: number; mae: number }[];
}
export interface PrecisionBenchReport {
  source: string;
  runs: number;
  threads: number;
  variants: VariantReport[];
  peerMs?: number;
  peerNote?: string;
}

const mae = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length / 255;
const rotate = <T>(xs: T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);
const p50 = (xs: number[]) => quantile(xs, 0.5);

export async function runPrecisionBench(
  options: { runs?: number; peer?: boolean; threads?: number; log?: (s: string) => void } = {},
): Promise<PrecisionBenchReport> {
  const runs = options.runs ?? 3;
  const threads = options.threads ?? 2;
  const log = options.log ?? (() => {});
  const { source, images } = await benchImages();
  const cacheDir = defaultCacheDir();
  const shipped = await ensureModel(cacheDir);
  const paths: Record<Variant, string> = {
    shipped,
    fp32: await preparedModel(shipped, cacheDir, 'fp32'),
    int8: await preparedModel(shipped, cacheDir, 'int8'),
  };

  // 1. The model alone: one onnxruntime session per variant, as the worker configures it.
  const rgb = await Promise.all(
    images.map(async (img) => toPlanarInput(await resizeRgb(await decode(img.data, 5e7), MODEL_SIZE))),
  );
  const sessions = {} as Record<Variant, ort.InferenceSession>;
  for (const v of VARIANTS) {
    sessions[v] = await ort.InferenceSession.create(paths[v], {
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  }
  const modelMs = new Map<string, number[]>();
  const alpha = new Map<string, Uint8Array>();
  const runOnce = async (v: Variant, i: number) => {
    const t = performance.now();
    const out = await sessions[v].run({ input: new ort.Tensor('float32', rgb[i]!, [1, 3, MODEL_SIZE, MODEL_SIZE]) }, [
      'output',
    ]);
    const ms = performance.now() - t;
    alpha.set(`${v}/${i}`, toAlpha(out.output!.data as Float32Array));
    return ms;
  };
  for (const v of VARIANTS) await runOnce(v, 0); // warm-up, untimed
  for (let r = 0; r < runs; r++) {
    for (const [i, img] of images.entries()) {
      for (const v of rotate(VARIANTS, r + i)) {
        const ms = await runOnce(v, i);
        modelMs.set(`${v}/${i}`, [...(modelMs.get(`${v}/${i}`) ?? []), ms]);
        log(`model ${v} ${img.name} run ${r + 1}: ${ms.toFixed(0)} ms`);
      }
    }
  }
  for (const s of Object.values(sessions)) await s.release();

  // 2. End to end: a v1 server per served precision, requests alternating, the peer after each image's round.
  const e2e = new Map<string, number[]>();
  const peerMs: number[] = [];
  let peerNote: string | undefined;
  const servers = await Promise.all(
    SERVED.map(async (precision) => {
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        BGR_API_KEYS: KEY,
        BGR_RATE_LIMIT: '100000/min',
        BGR_PRECISION: precision,
        BGR_THREADS: String(threads),
      });
      const engine = createEngine(engineConfigOf(config));
      await engine.ready();
      const server = await startServer({ config, engine });
      return { precision, server, client: new BgRemovalClient({ apiKey: KEY, baseUrl: server.url, maxRetries: 0 }) };
    }),
  );
  try {
    for (const s of servers) await s.client.removeBackground({ image: images[0]!.data }); // warm the HTTP path
    let peer: PeerRun | undefined;
    if (options.peer !== false) {
      try {
        peer = await loadPeer(images[0]!.data);
      } catch (err) {
        peerNote = `peer failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const peerPerImage = new Map<number, number[]>();
    for (let r = 0; r < runs; r++) {
      for (const [i, img] of images.entries()) {
        for (const s of rotate(servers, r + i)) {
          const t = performance.now();
          const res = await s.client.removeBackground({ image: img.data });
          const ms = performance.now() - t;
          if (res.image.length === 0) throw new Error(`v1 (${s.precision}) answered no image for ${img.name}`);
          e2e.set(`${s.precision}/${i}`, [...(e2e.get(`${s.precision}/${i}`) ?? []), ms]);
          log(`v1 ${s.precision} ${img.name} run ${r + 1}: ${ms.toFixed(0)} ms`);
        }
        if (peer) {
          const ms = await peer(img.data);
          peerPerImage.set(i, [...(peerPerImage.get(i) ?? []), ms]);
          log(`peer ${img.name} run ${r + 1}: ${ms.toFixed(0)} ms`);
        }
      }
    }
    for (const xs of peerPerImage.values()) peerMs.push(p50(xs));
  } finally {
    for (const s of servers) await s.server.shutdown();
  }

  const sumModel = (v: Variant) => images.reduce((s, _, i) => s + p50(modelMs.get(`${v}/${i}`)!), 0);
  const peerSum = peerMs.length === images.length ? peerMs.reduce((a, b) => a + b, 0) : undefined;
  const variants = VARIANTS.map((v): VariantReport => {
    const perImage = images.map((img, i) => {
      const [ref, got] = [alpha.get(`fp32/${i}`)!, alpha.get(`${v}/${i}`)!];
      const e = e2e.get(`${v}/${i}`);
      return {
        name: img.name,
        modelMs: p50(modelMs.get(`${v}/${i}`)!),
        e2eMs: e && p50(e),
        iou: iou(ref, got),
        mae: mae(ref, got),
      };
    });
    const worst = perImage.reduce((a, b) => (b.iou < a.iou ? b : a));
    const e2eMs = perImage.every((p) => p.e2eMs !== undefined) ? perImage.reduce((s, p) => s + p.e2eMs!, 0) : undefined;
    return {
      variant: v,
      modelMs: sumModel(v),
      speedupVsFp32: sumModel('fp32') / sumModel(v),
      e2eMs,
      ratio: e2eMs !== undefined && peerSum ? e2eMs / peerSum : undefined,
      iouMean: perImage.reduce((s, p) => s + p.iou, 0) / perImage.length,
      iouWorst: worst.iou,
      iouWorstImage: worst.name,
      mae: perImage.reduce((s, p) => s + p.mae, 0) / perImage.length,
      perImage,
    };
  });
  return { source, runs, threads, variants, peerMs: peerSum, peerNote };
}

export function formatPrecisionBench(r: PrecisionBenchReport): string {
  const lines = [
    `precision — ${r.source}, ${r.runs} run(s), ${r.threads} intra-op threads; Σ p50 over the images; quality: 1024² alpha vs the fp32 graph (IoU at 0.5); CPU: ${describeCpu()}`,
    '  variant  | model ms | vs fp32 | v1 e2e ms | ours/peer | IoU mean | IoU worst (image)       | MAE',
  ];
  for (const v of r.variants) {
    lines.push(
      `  ${v.variant.padEnd(8)} | ${fmt(v.modelMs).padStart(8)} | ${v.speedupVsFp32.toFixed(2).padStart(6)}× | ${(v.e2eMs === undefined ? '—' : fmt(v.e2eMs)).padStart(9)} | ${(v.ratio === undefined ? '—' : v.ratio.toFixed(2)).padStart(9)} | ${v.iouMean.toFixed(4).padStart(8)} | ${`${v.iouWorst.toFixed(4)} (${v.iouWorstImage})`.padEnd(23)} | ${v.mae.toFixed(4)}`,
    );
  }
  if (r.peerMs !== undefined) lines.push(`  peer (@imgly/background-removal-node, medium): Σ p50 ${fmt(r.peerMs)} ms`);
  if (r.peerNote) lines.push(`  ${r.peerNote}`);
  lines.push('  per image (model ms / v1 ms / IoU):');
  for (const v of r.variants)
    lines.push(
      `    ${v.variant}: ${v.perImage.map((p) => `${p.name} ${fmt(p.modelMs)}/${p.e2eMs === undefined ? '—' : fmt(p.e2eMs)}/${p.iou.toFixed(4)}`).join(', ')}`,
    );
  return lines.join('\n');
}
