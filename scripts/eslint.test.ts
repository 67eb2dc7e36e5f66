/** `npm test` runs ESLint on the workspace (eslint.config.js): clean, and the dependency rule really refuses an undeclared package. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

describe('ESLint', () => {
  it('finds nothing in the workspace', async () => {
    const results = await eslint.lintFiles(['.']);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(root.length)}:${m.line} ${m.ruleId ?? ''} ${m.message}`),
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['client/client.ts', "import sharp from 'sharp';", true], // sharp is not the client's dependency
    ['client/client.test.ts', "import sharp from 'sharp';", false], // tests may use the root's devDependencies
    ['reference-impl/src/http/x.ts', "import sharp from 'sharp';", false],
    ['conformance/src/x.ts', "import Redis from 'ioredis';", true],
  ])('%s: %s → refused: %s', async (filePath, code, refused) => {
    const [result] = await eslint.lintText(`${code}\nexport const x = ${code.split(' ')[1]};\n`, {
      filePath: `${root}${filePath}`,
    });
    const rules = result!.messages.map((m) => m.ruleId);
    expect(rules.includes('import-x/no-extraneous-dependencies')).toBe(refused);
  });
});
