/** Human output: one line per check (outcome, level, ID, reason), the capability table (core and each extension) and a closing summary. */
import type { CheckResult, Report } from './report.ts';
import type { Reproduction } from './repro.ts';

const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export function formatResult(r: CheckResult): string {
  const head = `${mark[r.outcome]}  ${r.level.padEnd(6)} ${r.id.padEnd(32)} ${String(r.durationMs).padStart(6)} ms`;
  return r.reason ? `${head}  ${r.reason.replace(/\s+/g, ' ')}` : head;
}

/** The commands that replay a failed check's exchanges, each distinct command once (repeated polls are one), in order of last use. */
export function formatReproduction(repro: Reproduction[]): string {
  const last = new Map<string, number>();
  repro.forEach((r, i) => last.set(r.curl, i));
  const distinct = repro.filter((r, i) => last.get(r.curl) === i);
  const lines = distinct.map((r) => `      # ${r.request} (exchange ${r.seq})\n      ${r.curl}`);
  return `    reproduce (API keys from $BGR_API_KEY and the like):\n${lines.join('\n')}\n`;
}

/** The capability table: the core's verdict, then one row per extension with its verdict and its checks' outcomes. */
export function formatCapabilities(report: Report): string {
  const rows = report.capabilities.map((c) => {
    const counts = ['pass', 'fail', 'skip']
      .map((o) => [o, c.checks.filter((k) => k.outcome === o).length] as const)
      .filter(([, n]) => n > 0);
    const checks = c.checks.length ? counts.map(([o, n]) => `${n} ${o}`).join(', ') : '—';
    const verdict = `${c.verdict}${c.required ? ' (required)' : ''}`;
    return `  ${c.extension.padEnd(16)} ${verdict.padEnd(34)} ${checks.padEnd(22)} ${c.evidence.replace(/\s+/g, ' ').slice(0, 160)}`;
  });
  return [
    `core: ${report.core}`,
    `  ${'extension'.padEnd(16)} ${'verdict'.padEnd(34)} ${'checks'.padEnd(22)} evidence`,
    ...rows,
  ].join('\n');
}

export function formatSummary(report: Report): string {
  const s = report.summary;
  const failedRequired = report.capabilities
    .filter((c) => c.required && !c.verdict.startsWith('offered'))
    .map((c) => c.extension);
  const failedExt = report.capabilities.filter((c) => c.verdict === 'offered, NOT conformant').map((c) => c.extension);
  const why = [
    ...(report.core === 'NOT CONFORMANT' ? ['a core MUST check failed'] : []),
    ...(failedExt.length ? [`offered extension(s) not conformant: ${failedExt.join(', ')}`] : []),
    ...(failedRequired.length ? [`required extension(s) not offered: ${failedRequired.join(', ')}`] : []),
  ];
  const verdict = report.ok
    ? 'CONFORMANT: the core and every offered extension passed every MUST check'
    : `NOT CONFORMANT: ${why.join('; ')}`;
  return `\n${formatCapabilities(report)}\n\n${s.pass} passed, ${s.fail} failed (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD), ${s.skip} skipped (${s.notOffered} of an extension not offered) in ${(report.durationMs / 1000).toFixed(1)} s against ${report.baseUrl} (profile ${report.profile})\n${verdict}\n`;
}
