import { describe, expect, it } from 'vitest';
import { circles, importGraph } from './import-graph.ts';

describe('the import graph', () => {
  it('has no circles', async () => {
    const graph = await importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(circles(graph)).toEqual([]);
  });

  it.each([
    ['a two-file circle', { a: ['b'], b: ['a'] }, [['a', 'b']]],
    ['a three-file circle', { a: ['b'], b: ['c'], c: ['a'], d: ['a'] }, [['a', 'b', 'c']]],
    ['a chain', { a: ['b'], b: ['c'], c: [] }, []],
  ])('finds %s', (_what, edges, want) => {
    expect(circles(new Map(Object.entries(edges)))).toEqual(want);
  });
});
