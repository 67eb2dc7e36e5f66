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
    [
      'the domain importing HTTP',
      { 'removal/service.ts': ['http/app.ts'] },
      ['removal/service.ts (removal) imports http/app.ts (http)'],
    ],
    [
      'the domain importing an adapter',
      { 'removal/store.ts': ['adapters/redis/index.ts'] },
      ['removal/store.ts (removal) imports adapters/redis/index.ts (adapters)'],
    ],
    [
      'the engine importing the domain',
      { 'engine/pool.ts': ['removal/store.ts'] },
      ['engine/pool.ts (engine) imports removal/store.ts (removal)'],
    ],
    [
      'the engine importing the kernel',
      { 'engine/pool.ts': ['errors.ts'] },
      ['engine/pool.ts (engine) imports errors.ts (kernel)'],
    ],
    [
      'an adapter importing HTTP',
      { 'adapters/redis/index.ts': ['http/auth.ts'] },
      ['adapters/redis/index.ts (adapters) imports http/auth.ts (http)'],
    ],
    [
      'HTTP importing the process',
      { 'http/app.ts': ['process/serve.ts'] },
      ['http/app.ts (http) imports process/serve.ts (process)'],
    ],
    ['a file in no layer', { 'misc/x.ts': ['removal/store.ts'] }, [expect.stringMatching(/^misc\/x\.ts: in no layer/)]],
    [
      'the process wiring everything',
      {
        'process/serve.ts': [
          'http/app.ts',
          'adapters/redis/index.ts',
          'removal/store.ts',
          'engine/index.ts',
          'errors.ts',
        ],
      },
      [],
    ],
    ['HTTP reading the Config type (an exception)', { 'http/app.ts': ['process/config.ts'] }, []],
    [
      'a test reaching across layers',
      { 'removal/store.test.ts': ['process/serve.ts'], 'removal/testing.ts': ['http/app.ts'] },
      [],
    ],
  ])('refuses or allows %s', (_what, edges, want) => {
    expect(layerViolations(g(edges))).toEqual(want);
  });
});
