/**
 * Generated inputs end to end: a fault no fixed check finds (a `method` that is not a string crashes the server)
 * passes the whole `full` profile, and fails FUZZ-BODIES with the case shrunk to a minimal body; the seed reproduces it.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from './src/cli.ts';
import { selectChecks } from './src/registry.ts';
import { runChecks } from './src/runner.ts';
import { startGoodServer, type GoodServer } from './testing/good-server.ts';

let server: GoodServer;
beforeAll(async () => {
  server = await startGoodServer({ fault: 'method-type-500' });
});
afterAll(() => server.close());

async function check(args: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  return { code: await checkCommand(args, out, new PassThrough()), out: text };
}

describe('a fault only generated inputs find', () => {
  it('passes every fixed check of the full profile', async () => {
    const report = await runChecks({
      baseUrl: server.url,
      apiKey: 'key-a',
      secondApiKey: 'key-b',
      profile: 'full',
      burst: 400,
    });
    expect(report.results.filter((r) => r.outcome === 'fail').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('fails FUZZ-BODIES under --fuzz, shrunk to a minimal body, the same with the same seed', async () => {
    const args = [
      '--base-url',
      server.url,
      '--api-key',
      'key-a',
      '--fuzz',
      '40',
      '--seed',
      '11',
      '--only',
      'FUZZ-BODIES',
    ];
    const first = await check(args);
    expect(first.code).toBe(1);
    const line = first.out.split('\n').find((l) => l.startsWith('FAIL  MUST   FUZZ-BODIES'))!;
    expect(line).toMatch(
      /answered 500 to a generated body — minimal case after \d+ shrinks: POST \/v[12]\/bg-removal \(application\/json[^)]*, `method` of the wrong type\) \{"image":"[^"]+","method":.*\} \(seed 11,/,
    );
    const again = (await check(args)).out.split('\n').find((l) => l.startsWith('FAIL  MUST   FUZZ-BODIES'))!;
    const minimal = (l: string) => l.slice(l.indexOf('minimal case'), l.indexOf('cases sent'));
    expect(minimal(again)).toBe(minimal(line));
  });

  it('runs in the fuzz profile, and with --fuzz in any other', () => {
    expect(selectChecks('fuzz').map((c) => c.id)).toEqual(
      expect.arrayContaining(['FUZZ-BODIES', 'FUZZ-LIFECYCLE', 'V2-STATE-ORDER']),
    );
    expect(selectChecks('full').map((c) => c.id)).not.toContain('FUZZ-BODIES');
    expect(selectChecks('core', undefined, true).map((c) => c.id)).toContain('FUZZ-LIFECYCLE');
  });
});
