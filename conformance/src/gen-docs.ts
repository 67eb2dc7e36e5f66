/** Generates docs/conformance.md from the registry and the fault table, and the guide's generated blocks (`npm run docs:conformance`; a test fails when stale). */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { clauses } from '@bgr/spec/clauses';
import { extensions } from '@bgr/spec/extensions';
import { faults } from '../testing/faults.ts';
import { usage } from './cli-options.ts';
import { guidePath, renderGuide } from './gen-guide.ts';
import { needsInput, notChecked, profiles, registry } from './registry.ts';

export const docPath = new URL('../../docs/conformance.md', import.meta.url);

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderDocs(): string {
  const killers = (id: string) =>
    Object.entries(faults)
      .filter(([, f]) => f.kills.includes(id))
      .map(([name]) => `\`${name}\``);
  const layerOf = (id: string) => registry.find((c) => c.id === id)?.extension ?? 'core';
  const faultLayer = (kills: string[]) => [...new Set(kills.map(layerOf))].join(', ');
  const clauseLayer = (cl: (typeof clauses)[number]) => ('extension' in cl ? `\`${cl.extension}\`` : 'core');
  const lines = [
    '<!-- Generated from conformance/src/registry.ts and conformance/testing/faults.ts by `npm run docs:conformance`. Do not edit by hand. -->',
    '# Conformance checks',
    '',
    '```',
    usage().trimEnd(),
    '```',
    '',
    '`bgr check` runs these checks against a deployment and reports a verdict per layer: `core: CONFORMANT | NOT CONFORMANT`, and for each extension',
    '`offered, conformant`, `offered, NOT conformant`, `not offered` or `not checked`. It exits 0 when the core and every',
    'offered extension pass every MUST check (and every `--require-extension` is offered), 1 otherwise, 2 for usage or',
    'connection errors. SHOULD and MAY failures are reported but do not change the exit code. A check of an extension',
    'the deployment does not offer is skipped as "not offered", never failed. See `conformance/README.md` and the guide',
    '"Implementing this API".',
    '',
    'Profiles: `mock` checks only what a stateless mock (Prism) can satisfy; `core` the whole contract without',
    'waiting; `full` adds cancel, idempotency, rate limiting, latency and — when `--retention-s` is at most 30 s —',
    'the real expiry path; `slow` always waits out the declared retention.',
    '',
    '## Layers',
    '',
    'The **core** is what the production service does; every other behaviour of the contract is a named **extension**,',
    'detected from what the deployment does.',
    '',
    '| Layer | What it is | Offered when | Checks |',
    '|---|---|---|---|',
    `| core | The production service's API (see the contract's description). | always | ${registry.filter((c) => !c.extension).length} |`,
    ...extensions.map(
      (e) =>
        `| \`${e.name}\` | ${cell(e.summary)} | ${cell(e.detected)} | ${
          registry
            .filter((c) => c.extension === e.name)
            .map((c) => `\`${c.id}\``)
            .join(', ') || '—'
        } |`,
    ),
    '',
    `## Checks (${registry.length})`,
    '',
    '| ID | Level | Layer | Clause | Profiles | Requirement |',
    '|---|---|---|---|---|---|',
    ...registry.map(
      (c) =>
        `| \`${c.id}\` | ${c.level} | ${c.extension ? `\`${c.extension}\`` : 'core'} | \`${c.clause}\` | ${profiles.filter((p) => c.profiles.includes(p)).join(', ')} | ${cell(c.sentence)}${needsInput[c.id] ? ` (needs ${needsInput[c.id]})` : ''} |`,
    ),
    '',
    '## Clauses',
    '',
    '| Clause | Level | Layer | Checks |',
    '|---|---|---|---|',
    ...clauses.map((cl) => {
      const ids = registry.filter((c) => c.clause === cl.id).map((c) => `\`${c.id}\``);
      const gap = Object.entries(notChecked)
        .filter(([k]) => k.split(' ')[0] === cl.id)
        .map(([k, why]) => `not checked${k.includes(' ') ? ` ${k.slice(k.indexOf(' ') + 1)}` : ''}: ${why}`);
      return `| \`${cl.id}\` | ${cl.level} | ${clauseLayer(cl)} | ${cell([...ids, ...gap].join(', ') || '—')} |`;
    }),
    '',
    '## Faulty deployments',
    '',
    'The tests run the suite against `conformance/testing/good-server.ts` with one fault switched on at a time, in two',
    'shapes: with every extension (as the reference), and production-shaped (the core alone). Each fault must be caught by',
    'the checks listed; on the production-shaped server the checks of an extension must report it "not offered" instead.',
    'Every MUST check, core or extension, is killed by at least one fault (a test enforces it).',
    '',
    '| Fault | Layer | Breaks | Killed checks |',
    '|---|---|---|---|',
    ...Object.entries(faults).map(
      ([name, f]) =>
        `| \`${name}\` | ${faultLayer(f.kills)} | ${cell(f.breaks)} | ${f.kills.map((k) => `\`${k}\``).join(', ')} |`,
    ),
    '',
    '## Which faults kill each MUST check',
    '',
    '| Check | Layer | Killed by |',
    '|---|---|---|',
    ...registry
      .filter((c) => c.level === 'MUST')
      .map((c) => `| \`${c.id}\` | ${c.extension ?? 'core'} | ${killers(c.id).join(', ') || '**none**'} |`),
    '',
  ];
  return lines.join('\n');
}

/** True when docs/conformance.md and the guide's generated blocks match what the registry generates now. */
export async function docsAreFresh(): Promise<boolean> {
  const guide = await readFile(guidePath, 'utf8').catch(() => '');
  return (
    (await readFile(docPath, 'utf8').catch(() => '')) === renderDocs() && guide !== '' && renderGuide(guide) === guide
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(new URL('.', docPath), { recursive: true });
  await writeFile(docPath, renderDocs());
  await writeFile(guidePath, renderGuide(await readFile(guidePath, 'utf8')));
}
