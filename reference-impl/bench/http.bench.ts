/** HTTP bench (issue 3): v1 over real HTTP against an in-process reference server with the real model — latency, stages, overhead, event loop, /healthz, and the peer paired run by run. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BgRemovalClient } from '../../client/index.ts';
import { loadConfig } from '../src/process/config.ts';
import { createEngine } from '../src/engine/index.ts';
import type { StageTimings } from '../src/engine/types.ts';
import { engineConfigOf, startServer } from '../src/process/serve.ts';
import { loadPeer, type EngineBenchReport, type PeerRun } from './engine.bench.ts';
import { benchImages } from './images.ts';
import { startHealthProbe, type ProbeResult } from './probe.ts';
import { fmt, quantile, summarize, type Summary } from './stats.ts';
import { TimedEngine } from './timed-engine.ts';

const STAGES = ['decode', 'pre', 'infer', 'post', 'encode'] as const;
const KEY = 'bench_http_key';

export interface HttpImageReport {
  name: string;
  megapixels: number;
  /** Client-observed v1 latency (ms). */
  latency: Summary;
  stages: Record<(typeof STAGES)[number], Summary>;
  /** (decode + pre + post + encode) / infer, at the median: the engine's own non-inference work. */
  stageOverhead: number;
  /** (HTTP p50 − infer p50) / infer p50: everything that is not inference, HTTP and base64 included. */
  e2eOverhead: number;
  /** The peer on the same image, each run right after ours (paired, so machine noise hits both alike). */
  peer?: Summary;
  /** HTTP p50 / peer p50. */
  ratio?: number;
}

export interface HttpBenchReport {
  source: string;
  /** The model precision the server ran (`BGR_PRECISION`). */
  precision: string;
  runs: number;
  readyMs: number;
  images: HttpImageReport[];
  /** Event-loop delay (ms) in the process (server and bench client) during our v1 requests: median request's p50, worst request's p99, max. */
  eventLoop: { p50: number; p99: number; max: number };
  /** The same over 3 s with the server idle (only the /healthz probe), as this run's noise floor. */
  eventLoopIdle: { p50: number; p99: number; max: number };
  /** /healthz latency (ms) while idle and during the v1 runs. */
  healthzIdle: Summary & { failed: number };
  healthz: Summary & { failed: number };
  /** Share of the probed time spent in inference (so /healthz really ran "during inference"). */
  inferShare: number;
  /** Σ HTTP p50 / Σ peer p50 over the images both ran. */
  ratio?: number;
  /** Median of the per-pair ratios (each HTTP call / the peer call right after it): a noise check on `ratio`. */
  pairedRatio?: number;
  /** The engine bench's engine-only ratio, from the same run. */
  engineRatio?: number;
  peerNote?: string;
}

export interface HttpBenchOptions {
  runs?: number;
  /** The engine bench's report from this run, for its engine-only ratio. */
  engineReport?: EngineBenchReport;
  /** Run the peer after each HTTP call (default true). */
  peer?: boolean;
  log?: (s: string) => void;
  healthzIntervalMs?: number;
}

const pick = (xs: StageTimings[], s: (typeof STAGES)[number]) => xs.map((t) => t[s]);

