/** Writes the server's settings table (from reference-impl/src/process/settings.ts) into docs/deploy.md, between its markers; `--check` fails on drift. */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { settingsMarkdown } from '../reference-impl/src/process/config.ts';

export const DOC = new URL('../docs/deploy.md', import.meta.url);
const START = '<!-- settings: generated from reference-impl/src/process/settings.ts by `npm run docs:settings` -->';
const END = '<!-- /settings -->';

/** The document with the table between the markers as the settings make it now. */
export function withSettings(doc: string): string {
  const i = doc.indexOf(START);
  const j = doc.indexOf(END);
  if (i < 0 || j < i) throw new Error(`docs/deploy.md lacks the settings markers (${START} … ${END})`);
  return `${doc.slice(0, i + START.length)}\n${settingsMarkdown()}\n${doc.slice(j)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const doc = await readFile(DOC, 'utf8');
  const next = withSettings(doc);
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error('docs/deploy.md: the settings table is stale (run npm run docs:settings)');
      process.exit(1);
    }
  } else {
    await writeFile(DOC, next);
  }
}
