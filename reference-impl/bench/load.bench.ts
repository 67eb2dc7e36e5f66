/** Load bench (issue 4): N v2 submissions from C concurrent typed clients — none lost, credits reconcile, memory back near baseline after expiry. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { ApiError, BgRemovalClient, InferenceFailed } from '../../client/index.ts';
import { loadConfig } from '../src/process/config.ts';
import { createEngine } from '../src/engine/index.ts';
import type { Engine } from '../src/engine/types.ts';
import { MemoryKeyStore } from '../src/policy/keys.ts';
import { engineConfigOf, startServer } from '../src/process/serve.ts';
import { FakeEngine } from '../testing/fake-engine.ts';
import { collect } from './gc.ts';
import { benchImages, generatedImages } from './images.ts';
import { fmt, memorySnapshot, peakOf, summarize, type MemorySnapshot, type Summary } from './stats.ts';

const KEY = 'bench_load_key';
const START_CREDITS = 100_000;

export interface LoadBenchOptions {
  /** The real model instead of the FakeEngine. */
  real?: boolean;
  /** Submissions (default 200 with the fake engine, 24 with the real model). */
  jobs?: number;
  clients?: number;
  /** The FakeEngine's per-image delay (ms). */
  fakeDelayMs?: number;
  retentionS?: number;
  /** Every `failEvery`-th submission carries undecodable bytes (default 20 → 5%). */
  failEvery?: number;
  gc?: () => void;
  log?: (s: string) => void;
}

export interface LoadBenchReport {
  engine: string;
  jobs: number;
  clients: number;
  queueMax: number;
  retentionS: number;
  /** Submissions the server accepted (200 with a request id). */
  accepted: number;
  /** Submissions refused for good (after the client's retries), by status/code. */
  refused: Record<string, number>;
  completed: number;
  failed: Record<string, number>;
  /** Deliberately undecodable submissions, and how many of them ended FAILED invalid_image. */
  poisoned: number;
  poisonedFailedAsExpected: number;
  /** Accepted requests the clients never saw reach a terminal state. */
  lost: number;
  outputsVerified: number;
  http429: number;
  http503: number;
  /** Submit → terminal state, as each client saw it (ms). */
  latency: Summary;
  wallS: number;
  credits: { start: number; end: number; completed: number; reconciles: boolean };
  expiry: { checked: number; gone404: number };
  memory: {
    gc: boolean;
    baseline: MemorySnapshot;
    peak: MemorySnapshot;
    afterExpiry: MemorySnapshot;
    heapRetained: number;
    backNearBaseline: boolean;
  };
}

/** A fetch that counts the throttling answers the typed client sees (it retries 429/503 itself, so they never surface). */
function countingFetch(counts: { http429: number; http503: number }) {
  return async (request: Request): Promise<Response> => {
    const res = await globalThis.fetch(request);
    if (res.status === 429) counts.http429++;
    if (res.status === 503) counts.http503++;
    return res;
  };
}

