/** Generates docs/conformance.md from the registry and the fault table (`npm run docs:conformance`; a test fails when stale). */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { clauses } from '@bgr/spec/clauses';
import { faults } from '../testing/faults.ts';
import { notChecked, profiles, registry } from './registry.ts';

export const docPath = new URL('../../docs/conformance.md', import.meta.url);

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderDocs(): string {
  const killers = (id: string) => Object.entries(faults).filter(([, f]) => f.kills.includes(id)).map(([name]) => `\`${name}\``);
  const lines = [
    '<!-- Generated from conformance/src/registry.ts and conformance/testing/faults.ts by `npm run docs:conformance`. Do not edit by hand. -->',
    '# Conformance checks',
    '',
    '`bgr check --base-url URL --api-key KEY [--second-api-key KEY] [--profile mock|core|full|slow] [--retention-s 3600]',
    '[--latency-slo-s 1.67] [--samples N] [--only ID…] [--junit FILE] [--json FILE]` runs these checks against a deployment',
    'and exits 0 when every MUST check passes (or is skipped), 1 when one fails, 2 for usage or connection errors.',
    'SHOULD and MAY failures are reported but do not change the exit code. See `conformance/README.md`.',
    '',
    'Profiles: `mock` checks only what a stateless mock (Prism) can satisfy; `core` the whole contract without',
    'waiting; `full` adds cancel, idempotency, rate limiting, latency and — when `--retention-s` is at most 30 s —',
    'the real expiry path; `slow` always waits out the declared retention.',
    '',
    `## Checks (${registry.length})`,
    '',
    '| ID | Level | Clause | Profiles | Requirement |',
    '|---|---|---|---|---|',
    ...registry.map((c) => `| \`${c.id}\` | ${c.level} | \`${c.clause}\` | ${profiles.filter((p) => c.profiles.includes(p)).join(', ')} | ${cell(c.sentence)} |`),
    '',
    '## Clauses',
    '',
    '| Clause | Level | Checks |',
    '|---|---|---|',
    ...clauses.map((cl) => {
      const ids = registry.filter((c) => c.clause === cl.id).map((c) => `\`${c.id}\``);
      const gap = Object.entries(notChecked).filter(([k]) => k.split(' ')[0] === cl.id).map(([k, why]) => `not checked${k.includes(' ') ? ` ${k.slice(k.indexOf(' ') + 1)}` : ''}: ${why}`);
      return `| \`${cl.id}\` | ${cl.level} | ${cell([...ids, ...gap].join(', ') || '—')} |`;
    }),
    '',
    '## Faulty deployments',
    '',
    'The tests run the suite against `conformance/testing/good-server.ts` with one fault switched on at a time; each',
    'must be caught by the checks listed. Every MUST check is killed by at least one fault (a test enforces it).',
    '',
    '| Fault | Breaks | Killed checks |',
    '|---|---|---|',
    ...Object.entries(faults).map(([name, f]) => `| \`${name}\` | ${cell(f.breaks)} | ${f.kills.map((k) => `\`${k}\``).join(', ')} |`),
    '',
    '## Which faults kill each MUST check',
    '',
    '| Check | Killed by |',
    '|---|---|',
    ...registry.filter((c) => c.level === 'MUST').map((c) => `| \`${c.id}\` | ${killers(c.id).join(', ') || '**none**'} |`),
    '',
  ];
  return lines.join('\n');
}

/** True when docs/conformance.md matches what the registry generates now. */
export async function docsAreFresh(): Promise<boolean> {
  return (await readFile(docPath, 'utf8').catch(() => '')) === renderDocs();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(new URL('.', docPath), { recursive: true });
  await writeFile(docPath, renderDocs());
}
