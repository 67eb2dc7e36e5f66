/** Latency: p50/p95/p99 of v1 and of v2 submit→COMPLETED over --samples, against --latency-slo-s. */
import { FULL, type Check } from '../check.ts';
import type { CheckContext } from '../context.ts';
import { runToEnd } from '../flows.ts';
import { ensure, expectStatus } from '../outcome.ts';

/** Nearest-rank percentile of sorted seconds. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function measure(ctx: CheckContext, what: string, once: () => Promise<void>): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < ctx.options.samples; i++) {
    ctx.progress(`${what}: sample ${i + 1} of ${ctx.options.samples}`);
    const t0 = performance.now();
    await once();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(times, p)) as [number, number, number];
  const figures = `p50 ${p50.toFixed(3)} s, p95 ${p95.toFixed(3)} s, p99 ${p99.toFixed(3)} s over ${times.length} samples (SLO ${ctx.options.latencySloS} s at p95)`;
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
    run: (ctx) => measure(ctx, 'v1 latency', async () => {
      expectStatus(await ctx.http.post('/v1/bg-removal', { json: { image: ctx.fixtures.disc.base64 } }), 200, 'v1 sample');
    }),
  },
  {
    id: 'LATENCY-V2',
    level: 'SHOULD',
    clause: 'LATENCY',
    profiles: FULL,
    sentence: 'The p95 of v2 submit→COMPLETED of the disc fixture SHOULD be within --latency-slo-s (p50/p95/p99 reported).',
    run: (ctx) => measure(ctx, 'v2 latency', async () => {
      const { terminal } = await runToEnd(ctx, { image: ctx.fixtures.disc.base64 });
      ensure(terminal.state === 'COMPLETED', 'a v2 sample did not complete', terminal.final);
    }),
  },
];
