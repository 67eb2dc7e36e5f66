/** The formatter's rule: every tracked code file is as Prettier writes it (`npm run format` fixes it). */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const code = /\.(ts|mts|js|mjs)$/;
const ignorePath = `${root}.prettierignore`;

async function unformatted(files: string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const file of files) {
    const path = `${root}${file}`;
    if ((await prettier.getFileInfo(path, { ignorePath })).ignored) continue;
    const options = { ...(await prettier.resolveConfig(path)), filepath: path };
    if (!(await prettier.check(await readFile(path, 'utf8'), options))) bad.push(file);
  }
  return bad;
}

describe('Prettier', () => {
  it('finds every tracked code file formatted', async () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => code.test(f));
    expect(files.length).toBeGreaterThan(100);
    expect(await unformatted(files), 'run `npm run format`').toEqual([]);
  }, 60_000);

  it('would refuse a file that is not formatted', async () => {
    const options = { ...(await prettier.resolveConfig(`${root}scripts/format.test.ts`)), filepath: 'x.ts' };
    expect(await prettier.check('const  a = {b:1}\n', options)).toBe(false);
    expect(await prettier.check('const a = { b: 1 };\n', options)).toBe(true);
  });
});
