import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from './runner.ts';

const root = new URL('../../', import.meta.url);
let prism: ChildProcess;
let baseUrl: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  prism = spawn(
    new URL('node_modules/.bin/prism', root).pathname,
    ['mock', 'spec/openapi.yaml', '-h', '127.0.0.1', '-p', String(port)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Prism did not start in 60 s')), 60_000);
    prism.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    prism.on('exit', (code) => reject(new Error(`Prism exited with ${code}`)));
  });
});
afterAll(() => {
  prism?.kill();
});

describe('the suite against the Prism mock (profile mock)', () => {
  it('passes every mock check', async () => {
    const report = await runChecks({ baseUrl, apiKey: 'any-key', profile: 'mock' });
    const bad = report.results.filter((r) => r.outcome !== 'pass').map((r) => `${r.id} ${r.outcome}: ${r.reason}`);
    expect(bad).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.results.length).toBeGreaterThanOrEqual(10);
  });

  it('fails the core profile on a mock (it keeps no state), as it should', async () => {
    const report = await runChecks({
      baseUrl,
      apiKey: 'any-key',
      profile: 'core',
      only: ['V2-NOT-FOUND-UNKNOWN', 'V1-PNG'],
    });
    expect(report.results.map((r) => r.outcome)).toEqual(['fail', 'fail']);
  });
});
