/** The latency split: what the deployment reports, the suite's own 429 waits, and the rest, never negative. */
import { describe, expect, it } from 'vitest';
import type { Exchange } from '../http.ts';
import { percentile, splitSample } from './latency.ts';

const ex = (over: Partial<Exchange>): Exchange => ({
  seq: 1,
  check: 'X',
  method: 'GET',
  url: '',
  path: '',
  status: 200,
  contentType: 'application/json',
  headers: {},
  body: Buffer.alloc(0),
  json: undefined,
  ms: 1,
  violations: [],
  startedAt: '',
  request: { headers: {} },
  ...over,
});

describe('splitSample', () => {
  it.each([
    [
      'v1: x-inference-time',
      1.0,
      [ex({ headers: { 'x-inference-time': '0.600' } })],
      { inferenceS: 0.6, queueS: 0, waitS: 0, restS: 0.4 },
    ],
    [
      'v2: the last metrics win',
      2.0,
      [
        ex({ json: { metrics: { queue_time: 0.1 } } }),
        ex({ json: { metrics: { inference_time: 1.2, queue_time: 0.5 } } }),
      ],
      { inferenceS: 1.2, queueS: 0.5, waitS: 0, restS: 0.3 },
    ],
    [
      '429 waits counted apart',
      3.0,
      [ex({ throttledMs: 2000, headers: { 'x-inference-time': '0.5' } })],
      { inferenceS: 0.5, queueS: 0, waitS: 2, restS: 0.5 },
    ],
    [
      'reported beyond the total is scaled down, rest 0',
      1.0,
      [ex({ json: { metrics: { inference_time: 1.5, queue_time: 0.5 } } })],
      { inferenceS: 0.75, queueS: 0.25, waitS: 0, restS: 0 },
    ],
    ['nothing reported: all rest', 0.8, [ex({})], { inferenceS: 0, queueS: 0, waitS: 0, restS: 0.8 }],
  ] as const)('%s', (_what, total, exchanges, expected) => {
    const s = splitSample(total, exchanges);
    for (const [k, v] of Object.entries(expected)) expect(s[k as keyof typeof s], k).toBeCloseTo(v, 6);
    expect(s.inferenceS + s.queueS + s.waitS + s.restS).toBeCloseTo(total, 6);
  });

  it('nearest-rank percentiles', () => expect([50, 95, 99].map((p) => percentile([1, 2, 3, 4], p))).toEqual([2, 4, 4]));
});
