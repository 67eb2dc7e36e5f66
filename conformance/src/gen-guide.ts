/** Fills the generated blocks of the guide "Implementing this API" from the registry and the contract (`npm run docs:conformance`). */
import { extensions } from '@bgr/spec/extensions';
import { checkOptionTable, defaultOf, type CliOption } from './cli-options.ts';
import { needsInput, registry, type Check } from './registry.ts';

export const guidePath = new URL('../../docs/guides/07-implementing-this-api.md', import.meta.url);

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function checkRows(checks: Check[]): string[] {
  return [
    '| Check | Level | Profiles | What it sends and expects |',
    '|---|---|---|---|',
    ...checks.map(
      (c) =>
        `| \`${c.id}\` | ${c.level} | ${c.profiles.join(', ')} | ${cell(c.sentence)}${needsInput[c.id] ? ` *Needs ${needsInput[c.id]}.*` : ''} |`,
    ),
  ];
}

/** The content of each generated block, by name. */
export function guideBlocks(): Record<string, string> {
  return {
    'core-checks': checkRows(registry.filter((c) => !c.extension)).join('\n'),
    extensions: extensions
      .map((e) => {
        const own = registry.filter((c) => c.extension === e.name);
        return [
          `### \`${e.name}\``,
          '',
          `${e.summary} *Detected:* ${e.detected}`,
          '',
          ...(own.length ? checkRows(own) : ['No check: the suite reports it "not checked".']),
        ].join('\n');
      })
      .join('\n\n'),
    options: [
      '| Option | Value | What it does |',
      '|---|---|---|',
      ...(Object.entries(checkOptionTable) as [string, CliOption][]).map(([name, o]) => {
        const d = defaultOf(o);
        const value =
          o.type === 'boolean'
            ? 'flag'
            : `\`${o.value ?? 'VALUE'}\`${o.multiple ? ', repeatable' : ''}${o.required ? ', required' : ''}${d === undefined ? '' : ` (default \`${d}\`)`}`;
        return `| \`--${name}\` | ${cell(value)} | ${cell(o.help)} |`;
      }),
    ].join('\n'),
  };
}

/** Replaces every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block of the guide with its current content. */
export function renderGuide(text: string): string {
  const blocks = guideBlocks();
  return text.replace(
    /(<!-- generated:([a-z-]+) -->)[\s\S]*?(<!-- \/generated:\2 -->)/g,
    (whole, open: string, name: string, close: string) =>
      name in blocks ? `${open}\n${blocks[name]}\n${close}` : whole,
  );
}
