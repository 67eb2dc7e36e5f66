import { afterEach, describe, expect, it } from 'vitest';
import { runChecks } from '../src/runner.ts';
import { faults } from './faults.ts';
import { startGoodServer, type FaultName, type GoodServer } from './good-server.ts';

let server: GoodServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('each faulty deployment is failed by the checks it breaks', () => {
  it.each(Object.entries(faults))('%s', async (name, fault) => {
    server = await startGoodServer({ ...fault.server, fault: name as FaultName });
    const report = await runChecks({
      baseUrl: server.url,
      apiKey: 'key-a',
      secondApiKey: 'key-b',
      burst: 400,
      ...fault.run,
      // Only the relevant checks: keeps the whole table fast.
      only: [...fault.kills, ...(fault.also ?? [])],
    });
    const failed = report.results.filter((r) => r.outcome === 'fail').map((r) => r.id);
    const reasons = report.results.map((r) => `${r.id} ${r.outcome}: ${r.reason}`).join('\n');
    expect(failed, reasons).toEqual(expect.arrayContaining(fault.kills));
    if (fault.kills.some((id) => report.results.find((r) => r.id === id)?.level === 'MUST')) expect(report.ok).toBe(false);
  });
});
