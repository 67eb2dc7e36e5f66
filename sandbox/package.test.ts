/**
 * @bgr/sandbox as a user gets it: built and packed, installed alone from its tarball into an empty folder (the npm
 * registry for its dependencies), started with `npx bgr-sandbox`, then used: a v1 cut-out, the new user's
 * client script, and `bgr check` (core profile) against it. It installs no model, no onnxruntime and no Redis.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../conformance/src/runner.ts';
import { ballScene, render } from '../reference-impl/src/engine/synthetic.ts';
import { freePort } from '../reference-impl/testing/nodes.ts';
import { installTarballs, userEnv } from '../scripts/packaging.ts';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
/** The size target of the sandbox installed alone (the reference with its model is ≈ 830 MB). */
const MAX_INSTALLED_MB = 60;
const KEYS = ['sandbox-pkg-key-1', 'sandbox-pkg-key-2'];

let work: string;
let project: string;
let server: ChildProcess | undefined;
let url: string;
let startMs: number;
let installedBytes: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bgr-sandbox-pkg-'));
  await run(process.execPath, [join(here, 'build.mjs')], { env: userEnv() });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: here, env: userEnv() });
  const tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  project = (await installTarballs([{ tarball }], join(work, 'user'))).dir;
  // Everything the install put on disk (the sandbox and all its dependencies), as `du` counts it.
  installedBytes = Number((await run('du', ['-sb', join(project, 'node_modules')])).stdout.split('\t')[0]);
  const port = await freePort();
  const t0 = performance.now();
  // Its own process group: npx runs the bin as a child of its own and does not pass SIGTERM on, so killing npx
  // alone left the server running after the suite.
  server = spawn('npx', ['bgr-sandbox', '--port', String(port), '--sandbox-ms', '200'], {
    detached: true,
    cwd: project,
    env: userEnv({
      BGR_API_KEYS: KEYS.join(','),
      BGR_WEBHOOK_SECRET: 'whsec_c2FuZGJveC1wYWNrYWdpbmctc2VjcmV0',
      BGR_LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d));
  server.stderr!.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!/listening on (\S+)/.test(out)) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`bgr-sandbox did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  startMs = performance.now() - t0;
  url = /listening on (\S+)/.exec(out)![1]!;
  console.log(
    `@bgr/sandbox: ${(installedBytes / 1e6).toFixed(1)} MB installed; npx bgr-sandbox listening after ${startMs.toFixed(0)} ms`,
  );
}, 300_000);

afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  // The server itself (npx's child) must be gone too, not only npx: its port refuses connections.
  if (url) {
    const deadline = Date.now() + 10_000;
    while (
      await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      )
    ) {
      if (Date.now() > deadline) throw new Error(`bgr-sandbox still answers on ${url} after SIGTERM`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('@bgr/sandbox installed alone from its tarball', () => {
  it(`installs within ${MAX_INSTALLED_MB} MB, without the model, onnxruntime or a Redis client`, async () => {
    expect(installedBytes / 1e6).toBeLessThanOrEqual(MAX_INSTALLED_MB);
    const top = [
      ...(await readdir(join(project, 'node_modules'))),
      ...(await readdir(join(project, 'node_modules/@bgr')).then((d) => d.map((x) => `@bgr/${x}`))),
    ];
    for (const absent of [
      'onnxruntime-node',
      'onnxruntime-web',
      '@imgly',
      '@tensorflow',
      'bullmq',
      'ioredis',
      '@bgr/reference',
      '@bgr/spec',
    ]) {
      expect(top, absent).not.toContain(absent);
    }
  });

  it('answers v1 with a real cut-out of the input size', async () => {
    const scene = await render(ballScene(160, 120));
    const res = await fetch(`${url}/v1/bg-removal`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS[0]!, 'content-type': 'application/json' },
      body: JSON.stringify({ image: scene.image.toString('base64') }),
    });
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 160, 120, 4]);
  });

  it("runs the new user's client script (submit, poll, 429 retry, 422 branch)", async () => {
    const photo = join(work, 'photo.png');
    await writeFile(photo, (await render(ballScene(96, 64))).image);
    const { stdout } = await run(process.execPath, [join(here, 'examples/client.mjs'), photo], {
      env: userEnv({ BGR_BASE_URL: url, BGR_API_KEY: KEYS[0]! }),
    });
    expect(JSON.parse(stdout)).toEqual({
      completed: true,
      failed: 'Scripted failure (invalid_image) from the sandbox.',
    });
  });

  it('passes bgr check (core profile)', async () => {
    const report = await runChecks({
      baseUrl: url,
      apiKey: KEYS[0]!,
      secondApiKey: KEYS[1]!,
      profile: 'core',
      samples: 1,
    });
    expect(
      report.results.filter((r) => r.level === 'MUST' && r.outcome === 'fail').map((r) => `${r.id}: ${r.reason}`),
    ).toEqual([]);
    expect(report.core).toBe('CONFORMANT');
  });
});
