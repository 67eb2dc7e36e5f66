import { describe, expect, it } from 'vitest';
import { importGraph } from './import-graph.ts';
import { layerViolations, SRC } from './layers.ts';

describe("reference-impl/src's layers", () => {
  it('every product file is in a layer and imports only what the dependency rule allows', async () => {
    const graph = await importGraph();
    expect([...graph.keys()].filter((f) => f.startsWith(`${SRC}http/`)).length).toBeGreaterThan(10);
    expect(layerViolations(graph)).toEqual([]);
  });

  const g = (edges: Record<string, string[]>) =>
    new Map(Object.entries(edges).map(([f, deps]) => [SRC + f, deps.map((d) => SRC + d)]));

  it.each([
    ['the domain importing HTTP', { 'v2/lifecycle.ts': ['http/app.ts'] }, ['v2/lifecycle.ts (v2) imports http/app.ts (http)']],
    ['the domain importing an adapter', { 'v2/store.ts': ['adapters/redis/index.ts'] }, ['v2/store.ts (v2) imports adapters/redis/index.ts (adapters)']],
    ['the engine importing the domain', { 'engine/pool.ts': ['v2/store.ts'] }, ['engine/pool.ts (engine) imports v2/store.ts (v2)']],
    ['the engine importing the kernel', { 'engine/pool.ts': ['errors.ts'] }, ['engine/pool.ts (engine) imports errors.ts (kernel)']],
    ['an adapter importing HTTP', { 'adapters/redis/index.ts': ['http/keys.ts'] }, ['adapters/redis/index.ts (adapters) imports http/keys.ts (http)']],
    ['HTTP importing the process', { 'http/app.ts': ['process/serve.ts'] }, ['http/app.ts (http) imports process/serve.ts (process)']],
    ['a file in no layer', { 'misc/x.ts': ['v2/store.ts'] }, [expect.stringMatching(/^misc\/x\.ts: in no layer/)]],
    ['the process wiring everything', { 'process/serve.ts': ['http/app.ts', 'adapters/redis/index.ts', 'v2/store.ts', 'engine/index.ts', 'errors.ts'] }, []],
    ['HTTP reading the Config type (an exception)', { 'http/app.ts': ['process/config.ts'] }, []],
    ['a test reaching across layers', { 'v2/store.test.ts': ['process/serve.ts'], 'v2/testing.ts': ['http/app.ts'] }, []],
  ])('refuses or allows %s', (_what, edges, want) => {
    expect(layerViolations(g(edges))).toEqual(want);
  });
});
