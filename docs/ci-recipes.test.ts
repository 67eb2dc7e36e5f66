/**
 * The CI recipes of the guide "Conformance in CI", run step by step as a runner would: each GitHub Actions `run:`
 * step and each GitLab `script:` line in bash, in an empty folder, against a test deployment, with the suite the
 * install step would bring (the repository's own `bgr`, as the package is not on the registry from here). Then
 * the files the upload steps name exist, the job summary got the Markdown, and no key reached any of them.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoodServer, type GoodServer } from '../conformance/testing/good-server.ts';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const KEY = 'key-a';

let server: GoodServer;
let recipes: string[];
beforeAll(async () => {
  server = await startGoodServer();
  const md = await readFile(new URL('./guides/08-conformance-in-ci.md', import.meta.url), 'utf8');
  recipes = [...md.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
});
afterAll(() => server.close());

/** An empty job folder where `npx bgr` finds the suite, as after the install step. */
async function jobFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bgr-ci-'));
  await writeFile(join(dir, 'package.json'), '{"private":true}\n');
  await mkdir(join(dir, 'node_modules/.bin'), { recursive: true });
  const shim = join(dir, 'node_modules/.bin/bgr');
  await writeFile(
    shim,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin/bgr.mjs'))} "$@"\n`,
  );
  await chmod(shim, 0o755);
  return dir;
}

/** Runs one step's shell text; resolves with its exit code (a failing check step exits 1, as CI would see). */
async function step(script: string, cwd: string, env: Record<string, string>): Promise<number> {
  try {
    await exec('bash', ['-e', '-c', script], { cwd, env: { ...process.env, ...env }, maxBuffer: 32 << 20 });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? 1;
  }
}

const isInstall = (s: string) => /^npm install .*@bgr\/conformance$/.test(s.trim());

async function expectReports(dir: string, files: string[]): Promise<void> {
  for (const f of files) expect((await stat(join(dir, f))).size, f).toBeGreaterThan(0);
  expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuites');
  expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  for (const f of ['report.json', 'report.html', 'junit.xml', 'summary.md', 'attestation.json'])
    expect(await readFile(join(dir, f), 'utf8'), f).not.toContain(KEY);
}

describe('the CI recipes of the guide', () => {
  it('GitHub Actions: every run step passes; the summary and the uploaded files are there', async () => {
    const workflow = parse(recipes[0]!) as {
      jobs: Record<
        string,
        { steps: { run?: string; uses?: string; with?: { path?: string; report_paths?: string } }[] }
      >;
    };
    const steps = Object.values(workflow.jobs)[0]!.steps;
    expect(steps.filter((s) => s.run && isInstall(s.run))).toHaveLength(1);
    const dir = await jobFolder();
    const env = { BGR_BASE_URL: server.url, BGR_API_KEY: KEY, GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md') };
    for (const s of steps) if (s.run && !isInstall(s.run)) expect(await step(s.run, dir, env), s.run).toBe(0);
    expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toMatch(/^## bgr check: ✅ CONFORMANT/);
    const uploaded = steps
      .find((s) => s.uses?.startsWith('actions/upload-artifact'))!
      .with!.path!.split('\n')
      .map((p) => p.trim())
      .filter((p) => p && !p.endsWith('/'));
    await expectReports(dir, [...uploaded, steps.find((s) => s.uses?.includes('junit'))!.with!.report_paths!]);
  });

  it('GitLab CI: every script line passes; the artifacts and the JUnit report are there', async () => {
    const pipeline = parse(recipes[1]!) as Record<
      string,
      { script: string[]; artifacts: { paths: string[]; reports: { junit: string } } }
    >;
    const job = Object.values(pipeline)[0]!;
    expect(job.script.filter(isInstall)).toHaveLength(1);
    const dir = await jobFolder();
    for (const line of job.script)
      if (!isInstall(line)) expect(await step(line, dir, { BGR_BASE_URL: server.url, BGR_API_KEY: KEY }), line).toBe(0);
    await expectReports(dir, [...job.artifacts.paths.filter((p) => !p.endsWith('/')), job.artifacts.reports.junit]);
  });

  it('fails the job when the deployment is not conformant', async () => {
    const broken = await startGoodServer({ fault: 'failed-200' });
    try {
      const job = Object.values(parse(recipes[1]!) as Record<string, { script: string[] }>)[0]!;
      const check = job.script.find((l) => l.includes('bgr check'))!;
      expect(await step(check, await jobFolder(), { BGR_BASE_URL: broken.url, BGR_API_KEY: KEY })).toBe(1);
    } finally {
      await broken.close();
    }
  });
});
