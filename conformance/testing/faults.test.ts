import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../src/registry.ts';
import { runChecks } from '../src/runner.ts';
import { faults } from './faults.ts';
import { startGoodServer, type FaultName, type GoodServer } from './good-server.ts';

let server: GoodServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const layerOf = (id: string) => registry.find((c) => c.id === id)?.extension ?? 'core';

/**
 * Each fault on both shapes of the good server. With every extension offered, every check a fault kills must fail.
 * On the production-shaped server (no extension), the core checks it kills must still fail, and its extension
 * checks must be reported "not offered": a skip, never a failure.
 */
describe.each([
  { shape: 'every extension', production: false },
  { shape: 'production-shaped', production: true },
])('each faulty deployment ($shape) is failed by the checks it breaks', ({ production }) => {
  it.each(Object.entries(faults))('%s', async (name, fault) => {
    server = await startGoodServer({ ...fault.server, fault: name as FaultName, production });
    const report = await runChecks({
      baseUrl: server.url,
      apiKey: 'key-a',
      secondApiKey: 'key-b',
      burst: 400,
      ...fault.run,
      // Only the relevant checks: keeps the whole table fast.
      only: [...fault.kills, ...(fault.also ?? [])],
    });
    const reasons = report.results.map((r) => `${r.id} ${r.outcome}: ${r.reason}`).join('\n');
    const outcome = (id: string) => report.results.find((r) => r.id === id);
    const mustFail = production ? fault.kills.filter((id) => layerOf(id) === 'core') : fault.kills;
    const notOffered = fault.kills.filter((id) => !mustFail.includes(id));
    expect(
      report.results.filter((r) => r.outcome === 'fail').map((r) => r.id),
      reasons,
    ).toEqual(expect.arrayContaining(mustFail));
    for (const id of notOffered)
      expect(outcome(id), `${id}\n${reasons}`).toMatchObject({ outcome: 'skip', notOffered: true });
    const killsMust = mustFail.some((id) => outcome(id)?.level === 'MUST');
    expect(report.ok, reasons).toBe(!killsMust);
  });
});