export async function runLoadBench(options: LoadBenchOptions = {}): Promise<LoadBenchReport> {
  const real = options.real ?? false;
  const jobs = options.jobs ?? (real ? 24 : 200);
  const clients = options.clients ?? 8;
  const retentionS = options.retentionS ?? 5;
  const failEvery = options.failEvery ?? 20;
  const fakeDelayMs = options.fakeDelayMs ?? 50;
  const log = options.log ?? (() => {});

  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BGR_API_KEYS: `${KEY}:${START_CREDITS}`,
    BGR_RESULT_TTL_S: String(retentionS),
    // The gateway's rate limit is not under test here; the queue bound is (default 64 > 8 clients).
    BGR_RATE_LIMIT: '1000000/min',
  });
  const keys = new MemoryKeyStore(config.keys);
  let engine: Engine;
  let engineName: string;
  let inputs: Buffer[];
  if (real) {
    engine = createEngine(engineConfigOf(config));
    const { source, images } = await benchImages();
    inputs = images.map((i) => i.data);
    engineName = `real model (${config.workers} worker), ${source}`;
  } else {
    engine = new FakeEngine({ delayMs: fakeDelayMs });
    // Small inputs keep the fake's own pixel loop well under its delay.
    const [img] = await generatedImages();
    inputs = [await sharp(img!.data).resize(640, 480).jpeg().toBuffer()];
    engineName = `FakeEngine (${fakeDelayMs} ms per image, 640×480 JPEG)`;
  }
  await engine.ready();
  const server = await startServer({ config, engine, keys });
  log(`load: ${engineName}, ${jobs} jobs from ${clients} clients on ${server.url}`);
  const interval = real ? 250 : 25;
  const counts = { http429: 0, http503: 0 };
  const makeClient = () =>
    new BgRemovalClient({ apiKey: KEY, baseUrl: server.url, fetch: countingFetch(counts), maxRetries: 10 });

  const accepted = new Set<string>();
  const terminal = new Set<string>();
  const refused: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const latencies: number[] = [];
  let completed = 0,
    outputsVerified = 0,
    poisoned = 0,
    poisonedFailedAsExpected = 0;
  const memory = { gc: options.gc !== undefined } as LoadBenchReport['memory'];
  let wallS = 0;
  let creditsStart = 0;
  const expiry = { checked: 0, gone404: 0 };

  try {
    // Warm-up, one job per client, outside the figures: lazily compiled code and pools belong in the baseline.
    await Promise.all(Array.from({ length: clients }, () => makeClient().run({ image: inputs[0]! }, { interval })));
    await collect(options.gc);
    memory.baseline = memorySnapshot();
    memory.peak = memory.baseline;
    creditsStart = (await keys.balance(KEY)) ?? NaN;
    const sampler = setInterval(() => {
      memory.peak = peakOf(memory.peak, memorySnapshot());
    }, 50);

    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      const client = makeClient();
      for (let i = next++; i < jobs; i = next++) {
        // Offset 7 so that even a short real-model run (24 jobs) includes one.
        const poison = failEvery > 0 && i % failEvery === 7 % failEvery;
        if (poison) poisoned++;
        // Well-formed base64 of random bytes: accepted at submit, fails at decode in the job → FAILED, never charged.
        const image = poison ? randomBytes(512) : inputs[i % inputs.length]!;
        const t = performance.now();
        let job;
        try {
          job = await client.submitAsync({ image });
        } catch (err) {
          const key = err instanceof ApiError ? `${err.status} ${err.code ?? ''}`.trim() : (err as Error).name;
          refused[key] = (refused[key] ?? 0) + 1;
          continue;
        }
        accepted.add(job.requestId);
        try {
          const out = await job.output({ interval, timeout: 600_000 });
          completed++;
          if (out.image.subarray(1, 4).toString('latin1') === 'PNG') outputsVerified++;
        } catch (err) {
          if (!(err instanceof InferenceFailed)) throw err;
          const code = err.code ?? 'unknown';
          failed[code] = (failed[code] ?? 0) + 1;
          if (poison && code === 'invalid_image') poisonedFailedAsExpected++;
        }
        terminal.add(job.requestId);
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: clients }, worker));
    wallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    memory.peak = peakOf(memory.peak, memorySnapshot());
    const creditsEnd = (await keys.balance(KEY)) ?? NaN;
    log(
      `load: ${terminal.size}/${accepted.size} terminal in ${wallS.toFixed(1)} s; waiting past the ${retentionS} s retention`,
    );

    // Records expire at completion + retention; the sweeper runs every min(60 s, retention) — wait past both.
    await sleep(2 * retentionS * 1000 + 1500);
    for (const id of accepted) {
      const res = await fetch(`${server.url}/v2/requests/${id}/status`, { headers: { 'x-api-key': KEY } });
      await res.arrayBuffer();
      expiry.checked++;
      if (res.status === 404) expiry.gone404++;
    }
    await collect(options.gc);
    memory.afterExpiry = memorySnapshot();
    const growth = memory.peak.heapUsedMB - memory.baseline.heapUsedMB;
    const kept = memory.afterExpiry.heapUsedMB - memory.baseline.heapUsedMB;
    memory.heapRetained = growth > 0 ? Math.max(0, kept) / growth : 0;
    // "Near": within 5 MB of the baseline heap, or keeping under a fifth of what the load added.
    memory.backNearBaseline = kept < 5 || memory.heapRetained < 0.2;

    return {
      engine: engineName,
      jobs,
      clients,
      queueMax: config.queueMax,
      retentionS,
      accepted: accepted.size,
      refused,
      completed,
      failed,
      poisoned,
      poisonedFailedAsExpected,
      lost: [...accepted].filter((id) => !terminal.has(id)).length,
      outputsVerified,
      http429: counts.http429,
      http503: counts.http503,
      latency: summarize(latencies),
      wallS,
      credits: { start: creditsStart, end: creditsEnd, completed, reconciles: creditsStart - completed === creditsEnd },
      expiry,
      memory,
    };
  } finally {
    await server.shutdown();
  }
}

export function formatLoadBench(r: LoadBenchReport): string {
  const m = (s: MemorySnapshot) =>
    `rss ${fmt(s.rssMB)} MB, heap ${fmt(s.heapUsedMB, 1)} MB, external ${fmt(s.externalMB, 1)} MB`;
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || 'none';
  const c = r.credits;
  return [
    `load bench (v2): ${r.jobs} submissions from ${r.clients} concurrent typed clients; engine: ${r.engine}`,
    `  accepted ${r.accepted}, refused ${kv(r.refused)}; completed ${r.completed} (${r.outputsVerified} PNG outputs fetched), failed ${kv(r.failed)}`,
    `  deliberately undecodable: ${r.poisoned}, of which FAILED invalid_image: ${r.poisonedFailedAsExpected}; lost: ${r.lost}`,
    `  submit → terminal: p50 ${fmt(r.latency.p50)} ms, p95 ${fmt(r.latency.p95)} ms, max ${fmt(r.latency.max)} ms; ${fmt(r.wallS, 1)} s wall, ${fmt(r.jobs / r.wallS, 1)} jobs/s`,
    `  throttling seen by the clients (retried): 429 × ${r.http429}, 503 × ${r.http503} (queue bound ${r.queueMax})`,
    `  credits: start ${c.start} − completed ${c.completed} = ${c.start - c.completed}; end ${c.end} → ${c.reconciles ? 'reconciles' : 'MISMATCH'} (FAILED not charged)`,
    `  after ${r.retentionS} s retention: ${r.expiry.gone404}/${r.expiry.checked} requests answer 404`,
    `  memory${r.memory.gc ? ' (after gc)' : ' (no gc available)'}: baseline ${m(r.memory.baseline)}`,
    `                peak ${m(r.memory.peak)}`,
    `       after expiry ${m(r.memory.afterExpiry)}`,
    `  heap kept after expiry: ${fmt(r.memory.heapRetained * 100, 0)}% of the load's growth → ${r.memory.backNearBaseline ? 'back near baseline' : 'NOT back near baseline'} (RSS rarely shrinks: the allocator keeps freed pages)`,
    '',
  ].join('\n');
}
