/** Engine benchmark: per-stage timings and event-loop delay on the shared photos, against the imgly peer. */
// Run: npx tsx reference-impl/bench/engine.bench.ts [--runs N] [--no-peer]
// The peer (@imgly/background-removal-node, AGPL) is imported here only, as a development comparison;
// the product never imports its code.
import { describeCpu } from '../src/engine/cpu.ts';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createEngine, defaultEngineConfig, type StageTimings } from '../src/engine/index.ts';
import { sharedFixturesDir } from '../src/engine/testing/fixtures.ts';
import { quantile } from './stats.ts';

const STAGES = ['decode', 'pre', 'infer', 'post', 'encode'] as const;

export interface Stat {
  p50: number;
  p95: number;
}
export interface ImageReport {
  name: string;
  megapixels: number;
  ours: Stat & { stages: Record<(typeof STAGES)[number], Stat> };
  /** Non-inference work (decode + pre + post + encode) as a fraction of inference, at the median. */
  overhead: number;
  /** Size of our PNG (the encoder's speed is only half of its story). */
  pngBytes: number;
  peer?: Stat;
  /** ours p50 / peer p50. */
  ratio?: number;
}
export interface EventLoopReport {
  p50: number;
  p99: number;
  max: number;
}
export interface EngineBenchReport {
  skipped?: string;
  runs: number;
  threads: number;
  readyMs: number;
  images: ImageReport[];
  /** Event-loop delay (ms) in the process while our engine ran (inference in a worker thread). */
  eventLoop: EventLoopReport;
  /** The same while the peer ran (it infers on the main thread). */
  peerEventLoop?: EventLoopReport;
  /** Σ ours p50 / Σ peer p50 over all images. */
  ratio?: number;
  peerError?: string;
}

const stat = (xs: number[]): Stat => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) });

