import { describe, expect, it } from 'vitest';
import { slowestLines } from './slowest-files.ts';

describe('the slowest-files reporter', () => {
  it('lists the slowest first, with seconds, share and state', () => {
    const lines = slowestLines(
      [
        { file: 'a.test.ts', ms: 1000, state: 'passed' },
        { file: 'b.test.ts', ms: 3000, state: 'failed' },
        { file: 'c.test.ts', ms: 500, state: 'passed' },
      ],
      2,
    );
    expect(lines).toEqual(['    3.0 s  67 %  b.test.ts (failed)', '    1.0 s  22 %  a.test.ts']);
  });
});
