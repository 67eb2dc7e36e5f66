/**
 * The packaging check: builds and packs every publishable workspace package, installs each tarball alone into its
 * own empty project as a user would (npm registry as the only other source; the @bgr packages it depends on from
 * their tarballs, as they are not on the registry), and measures what each one costs installed.
 * Run standalone with `npx tsx scripts/packaging.ts` (prints the sizes); `packaging.test.ts` asserts on it.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The published packages, in build order (a package's dependencies first). */
export const PACKAGES = ['@bgr/spec', '@bgr/client', '@bgr/conformance', '@bgr/mock', '@bgr/reference'] as const;
export type PackageName = (typeof PACKAGES)[number];

/**
 * Install scripts in the installed tree, reviewed one by one. `true`: runs, and does not download (it only checks
 * for a prebuilt binary that the registry already delivered). `false`: would download from outside the npm
 * registry, so it must never run. npm 11 runs unreviewed dependency scripts with a notice, so a consumer denies it
 * in their own `allowScripts`, as the reference README's install lines do (or sets ONNXRUNTIME_NODE_INSTALL=skip
 * with any npm). Any other package with an install script fails the install here (`--strict-allow-scripts`),
 * so a new dependency that downloads cannot slip in unreviewed.
 */
export const REVIEWED_SCRIPTS: Record<string, boolean> = {
  sharp: true, // install/check.js: verifies @img/sharp-<platform>; builds from source only when asked to
  protobufjs: true, // scripts/postinstall.js: a version check of its bundled CLI, no network
  'msgpackr-extract': true, // node-gyp-build-optional-packages: loads the prebuilt @msgpackr-extract/<platform>
  'onnxruntime-node': false, // script/install.js: fetches CUDA providers from NuGet on linux-x64
};

/** Environment for commands run as a user would: without the repository's `bgr-source` condition. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  // Not the workspace's npm settings (its .npmrc skips the onnxruntime download): a consumer has none of them.
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return env;
}

async function sh(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<string> {
  const { stdout } = await run(cmd, args, { maxBuffer: 64 << 20, encoding: 'utf8', ...opts });
  return String(stdout);
}

export interface Packed {
  name: PackageName;
  tarball: string;
  files: string[];
  manifest: PackageJson;
}
export interface PackageJson {
  name: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  types?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Builds every package (tsc into dist/) and packs each into `outDir`. */
export async function buildAndPack(outDir: string): Promise<Packed[]> {
  await sh('npm', ['run', 'build', '--silent'], { cwd: ROOT, env: userEnv() });
  const json = await sh(
    'npm',
    ['pack', '--json', '--pack-destination', outDir, ...PACKAGES.flatMap((p) => ['-w', p])],
    {
      cwd: ROOT,
      env: userEnv(),
    },
  );
  const packs = JSON.parse(json) as { name: PackageName; filename: string; files: { path: string }[] }[];
  return Promise.all(
    packs.map(async (p) => {
      const manifest = JSON.parse(await readFile(join(ROOT, folderOf(p.name), 'package.json'), 'utf8')) as PackageJson;
      return { name: p.name, tarball: join(outDir, p.filename), files: p.files.map((f) => f.path), manifest };
    }),
  );
}

