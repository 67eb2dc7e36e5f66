/**
 * Overload bench (issue 13 item 4): bursts beyond admission control against a server in its own process.
 * 50 concurrent v1 requests, 300 concurrent v2 submits, 16 concurrent 50 MP images; reports statuses (429s,
 * 5xx — must be 0), latency, p99 `/healthz` probed every 20 ms during each burst, and the server's peak RSS
 * (VmHWM from /proc). FakeEngine (500 ms per image, real decoder) by default; `--real`: `bgr serve` with the model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { fmt, summarize, type Summary } from './stats.ts';

const KEY = 'bench_overload_key';
const root = fileURLToPath(new URL('../../', import.meta.url));

export interface BurstReport {
  name: string;
  requests: number;
  byStatus: Record<string, number>;
  http429: number;
  http5xx: number;
  latencyMs: Summary;
  healthzMs: Summary;
  rssAfterMB: number;
}

export interface OverloadReport {
  engine: string;
  settings: Record<string, string>;
  baselineRssMB: number;
  peakRssMB: number;
  bursts: BurstReport[];
}

/** Current and peak resident set of a process (Linux /proc), in MB. */
function rssOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

async function startChild(real: boolean, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const args = real ? ['bin/bgr.mjs', 'serve'] : ['--import', 'tsx', 'reference-impl/bench/overload-server.ts'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, BGR_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.resume();
  for (let i = 0; i < 1200 && !/listening on (\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /listening on (\S+)/.exec(out)?.[1];
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`the overload server did not start: ${out}`);
  }
  if (real) {
    for (let i = 0; i < 600; i++) {
      if (
        await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { child, url };
}

/** Sends `n` requests at once while probing /healthz every 20 ms. */
async function burst(
  name: string,
  url: string,
  pid: number,
  n: number,
  send: () => Promise<Response>,
): Promise<BurstReport> {
  const healthz: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      await fetch(`${url}/healthz`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      healthz.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const byStatus: Record<string, number> = {};
  const latency: number[] = [];
  await Promise.all(
    Array.from({ length: n }, async () => {
      const t = performance.now();
      let key: string;
      try {
        const res = await send();
        const body = Buffer.from(await res.arrayBuffer());
        const code = res.status >= 400 ? (JSON.parse(body.toString()) as { code?: string }).code : undefined;
        key = code ? `${res.status} ${code}` : String(res.status);
      } catch (e) {
        key = `network error (${(e as Error).message})`;
      }
      latency.push(performance.now() - t);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
    }),
  );
  probing = false;
  await probe;
  const count = (p: (s: number) => boolean) =>
    Object.entries(byStatus)
      .filter(([k]) => p(Number(k.split(' ')[0])))
      .reduce((a, [, v]) => a + v, 0);
  return {
    name,
    requests: n,
    byStatus,
    http429: count((s) => s === 429),
    http5xx: count((s) => s >= 500 || Number.isNaN(s)),
    latencyMs: summarize(latency),
    healthzMs: summarize(healthz),
    rssAfterMB: rssOf(pid).rssMB,
  };
}

/** A smooth synthetic photo-like JPEG of width × height (small on the wire, full size when decoded). */
async function jpegOf(width: number, height: number): Promise<Buffer> {
  const base = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#4a7' } })
    .composite([
      { input: Buffer.from('<svg width="64" height="64"><circle cx="32" cy="32" r="20" fill="#c33"/></svg>') },
    ])
    .png()
    .toBuffer();
  return sharp(base).resize(width, height, { kernel: 'cubic' }).jpeg({ quality: 80 }).toBuffer();
}

export async function runOverloadBench(
  opts: { real?: boolean; log?: (s: string) => void } = {},
): Promise<OverloadReport> {
  const log = opts.log ?? (() => {});
  const settings: Record<string, string> = {
    BGR_API_KEYS: KEY,
    BGR_RATE_LIMIT: '100000/min',
    PORT: '0',
    HOST: '127.0.0.1',
  };
  const { child, url } = await startChild(opts.real ?? false, settings);
  const pid = child.pid!;
  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
  try {
    const baselineRssMB = rssOf(pid).rssMB;
    const small = JSON.stringify({ image: (await jpegOf(1024, 768)).toString('base64') });
    const side = Math.floor(Math.sqrt(50e6));
    log(`making a ${side}×${side} JPEG`);
    const huge = JSON.stringify({ image: (await jpegOf(side, side)).toString('base64') });
    const bursts: BurstReport[] = [];
    log('50 concurrent v1');
    bursts.push(
      await burst('50 concurrent v1 (1024×768)', url, pid, 50, () =>
        fetch(`${url}/v1/bg-removal`, { method: 'POST', headers, body: small }),
      ),
    );
    log('300 concurrent v2 submits');
    const accepted: string[] = [];
    bursts.push(
      await burst('300 concurrent v2 submits', url, pid, 300, async () => {
        const res = await fetch(`${url}/v2/bg-removal`, { method: 'POST', headers, body: small });
        if (res.status !== 200) return res;
        const body = await res.text();
        accepted.push((JSON.parse(body) as { request_id: string }).request_id);
        return new Response(body, { status: 200 });
      }),
    );
    // Let the accepted v2 jobs drain, so the big images meet an idle node.
    log(`waiting for ${accepted.length} accepted v2 requests to end`);
    for (const id of accepted) {
      for (let i = 0; i < 1200; i++) {
        const res = await fetch(`${url}/v2/requests/${id}/status`, { headers });
        const status =
          res.status === 200 ? ((await res.json()) as { status: string }).status : (await res.arrayBuffer(), 'ENDED');
        if (status === 'COMPLETED' || status === 'ENDED') break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    log(`16 concurrent ${side}×${side} v1`);
    bursts.push(
      await burst(`16 concurrent v1 of ${side}×${side} (${(huge.length / 1e6).toFixed(1)} MB JSON)`, url, pid, 16, () =>
        fetch(`${url}/v1/bg-removal`, { method: 'POST', headers, body: huge }),
      ),
    );
    const { peakMB } = rssOf(pid);
    return {
      engine: opts.real ? 'real model (bgr serve)' : 'FakeEngine (500 ms per image, real decoder)',
      settings: {
        BGR_MAX_IN_FLIGHT: process.env.BGR_MAX_IN_FLIGHT ?? '4×workers (default)',
        BGR_PIXEL_BUDGET: process.env.BGR_PIXEL_BUDGET ?? '512MiB (default)',
      },
      baselineRssMB,
      peakRssMB: peakMB,
      bursts,
    };
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await new Promise((r) => child.once('exit', r));
    clearTimeout(t);
  }
}

export function formatOverloadBench(r: OverloadReport): string {
  const lines = [
    `overload — ${r.engine}; ${Object.entries(r.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  ];
  lines.push(`  server RSS: ${fmt(r.baselineRssMB)} MB at start, peak ${fmt(r.peakRssMB)} MB`);
  for (const b of r.bursts) {
    lines.push(
      `  ${b.name}: ${Object.entries(b.byStatus)
        .map(([k, v]) => `${v}× ${k}`)
        .join(', ')}`,
    );
    lines.push(
      `    429s ${b.http429}, 5xx ${b.http5xx}; latency p50 ${fmt(b.latencyMs.p50)} / p99 ${fmt(b.latencyMs.p99)} / max ${fmt(b.latencyMs.max)} ms; /healthz p99 ${fmt(b.healthzMs.p99)} ms (n=${b.healthzMs.n}); RSS after ${fmt(b.rssAfterMB)} MB`,
    );
  }
  return lines.join('\n');
}
