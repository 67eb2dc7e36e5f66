/** The chaos checker on hand-made histories: a clean one passes, and each invariant is shown failing on its own. */
import { describe, expect, it } from 'vitest';
import { check, formatVerdict } from './checker.ts';
import type { ClientOp, HistoryEvent } from './history.ts';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const run: HistoryEvent = {
  kind: 'run',
  seed: 1,
  durationMs: 60_000,
  retentionMs: 3_600_000,
  graceMs: 1_000,
  webhookSpanMs: 35_000,
};
const op = (o: Partial<ClientOp> & Pick<ClientOp, 'op' | 't0' | 'status'>): ClientOp => ({
  kind: 'op',
  client: 0,
  key: 'k0',
  t1: o.t0 + 5,
  ...o,
});

/** One request submitted with a webhook, seen through to COMPLETED, delivered once, charged once. */
const clean: HistoryEvent[] = [
  run,
  op({ op: 'submit', id: A, webhook: true, t0: 0, status: 200, state: 'QUEUED' }),
  op({ op: 'status', id: A, t0: 10, status: 200, state: 'PROCESSING' }),
  op({ op: 'stream', id: A, t0: 20, status: 200, states: ['PROCESSING', 'COMPLETED'], state: 'COMPLETED' }),
  op({ op: 'probe', id: A, key: 'k1', t0: 30, status: 404, code: 'not_found' }),
  { kind: 'delivery', t: 40, id: A, state: 'COMPLETED', answered: 204, verified: true },
  op({ op: 'submit', id: B, idem: 'i1', t0: 50, status: 200, state: 'QUEUED' }),
  op({ op: 'submit', id: B, idem: 'i1', t0: 60, status: 200, state: 'QUEUED' }), // a replay repeats QUEUED: not a step back
  op({ op: 'cancel', id: B, t0: 70, status: 200, state: 'FAILED', code: 'canceled' }),
  op({ op: 'v1', key: 'v0', t0: 80, status: 200 }),
  { kind: 'ledger', key: 'k0', initial: 100, final: 99, holds: 0 },
  { kind: 'ledger', key: 'v0', initial: 100, final: 99, holds: 0 },
  { kind: 'ledger', key: 'k1', initial: 100, final: 100, holds: 0 },
];

const violated = (events: HistoryEvent[]) =>
  check(events)
    .rows.filter((r) => r.violations > 0)
    .map((r) => r.invariant);
const replace = (i: number, e: HistoryEvent) => clean.map((x, j) => (j === i ? e : x));

