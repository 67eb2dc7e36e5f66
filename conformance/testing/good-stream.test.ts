import { describe, expect, it } from 'vitest';
import { wantsStream } from './good-stream.ts';

describe('wantsStream', () => {
  it.each([
    ['text/event-stream', true],
    ['text/event-stream, application/json', true],
    ['application/json, text/event-stream', false],
    ['application/json, image/png, image/webp, */*', false],
    ['*/*', false],
    [undefined, false],
  ])('%s → %s', (accept, want) => {
    expect(wantsStream(accept)).toBe(want);
  });
});
