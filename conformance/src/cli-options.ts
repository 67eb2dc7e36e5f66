/** The options of `bgr check`, in one table: parseArgs, `--help`, the docs and the run's defaults all read it. */
import { extensions } from '@bgr/spec/extensions';
import { DEFAULTS } from './defaults.ts';
import { profiles } from './registry.ts';

export interface CliOption {
  type: 'string' | 'boolean';
  /** The value's placeholder in the usage text (string options). */
  value?: string;
  multiple?: true;
  short?: string;
  /** Where the default lives: a key of DEFAULTS (so the run and the help text cannot disagree). */
  default?: keyof typeof DEFAULTS;
  required?: true;
  help: string;
}

/** Every option, in the order the usage text lists them. */
export const checkOptionTable = {
  'base-url': { type: 'string', value: 'URL', required: true, help: 'the deployment (its API root)' },
  'api-key': {
    type: 'string',
    value: 'KEY',
    required: true,
    help: 'a key with v1 and v2 scope (never written to a report)',
  },
  'second-api-key': { type: 'string', value: 'KEY', help: "another account's key: enables AUTH-ISOLATION-404" },
  profile: { type: 'string', value: profiles.join('|'), default: 'profile', help: 'which checks run' },
  'retention-s': { type: 'string', value: 'S', default: 'retentionS', help: 'the retention the deployment declares' },
  'latency-slo-s': {
    type: 'string',
    value: 'S',
    default: 'latencySloS',
    help: 'the p95 latency the deployment promises',
  },
  samples: { type: 'string', value: 'N', default: 'samples', help: 'samples per latency check' },
  fuzz: {
    type: 'string',
    value: 'N',
    help: 'also check the fuzz properties, with N generated cases each (the fuzz profile: default)',
    default: 'fuzzRuns',
  },
  seed: {
    type: 'string',
    value: 'N',
    help: 'the seed of generated cases (printed by every fuzz check; the same seed, the same cases)',
  },
  only: { type: 'string', value: 'ID…', multiple: true, help: 'run only these checks (comma- or space-separated)' },
  'require-extension': {
    type: 'string',
    value: 'NAME,…',
    multiple: true,
    help: `fail unless offered: ${extensions.map((e) => e.name).join(', ')}`,
  },
  'scoped-key': { type: 'string', value: 'KEY', help: 'a key without the v2 scope: enables AUTH-SCOPE-403' },
  'low-credit-key': { type: 'string', value: 'KEY', help: 'a key with one credit left: enables CREDITS-406' },
  'webhook-listen': {
    type: 'string',
    value: 'HOST:PORT',
    help: 'where the suite receives webhooks: enables WEBHOOK-SIGNED',
  },
  'webhook-secret': { type: 'string', value: 'whsec_…', help: 'the Standard Webhooks secret that signs deliveries' },
  'min-coverage': {
    type: 'string',
    value: 'PCT',
    help: 'fail the run when it observes less of the contract than this (see the coverage block)',
  },
  junit: { type: 'string', value: 'FILE', help: 'write a JUnit XML report' },
  json: { type: 'string', value: 'FILE', help: 'write the JSON report (request bodies of reproductions beside it)' },
  html: { type: 'string', value: 'FILE', help: 'write a self-contained HTML report (images, latency chart, coverage)' },
  summary: { type: 'string', value: 'FILE', help: 'write a Markdown summary (for a CI job summary)' },
  har: { type: 'string', value: 'FILE', help: 'write every exchange of the run as HAR 1.2 (keys redacted)' },
  'repro-dir': {
    type: 'string',
    value: 'DIR',
    help: "where reproductions' request bodies go (default: bgr-repro beside --json, else ./bgr-repro)",
  },
  attestation: { type: 'string', value: 'FILE', help: 'write an in-toto test-result attestation of the run' },
  quiet: { type: 'boolean', help: 'no progress lines' },
  help: { type: 'boolean', short: 'h', help: 'print this text' },
} as const satisfies Record<string, CliOption>;

export type CheckOptionName = keyof typeof checkOptionTable;

type Table = typeof checkOptionTable;
/** The table as node:util parseArgs takes it (typed per option, so parsed values are `string`, `string[]` or `boolean`). */
export const parseArgsOptions = Object.fromEntries(
  Object.entries(checkOptionTable).map(([name, o]: [string, CliOption]) => [
    name,
    { type: o.type, multiple: o.multiple === true, ...(o.short ? { short: o.short } : {}) },
  ]),
) as {
  [K in CheckOptionName]: {
    type: Table[K]['type'];
    multiple: Table[K] extends { multiple: true } ? true : false;
    short?: string;
  };
};

/** The default of an option as the user would type it, or undefined. */
export function defaultOf(o: CliOption): string | undefined {
  return o.default === undefined ? undefined : String(DEFAULTS[o.default]);
}

/** `--name VALUE` (or `[--name VALUE]`) for the usage synopsis. */
function synopsis(name: string, o: CliOption): string {
  const flag = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.required ? flag : `[${flag}]`;
}

/** The usage text: a synopsis, then one line per option with its default. */
export function usage(): string {
  const entries = Object.entries(checkOptionTable) as [string, CliOption][];
  const lines: string[] = [];
  let line = 'usage: bgr check';
  for (const [name, o] of entries) {
    const part = synopsis(name, o);
    if (line.length + part.length > 110) {
      lines.push(line);
      line = '                ';
    }
    line += ` ${part}`;
  }
  lines.push(line, '', 'options:');
  for (const [name, o] of entries) {
    const d = defaultOf(o);
    lines.push(
      `  ${`--${name}${o.short ? `, -${o.short}` : ''}`.padEnd(22)} ${o.help}${d === undefined ? '' : ` (default ${d})`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