/** The tarball's files that an export target names (a `*` pattern may name several), as the stars' values. */
function matches(p: Packed, target: string): string[] {
  const [before, after = ''] = target.replace(/^\.\//, '').split('*');
  if (!target.includes('*')) return p.files.includes(before!) ? [''] : [];
  return p.files
    .filter((f) => f.startsWith(before!) && f.endsWith(after) && f.length > before!.length + after.length)
    .map((f) => f.slice(before!.length, f.length - after.length));
}

/** Every module specifier a user can import from the package (`*` subpaths expanded over the built files). */
export function importable(p: Packed): string[] {
  return Object.entries(p.manifest.exports ?? {}).flatMap(([subpath, entry]) => {
    const target = typeof entry === 'string' ? entry : (entry.default ?? entry.import);
    if (!target || !/\.[mc]?js$/.test(target)) return []; // data files (openapi.yaml, package.json)
    return matches(p, target).map((star) => `${p.name}${subpath.slice(1).replace('*', star)}`);
  });
}

/** What a packed manifest promises but its tarball lacks, or serves as TypeScript to plain Node. */
export function manifestProblems(p: Packed): string[] {
  const problems: string[] = [];
  const has = (target: string) => matches(p, target).length > 0;
  const targets: [string, string][] = [];
  for (const [subpath, entry] of Object.entries(p.manifest.exports ?? {})) {
    if (typeof entry === 'string') targets.push([subpath, entry]);
    // `bgr-source` is the repository's own condition (the TypeScript sources); no user sets it.
    else
      for (const [condition, target] of Object.entries(entry))
        if (condition !== 'bgr-source') targets.push([`${subpath} (${condition})`, target]);
  }
  if (p.manifest.types) targets.push(['types', p.manifest.types]);
  for (const [name, bin] of Object.entries(p.manifest.bin ?? {})) targets.push([`bin ${name}`, bin]);
  for (const [where, target] of targets) {
    if (!has(target)) problems.push(`${p.name}: ${where} → ${target} is not in the tarball (check "files")`);
    if (/(?<!\.d)\.[mc]?ts$/.test(target))
      problems.push(`${p.name}: ${where} → ${target} is TypeScript: plain Node cannot load it`);
  }
  return problems;
}

/** The folder of a workspace package. */
export const folderOf = (name: PackageName) =>
  name === '@bgr/reference' ? 'reference-impl' : name.slice('@bgr/'.length);

/**
 * What installing `name` alone takes from disk: its tarball and those of the @bgr packages it depends on
 * (transitively); nothing else, so no sibling's dependency can stand in for one it forgot to declare.
 */
export function alone(packs: Packed[], name: PackageName): Packed[] {
  const byName = new Map(packs.map((p) => [p.name as string, p]));
  const out: Packed[] = [];
  const visit = (n: string) => {
    const p = byName.get(n);
    if (!p || out.includes(p)) return;
    out.push(p);
    for (const dep of Object.keys(p.manifest.dependencies ?? {})) visit(dep);
  };
  visit(name);
  return out;
}

/** An empty project with the tarballs installed from disk; everything else comes from the npm registry. */
export async function installTarballs(
  packs: Pick<Packed, 'tarball'>[],
  dir: string,
): Promise<{ dir: string; log: string }> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'bgr-consumer', private: true, type: 'module', allowScripts: REVIEWED_SCRIPTS }, null, 2)}\n`,
  );
  // --strict-allow-scripts: an unreviewed install script fails the install instead of being skipped quietly.
  // --foreground-scripts: the scripts that do run print here, so a download attempt shows in the log.
  const { stdout, stderr } = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--strict-allow-scripts',
      '--foreground-scripts',
      ...packs.map((p) => p.tarball),
    ],
    { cwd: dir, env: userEnv(), maxBuffer: 64 << 20, encoding: 'utf8' },
  );
  return { dir, log: `${stdout}${stderr}` };
}

async function treeSize(path: string, skipNodeModules: boolean): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink() || (skipNodeModules && entry.name === 'node_modules')) continue;
    total += await treeSize(join(path, entry.name), skipNodeModules);
  }
  return total;
}

/** Where Node would find `dep` from the package installed at `from` (nested node_modules first, then up). */
async function locate(dep: string, from: string, projectDir: string): Promise<string | undefined> {
  for (let dir = from; dir.startsWith(projectDir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', dep);
    if (await stat(join(candidate, 'package.json')).catch(() => undefined)) return candidate;
    if (dir === projectDir) break;
  }
  return undefined;
}

/** Bytes on disk of a package and everything it installs (its dependency closure, each folder counted once). */
export async function installedSize(name: string, projectDir: string): Promise<number> {
  const seen = new Set<string>();
  const queue = [join(projectDir, 'node_modules', name)];
  let total = 0;
  while (queue.length) {
    const dir = queue.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    total += await treeSize(dir, true);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = await locate(dep, dir, projectDir);
      if (found) queue.push(found); // a missing optional dependency (other platforms) is not installed
    }
  }
  return total;
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const work = await mkdtemp(join(tmpdir(), 'bgr-packaging-'));
  try {
    const packs = await buildAndPack(work);
    for (const p of packs) for (const problem of manifestProblems(p)) console.error(problem);
    for (const p of PACKAGES) {
      const t0 = performance.now();
      const { dir } = await installTarballs(alone(packs, p), join(work, folderOf(p)));
      console.log(
        `${p.padEnd(18)} ${mb(await installedSize(p, dir))} installed alone in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
