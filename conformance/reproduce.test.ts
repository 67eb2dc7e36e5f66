/**
 * Reproductions end to end: `bgr check` against faulty deployments prints a `curl` per exchange of each failed check;
 * pasted into a shell (Debian curl) with the key in $BGR_API_KEY, it gets the failing response again. The HAR of the
 * run is valid HAR 1.2 and holds no key.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import harValidator from 'har-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from './src/cli.ts';
import type { Report } from './src/report.ts';
import { startGoodServer, type GoodServer } from './testing/good-server.ts';

const exec = promisify(execFile);
const servers: GoodServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function check(args: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const code = await checkCommand(args, out, new PassThrough());
  return { code, out: text };
}

/** Runs a printed command line in sh, with the key in the environment as the printed hint says. */
async function paste(command: string, apiKey: string): Promise<string> {
  const { stdout } = await exec('sh', ['-c', command], {
    env: { ...process.env, BGR_API_KEY: apiKey },
    maxBuffer: 16 << 20,
  });
  return stdout;
}

/** The printed reproduction lines that follow a check's FAIL line. */
function printedCurls(out: string, id: string): string[] {
  const block = out
    .slice(out.indexOf(`FAIL  MUST   ${id}`))
    .split('\n')
    .slice(1);
  const end = block.findIndex((l) => !l.startsWith('    '));
  return block
    .slice(0, end)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl '));
}

describe.each([
  { fault: 'failed-200' as const, id: 'V2-FAILED-422-STATUS', failing: /^HTTP\/1\.1 200[\s\S]*"status":"FAILED"/ },
  { fault: 'cancel-terminal-200' as const, id: 'V2-CANCEL-TERMINAL-409', failing: /^HTTP\/1\.1 200/ },
])('the reproduction of $id against `$fault`', ({ fault, id, failing }) => {
  let dir: string;
  let run: { code: number; out: string };
  let report: Report;
  beforeAll(async () => {
    const server = await startGoodServer({ fault });
    servers.push(server);
    dir = await mkdtemp(join(tmpdir(), 'bgr-reproduce-'));
    run = await check([
      '--base-url',
      server.url,
      '--api-key',
      'key-a',
      '--profile',
      'full',
      '--only',
      id,
      '--json',
      join(dir, 'report.json'),
      '--har',
      join(dir, 'run.har'),
    ]);
    report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report;
  });

  it('is printed, and in the JSON report, with the key as $BGR_API_KEY', () => {
    expect(run.code).toBe(1);
    const result = report.results.find((r) => r.id === id)!;
    expect(result.outcome).toBe('fail');
    expect(result.reproduce!.length).toBeGreaterThan(0);
    expect(printedCurls(run.out, id).length).toBeGreaterThan(0);
    for (const r of result.reproduce!) expect(r.curl).toContain('"x-api-key: $BGR_API_KEY"');
    expect(run.out + JSON.stringify(report)).not.toContain('key-a');
  });

  it('gets the failing response again when the printed curl is pasted into a shell', async () => {
    const result = report.results.find((r) => r.id === id)!;
    const cited = result.reproduce!.find((r) => r.seq === result.cited)!;
    expect(printedCurls(run.out, id)).toContain(cited.curl);
    expect(await paste(cited.curl, 'key-a')).toMatch(failing);
  });

  it('replays every exchange, bodies from the files beside the report', async () => {
    for (const curl of printedCurls(run.out, id)) {
      const answer = await paste(curl, 'key-a');
      expect(answer).toMatch(/^HTTP\/1\.1 [1-5]\d\d/);
      if (curl.includes('--data-binary @')) expect(curl).toContain(join(dir, 'bgr-repro'));
    }
  });

  it('writes the run as valid HAR 1.2 without the key', async () => {
    const text = await readFile(join(dir, 'run.har'), 'utf8');
    const har = JSON.parse(text) as { log: { entries: { request: { url: string } }[] } };
    await expect(harValidator.har(har)).resolves.toBeTruthy();
    expect(har.log.entries.length).toBeGreaterThan(1);
    expect(text).not.toContain('key-a');
  });
});
