/** Generates `generated/` from openapi.yaml: types (openapi-typescript), named aliases, the error, clause and extension tables. */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { parse } from 'yaml';

// Paths below are relative to the spec package, which owns the contract and what is generated from it.
const root = new URL('../spec/', import.meta.url);
const specUrl = new URL('openapi.yaml', root);
const banner = '// Generated from openapi.yaml by `npm run generate`. Do not edit by hand.\n';

interface Spec {
  components: { schemas: Record<string, unknown> };
  'x-bgr-errors': { code: string; status: number; message: string }[];
  'x-bgr-clauses': { id: string; level: 'MUST' | 'SHOULD' | 'MAY'; extension?: string; text: string }[];
  'x-bgr-extensions': { name: string; summary: string; detected: string }[];
}

/** Every generated file's path (relative to the package root) and its expected content. */
export async function renderGenerated(): Promise<Record<string, string>> {
  const spec = parse(await readFile(specUrl, 'utf8')) as Spec;
  const schema = banner + astToString(await openapiTS(specUrl));
  const aliases = Object.keys(spec.components.schemas)
    .map((name) => `export type ${name} = components['schemas']['${name}'];`)
    .join('\n');
  const index = `${banner}import type { components } from './schema.d.ts';\n\nexport type { paths, components, operations, webhooks } from './schema.d.ts';\n${aliases}\n`;
  const errors = `${banner}/** The error table (x-bgr-errors): stable code, HTTP status, default message. */\nexport const errorTable = ${JSON.stringify(spec['x-bgr-errors'], null, 2)} as const;\n`;
  const clauses = `${banner}/** The normative clauses (x-bgr-clauses) that the conformance suite cites. */\nexport const clauses = ${JSON.stringify(spec['x-bgr-clauses'], null, 2)} as const;\n\nexport type ClauseId = (typeof clauses)[number]['id'];\n`;
  const extensions = `${banner}/** The named extensions (x-bgr-extensions) beyond the core API; a clause with an \`extension\` applies only where it is offered. */\nexport const extensions = ${JSON.stringify(spec['x-bgr-extensions'], null, 2)} as const;\n\nexport type ExtensionName = (typeof extensions)[number]['name'];\n`;
  return {
    'generated/values.ts': values(spec.components.schemas),
    'generated/schema.d.ts': schema,
    'generated/index.ts': index,
    'generated/errors.ts': errors,
    'generated/clauses.ts': clauses,
    'generated/extensions.ts': extensions,
  };
}

/**
 * The runtime values of the contract's scalar schemas (enum, pattern, default, format), so that servers and
 * tools read them from the contract instead of copying them by hand.
 */
function values(schemas: Record<string, unknown>): string {
  const picked: Record<string, Record<string, unknown>> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const s = schema as Record<string, unknown>;
    if (s.type === 'object' || s.type === 'array' || s.type === undefined) continue;
    const kept = Object.fromEntries(
      ['type', 'enum', 'pattern', 'default', 'format'].filter((k) => k in s).map((k) => [k, s[k]]),
    );
    if ('enum' in kept || 'pattern' in kept || 'default' in kept) picked[name] = kept;
  }
  return `${banner}/** The contract's scalar schemas at run time: enums, patterns and defaults (components/schemas). */\nexport const schemaValues = ${JSON.stringify(picked, null, 2)} as const;\n`;
}

/** Files whose committed content differs from what the spec generates now. */
export async function staleGenerated(): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, want] of Object.entries(await renderGenerated())) {
    const have = await readFile(new URL(path, root), 'utf8').catch(() => '');
    if (have !== want) stale.push(path);
  }
  return stale;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = await staleGenerated();
    if (stale.length) {
      console.error(`stale generated files (run npm run generate): ${stale.join(', ')}`);
      process.exit(1);
    }
  } else {
    for (const [path, text] of Object.entries(await renderGenerated())) await writeFile(new URL(path, root), text);
  }
}
