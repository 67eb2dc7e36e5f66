/** A vitest reporter that prints the slowest test files at the end of a run (what to look at when `npm test` grows). */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export interface FileTime {
  file: string;
  ms: number;
  state: string;
}

/** The `n` slowest files as aligned lines: seconds, share of the summed file time, path, and the state unless passed. */
export function slowestLines(times: FileTime[], n: number): string[] {
  const total = times.reduce((s, t) => s + t.ms, 0) || 1;
  return [...times]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
    .map(
      (t) =>
        `${(t.ms / 1000).toFixed(1).padStart(7)} s ${((100 * t.ms) / total).toFixed(0).padStart(3)} %  ${t.file}${t.state === 'passed' ? '' : ` (${t.state})`}`,
    );
}

/** A file's own time: import, setup and every test and hook in it (files run in parallel, so these overlap). */
function timeOf(m: TestModule, root: string): FileTime {
  const d = m.diagnostic();
  return {
    file: relative(root, m.moduleId),
    ms: d.prepareDuration + d.setupDuration + d.collectDuration + d.duration,
    state: m.state(),
  };
}

export default class SlowestFiles implements Reporter {
  private root = process.cwd();
  private readonly count: number;
  /** vitest passes the reporter's options from the config (`['./scripts/slowest-files.ts', { count: 20 }]`). */
  constructor(options: { count?: number } = {}) {
    this.count = options.count ?? 12;
  }

  onInit(ctx: { config: { root: string } }): void {
    this.root = ctx.config.root;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (modules.length < 2) return;
    const lines = slowestLines(
      modules.map((m) => timeOf(m, this.root)),
      this.count,
    );
    process.stdout.write(`\nSlowest test files (time in the file; files run in parallel):\n${lines.join('\n')}\n`);
  }
}
