/**
 * `bgr verify` on attestations of real runs: a fuzz-profile run with every input against the good server verifies;
 * a run that skipped MUST checks, an edited suite version or contract digest, a FAILED run or a malformed file does not.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from './src/cli.ts';
import { verifyCommand } from './src/verify.ts';
import { goodWebhookSecret, startGoodServer, type GoodServer } from './testing/good-server.ts';

let server: GoodServer;
let dir: string;
let full: Record<string, any>;

async function capture(
  run: (out: PassThrough, err: PassThrough) => Promise<number>,
): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const err = new PassThrough();
  err.on('data', (d) => (text += d));
  return { code: await run(out, err), out: text };
}
const verify = (file: string) => capture((o, e) => verifyCommand([file], o, e));
async function edited(name: string, edit: (a: Record<string, any>) => void): Promise<string> {
  const copy = structuredClone(full);
  edit(copy);
  await writeFile(join(dir, name), JSON.stringify(copy));
  return join(dir, name);
}

beforeAll(async () => {
  server = await startGoodServer({ retentionMs: 1500 });
  dir = await mkdtemp(join(tmpdir(), 'bgr-verify-'));
  const args = [
    '--base-url',
    server.url,
    '--api-key',
    'key-a',
    '--second-api-key',
    'key-b',
    '--scoped-key',
    'key-v1',
    '--low-credit-key',
    'key-low',
    '--webhook-listen',
    '127.0.0.1:0',
    '--webhook-secret',
    goodWebhookSecret,
    '--retention-s',
    '1.5',
    '--profile',
    'fuzz',
    '--fuzz',
    '20',
    '--seed',
    '5',
    '--attestation',
    join(dir, 'full.json'),
  ];
  const run = await capture((o, e) => checkCommand(args, o, e));
  expect(run.code, run.out).toBe(0);
  full = JSON.parse(await readFile(join(dir, 'full.json'), 'utf8'));
  await capture((o, e) =>
    checkCommand(['--base-url', server.url, '--api-key', 'key-a', '--attestation', join(dir, 'core.json')], o, e),
  );
}, 180_000);
afterAll(() => server.close());

describe('bgr verify', () => {
  it('verifies a run that passed every MUST check of the core and of every extension it found offered', async () => {
    const r = await verify(join(dir, 'full.json'));
    expect(r.out).toMatch(/^VERIFIED: .* covers all \d+ MUST checks of its layers, made by @bgr\/conformance@/);
    expect(r.code).toBe(0);
  });

  it.each([
    [
      'a run that skipped MUST checks (core profile, no second key)',
      async () => join(dir, 'core.json'),
      /MUST check\(s\) of the claimed layers did not pass: .*core\/AUTH-ISOLATION-404/,
    ],
    [
      'another suite version',
      () =>
        edited('version.json', (a) => {
          a.predicate.configuration.find((c: any) => c.name.startsWith('@bgr/conformance@')).name =
            '@bgr/conformance@0.0.1';
        }),
      /made by @bgr\/conformance@0\.0\.1/,
    ],
    [
      'another contract',
      () =>
        edited('contract.json', (a) => {
          a.predicate.configuration.find((c: any) => c.name === 'openapi.yaml').digest.sha256 = '0'.repeat(64);
        }),
      /contract sha256 0{64} is not this contract's/,
    ],
    [
      'a FAILED run',
      () =>
        edited('failed.json', (a) => {
          a.predicate.result = 'FAILED';
        }),
      /the run FAILED/,
    ],
    [
      'a claimed extension whose checks are missing',
      () =>
        edited('claimed.json', (a) => {
          a.predicate.passedTests = a.predicate.passedTests.filter((t: string) => !t.startsWith('cancel/'));
        }),
      /cancel\/V2-CANCEL-PENDING/,
    ],
    [
      'not an in-toto statement',
      () =>
        edited('malformed.json', (a) => {
          a._type = 'x';
          delete a.predicate.passedTests;
        }),
      /not an in-toto Statement v1[\s\S]*passedTests is not a list/,
    ],
  ])('rejects %s', async (_what, file, problem) => {
    const r = await verify(await file());
    expect(r.out).toMatch(/^NOT VERIFIED/);
    expect(r.out).toMatch(problem);
    expect(r.code).toBe(1);
  });

  it('exits 1 for a file that is not JSON, 2 for usage', async () => {
    await writeFile(join(dir, 'junk.json'), 'not json');
    expect((await verify(join(dir, 'junk.json'))).code).toBe(1);
    expect((await capture((o, e) => verifyCommand([], o, e))).code).toBe(2);
  });
});