export async function runHttpBench(options: HttpBenchOptions = {}): Promise<HttpBenchReport> {
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => {});
  const interval = options.healthzIntervalMs ?? 20;
  const { source, images } = await benchImages();

  // The model precision follows the caller's BGR_PRECISION (default fp32), so int8's overhead is measured here too.
  const { BGR_PRECISION } = process.env;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BGR_API_KEYS: KEY,
    BGR_RATE_LIMIT: '100000/min',
    ...(BGR_PRECISION ? { BGR_PRECISION } : {}),
  });
  const engine = new TimedEngine(createEngine(engineConfigOf(config)));
  const t0 = performance.now();
  await engine.ready();
  const readyMs = performance.now() - t0;
  const server = await startServer({ config, engine });
  log(`http: server on ${server.url}, engine ready in ${readyMs.toFixed(0)} ms`);
  const client = new BgRemovalClient({ apiKey: KEY, baseUrl: server.url, maxRetries: 0 });

  const perImage = new Map<string, { latency: number[]; stages: StageTimings[]; peer: number[] }>();
  const pairs: number[] = [];
  const loops: Array<{ p50: number; p99: number; max: number }> = [];
  const healthz: ProbeResult = { sent: 0, failed: 0, latencies: [] };
  let healthzIdle: ProbeResult;
  let eventLoopIdle: HttpBenchReport['eventLoop'];
  let peerNote: string | undefined;
  let inferMs = 0,
    probedMs = 0;
  try {
    // Untimed: the first request compiles validators and warms the HTTP path.
    await client.removeBackground({ image: images[0]!.data });
    let peer: PeerRun | undefined;
    if (options.peer !== false) {
      try {
        peer = await loadPeer(images[0]!.data);
      } catch (err) {
        peerNote = `peer failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
      }
    }

    const idleMonitor = monitorEventLoopDelay({ resolution: 5 });
    idleMonitor.enable();
    const idle = startHealthProbe(server.url, interval);
    await sleep(3000);
    healthzIdle = await idle.stop();
    idleMonitor.disable();
    eventLoopIdle = {
      p50: idleMonitor.percentile(50) / 1e6,
      p99: idleMonitor.percentile(99) / 1e6,
      max: idleMonitor.max / 1e6,
    };

    for (let r = 0; r < runs; r++) {
      for (const img of images) {
        // The loop monitor and the probe run only around our request: the peer infers on this thread. A fresh
        // monitor each time: a re-enabled one charges its first sample with the whole time it was off, and
        // interval histograms cannot be merged, so each request's figures are kept and aggregated below.
        const monitor = monitorEventLoopDelay({ resolution: 5 });
        monitor.enable();
        const probe = startHealthProbe(server.url, interval);
        const t = performance.now();
        const res = await client.removeBackground({ image: img.data });
        const ms = performance.now() - t;
        const probed = await probe.stop();
        monitor.disable();
        loops.push({ p50: monitor.percentile(50) / 1e6, p99: monitor.percentile(99) / 1e6, max: monitor.max / 1e6 });
        probedMs += performance.now() - t;
        healthz.sent += probed.sent;
        healthz.failed += probed.failed;
        healthz.latencies.push(...probed.latencies);
        if (!res.contentType.startsWith('image/png') || res.image.length === 0)
          throw new Error(`v1 answered ${res.contentType} for ${img.name}`);
        const timings = engine.last!;
        inferMs += timings.infer;
        const e = perImage.get(img.name) ?? { latency: [], stages: [], peer: [] };
        e.latency.push(ms);
        e.stages.push(timings);
        let line = `http ${img.name} run ${r + 1}: ${ms.toFixed(0)} ms (infer ${timings.infer.toFixed(0)})`;
        if (peer) {
          const p = await peer(img.data);
          e.peer.push(p);
          pairs.push(ms / p);
          line += `, peer ${p.toFixed(0)} ms`;
        }
        perImage.set(img.name, e);
        log(line);
      }
    }
  } finally {
    await server.shutdown();
  }

  const engineReport = options.engineReport;
  const report: HttpBenchReport = {
    source,
    precision: config.precision,
    runs,
    readyMs,
    images: [],
    eventLoop: {
      p50: quantile(
        loops.map((l) => l.p50),
        0.5,
      ),
      p99: Math.max(...loops.map((l) => l.p99)),
      max: Math.max(...loops.map((l) => l.max)),
    },
    eventLoopIdle,
    healthzIdle: { ...summarize(healthzIdle.latencies), failed: healthzIdle.failed },
    healthz: { ...summarize(healthz.latencies), failed: healthz.failed },
    inferShare: inferMs / probedMs,
    engineRatio: engineReport?.ratio,
    peerNote,
  };

  let sumOurs = 0,
    sumPeer = 0;
  for (const img of images) {
    const e = perImage.get(img.name)!;
    const stages = Object.fromEntries(
      STAGES.map((s) => [s, summarize(pick(e.stages, s))]),
    ) as HttpImageReport['stages'];
    const latency = summarize(e.latency);
    const infer = stages.infer.p50;
    const row: HttpImageReport = {
      name: img.name,
      megapixels: img.megapixels,
      latency,
      stages,
      stageOverhead: (stages.decode.p50 + stages.pre.p50 + stages.post.p50 + stages.encode.p50) / infer,
      e2eOverhead: (latency.p50 - infer) / infer,
    };
    if (e.peer.length) {
      row.peer = summarize(e.peer);
      row.ratio = latency.p50 / row.peer.p50;
      sumOurs += latency.p50;
      sumPeer += row.peer.p50;
    }
    report.images.push(row);
  }
  if (sumPeer > 0) report.ratio = sumOurs / sumPeer;
  if (pairs.length) report.pairedRatio = quantile(pairs, 0.5);
  return report;
}

export function formatHttpBench(r: HttpBenchReport): string {
  const col = (s: string, w = 13) => s.padStart(w);
  const ps = (s: Summary) => col(`${fmt(s.p50)}/${fmt(s.p95)}`);
  const lines = [
    `http bench (v1 over HTTP, in-process server, real model, ${r.precision}): ${r.runs} run(s) per image on the ${r.source}; ms, p50/p95`,
    '',
    'image'.padEnd(18) +
      col('MP', 6) +
      STAGES.map((s) => col(s)).join('') +
      col('http') +
      col('stage ovh', 11) +
      col('e2e ovh', 10) +
      col('peer', 13) +
      col('ours/peer', 11),
  ];
  for (const i of r.images) {
    lines.push(
      i.name.padEnd(18) +
        col(fmt(i.megapixels, 2), 6) +
        STAGES.map((s) => ps(i.stages[s])).join('') +
        ps(i.latency) +
        col(`${fmt(i.stageOverhead * 100, 1)}%`, 11) +
        col(`${fmt(i.e2eOverhead * 100, 1)}%`, 10) +
        (i.peer ? ps(i.peer) : col('—')) +
        col(fmt(i.ratio, 2), 11),
    );
  }
  const small = r.images.filter((i) => i.megapixels <= 2);
  const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  const hz = (h: HttpBenchReport['healthz']) =>
    `p50 ${fmt(h.p50, 1)} ms, p99 ${fmt(h.p99, 1)} ms, max ${fmt(h.max, 1)} ms (n=${h.n}, failed ${h.failed})`;
  lines.push(
    '',
    `ours/peer (Σ HTTP p50 / Σ peer p50, paired runs): ${fmt(r.ratio, 3)} (median pair ${fmt(r.pairedRatio, 3)})   target ≤ 0.65   (engine section, engine-only: ${fmt(r.engineRatio, 3)})${r.peerNote ? `   ${r.peerNote}` : ''}`,
    `non-inference overhead, ≤ 2 MP, worst image: stages ${fmt(maxOf(small.map((i) => i.stageOverhead)) * 100, 1)}%, end-to-end over HTTP ${fmt(maxOf(small.map((i) => i.e2eOverhead)) * 100, 1)}%   target ≤ 10%`,
    `event-loop delay during our v1 requests: p50 ${fmt(r.eventLoop.p50, 1)} ms (median request), p99 ${fmt(r.eventLoop.p99, 1)} ms (worst request), max ${fmt(r.eventLoop.max, 1)} ms (5 ms sampling; server and bench client share the loop)`,
    `event-loop delay while idle (3 s, probe only): p50 ${fmt(r.eventLoopIdle.p50, 1)} ms, p99 ${fmt(r.eventLoopIdle.p99, 1)} ms, max ${fmt(r.eventLoopIdle.max, 1)} ms`,
    `/healthz every 20 ms, idle:             ${hz(r.healthzIdle)}`,
    `/healthz every 20 ms, during inference: ${hz(r.healthz)}   target p99 < 50 ms   (inference = ${fmt(r.inferShare * 100, 0)}% of that time)`,
  );
  return `${lines.join('\n')}\n`;
}
