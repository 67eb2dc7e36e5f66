/**
 * Every code snippet of the guides runs against the reference server on its sandbox engine (the guides' `sh` blocks and the client
 * README's `ts` blocks), and again against a production-shaped deployment (no `code`, 200 while pending,
 * no cancel, no status stream): docs that only work on our dialect would mislead production users.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeSnippets, removeSnippets, runSnippet, writeSnippets } from '../client/readme-snippets.ts';
import { FAKE_KEY, type FakeServer, startFakeServer } from '../client/testing/fake-server.ts';
import { loadConfig } from '../reference-impl/src/process/config.ts';
import { ballScene, render } from '../reference-impl/src/engine/synthetic.ts';
import { sandboxDeps, startServer, type Running } from '../reference-impl/src/process/serve.ts';
import { createSandbox } from '../reference-impl/src/sandbox/index.ts';

const bash = promisify(execFile);
const guidesDir = new URL('./guides/', import.meta.url);

/** The `sh` or `ts` fences of the guides, with the file each comes from. */
async function guideSnippets(lang: 'sh' | 'ts'): Promise<{ file: string; source: string }[]> {
  const files = (await readdir(guidesDir)).filter((f) => f.endsWith('.md')).sort();
  const all = await Promise.all(
    files.map(async (file) => {
      const md = await readFile(new URL(file, guidesDir), 'utf8');
      return [...md.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => ({
        file,
        source: m[1]!,
      }));
    }),
  );
  return all.flat();
}

const sh = await guideSnippets('sh');
const guideTs = await guideSnippets('ts');
const ts = [...(await readmeSnippets()), ...guideTs.map((s) => s.source)];
let server: Running;
let prod: FakeServer;
let cwd: string;
let tsFiles: string[];
const key = 'docs-snippets-key';

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: `${key}:100` });
  // The snippets are about the API, not the model: the sandbox engine, 200 ms per image so that polls see a pending state.
  const engine = createSandbox({ maxPixels: config.maxPixels, timeMs: 200 });
  [server, prod] = await Promise.all([
    startServer({ config, engine, ...sandboxDeps(config) }),
    startFakeServer({ production: true }),
  ]);
  cwd = await mkdtemp(join(tmpdir(), 'bgr-snippets-'));
  const photo = (await render(ballScene(320, 240))).image;
  await writeFile(join(cwd, 'photo.png'), photo);
  await writeFile(join(cwd, 'photo.jpg'), await sharp(photo).jpeg().toBuffer());
  tsFiles = await writeSnippets(ts);
}, 180_000);
afterAll(async () => {
  await server?.shutdown();
  await prod?.close();
  await removeSnippets();
});

const env = () => ({ ...process.env, BGR_BASE_URL: server.url, BGR_API_KEY: key });

describe('the guides’ shell snippets, against the reference', () => {
  it('exist', () => expect(sh.length).toBeGreaterThanOrEqual(4));

  // In order and in one folder, as a reader would run them (later ones may use earlier files).
  sh.forEach(({ file, source }, i) => {
    it(`${file} #${i + 1}: ${source.split('\n')[0]!.slice(0, 60)}`, async () => {
      // The guides' own `export` lines set placeholders; the environment given here wins by running after them.
      const script = `set -euo pipefail\n${source}`.replace(/^export (BGR_BASE_URL|BGR_API_KEY)=.*$/gm, '');
      const { stdout } = await bash('bash', ['-c', script], { cwd, env: env(), timeout: 60_000 });
      if (source.includes('-o cutout.png')) {
        const meta = await sharp(join(cwd, 'cutout.png')).metadata();
        expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 320, 240, 4]);
      }
      if (source.includes('-o cutout.webp'))
        expect((await sharp(join(cwd, 'cutout.webp')).metadata()).format).toBe('webp');
      if (source.includes('$response_url'))
        expect(JSON.parse(stdout)).toMatchObject({ status: 'COMPLETED', output: expect.stringMatching(/^http/) });
      if (source.includes('accept: text/event-stream')) {
        // The reference streams: events in order, the last one the result.
        const data = [...stdout.matchAll(/^data: (.*)$/gm)].map(
          (m) => JSON.parse(m[1]!) as { status: string; output?: string },
        );
        expect(stdout).toMatch(/^event: status$/m);
        expect(data.at(-1)).toMatchObject({ status: 'COMPLETED', output: expect.stringMatching(/^http/) });
      }
    }, 90_000);
  });
});

describe('the TypeScript snippets (client README, then guides), against the reference', () => {
  it('include the guides’ own', () => expect(guideTs.length).toBeGreaterThanOrEqual(1));

  ts.forEach((source, i) => {
    const title =
      source
        .split('\n')
        .find((line) => /client\.\w+\(/.test(line))
        ?.trim() ?? `snippet ${i}`;
    it(
      title,
      async () => {
        const run = await runSnippet(tsFiles[i]!, cwd, { BGR_BASE_URL: server.url, BGR_API_KEY: key });
        expect(run.code, run.output).toBe(0);
        expect(run.output).not.toMatch(/Error|failed:/);
      },
      90_000,
    );
  });
});

describe('every snippet, against a production-shaped deployment', () => {
  const prodEnv = () => ({ ...process.env, BGR_BASE_URL: prod.url, BGR_API_KEY: FAKE_KEY });
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

  sh.forEach(({ file, source }, i) => {
    it(`${file} #${i + 1} (sh)`, async () => {
      const script = `set -euo pipefail\n${source}`.replace(/^export (BGR_BASE_URL|BGR_API_KEY)=.*$/gm, '');
      const { stdout } = await bash('bash', ['-c', script], { cwd, env: prodEnv(), timeout: 60_000 });
      // The fake's image is a 1×1 PNG whatever was asked: check only that an image, not an error, came back.
      if (source.includes('-o cutout.png'))
        expect((await readFile(join(cwd, 'cutout.png'))).subarray(0, 4)).toEqual(PNG);
      if (source.includes('$response_url'))
        expect(JSON.parse(stdout)).toMatchObject({ status: 'COMPLETED', output: expect.stringMatching(/^http/) });
    }, 90_000);
  });

  ts.forEach((source, i) => {
    const title =
      source
        .split('\n')
        .find((line) => /client\.\w+\(/.test(line))
        ?.trim() ?? `snippet ${i}`;
    it(`${title} (ts)`, async () => {
      const run = await runSnippet(tsFiles[i]!, cwd, { BGR_BASE_URL: prod.url, BGR_API_KEY: FAKE_KEY });
      expect(run.code, run.output).toBe(0);
      expect(run.output).not.toMatch(/Error|failed:/);
    }, 90_000);
  });
});
