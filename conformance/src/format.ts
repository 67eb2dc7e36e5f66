/** Human output: one line per check (outcome, level, ID, reason) and a closing summary. */
import type { CheckResult, Report } from './report.ts';

const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export function formatResult(r: CheckResult): string {
  const head = `${mark[r.outcome]}  ${r.level.padEnd(6)} ${r.id.padEnd(32)} ${String(r.durationMs).padStart(6)} ms`;
  return r.reason ? `${head}  ${r.reason.replace(/\s+/g, ' ')}` : head;
}

export function formatSummary(report: Report): string {
  const s = report.summary;
  const verdict = report.ok ? 'CONFORMANT: every MUST check passed or was skipped' : `NOT CONFORMANT: ${s.mustFailed} MUST check(s) failed`;
  return `\n${s.pass} passed, ${s.fail} failed (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD), ${s.skip} skipped in ${(report.durationMs / 1000).toFixed(1)} s against ${report.baseUrl} (profile ${report.profile})\n${verdict}\n`;
}
