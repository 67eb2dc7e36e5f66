import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeSnippets, removeSnippets, runSnippet, typecheckSnippets, writeSnippets } from './readme-snippets.ts';
import { FAKE_KEY, type FakeServer, startFakeServer, TINY_PNG } from './testing/fake-server.ts';

const snippets = await readmeSnippets();
let files: string[];
let fake: FakeServer;
let prod: FakeServer;
let cwd: string;
beforeAll(async () => {
  [fake, prod, files] = await Promise.all([
    startFakeServer(),
    startFakeServer({ production: true }),
    writeSnippets(snippets),
  ]);
  cwd = await mkdtemp(join(tmpdir(), 'bgr-readme-'));
  await writeFile(join(cwd, 'photo.png'), TINY_PNG);
});
afterAll(async () => {
  await Promise.all([fake?.close(), prod?.close(), removeSnippets()]);
});

describe('client/README.md snippets', () => {
  it('has the v1, run, submitAsync and errors snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it('type-check under the strict tsconfig', async () => {
    const run = await typecheckSnippets();
    expect(run.code, run.output).toBe(0);
  });

  snippets.forEach((source, index) => {
    const title =
      source
        .split('\n')
        .find((line) => /client\.\w+\(/.test(line))
        ?.trim() ?? `snippet ${index}`;
    for (const [target, server] of [
      ['the fake server', () => fake],
      ['the production-shaped fake', () => prod],
    ] as const) {
      it(`run against ${target}: ${title}`, async () => {
        const run = await runSnippet(files[index] ?? '', cwd, { BGR_API_KEY: FAKE_KEY, BGR_BASE_URL: server().url });
        expect(run.code, run.output).toBe(0);
        // The errors snippet catches and prints; on a healthy server it must take the success path.
        expect(run.output).not.toMatch(/Error|failed:/);
      });
    }
  });
});
