/**
 * The packages as a user gets them: packed, each installed alone from its tarball into its own empty project (npm
 * registry as the only other source, one shared npm cache), then used from plain Node: every export imports, every
 * built import is declared, the conformance CLI checks the reference server started from its own bin, and the
 * client makes a request to it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undeclaredImports } from './packaging-imports.ts';
import {
  alone,
  buildAndPack,
  folderOf,
  importable,
  installedSize,
  installTarballs,
  manifestProblems,
  mb,
  PACKAGES,
  userEnv,
  type PackageName,
  type Packed,
} from './packaging.ts';

const run = promisify(execFile);
const KEYS = ['pkg-test-key-1', 'pkg-test-key-2'];

let work: string;
/** Each package's own consumer project, and its install log. */
const projects = {} as Record<PackageName, string>;
const installLogs: string[] = [];
let packs: Packed[];
let server: ChildProcess | undefined;
let baseUrl: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Runs a command in a package's consumer project as a user would; resolves with its exit code and output. */
async function inProject(
  pkg: PackageName,
  cmd: string,
  args: string[],
  timeout = 120_000,
): Promise<{ code: number; out: string }> {
  const project = projects[pkg];
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: project, env: userEnv(), timeout, maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (e: any) {
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** Starts the installed reference server from its bin and waits until it listens and its model is ready. */
async function startReference(): Promise<string> {
  const port = await freePort();
  const project = projects['@bgr/reference'];
  server = spawn(join(project, 'node_modules/.bin/bgr-reference'), [], {
    cwd: project,
    env: userEnv({
      PORT: String(port),
      BGR_API_KEYS: KEYS.join(','),
      BGR_WORKERS: '1',
      BGR_WEBHOOK_SECRET: 'whsec_cGFja2FnaW5nLXRlc3Qtc2VjcmV0',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout!.on('data', (d: Buffer) => (output += d));
  server.stderr!.on('data', (d: Buffer) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`bgr-reference exited with ${server.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return url;
    await sleep(500);
  }
  throw new Error(`bgr-reference was not ready in 180 s:\n${output}`);
}

describe('the packages installed from their tarballs', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bgr-packaging-'));
    packs = await buildAndPack(work);
    // One after another (two cores); they share the user's npm cache, so only the first fetches from the registry.
    for (const name of PACKAGES) {
      const t0 = performance.now();
      const { dir, log } = await installTarballs(alone(packs, name), join(work, folderOf(name)));
      projects[name] = dir;
      installLogs.push(log);
      console.log(`installed ${name} alone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    baseUrl = await startReference();
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('packed', () => {
    it('ship every file their manifests name, as JavaScript', () => {
      expect(packs.map((p) => p.name).sort()).toEqual([...PACKAGES].sort());
      expect(packs.flatMap(manifestProblems)).toEqual([]);
    });

    it('install without a download: no unreviewed install script, onnxruntime-node fetched nothing', async () => {
      // The install itself fails on an unreviewed script (--strict-allow-scripts); reviewed ones ran offline.
      for (const log of installLogs) expect(log).not.toMatch(/Downloading|ENOTFOUND|EAI_AGAIN/);
      const ortBin = join(projects['@bgr/reference'], 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
      if (existsSync(ortBin)) expect((await readdir(ortBin)).filter((f) => f.includes('providers_cuda'))).toEqual([]);
    });

    it('each import alone in plain Node: every export of the package, in a project holding only it', async () => {
      expect(packs.flatMap(importable)).toEqual(
        expect.arrayContaining([
          '@bgr/spec',
          '@bgr/spec/errors',
          '@bgr/spec/contract',
          '@bgr/client',
          '@bgr/conformance',
          '@bgr/reference',
        ]),
      );
      for (const p of packs) {
        const script = `for (const m of ${JSON.stringify(importable(p))}) await import(m);`;
        const { code, out } = await inProject(p.name, process.execPath, ['--input-type=module', '-e', script]);
        expect(out, p.name).toBe('');
        expect(code, p.name).toBe(0);
      }
    });

    it('import only what they declare: every bare import of each installed dist/', async () => {
      for (const p of packs) {
        const installed = join(projects[p.name], 'node_modules', p.name);
        expect(await undeclaredImports(join(installed, 'dist'), p.manifest), p.name).toEqual([]);
      }
    });

    it('print their installed sizes; the conformance CLI and the client stay light', async () => {
      const sizes = Object.fromEntries(
        await Promise.all(PACKAGES.map(async (p) => [p, await installedSize(p, projects[p])] as const)),
      );
      for (const [name, bytes] of Object.entries(sizes)) console.log(`installed ${name.padEnd(18)} ${mb(bytes)}`);
      expect(sizes['@bgr/conformance']).toBeLessThan(40e6);
      expect(Object.keys(packs.find((p) => p.name === '@bgr/client')!.manifest.dependencies ?? {})).toEqual([
        'openapi-fetch',
      ]);
      const conformanceDeps = JSON.stringify(packs.find((p) => p.name === '@bgr/conformance')!.manifest.dependencies);
      expect(conformanceDeps).not.toMatch(/onnxruntime|background-removal|prism|ioredis|bullmq|@bgr\/reference/);
    });
  });

  describe('used from plain Node', () => {
    it('`npx @bgr/conformance check --help` (the README line) prints its usage', async () => {
      const { code, out } = await inProject('@bgr/conformance', 'npx', [
        '--no-install',
        '@bgr/conformance',
        'check',
        '--help',
      ]);
      expect(out).toContain('usage: bgr check --base-url URL --api-key KEY');
      expect(code).toBe(0);
    });

    it('`bgr check` passes against the reference started from its bin (real model)', async () => {
      const only = 'AUTH-401-MISSING-KEY,V1-PNG,V1-ALPHA,V1-HUMAN-DIFFERS,V2-COMPLETED-OUTPUT';
      const args = [
        'check',
        '--base-url',
        baseUrl,
        '--api-key',
        KEYS[0]!,
        '--second-api-key',
        KEYS[1]!,
        '--profile',
        'full',
        '--only',
        only,
      ];
      // The bin by its name, as a CI job runs it once the package is installed.
      const { code, out } = await inProject(
        '@bgr/conformance',
        join(projects['@bgr/conformance'], 'node_modules/.bin/bgr'),
        args,
        300_000,
      );
      expect(out).toMatch(/V1-PNG/);
      expect(code, out).toBe(0);
    }, 300_000);

    it('the client makes a request from plain Node', async () => {
      // The client's project holds the client only: the image is made here and the answer judged here.
      const image = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3a6' } })
        .png()
        .toBuffer();
      const script = `
        import { BgRemovalClient } from '@bgr/client';
        const client = new BgRemovalClient({ apiKey: ${JSON.stringify(KEYS[0])}, baseUrl: ${JSON.stringify(baseUrl)} });
        const result = await client.removeBackground({ image: Buffer.from(${JSON.stringify(image.toString('base64'))}, 'base64') });
        console.log(JSON.stringify({ type: result.contentType, image: Buffer.from(result.image).toString('base64') }));`;
      const { code, out } = await inProject('@bgr/client', process.execPath, ['--input-type=module', '-e', script]);
      expect(code, out).toBe(0);
      const answer = JSON.parse(out) as { type: string; image: string };
      const meta = await sharp(Buffer.from(answer.image, 'base64')).metadata();
      expect({ type: answer.type, width: meta.width, height: meta.height, channels: meta.channels }).toEqual({
        type: 'image/png',
        width: 48,
        height: 32,
        channels: 4,
      });
    });

    it('keeps the model cache out of node_modules', async () => {
      const { out } = await inProject('@bgr/reference', 'find', ['node_modules', '-name', '*.onnx']);
      expect(out.trim()).toBe('');
    });
  });
});

describe('the packaging check itself', () => {
  const fake = (files: string[], manifest: Partial<Packed['manifest']>): Packed => ({
    name: '@bgr/spec',
    tarball: '',
    files: ['package.json', ...files],
    manifest: { name: '@bgr/spec', ...manifest },
  });

  it.each([
    [
      'a built export',
      fake(['dist/a.js', 'dist/a.d.ts'], {
        exports: { '.': { 'bgr-source': './a.ts', types: './dist/a.d.ts', default: './dist/a.js' } },
      }),
      0,
    ],
    [
      'a file missing from "files"',
      fake(['dist/a.d.ts'], { exports: { '.': { types: './dist/a.d.ts', default: './dist/a.js' } } }),
      1,
    ],
    ['a TypeScript-only export', fake(['a.ts'], { exports: { '.': './a.ts' } }), 1],
    ['a bin left out', fake([], { bin: { bgr: 'dist/bin.js' } }), 1],
    [
      'a pattern export with its files',
      fake(['dist/g/a.js', 'dist/g/a.d.ts'], {
        exports: { './*': { types: './dist/g/*.d.ts', default: './dist/g/*.js' } },
      }),
      0,
    ],
    [
      'a pattern export that matches nothing',
      fake(['dist/g/a.d.ts'], { exports: { './*': { types: './dist/g/*.d.ts', default: './dist/g/*.js' } } }),
      1,
    ],
  ])('judges %s', (_what, packed, problems) => {
    expect(manifestProblems(packed)).toHaveLength(problems);
  });

  it('installs a package alone: with the @bgr packages it depends on (not on the registry), never a sibling', () => {
    const pack = (name: PackageName, dependencies: Record<string, string>): Packed => ({
      name,
      tarball: `${name}.tgz`,
      files: [],
      manifest: { name, dependencies },
    });
    const packed = [
      pack('@bgr/spec', { yaml: '2' }),
      pack('@bgr/client', { 'openapi-fetch': '0' }),
      pack('@bgr/conformance', { '@bgr/spec': '0', sharp: '0' }),
      pack('@bgr/reference', { '@bgr/spec': '0', standardwebhooks: '1' }),
    ];
    expect(alone(packed, '@bgr/conformance').map((p) => p.name)).toEqual(['@bgr/conformance', '@bgr/spec']);
    expect(alone(packed, '@bgr/client').map((p) => p.name)).toEqual(['@bgr/client']);
  });

  it('lists what a user can import, `*` subpaths expanded over the built files', () => {
    const packed = fake(['dist/i.js', 'dist/g/errors.js', 'dist/g/clauses.js', 'dist/g/clauses.d.ts', 'openapi.yaml'], {
      exports: {
        '.': { default: './dist/i.js' },
        './*': { default: './dist/g/*.js' },
        './openapi.yaml': './openapi.yaml',
      },
    });
    expect(importable(packed).sort()).toEqual(['@bgr/spec', '@bgr/spec/clauses', '@bgr/spec/errors']);
  });

  it('fails an install that would run an unreviewed install script (one that downloads)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-downloader-'));
    try {
      const pkg = {
        name: 'bgr-fake-downloader',
        version: '1.0.0',
        scripts: { postinstall: "node -e \"require('https').get('https://example.invalid/x')\"" },
      };
      await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: dir, env: userEnv() });
      const tarball = join(dir, JSON.parse(stdout)[0].filename);
      const packed: Packed = { name: '@bgr/spec', tarball, files: [], manifest: { name: 'bgr-fake-downloader' } };
      await expect(installTarballs([packed], join(dir, 'consumer'))).rejects.toThrow(
        /install script|allowScripts|bgr-fake-downloader/i,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
