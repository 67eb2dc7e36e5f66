/** The settings table of docs/deploy.md and `bgr serve --help` are the settings rows, so they cannot drift from loadConfig. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configHelp, loadConfig, settings } from '../reference-impl/src/process/config.ts';
import { DOC, withSettings } from './settings-doc.ts';

describe('one source per setting', () => {
  it('docs/deploy.md holds the table the settings make (npm run docs:settings rewrites it)', async () => {
    const doc = await readFile(DOC, 'utf8');
    expect(withSettings(doc) === doc, 'docs/deploy.md: the settings table is stale (run npm run docs:settings)').toBe(
      true,
    );
  });

  it('--help lists every setting with its flag, variable and default', () => {
    const help = configHelp();
    for (const s of settings)
      expect(help).toContain(`${s.flag.padEnd(24)} ${s.env.padEnd(24)} ${s.doc} [${s.def || 'unset'}]`);
  });

  it.each(settings.filter((s) => s.def && !('computed' in s)).map((s) => [s.env, s] as const))(
    '%s: its documented default is what loadConfig reads',
    (_env, s) => {
      const unset = loadConfig({}, []);
      const given = loadConfig({ [s.env]: s.def }, []);
      expect(given[s.key]).toEqual(unset[s.key]);
    },
  );
});