describe('the chaos checker', () => {
  it('passes a clean history', () => {
    const v = check(clean);
    expect(formatVerdict(v)).toContain('OK: no invariant violated');
    expect(v.ok).toBe(true);
  });

  it.each<[string, HistoryEvent[]]>([
    [
      'acknowledged ⇒ terminal',
      [
        ...clean.slice(0, 6),
        ...clean.slice(7, 8),
        op({ op: 'status', id: B, t0: 70, status: 200, state: 'QUEUED' }),
        ...clean.slice(9, 10),
        { kind: 'ledger', key: 'k0', initial: 100, final: 99, holds: 0 },
        clean[11]!,
        clean[12]!,
      ],
    ],
    ['states never go back', [...clean, op({ op: 'status', id: A, t0: 100, status: 200, state: 'PROCESSING' })]],
    ['states never go back', [...clean, op({ op: 'status', id: A, t0: 100, status: 404, code: 'not_found' })]],
    ['≤ 1 charge, none for FAILED', replace(10, { kind: 'ledger', key: 'k0', initial: 100, final: 98, holds: 0 })],
    // A 503 submit explains no extra charge, even one in flight when the store went away: a refused request is
    // withdrawn, and a charge its job took meanwhile is given back.
    [
      '≤ 1 charge, none for FAILED',
      [
        ...replace(10, { kind: 'ledger', key: 'k0', initial: 100, final: 98, holds: 0 }),
        { kind: 'fault', fault: 'redis-restart', target: 'redis', t0: 1_000, t1: 3_000 },
        op({ op: 'submit', t0: 990, t1: 3_000, status: 503, retryAfter: '2', code: 'service_unavailable' }),
      ],
    ],
    ['no credit hold left behind', replace(12, { kind: 'ledger', key: 'k1', initial: 100, final: 100, holds: 1 })],
    [
      'exactly one webhook delivery',
      [...clean, { kind: 'delivery', t: 45, id: A, state: 'COMPLETED', answered: 200, verified: true }],
    ],
    ['exactly one webhook delivery', clean.filter((e) => e.kind !== 'delivery')],
    [
      'exactly one webhook delivery',
      replace(5, { kind: 'delivery', t: 40, id: A, state: 'FAILED', answered: 204, verified: true }),
    ],
    [
      'no request visible to another key',
      replace(4, op({ op: 'probe', id: A, key: 'k1', t0: 30, status: 200, state: 'COMPLETED' })),
    ],
    [
      'answers are about the request asked',
      [...clean, op({ op: 'status', id: A, t0: 90, status: 200, state: 'COMPLETED', bodyId: B })],
    ],
    [
      '5xx only 502/503/504 + Retry-After, during faults',
      [...clean, op({ op: 'status', id: A, t0: 90, status: 500, code: 'internal' })],
    ],
    [
      '5xx only 502/503/504 + Retry-After, during faults',
      [...clean, op({ op: 'submit', t0: 90, status: 503, code: 'service_unavailable' })],
    ],
    [
      '5xx only 502/503/504 + Retry-After, during faults',
      [...clean, op({ op: 'submit', t0: 90, status: 503, retryAfter: '1', code: 'service_unavailable' })],
    ],
    [
      'error bodies carry no request_id',
      [...clean, op({ op: 'submit', t0: 90, status: 400, code: 'invalid_parameter', errorHasRequestId: true })],
    ],
    [
      'idempotent replays get the same id',
      [...clean, op({ op: 'submit', id: A, idem: 'i1', t0: 90, status: 200, state: 'QUEUED' })],
    ],
  ])('%s: a violating history fails it', (invariant, events) => {
    const v = check(events);
    expect(v.ok).toBe(false);
    expect(violated(events)).toContain(invariant);
    expect(formatVerdict(v)).toContain(`✗ ${invariant}:`);
  });

  it.each<[string, HistoryEvent[]]>([
    // A 503 with Retry-After while Redis was restarting is declared, and allowed.
    [
      'a declared 503 during a fault',
      [
        ...clean,
        { kind: 'fault', fault: 'redis-restart', target: 'redis', t0: 85, t1: 95 },
        op({ op: 'submit', t0: 90, status: 503, retryAfter: '1', code: 'service_unavailable' }),
      ],
    ],
    // A 404 after the retention is the request expiring, not going back.
    ['a 404 after retention', [...clean, op({ op: 'status', id: A, t0: 3_700_000, status: 404, code: 'not_found' })]],
    // The binding expires with its request: a reused key after the retention is a new request.
    [
      'a reused Idempotency-Key after the retention',
      [...clean, op({ op: 'submit', id: A, idem: 'i1', t0: 3_700_000, status: 200, state: 'QUEUED' })],
    ],
  ])('allows %s', (_n, events) => {
    expect(check(events).ok).toBe(true);
  });

  it.each<[string, HistoryEvent[], string]>([
    [
      'a request acknowledged just before a failover and lost with the old primary',
      [
        ...clean,
        op({ op: 'submit', id: 'lost', t0: 100, status: 200, state: 'QUEUED' }),
        { kind: 'fault', fault: 'redis-failover', target: 'redis', t0: 500, t1: 600, lagBytes: 120 },
        op({ op: 'status', id: 'lost', t0: 700, status: 404, code: 'not_found' }),
      ],
      'acknowledged ⇒ terminal',
    ],
    [
      'a webhook never delivered because the receiver stayed down past the retry span',
      [
        ...clean.filter((e) => e.kind !== 'delivery'),
        { kind: 'fault', fault: 'receiver-down', target: 'receiver', t0: 0, t1: 60_000 },
      ],
      'exactly one webhook delivery',
    ],
    [
      'a request acknowledged just before Redis was killed and restarted (AOF everysec)',
      [
        ...clean,
        op({ op: 'submit', id: 'lost', t0: 100, status: 200, state: 'QUEUED' }),
        { kind: 'fault', fault: 'redis-restart', target: 'redis', t0: 1_000, t1: 3_000 },
        op({ op: 'status', id: 'lost', t0: 4_000, status: 404, code: 'not_found' }),
      ],
      'acknowledged ⇒ terminal',
    ],
    [
      'a webhook delivered twice around a worker killed after the 2xx (at least once, same webhook-id)',
      [
        ...clean,
        { kind: 'fault', fault: 'kill-worker', target: 'worker1', t0: 41, t1: 100 },
        { kind: 'delivery', t: 140, id: A, state: 'COMPLETED', answered: 204, verified: true },
      ],
      'exactly one webhook delivery',
    ],
  ])('counts apart, not as violations: %s', (_n, events, invariant) => {
    const v = check(events);
    expect(v.ok).toBe(true);
    expect(v.rows.find((r) => r.invariant === invariant)!.excused).toBe(1);
  });
});
