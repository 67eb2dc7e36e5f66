/** The declared-imports scan on tiny built packages: what it flags and what it lets through. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageOf, specifiersOf, undeclaredImports } from './packaging-imports.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A dist/ folder holding `files` (path → source). */
async function dist(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bgr-imports-'));
  dirs.push(dir);
  for (const [path, source] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  return dir;
}

describe('packageOf', () => {
  it.each([
    ['standardwebhooks', 'standardwebhooks'],
    ['@bgr/spec/extensions', '@bgr/spec'],
    ['yaml/util', 'yaml'],
    ['node:fs', undefined],
    ['fs/promises', undefined],
    ['./check.js', undefined],
    ['../x.js', undefined],
    ['/abs/x.js', undefined],
    ['data:text/javascript,1', undefined],
  ])('%s → %s', (specifier, pkg) => expect(packageOf(specifier)).toBe(pkg));
});

describe('the scan of a built package', () => {
  const manifest = { name: '@bgr/conformance', dependencies: { '@bgr/spec': '0.1.0', sharp: '^0.35.5' } };

  it('finds static, re-exported, dynamic and required specifiers', async () => {
    const source = `import a from 'a'; export { b } from "b"; const c = await import('c'); import 'd';
      const require = createRequire(import.meta.url); require.resolve('e/package.json'); require('f'); import(variable);`;
    expect((await specifiersOf(source)).sort()).toEqual(['a', 'b', 'c', 'd', 'e/package.json', 'f']);
  });

  it('flags an import of a package the manifest does not declare (the webhook library case)', async () => {
    const dir = await dist({
      'index.js': "import { x } from './checks/webhook.js';\nexport { x };\n",
      'checks/webhook.js':
        "import { Webhook } from 'standardwebhooks';\nimport sharp from 'sharp';\nexport const x = [Webhook, sharp];\n",
    });
    expect(await undeclaredImports(dir, manifest)).toEqual([
      { file: 'checks/webhook.js', specifier: 'standardwebhooks', pkg: 'standardwebhooks' },
    ]);
  });

  it('passes builtins, relative files, self-references and every kind of declared dependency', async () => {
    const dir = await dist({
      'a.js':
        "import 'node:fs'; import 'fs/promises'; import './b.js'; import '@bgr/conformance/package.json'; import '@bgr/spec/contract';",
      'b.mjs': "import 'sharp'; import 'opt'; import 'peer/sub';",
      'types.d.ts': "import 'not-scanned';",
    });
    const m = { ...manifest, optionalDependencies: { opt: '1' }, peerDependencies: { peer: '1' } };
    expect(await undeclaredImports(dir, m)).toEqual([]);
  });

  it('lets a reviewed workspace-only import through only in its own package and file', async () => {
    const dir = await dist({
      'engine/worker-entry.mjs': "await import('tsx/esm/api');",
      'other.js': "await import('tsx/esm/api');",
    });
    expect(await undeclaredImports(dir, { name: '@bgr/reference' })).toEqual([
      { file: 'other.js', specifier: 'tsx/esm/api', pkg: 'tsx' },
    ]);
    expect(await undeclaredImports(dir, { name: '@bgr/client' })).toHaveLength(2);
  });
});
