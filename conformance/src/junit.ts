/** JUnit XML for CI: one testcase per check (classname names its layer); the verdict per layer as properties; failures and skips carry the reason and the exchanges. */
import type { Report } from './report.ts';

const esc = (s: string) =>
  s
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 forbids most control characters, which a response body summary may contain.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function toJUnit(report: Report): string {
  const { summary } = report;
  const cases = report.results.map((r) => {
    const open = `    <testcase classname="bgr.conformance.${r.layer}.${r.level}" name="${esc(r.id)}" time="${(r.durationMs / 1000).toFixed(3)}">`;
    const body =
      r.outcome === 'fail'
        ? `\n      <failure type="${r.level}" message="${esc(r.reason)}">${esc([r.sentence, r.reason, ...r.exchanges].join('\n'))}</failure>\n    `
        : r.outcome === 'skip'
          ? `\n      <skipped message="${esc(r.reason)}"/>\n    `
          : '';
    return `${open}${body}</testcase>`;
  });
  const properties = [
    `      <property name="core" value="${report.core}"/>`,
    ...report.capabilities.map(
      (c) =>
        `      <property name="extension.${esc(c.extension)}" value="${esc(c.verdict)}${c.required ? ' (required)' : ''}"/>`,
    ),
    `      <property name="contract.sha256" value="${report.provenance.contract.sha256}"/>`,
    `      <property name="suite.version" value="${esc(report.provenance.suite.version)}"/>`,
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bgr check" tests="${report.results.length}" failures="${summary.fail}" skipped="${summary.skip}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="bgr-conformance (${esc(report.profile)}) ${esc(report.baseUrl)}" tests="${report.results.length}" failures="${summary.fail}" skipped="${summary.skip}" timestamp="${report.startedAt}">`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
