import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoodServer, type GoodServer } from '../testing/good-server.ts';
import { checkCommand } from './cli.ts';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url);

/** Runs `bgr check` in-process, capturing its output. */
async function check(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (d) => (chunks.out += d));
  err.on('data', (d) => (chunks.err += d));
  const code = await checkCommand(args, out, err);
  return { code, ...chunks };
}

let good: GoodServer;
let faulty: GoodServer;
let production: GoodServer;
let badCancel: GoodServer;
beforeAll(async () => {
  good = await startGoodServer();
  faulty = await startGoodServer({ fault: 'failed-200' });
  production = await startGoodServer({ production: true });
  badCancel = await startGoodServer({ fault: 'cancel-terminal-200' });
});
afterAll(async () => {
  await Promise.all([good, faulty, production, badCancel].map((s) => s.close()));
});

describe('bgr check', () => {
  it('exits 2 for usage errors', async () => {
    expect((await check([])).code).toBe(2);
    expect((await check(['--base-url', good.url])).code).toBe(2);
    expect((await check(['--base-url', good.url, '--api-key', 'k', '--profile', 'fast'])).code).toBe(2);
    expect((await check(['--base-url', good.url, '--api-key', 'k', '--samples', 'x'])).code).toBe(2);
    expect((await check(['--base-url', good.url, '--api-key', 'k', '--only', 'NO-SUCH-CHECK'])).code).toBe(2);
    expect((await check(['--bogus'])).code).toBe(2);
    expect((await check(['--base-url', good.url, '--api-key', 'k', '--require-extension', 'teleport'])).code).toBe(2);
    expect((await check(['--base-url', good.url, '--api-key', 'k', '--webhook-listen', 'nowhere'])).code).toBe(2);
  });

  it('exits 2 when the deployment cannot be reached', async () => {
    const r = await check(['--base-url', 'http://127.0.0.1:9', '--api-key', 'k']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot reach/);
  });

  it('exits 0 with one line per check when every MUST passes, and writes JUnit and JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-check-'));
    const r = await check([
      '--base-url',
      good.url,
      '--api-key',
      'key-a',
      '--only',
      'V2-SUBMIT-FIELDS',
      'V1-PNG',
      'AUTH-ISOLATION-404',
      '--junit',
      join(dir, 'junit.xml'),
      '--json',
      join(dir, 'report.json'),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS {2}MUST {3}V2-SUBMIT-FIELDS/m);
    expect(r.out).toMatch(/^SKIP {2}MUST {3}AUTH-ISOLATION-404 .*--second-api-key/m);
    expect(r.out).toMatch(/2 passed, 0 failed .* 1 skipped/);
    expect(r.out).toMatch(/^core: CONFORMANT$/m);
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testcase classname="bgr.conformance.core.MUST" name="V1-PNG"');
    expect(junit).toContain('<skipped message="needs --second-api-key"/>');
    expect(junit).toContain('<property name="core" value="CONFORMANT"/>');
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(json.summary).toMatchObject({ pass: 2, fail: 0, skip: 1 });
  });

  it('prints the capability table and writes a reproducible JSON report and an in-toto attestation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-check-'));
    const r = await check([
      '--base-url',
      production.url,
      '--api-key',
      'key-a',
      '--only',
      'V2-SUBMIT-FIELDS,V2-SUBMIT-CANCEL-URL,ERROR-CODES',
      '--json',
      join(dir, 'report.json'),
      '--junit',
      join(dir, 'junit.xml'),
      '--attestation',
      join(dir, 'attestation.json'),
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^SKIP {2}MUST {3}V2-SUBMIT-CANCEL-URL .*extension `cancel` not offered/m);
    expect(r.out).toMatch(/^core: CONFORMANT$/m);
    expect(r.out).toMatch(/^ {2}cancel +not offered +1 skip/m);
    expect(r.out).toMatch(/^ {2}error-codes +not offered/m);
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(json.provenance.contract.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.provenance.fixtures.length).toBeGreaterThanOrEqual(3);
    expect(json.provenance.options).toMatchObject({ apiKey: '<given>', profile: 'core' });
    expect(JSON.stringify(json)).not.toContain('key-a');
    expect(json.results[0]).toMatchObject({ id: 'V2-SUBMIT-FIELDS', layer: 'core', outcome: 'pass' });
    expect(json.results[0].exchanges[0]).toMatch(/^POST \/v2\/bg-removal → 200/);
    expect(json.capabilities.find((c: { extension: string }) => c.extension === 'cancel')).toMatchObject({
      verdict: 'not offered',
    });
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain(
      '<property name="extension.cancel" value="not offered"/>',
    );
    const att = JSON.parse(await readFile(join(dir, 'attestation.json'), 'utf8'));
    expect(att).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://in-toto.io/attestation/test-result/v0.1',
    });
    expect(att.predicate).toMatchObject({
      result: 'PASSED',
      passedTests: ['core/V2-SUBMIT-FIELDS'],
      warnedTests: [],
      failedTests: [],
    });
    expect(att.predicate.configuration.map((c: { name: string }) => c.name)).toContain('openapi.yaml');
  });

  it('exits 1 when a MUST of an offered extension fails, and names the extension', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-check-'));
    const r = await check([
      '--base-url',
      badCancel.url,
      '--api-key',
      'key-a',
      '--profile',
      'full',
      '--only',
      'V2-CANCEL-TERMINAL-409',
      '--attestation',
      join(dir, 'a.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^core: CONFORMANT$/m);
    expect(r.out).toMatch(/^ {2}cancel +offered, NOT conformant/m);
    expect(r.out).toContain('NOT CONFORMANT: offered extension(s) not conformant: cancel');
    const att = JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'));
    expect(att.predicate).toMatchObject({ result: 'FAILED', failedTests: ['cancel/V2-CANCEL-TERMINAL-409'] });
  });

  it('exits 1 when a required extension is not offered', async () => {
    const r = await check([
      '--base-url',
      production.url,
      '--api-key',
      'key-a',
      '--only',
      'V2-SUBMIT-FIELDS',
      '--require-extension',
      'cancel,error-codes',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}cancel +not offered \(required\)/m);
    expect(r.out).toContain('required extension(s) not offered: error-codes, cancel');
  });

  it('exits 1 and names the offending exchange when a MUST check fails', async () => {
    const r = await check(['--base-url', faulty.url, '--api-key', 'key-a', '--only', 'V2-FAILED-422-STATUS']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^FAIL {2}MUST {3}V2-FAILED-422-STATUS .*expected 422, got 200 \[GET \/v2\/requests\/[^ ]+\/status → 200 application\/json \{"request_id"/m,
    );
    expect(r.out).toContain('NOT CONFORMANT');
    expect(r.out).toMatch(/^core: NOT CONFORMANT$/m);
  });

  it('prints the contract coverage, puts it in the JSON report, and fails below --min-coverage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-check-'));
    const args = [
      '--base-url',
      good.url,
      '--api-key',
      'key-a',
      '--only',
      'V2-SUBMIT-FIELDS',
      '--json',
      join(dir, 'report.json'),
    ];
    const low = await check([...args, '--min-coverage', '1']);
    expect(low.code).toBe(0);
    expect(low.out).toMatch(
      /^coverage: [\d.]+ % of the contract's operation × status cells that apply \(\d+ of \d+; \d+ declared\)$/m,
    );
    expect(low.out).toMatch(/^ {2}POST \/v2\/bg-removal +200 /m);
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(
      json.coverage.cells.find(
        (c: { operationId: string; status: string }) => c.operationId === 'submitRemoval' && c.status === '200',
      ).observed,
    ).toBe(true);
    const high = await check([...args, '--min-coverage', '90']);
    expect(high.code).toBe(1);
    expect(high.out).toMatch(/NOT ENOUGH COVERAGE: [\d.]+ % observed, --min-coverage 90 %/);
    expect((await check([...args, '--min-coverage', '101'])).code).toBe(2);
  });

  it('is registered in the bgr CLI', async () => {
    const { stdout } = await exec(
      'node',
      ['bin/bgr.mjs', 'check', '--base-url', good.url, '--api-key', 'key-a', '--only', 'V2-SUBMIT-FIELDS'],
      { cwd: root },
    );
    expect(stdout).toMatch(/PASS {2}MUST {3}V2-SUBMIT-FIELDS/);
  });
});
