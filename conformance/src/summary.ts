/** The Markdown summary of a run (`--summary FILE`), short enough for a CI job summary: verdicts, failures, coverage, latency. */
import type { Report } from './report.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

export function toMarkdown(report: Report): string {
  const s = report.summary;
  const failed = report.results.filter((r) => r.outcome === 'fail');
  const latency = report.results.filter((r) => r.latency);
  return [
    `## bgr check: ${report.ok ? '✅ CONFORMANT' : '❌ NOT CONFORMANT'}`,
    '',
    `\`${report.baseUrl}\`, profile \`${report.profile}\`: ${s.pass} passed, ${s.fail} failed (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD), ${s.skip} skipped; ${(report.durationMs / 1000).toFixed(1)} s.`,
    '',
    '| Layer | Verdict |',
    '|---|---|',
    `| core | ${report.core} |`,
    ...report.capabilities.map((c) => `| \`${c.extension}\` | ${c.verdict}${c.required ? ' (required)' : ''} |`),
    '',
    ...(failed.length
      ? [
          '### Failed checks',
          '',
          '| Check | Level | Layer | Why |',
          '|---|---|---|---|',
          ...failed.map((r) => `| \`${r.id}\` | ${r.level} | ${r.layer} | ${cell(r.reason).slice(0, 300)} |`),
          '',
        ]
      : []),
    ...(latency.length
      ? [
          '### Latency',
          '',
          '| Check | p50 | p95 | p99 | SLO |',
          '|---|---|---|---|---|',
          ...latency.map(
            (r) =>
              `| \`${r.id}\` | ${r.latency!.p50.toFixed(3)} s | ${r.latency!.p95.toFixed(3)} s | ${r.latency!.p99.toFixed(3)} s | ${r.latency!.sloS} s |`,
          ),
          '',
        ]
      : []),
    `Coverage: **${report.coverage.percent} %** of the contract's operation × status cells that apply (${report.coverage.observed} of ${report.coverage.applicable}).`,
    '',
  ].join('\n');
}
