/** The generators and the lifecycle invariants on their own: generated bodies as the contract judges them, and each invariant able to fail. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodies, isValid } from './bodies.ts';
import { violation, type Tracked } from './lifecycle.ts';

const images = { base64: 'iVBORw0KGgo=', dataUri: 'data:image/png;base64,iVBORw0KGgo=' };

describe('generated bodies', () => {
  it('are valid exactly when unmutated, for both request schemas (seeded: the same seed, the same bodies)', () => {
    for (const schema of ['RemoveRequest', 'SubmitRequest']) {
      const sample = fc.sample(bodies(schema, images, new Set(['output-options'])), { numRuns: 200, seed: 7 });
      expect(fc.sample(bodies(schema, images, new Set(['output-options'])), { numRuns: 200, seed: 7 })).toEqual(sample);
      for (const g of sample)
        if (g.mutation === 'none (valid)') expect(isValid(schema, g.body), JSON.stringify(g.body)).toBe(true);
      const invalid = sample.filter((g) => g.mutation !== 'none (valid)');
      expect(invalid.filter((g) => !isValid(schema, g.body)).length / invalid.length).toBeGreaterThan(0.9);
      expect(new Set(invalid.map((g) => g.mutation.replace(/`[^`]*`/g, 'X'))).size).toBeGreaterThanOrEqual(4);
    }
  });

  it('use the fields of an extension only where it is offered', () => {
    const without = fc
      .sample(bodies('SubmitRequest', images, new Set()), { numRuns: 200, seed: 3 })
      .filter((g) => g.mutation === 'none (valid)');
    expect(without.some((g) => 'format' in (g.body as object) || 'webhook' in (g.body as object))).toBe(false);
  });
});

describe('lifecycle invariants', () => {
  const fresh = (): Tracked => ({ id: 'r1', highest: 0 });
  it.each([
    ['forward is fine', [['QUEUED'], ['PROCESSING'], ['COMPLETED'], ['COMPLETED']], undefined],
    ['a state going back', [['PROCESSING'], ['QUEUED']], /went back to QUEUED/],
    ['a terminal state changing', [['COMPLETED'], ['FAILED']], /changed from COMPLETED to FAILED/],
    ['a stream repeating forward', [['QUEUED', 'PROCESSING', 'COMPLETED']], undefined],
    ['a stream going back', [['QUEUED', 'COMPLETED', 'PROCESSING']], /went back to PROCESSING/],
  ] as const)('%s', (_what, answers, expected) => {
    const t = fresh();
    const problems = answers.map((states) => violation(t, { status: 200 }, [...states], 3_600_000)).filter(Boolean);
    if (expected) expect(problems[0]).toMatch(expected);
    else expect(problems).toEqual([]);
  });

  it('404 only once the retention has passed, and then for good', () => {
    const early = fresh();
    expect(violation(early, { status: 404 }, [], 1000)).toMatch(/before its retention passed/);
    const t = fresh();
    expect(violation(t, { status: 200 }, ['COMPLETED'], 1000, 0)).toBeUndefined();
    expect(violation(t, { status: 404 }, [], 1000, 1500)).toBeUndefined();
    expect(violation(t, { status: 200 }, ['COMPLETED'], 1000, 1600)).toMatch(/after it was gone/);
  });
});
