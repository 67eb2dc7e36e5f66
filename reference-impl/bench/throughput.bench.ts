/** Throughput bench (issue 12 item 4): images/s of the engine with 2 and 4 concurrent clients, 1 worker × 2 threads vs 2 workers × 1 thread. */
import { createEngine, defaultEngineConfig } from '../src/engine/index.ts';
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

/**
 * Each client sends `perClient` images back to back (cycling through the photos); the wall time of all of
 * them counts. Each layout runs twice, in A B B A order, with a fresh engine each time.
 */
export async function runThroughputBench(
  options: { perClient?: number; precision?: 'fp32' | 'int8'; log?: (s: string) => void } = {},
): Promise<ThroughputReport> {
  const perClient = options.perClient ?? 2;
  const precision = options.precision ?? 'fp32';
  const log = options.log ?? (() => {});
  const { source, images } = await benchImages();
  const cells: ThroughputCell[] = [];
  for (const layout of SCHEDULE) {
    const engine = createEngine({ ...defaultEngineConfig(), ...layout, precision });
    const t0 = performance.now();
    await engine.ready();
    const readyMs = performance.now() - t0;
    try {
      await engine.removeBackground(images[0]!.data, { method: 'object', format: 'png', maskOnly: false });
      for (const clients of CLIENTS) {
        const t = performance.now();
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            for (let k = 0; k < perClient; k++) {
              const img = images[(c + k * clients) % images.length]!;
              await engine.removeBackground(img.data, { method: 'object', format: 'png', maskOnly: false });
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
        };
        cells.push(cell);
        log(`throughput ${cell.layout} ${clients} clients: ${cell.perSecond.toFixed(3)} images/s`);
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
    m.perSecond = m.images / m.seconds;
  }
  return { source, precision, cells: [...merged.values()] };
}

export function formatThroughputBench(r: ThroughputReport): string {
  const lines = [`throughput — ${r.source}, ${r.precision}, engine only (decode → encode), workers × intra-op threads`];
  for (const clients of CLIENTS) {
    const row = r.cells.filter((c) => c.clients === clients);
    lines.push(
      `  ${clients} clients: ${row.map((c) => `${c.layout} ${c.perSecond.toFixed(3)} img/s`).join(', ')}${row.length === 2 ? ` (2×1 / 1×2 = ${(row[1]!.perSecond / row[0]!.perSecond).toFixed(2)})` : ''}`,
    );
  }
  return lines.join('\n');
}
