import { describe, expect, it, vi } from 'vitest';
import { benchCommand } from './index.ts';

describe('bgr bench flags', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--runs'], /'--runs <value>' argument missing/],
    [['stray'], /Unexpected argument 'stray'/],
    [['--runs', '0'], /--runs must be a positive integer/],
  ])('%j is a usage error (exit 2), before any benchmark runs', async (args, message) => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await benchCommand(args)).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(message);
    } finally {
      err.mockRestore();
    }
  });
});
