import { describe, expect, it } from 'vitest';
import { parseScript } from './script.ts';

describe('the x-bgr-sandbox header', () => {
  it.each([
    { header: undefined, script: undefined },
    { header: 'fail=invalid_image', script: { fail: 'invalid_image' } },
    { header: 'delay=2.5', script: { delayS: 2.5 } },
    { header: 'queued', script: { queued: true } },
    { header: 'once=429', script: { once: 'rate_limited' } },
    { header: 'once=502', script: { once: 'worker_unavailable' } },
    { header: 'once=deadline_exceeded', script: { once: 'deadline_exceeded' } },
    { header: 'delay=1, fail=inference_failed', script: { delayS: 1, fail: 'inference_failed' } },
  ])('$header', ({ header, script }) => {
    expect(parseScript(header)).toEqual(script);
  });

  it.each(['fail=nope', 'delay=-1', 'delay=abc', 'delay=601', 'queued=1', 'explode', 'once=418'])(
    'refuses %s with 400 invalid_parameter',
    (header) => {
      expect(() => parseScript(header)).toThrow(
        expect.objectContaining({ code: 'invalid_parameter', statusCode: 400 }),
      );
    },
  );
});
