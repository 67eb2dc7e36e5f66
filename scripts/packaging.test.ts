/**
 * The packages as a user gets them: packed, installed from their tarballs into an empty project (npm registry as
 * the only other source), then used from plain Node: the conformance CLI checks the installed reference server,
 * started from its own bin, and the client makes a request to it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPack, importable, installedSize, installTarballs, manifestProblems, mb, PACKAGES, userEnv, type Packed } from './packaging.ts';

const run = promisify(execFile);
const KEYS = ['pkg-test-key-1', 'pkg-test-key-2'];

let work: string;
let project: string;
let installLog: string;
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

/** Runs a command in the consumer project as a user would; resolves with its exit code and output. */
async function inProject(cmd: string, args: string[], timeout = 120_000): Promise<{ code: number; out: string }> {
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
  server = spawn(join(project, 'node_modules/.bin/bgr-reference'), [], {
    cwd: project,
    env: userEnv({ PORT: String(port), BGR_API_KEYS: KEYS.join(','), BGR_WORKERS: '1', BGR_WEBHOOK_SECRET: 'whsec_cGFja2FnaW5nLXRlc3Qtc2VjcmV0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout!.on('data', (d: Buffer) => (output += d));
  server.stderr!.on('data', (d: Buffer) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`bgr-reference exited with ${server.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return url;
    await sleep(500);
  }
  throw new Error(`bgr-reference was not ready in 180 s:\n${output}`);
}

describe('the packages installed from their tarballs', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bgr-packaging-'));
    packs = await buildAndPack(work);
    ({ dir: project, log: installLog } = await installTarballs(packs, join(work, 'consumer')));
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
      expect(installLog).not.toMatch(/Downloading|ENOTFOUND|EAI_AGAIN/);
      const ortBin = join(project, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
      if (existsSync(ortBin)) expect((await readdir(ortBin)).filter((f) => f.includes('providers_cuda'))).toEqual([]);
    });

    it('import in plain Node: every export of every package', async () => {
      const imports = packs.flatMap(importable);
      expect(imports).toEqual(expect.arrayContaining(['@bgr/spec', '@bgr/spec/errors', '@bgr/spec/contract', '@bgr/client', '@bgr/reference']));
      const script = `for (const m of ${JSON.stringify(imports)}) await import(m);`;
      const { code, out } = await inProject(process.execPath, ['--input-type=module', '-e', script]);
      expect(out).toBe('');
      expect(code).toBe(0);
    });

    it('print their installed sizes; the conformance CLI and the client stay light', async () => {
      const sizes = Object.fromEntries(await Promise.all(PACKAGES.map(async (p) => [p, await installedSize(p, project)] as const)));
      for (const [name, bytes] of Object.entries(sizes)) console.log(`installed ${name.padEnd(18)} ${mb(bytes)}`);
      expect(sizes['@bgr/conformance']).toBeLessThan(40e6);
      expect(Object.keys(packs.find((p) => p.name === '@bgr/client')!.manifest.dependencies ?? {})).toEqual(['openapi-fetch']);
      const conformanceDeps = JSON.stringify(packs.find((p) => p.name === '@bgr/conformance')!.manifest.dependencies);
      expect(conformanceDeps).not.toMatch(/onnxruntime|background-removal|prism|ioredis|bullmq|@bgr\/reference/);
    });
  });

  describe('used from plain Node', () => {
    it('`npx @bgr/conformance check --help` (the README line) prints its usage', async () => {
      const { code, out } = await inProject('npx', ['--no-install', '@bgr/conformance', 'check', '--help']);
      expect(out).toContain('usage: bgr check --base-url URL --api-key KEY');
      expect(code).toBe(0);
    });

    it('`bgr check` passes against the reference started from its bin (real model)', async () => {
      const only = 'AUTH-401-MISSING-KEY,V1-PNG,V1-ALPHA,V1-HUMAN-DIFFERS,V2-COMPLETED-OUTPUT';
      const args = ['check', '--base-url', baseUrl, '--api-key', KEYS[0]!, '--second-api-key', KEYS[1]!, '--profile', 'full', '--only', only];
      // The bin by its name, as a CI job runs it once the package is installed.
      const { code, out } = await inProject(join(project, 'node_modules/.bin/bgr'), args, 300_000);
      expect(out).toMatch(/V1-PNG/);
      expect(code, out).toBe(0);
    }, 300_000);

    it('the client makes a request from plain Node', async () => {
      const script = `
        import sharp from 'sharp';
        import { BgRemovalClient } from '@bgr/client';
        const image = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3a6' } }).png().toBuffer();
        const client = new BgRemovalClient({ apiKey: ${JSON.stringify(KEYS[0])}, baseUrl: ${JSON.stringify(baseUrl)} });
        const result = await client.removeBackground({ image });
        const meta = await sharp(result.image).metadata();
        console.log(JSON.stringify({ type: result.contentType, width: meta.width, height: meta.height, channels: meta.channels }));`;
      const { code, out } = await inProject(process.execPath, ['--input-type=module', '-e', script]);
      expect(code, out).toBe(0);
      expect(JSON.parse(out)).toEqual({ type: 'image/png', width: 48, height: 32, channels: 4 });
    });

    it('keeps the model cache out of node_modules', async () => {
      const { out } = await inProject('find', ['node_modules', '-name', '*.onnx']);
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
    ['a built export', fake(['dist/a.js', 'dist/a.d.ts'], { exports: { '.': { 'bgr-source': './a.ts', types: './dist/a.d.ts', default: './dist/a.js' } } }), 0],
    ['a file missing from "files"', fake(['dist/a.d.ts'], { exports: { '.': { types: './dist/a.d.ts', default: './dist/a.js' } } }), 1],
    ['a TypeScript-only export', fake(['a.ts'], { exports: { '.': './a.ts' } }), 1],
    ['a bin left out', fake([], { bin: { bgr: 'dist/bin.js' } }), 1],
    ['a pattern export with its files', fake(['dist/g/a.js', 'dist/g/a.d.ts'], { exports: { './*': { types: './dist/g/*.d.ts', default: './dist/g/*.js' } } }), 0],
    ['a pattern export that matches nothing', fake(['dist/g/a.d.ts'], { exports: { './*': { types: './dist/g/*.d.ts', default: './dist/g/*.js' } } }), 1],
  ])('judges %s', (_what, packed, problems) => {
    expect(manifestProblems(packed)).toHaveLength(problems);
  });

  it('lists what a user can import, `*` subpaths expanded over the built files', () => {
    const packed = fake(['dist/i.js', 'dist/g/errors.js', 'dist/g/clauses.js', 'dist/g/clauses.d.ts', 'openapi.yaml'], {
      exports: { '.': { default: './dist/i.js' }, './*': { default: './dist/g/*.js' }, './openapi.yaml': './openapi.yaml' },
    });
    expect(importable(packed).sort()).toEqual(['@bgr/spec', '@bgr/spec/clauses', '@bgr/spec/errors']);
  });

  it('fails an install that would run an unreviewed install script (one that downloads)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-downloader-'));
    try {
      const pkg = { name: 'bgr-fake-downloader', version: '1.0.0', scripts: { postinstall: "node -e \"require('https').get('https://example.invalid/x')\"" } };
      await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: dir, env: userEnv() });
      const tarball = join(dir, JSON.parse(stdout)[0].filename);
      const packed: Packed = { name: '@bgr/spec', tarball, files: [], manifest: { name: 'bgr-fake-downloader' } };
      await expect(installTarballs([packed], join(dir, 'consumer'))).rejects.toThrow(/install script|allowScripts|bgr-fake-downloader/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