function loopStats(h: ReturnType<typeof monitorEventLoopDelay>): EventLoopReport {
  // The histogram is in nanoseconds and includes the sampling resolution itself.
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

/** One timed peer call: the image in, its encoded PNG out (ms). */
export type PeerRun = (image: Buffer) => Promise<number>;

/**
 * Loads @imgly/background-removal-node's `removeBackground` (model "medium", PNG out) and runs it once untimed
 * on `warmup`, since it memoises its session on the first call, like our ready(). Shared with the HTTP bench.
 */
export async function loadPeer(warmup: Buffer): Promise<PeerRun> {
  const peer = (await import('@imgly/background-removal-node')) as unknown as {
    removeBackground(image: Blob, config: object): Promise<Blob>;
  };
  const peerConfig = { model: 'medium' as const, output: { format: 'image/png' as const } };
  const blob = (b: Buffer) => new Blob([new Uint8Array(b)], { type: 'image/jpeg' });
  await peer.removeBackground(blob(warmup), peerConfig);
  return async (image) => {
    const t = performance.now();
    const out = await peer.removeBackground(blob(image), peerConfig);
    await out.arrayBuffer(); // the encoded PNG, as ours returns
    return performance.now() - t;
  };
}

/** An image's size in megapixels, from its header. */
async function megapixelsOf(data: Buffer): Promise<number> {
  const { width = 0, height = 0 } = await sharp(data).metadata();
  return (width * height) / 1e6;
}

/** A photo scaled to 2 MP (aspect kept) and re-encoded as PNG. */
async function asTwoMegapixelPng(photo: { name: string; data: Buffer }): Promise<{ name: string; data: Buffer }> {
  const { width = 1, height = 1 } = await sharp(photo.data).metadata();
  const scale = Math.sqrt(2e6 / (width * height));
  const data = await sharp(photo.data)
    .resize(Math.floor(width * scale), Math.floor(height * scale))
    .png()
    .toBuffer();
  return { name: `${photo.name.replace(/\.\w+$/, '')}@2MP.png`, data };
}

export async function runEngineBench(
  options: { runs?: number; peer?: boolean; log?: (s: string) => void } = {},
): Promise<EngineBenchReport> {
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => {});
  const config = defaultEngineConfig();
  const fixtures = sharedFixturesDir();
  if (!fixtures)
    return {
      skipped: 'shared photos not found (../shared/fixtures or BGR_FIXTURES_DIR)',
      runs,
      threads: config.threads,
      readyMs: 0,
      images: [],
      eventLoop: { p50: 0, p99: 0, max: 0 },
    };
  const dir = path.join(fixtures, 'photos');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  /** An input with its size, read once from its header. */
  const sized = async (i: { name: string; data: Buffer }) => ({ ...i, megapixels: await megapixelsOf(i.data) });
  const photos = await Promise.all(files.map(async (f) => sized({ name: f, data: await readFile(path.join(dir, f)) })));
  // The overhead target holds up to 2 MP, and PNG is the costlier input to decode: the largest photo scaled to
  // 2 MP and saved as PNG runs too (ours only; the ours/peer ratio stays over the photos as they are).
  const largest = photos.reduce((a, b) => (b.megapixels > a.megapixels ? b : a));
  const inputs = [...photos, await sized(await asTwoMegapixelPng(largest))];

  const engine = createEngine(config);
  const t0 = performance.now();
  await engine.ready();
  const readyMs = performance.now() - t0;
  log(`engine ready in ${readyMs.toFixed(0)} ms (${config.threads} threads)`);

  const ours = new Map<string, { total: number[]; stages: StageTimings[]; bytes: number }>();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  for (let r = 0; r < runs; r++) {
    for (const input of inputs) {
      const t = performance.now();
      const res = await engine.removeBackground(input.data, { method: 'object', format: 'png', maskOnly: false });
      const total = performance.now() - t;
      const entry = ours.get(input.name) ?? { total: [], stages: [], bytes: res.image.length };
      entry.total.push(total);
      entry.stages.push(res.timings);
      ours.set(input.name, entry);
      log(`ours ${input.name} run ${r + 1}: ${total.toFixed(0)} ms`);
    }
  }
  loop.disable();
  await engine.close();

  const report: EngineBenchReport = { runs, threads: config.threads, readyMs, images: [], eventLoop: loopStats(loop) };

  const peerTimes = new Map<string, number[]>();
  if (options.peer !== false) {
    try {
      const peer = await loadPeer(inputs[0]!.data);
      const peerLoop = monitorEventLoopDelay({ resolution: 5 });
      peerLoop.enable();
      for (let r = 0; r < runs; r++) {
        for (const input of photos) {
          const total = await peer(input.data);
          peerTimes.set(input.name, [...(peerTimes.get(input.name) ?? []), total]);
          log(`peer ${input.name} run ${r + 1}: ${total.toFixed(0)} ms`);
        }
      }
      peerLoop.disable();
      report.peerEventLoop = loopStats(peerLoop);
    } catch (err) {
      report.peerError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }

  let sumOurs = 0,
    sumPeer = 0;
  for (const input of inputs) {
    const o = ours.get(input.name)!;
    const stages = Object.fromEntries(
      STAGES.map((s) => [s, stat(o.stages.map((t) => t[s]))]),
    ) as ImageReport['ours']['stages'];
    const nonInfer = stages.decode.p50 + stages.pre.p50 + stages.post.p50 + stages.encode.p50;
    const img: ImageReport = {
      name: input.name,
      megapixels: input.megapixels,
      ours: { ...stat(o.total), stages },
      overhead: nonInfer / stages.infer.p50,
      pngBytes: o.bytes,
    };
    const p = peerTimes.get(input.name);
    if (p?.length) {
      img.peer = stat(p);
      img.ratio = img.ours.p50 / img.peer.p50;
      sumOurs += img.ours.p50;
      sumPeer += img.peer.p50;
    }
    report.images.push(img);
  }
  if (sumPeer > 0) report.ratio = sumOurs / sumPeer;
  return report;
}

export function formatEngineBench(r: EngineBenchReport): string {
  if (r.skipped) return `engine bench skipped: ${r.skipped}\n`;
  const f = (n: number | undefined, d = 0) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d));
  const lines = [
    `engine bench: ${r.runs} run(s) per image, ${r.threads} onnxruntime threads, ready in ${f(r.readyMs)} ms (ms, p50/p95); CPU: ${describeCpu()}`,
    '',
    ['image', 'MP', ...STAGES, 'total', 'overhead', 'PNG KB', 'peer', 'ours/peer']
      .map((h, i) => (i === 0 ? h.padEnd(18) : h.padStart((i >= 2 && i <= 7) || i === 10 ? 13 : 10)))
      .join(''),
  ];
  for (const i of r.images) {
    const st = (s: Stat) => `${f(s.p50)}/${f(s.p95)}`.padStart(13);
    lines.push(
      i.name.padEnd(18) +
        f(i.megapixels, 2).padStart(10) +
        STAGES.map((s) => st(i.ours.stages[s])).join('') +
        st(i.ours) +
        `${f(i.overhead * 100, 1)}%`.padStart(10) +
        f(i.pngBytes / 1024).padStart(10) +
        (i.peer ? `${f(i.peer.p50)}/${f(i.peer.p95)}` : '—').padStart(13) +
        f(i.ratio, 2).padStart(10),
    );
  }
  lines.push('');
  lines.push(
    `ours/peer (Σ p50): ${f(r.ratio, 3)}   target ≤ 0.65${r.peerError ? `   peer failed: ${r.peerError}` : ''}`,
  );
  const small = r.images.filter((i) => i.megapixels <= 2);
  if (small.length)
    lines.push(
      `non-inference overhead (≤ 2 MP, p50): max ${f(Math.max(...small.map((i) => i.overhead)) * 100, 1)}%   target ≤ 10%`,
    );
  const el = (e: EventLoopReport) => `p50 ${f(e.p50, 1)} ms, p99 ${f(e.p99, 1)} ms, max ${f(e.max, 1)} ms`;
  lines.push(`event-loop delay during our runs: ${el(r.eventLoop)}`);
  if (r.peerEventLoop) lines.push(`event-loop delay during peer runs: ${el(r.peerEventLoop)}`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const report = await runEngineBench({
    runs: runsAt >= 0 ? Number(args[runsAt + 1]) : undefined,
    peer: !args.includes('--no-peer'),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(formatEngineBench(report));
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
