/**
 * A short chaos run inside `npm test` (fixed seed): real fake-engine nodes (2 API, 2 workers) on a Redis primary +
 * replica, a seeded workload and fault schedule, and the checker over the whole history. `npm run chaos` is the long run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatVerdict } from '../testing/chaos/checker.ts';
import { runChaos } from '../testing/chaos/run.ts';

describe('chaos (short, seed 7)', () => {
  it('every invariant holds over 25 s of load with 5 faults of different kinds', async () => {
    const lines: string[] = [];
    const outDir = mkdtempSync(join(tmpdir(), 'bgr-chaos-test-'));
    const result = await runChaos({
      seed: 7,
      durationMs: 25_000,
      faults: 5,
      clients: 4,
      thinkMs: 60,
      retentionS: 3600,
      outDir,
      log: (s) => lines.push(s),
    });
    const table = formatVerdict(result.verdict);
    console.log(`${lines.join('\n')}\n${result.acknowledged} acknowledged\n${table}`);
    expect(new Set(result.faults.filter((f) => f.fault !== 'stall').map((f) => f.fault)).size).toBeGreaterThanOrEqual(
      4,
    );
    expect(result.acknowledged).toBeGreaterThan(100);
    expect(result.verdict.ok, table).toBe(true);
    rmSync(outDir, { recursive: true, force: true }); // kept when it fails: history.jsonl and the node logs
  }, 150_000);
});
