/** The latency chart of the HTML report: one stacked bar per sample (inference, queue, 429 waits, rest), the percentiles and the SLO, as inline SVG. */
import type { LatencyDetails, LatencySample } from './context.ts';

export const parts: { key: keyof LatencySample; label: string; colour: string }[] = [
  { key: 'inferenceS', label: 'inference (reported)', colour: '#3b7dd8' },
  { key: 'queueS', label: 'queue (reported)', colour: '#8e6bd8' },
  { key: 'waitS', label: '429 waits (the suite)', colour: '#e0a030' },
  { key: 'restS', label: 'rest (network, polling, encoding)', colour: '#9aa5b1' },
];

const W = 640;
const H = 220;
const pad = { left: 48, right: 110, top: 12, bottom: 28 };

export function latencyChart(d: LatencyDetails, title: string): string {
  const slowest = Math.max(0, ...d.samples.map((s) => s.totalS));
  // An SLO far above every sample would flatten the bars: then it is named at the top instead of drawn.
  const sloOff = d.sloS > slowest * 3;
  const max = (sloOff ? slowest : Math.max(d.sloS, slowest)) * 1.12 || 1;
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const y = (s: number) => pad.top + plotH - (s / max) * plotH;
  const slot = plotW / Math.max(1, d.samples.length);
  const bars = d.samples.map((s, i) => {
    let top = s.totalS;
    const x = pad.left + i * slot + slot * 0.15;
    return parts
      .map((p) => {
        const h = (s[p.key] / max) * plotH;
        top -= s[p.key];
        return h > 0
          ? `<rect x="${x.toFixed(1)}" y="${y(top + s[p.key]).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${p.colour}"><title>sample ${i + 1}: ${p.label} ${s[p.key].toFixed(3)} s of ${s.totalS.toFixed(3)} s</title></rect>`
          : '';
      })
      .join('');
  });
  // Labels of close lines are pushed apart so they stay readable.
  const lines = [
    [d.p99, 'p99', '#777', '1 2'],
    [d.p95, 'p95', '#000', '6 3'],
    [d.p50, 'p50', '#444', '2 3'],
    ...(sloOff ? [] : [[d.sloS, 'SLO', '#c62828', '']]),
  ] as [number, string, string, string][];
  lines.sort((a, b) => b[0] - a[0]);
  let lastLabel = -Infinity;
  const drawn = lines.map(([v, label, colour, dash]) => {
    const ly = Math.max(y(v) + 4, lastLabel + 12);
    lastLabel = ly;
    return `<line x1="${pad.left}" x2="${W - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${colour}" stroke-dasharray="${dash}"/><text x="${W - pad.right + 4}" y="${ly.toFixed(1)}" font-size="11" fill="${colour}">${label} ${v.toFixed(3)} s</text>`;
  });
  const offNote = sloOff
    ? `<text x="${W - pad.right + 4}" y="${pad.top + 8}" font-size="11" fill="#c62828">SLO ${d.sloS} s ↑</text>`
    : '';
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${pad.left - 6}" y="${(y(f * max) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#555">${(f * max).toFixed(max < 0.1 ? 3 : 2)}</text>`,
  );
  return `<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${title}">
<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>
${ticks.join('')}${bars.join('')}
${drawn.join('')}${offNote}
<text x="${pad.left}" y="${H - 8}" font-size="11" fill="#555">samples 1–${d.samples.length} (seconds)</text>
</svg><figcaption>${parts.map((p) => `<span class="key" style="background:${p.colour}"></span>${p.label}`).join(' ')}</figcaption></figure>`;
}
