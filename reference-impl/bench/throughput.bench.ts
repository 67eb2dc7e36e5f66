/** Throughput bench (issue 12 item 4): images/s of the engine with 2 and 4 concurrent clients, 1 worker × 2 threads vs 2 workers × 1 thread, and what the non-model work adds under load. */
import { createEngine, defaultEngineConfig } from '../src/engine/index.ts';
import { DEFAULT_PRECISION, type Precision } from '../src/engine/graph/precision.ts';
import type { RemoveOptions } from '../src/engine/types.ts';
import { precision as parsePrecision } from '../src/process/parsers.ts';
import { benchImages } from './images.ts';

export interface ThroughputCell {
  layout: string;
  workers: number;
  threads: number;
  clients: number;
  images: number;
  seconds: number;
  perSecond: number;
  readyMs: number;
  /** The same images' model time alone (each run once, one at a time, before the clients), over the workers. */
  modelSeconds: number;
}
export interface ThroughputReport {
  source: string;
  precision: string;
  cells: ThroughputCell[];
}

const ONE_BY_TWO = { workers: 1, threads: 2 };
const TWO_BY_ONE = { workers: 2, threads: 1 };
/** A B B A: a load that drifts during the run (shared machines) hits both layouts alike. */
const SCHEDULE = [ONE_BY_TWO, TWO_BY_ONE, TWO_BY_ONE, ONE_BY_TWO];
const CLIENTS = [2, 4];
/** Every call: a v1 default request. */
const REQUEST: RemoveOptions = { method: 'object', format: 'png', maskOnly: false };

/**
 * Each client sends `perClient` images back to back (cycling through the photos); the wall time of all of
 * them counts. Each layout runs twice, in A B B A order, with a fresh engine each time.
 */
export async function runThroughputBench(
  options: { perClient?: number; precision?: Precision; log?: (s: string) => void } = {},
): Promise<ThroughputReport> {
  const perClient = options.perClient ?? 2;
  const precision = options.precision ?? parsePrecision(process.env.BGR_PRECISION || DEFAULT_PRECISION);
  const log = options.log ?? (() => {});
  const { source, images } = await benchImages();
  const cells: ThroughputCell[] = [];
  for (const layout of SCHEDULE) {
    const engine = createEngine({ ...defaultEngineConfig(), ...layout, precision });
    const t0 = performance.now();
    await engine.ready();
    const readyMs = performance.now() - t0;
    try {
      await engine.removeBackground(images[0]!.data, REQUEST);
      // Each image's model time with nothing else running: what the clients' wall time is compared with, so
      // that the non-model work that did not overlap inference shows (contention included).
      const modelMs: number[] = [];
      for (const img of images) {
        const { timings } = await engine.removeBackground(img.data, REQUEST);
        modelMs.push(timings.infer);
      }
      for (const clients of CLIENTS) {
        let modelTotal = 0;
        const t = performance.now();
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            for (let k = 0; k < perClient; k++) {
              const i = (c + k * clients) % images.length;
              modelTotal += modelMs[i]!;
              const img = images[i]!;
              await engine.removeBackground(img.data, REQUEST);
            }
          }),
        );
        const seconds = (performance.now() - t) / 1000;
        const cell = {
          layout: `${layout.workers}×${layout.threads}`,
          ...layout,
          clients,
          images: clients * perClient,
          seconds,
          perSecond: (clients * perClient) / seconds,
          readyMs,
          modelSeconds: modelTotal / 1000 / layout.workers,
        };
        cells.push(cell);
        log(
          `throughput ${cell.layout} ${clients} clients: ${cell.perSecond.toFixed(3)} images/s (${overPct(cell)} over the model alone)`,
        );
      }
    } finally {
      await engine.close();
    }
  }
  // One cell per layout and client count: the two passes summed.
  const merged = new Map<string, ThroughputCell>();
  for (const c of cells) {
    const key = `${c.layout}/${c.clients}`;
    const m = merged.get(key);
    if (!m) {
      merged.set(key, { ...c });
      continue;
    }
    m.images += c.images;
    m.seconds += c.seconds;
    m.modelSeconds += c.modelSeconds;
    m.perSecond = m.images / m.seconds;
  }
  return { source, precision, cells: [...merged.values()] };
}

/** How much longer the clients took than the model alone would have: the non-model work left un-overlapped. */
const overPct = (c: ThroughputCell) => {
  const pct = (c.seconds / c.modelSeconds - 1) * 100;
  return `${pct < 0 ? '−' : '+'}${Math.abs(pct).toFixed(1)} %`;
};

export function formatThroughputBench(r: ThroughputReport): string {
  const lines = [
    `throughput — ${r.source}, ${r.precision}, engine only (decode → encode), workers × intra-op threads; in brackets the wall time over the same images' model time alone`,
  ];
  for (const clients of CLIENTS) {
    const row = r.cells.filter((c) => c.clients === clients);
    lines.push(
      `  ${clients} clients: ${row.map((c) => `${c.layout} ${c.perSecond.toFixed(3)} img/s (${overPct(c)})`).join(', ')}${row.length === 2 ? ` (2×1 / 1×2 = ${(row[1]!.perSecond / row[0]!.perSecond).toFixed(2)})` : ''}`,
    );
  }
  return lines.join('\n');
}
