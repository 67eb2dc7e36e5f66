/**
 * Latency: p50/p95/p99 of v1 and of v2 submit→COMPLETED over --samples, against --latency-slo-s; each sample split
 * into what the deployment reports (inference, queue), the suite's own waits on 429s, and the rest.
 */
import { FULL, type Check } from '../check.ts';
import type { CheckContext, LatencySample } from '../context.ts';
import type { Exchange } from '../http.ts';
import { runToEnd } from '../flows.ts';
import { ensure, expectStatus } from '../outcome.ts';

/** Nearest-rank percentile of sorted seconds. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A number the deployment reported, in seconds, or 0. */
const seconds = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : Number(v) >= 0 ? Number(v) : 0;

/**
 * Splits one sample's time: inference and queue time as the deployment reports them (`x-inference-time` on v1,
 * `metrics` on v2: the last report wins), 429 waits as the suite spent them, the rest is everything else.
 */
export function splitSample(totalS: number, exchanges: readonly Exchange[]): LatencySample {
  let inferenceS = 0;
  let queueS = 0;
  let waitS = 0;
  for (const ex of exchanges) {
    waitS += (ex.throttledMs ?? 0) / 1000;
    if (ex.headers['x-inference-time'] !== undefined) inferenceS = seconds(ex.headers['x-inference-time']);
    const metrics = (ex.json as { metrics?: { inference_time?: unknown; queue_time?: unknown } } | undefined)?.metrics;
    if (metrics?.inference_time !== undefined) inferenceS = seconds(metrics.inference_time);
    if (metrics?.queue_time !== undefined) queueS = seconds(metrics.queue_time);
  }
  // Reported figures come from another clock: never let them make the rest negative.
  const reported = Math.min(totalS - waitS, inferenceS + queueS);
  const scale = inferenceS + queueS > 0 ? Math.max(0, reported) / (inferenceS + queueS) : 0;
  return {
    totalS,
    inferenceS: inferenceS * scale,
    queueS: queueS * scale,
    waitS,
    restS: Math.max(0, totalS - waitS - reported),
  };
}

async function measure(ctx: CheckContext, what: string, once: () => Promise<void>): Promise<string> {
  const samples: LatencySample[] = [];
  for (let i = 0; i < ctx.options.samples; i++) {
    ctx.progress(`${what}: sample ${i + 1} of ${ctx.options.samples}`);
    const from = ctx.http.exchanges.length;
    const t0 = performance.now();
    await once();
    samples.push(splitSample((performance.now() - t0) / 1000, ctx.http.exchanges.slice(from)));
  }
  const times = samples.map((s) => s.totalS).sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(times, p)) as [number, number, number];
  ctx.details.latency = { sloS: ctx.options.latencySloS, samples, p50, p95, p99 };
  const sum = (k: keyof LatencySample) => samples.reduce((a, s) => a + s[k], 0) / samples.length;
  const split = `mean split: inference ${sum('inferenceS').toFixed(3)} s, queue ${sum('queueS').toFixed(3)} s, 429 waits ${sum('waitS').toFixed(3)} s, rest ${sum('restS').toFixed(3)} s`;
  const figures = `p50 ${p50.toFixed(3)} s, p95 ${p95.toFixed(3)} s, p99 ${p99.toFixed(3)} s over ${times.length} samples (SLO ${ctx.options.latencySloS} s at p95); ${split}`;
  ensure(p95 <= ctx.options.latencySloS, `${what}: ${figures}`);
  return figures;
}

export const latencyChecks: Check[] = [
  {
    id: 'LATENCY-V1',
    level: 'SHOULD',
    clause: 'LATENCY',
    profiles: FULL,
    sentence: 'The p95 of sync removals of the disc fixture SHOULD be within --latency-slo-s (p50/p95/p99 reported).',
    run: (ctx) =>
      measure(ctx, 'v1 latency', async () => {
        expectStatus(
          await ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64 } }),
          200,
          'v1 sample',
        );
      }),
  },
  {
    id: 'LATENCY-V2',
    level: 'SHOULD',
    clause: 'LATENCY',
    profiles: FULL,
    sentence:
      'The p95 of v2 submit→COMPLETED of the disc fixture SHOULD be within --latency-slo-s (p50/p95/p99 reported).',
    run: (ctx) =>
      measure(ctx, 'v2 latency', async () => {
        const { terminal } = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
        ensure(terminal.state === 'COMPLETED', 'a v2 sample did not complete', terminal.final);
      }),
  },
];
