/** The one options table: parseArgs, `--help` and the run's defaults agree because they all read it. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkOptionTable, defaultOf, usage, type CliOption } from './cli-options.ts';
import { checkCommand } from './cli.ts';
import { DEFAULTS } from './defaults.ts';
import { resolveOptions } from './runner.ts';

describe('the options table', () => {
  it.each(Object.entries(checkOptionTable) as [string, CliOption][])(
    '--%s is in the usage text, with its default',
    (name, o) => {
      const text = usage();
      expect(text).toContain(`--${name}`);
      const d = defaultOf(o);
      if (d !== undefined) expect(text).toMatch(new RegExp(`--${name} .*\\(default ${d.replace('.', '\\.')}\\)`));
    },
  );

  it('gives the run the defaults the help text shows', () => {
    const run = resolveOptions({ baseUrl: 'http://x', apiKey: 'k' });
    for (const o of Object.values(checkOptionTable) as CliOption[])
      if (o.default) expect(String(run[o.default])).toBe(defaultOf(o));
    expect(run).toMatchObject(DEFAULTS);
  });

  it('`bgr check --help` prints it', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    expect(await checkCommand(['--help'], out, new PassThrough())).toBe(0);
    expect(text).toBe(usage());
  });
});
