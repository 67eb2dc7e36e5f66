/** The HTML report: one self-contained file (inline CSS, SVG and data-URI images, nothing fetched) showing the verdicts, every check and its evidence, latency and coverage. */
import type { Coverage } from './coverage.ts';
import type { ImageEvidence } from './evidence.ts';
import { latencyChart } from './latency-chart.ts';
import type { CheckResult, Report } from './report.ts';

export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const css = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
.ok{color:#1b7a32;font-weight:600}.bad{color:#c62828;font-weight:600}.muted{color:#777}
.pass{background:#e8f5e9}.fail{background:#ffebee}.skip{background:#f4f4f4}
.verdict{font-size:18px;padding:8px 12px;border-radius:6px;display:inline-block;margin:8px 0}
.verdict.ok{background:#e8f5e9}.verdict.bad{background:#ffebee}
details{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:4px 10px}details.fail{border-color:#e57373}
summary{cursor:pointer}code,pre{font:12px/1.4 ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:6px}
.images{display:flex;flex-wrap:wrap;gap:12px}.images figure{margin:0}.images img{max-width:240px;max-height:240px;display:block}
.checker{background-color:#fff;background-image:linear-gradient(45deg,#ccc 25%,transparent 25%),linear-gradient(-45deg,#ccc 25%,transparent 25%),linear-gradient(45deg,transparent 75%,#ccc 75%),linear-gradient(-45deg,transparent 75%,#ccc 75%);background-size:16px 16px;background-position:0 0,0 8px,8px -8px,-8px 0}
.overlay{position:relative}.overlay img+img{position:absolute;left:0;top:0}
.cov td{text-align:center}.cov .obs{background:#c8e6c9}.cov .miss{background:#ffcdd2}.cov .na{background:#eee;color:#999}
.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
`;

function images(list: ImageEvidence[]): string {
  const fig = (caption: string, body: string) => `<figure>${body}<figcaption>${esc(caption)}</figcaption></figure>`;
  return list
    .map(
      (e) => `<div class="images">
${e.input ? fig('input', `<img src="${e.input}" alt="input">`) : ''}
${fig(`output (${e.label}, exchange ${e.seq})`, `<div class="checker"><img src="${e.output}" alt="output"></div>`)}
${e.expectedMask ? fig('expected alpha', `<img src="${e.expectedMask}" alt="expected mask">`) : ''}
${e.diff ? fig(`diff: red kept, blue lost${e.iou !== undefined ? ` (IoU ${e.iou.toFixed(3)})` : ''}`, `<div class="overlay checker"><img src="${e.output}" alt="output under diff"><img src="${e.diff}" alt="diff overlay"></div>`) : ''}
</div>`,
    )
    .join('\n');
}

function check(r: CheckResult, evidence: ImageEvidence[]): string {
  return `<details class="${r.outcome}" id="${esc(r.id)}"${r.outcome === 'fail' ? ' open' : ''}>
<summary><b class="${r.outcome === 'fail' ? 'bad' : r.outcome === 'pass' ? 'ok' : 'muted'}">${r.outcome.toUpperCase()}</b> ${esc(r.level)} <code>${esc(r.id)}</code> <span class="muted">${esc(r.layer)} · clause ${esc(r.clause)} · ${r.durationMs} ms</span></summary>
<p>${esc(r.sentence)}</p>
${r.reason ? `<p><b>Outcome:</b> ${esc(r.reason)}</p>` : ''}
${r.latency ? latencyChart(r.latency, `${r.id} latency`) : ''}
${images(evidence)}
${r.exchanges.length ? `<p><b>Exchanges</b></p><ol>${r.exchanges.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ol>` : ''}
${r.reproduce?.length ? `<p><b>Reproduce</b> (keys from <code>$BGR_API_KEY</code> and the like)</p><pre>${r.reproduce.map((x) => esc(x.curl)).join('\n\n')}</pre>` : ''}
</details>`;
}

function coverageMatrix(c: Coverage): string {
  const name = (cell: Coverage['cells'][number]) => (cell.variant ? `${cell.status} ${cell.variant}` : cell.status);
  const columns = [...new Set(c.cells.map(name))].sort();
  const ops = [...new Set(c.cells.map((x) => x.operationId))];
  const rows = ops.map((op) => {
    const own = c.cells.filter((x) => x.operationId === op);
    const tds = columns.map((col) => {
      const cell = own.find((x) => name(x) === col);
      if (!cell) return '<td></td>';
      const [cls, mark] = !cell.applicable ? ['na', '–'] : cell.observed ? ['obs', '✓'] : ['miss', '·'];
      return `<td class="${cls}" title="${esc(`${cell.method} ${cell.path} ${col} (${cell.layer})`)}">${mark}</td>`;
    });
    return `<tr><th><code>${esc(`${own[0]!.method} ${own[0]!.path}`)}</code></th>${tds.join('')}</tr>`;
  });
  return `<p>${c.percent} % of the cells that apply observed (${c.observed} of ${c.applicable}; ${c.declared} declared). ✓ observed, · not observed, – of an extension not offered.</p>
<table class="cov"><tr><th>operation</th>${columns.map((col) => `<th>${esc(col)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

/** The whole report as one HTML document. `evidence`: image evidence per check ID. */
export function toHtml(report: Report, evidence: ReadonlyMap<string, ImageEvidence[]> = new Map()): string {
  const s = report.summary;
  const caps = report.capabilities.map(
    (c) =>
      `<tr><td><code>${esc(c.extension)}</code></td><td class="${c.verdict === 'offered, NOT conformant' || (c.required && !c.verdict.startsWith('offered')) ? 'bad' : c.verdict.startsWith('offered') ? 'ok' : 'muted'}">${esc(c.verdict)}${c.required ? ' (required)' : ''}</td><td>${c.checks.map((k) => `<a href="#${esc(k.id)}" class="${k.outcome === 'fail' ? 'bad' : ''}">${esc(k.id)}</a>`).join(' ')}</td><td class="muted">${esc(c.evidence)}</td></tr>`,
  );
  const latency = report.results.filter((r) => r.latency);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>bgr check: ${esc(report.baseUrl)}</title><style>${css}</style></head><body>
<h1>Conformance report</h1>
<p class="muted">${esc(report.baseUrl)} · profile ${esc(report.profile)} · ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · ${esc(report.provenance.suite.name)}@${esc(report.provenance.suite.version)} · contract sha256 ${esc(report.provenance.contract.sha256.slice(0, 12))}…</p>
<div class="verdict ${report.ok ? 'ok' : 'bad'}">${report.ok ? 'CONFORMANT' : 'NOT CONFORMANT'}</div>
<p>${s.pass} passed, ${s.fail} failed (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD), ${s.skip} skipped (${s.notOffered} of an extension not offered).</p>
<h2>Verdict per layer</h2>
<table><tr><th>layer</th><th>verdict</th><th>checks</th><th>evidence</th></tr>
<tr><td>core</td><td class="${report.core === 'CONFORMANT' ? 'ok' : 'bad'}">${report.core}</td><td>${report.results.filter((r) => r.layer === 'core').length} checks</td><td></td></tr>
${caps.join('\n')}</table>
${latency.length ? `<h2>Latency</h2>${latency.map((r) => `<h3><code>${esc(r.id)}</code> <span class="muted">p50 ${r.latency!.p50.toFixed(3)} s, p95 ${r.latency!.p95.toFixed(3)} s, p99 ${r.latency!.p99.toFixed(3)} s, SLO ${r.latency!.sloS} s</span></h3>${latencyChart(r.latency!, `${r.id} latency`)}`).join('\n')}` : ''}
<h2>Coverage of the contract</h2>
${coverageMatrix(report.coverage)}
<h2>Checks</h2>
${report.results.map((r) => check(r, evidence.get(r.id) ?? [])).join('\n')}
</body></html>
`;
}
