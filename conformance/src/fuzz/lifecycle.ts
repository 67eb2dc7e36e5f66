/**
 * Random call sequences on the v2 lifecycle (fast-check): submit, status, result, cancel and stream calls in any
 * order, with short waits, checked after each call against the lifecycle's invariants: a state never goes back, a
 * terminal state never changes, and a request, once answered 404, stays gone (and is not gone before its retention).
 */
import fc from 'fast-check';
import type { Exchange } from '../http.ts';
import { parseEvents } from '../sse.ts';

export type Op =
  { op: 'submit' } | { op: 'status' | 'result' | 'cancel' | 'stream'; target: number } | { op: 'wait'; ms: number };

/** Sequences of calls; the first is always a submit. `cancel` and `stream` only where offered. */
export function sequences(offered: { cancel: boolean; stream: boolean }, maxLength = 14): fc.Arbitrary<Op[]> {
  const target = fc.nat({ max: 2 });
  const ops: fc.Arbitrary<Op>[] = [
    fc.constant({ op: 'submit' as const }),
    target.map((t) => ({ op: 'status' as const, target: t })),
    target.map((t) => ({ op: 'result' as const, target: t })),
    fc.integer({ min: 20, max: 500 }).map((ms) => ({ op: 'wait' as const, ms })),
    ...(offered.cancel ? [target.map((t) => ({ op: 'cancel' as const, target: t }))] : []),
    ...(offered.stream ? [target.map((t) => ({ op: 'stream' as const, target: t }))] : []),
  ];
  return fc.array(fc.oneof(...ops), { minLength: 2, maxLength }).map((rest) => [{ op: 'submit' as const }, ...rest]);
}

const rank = (s: unknown) =>
  s === 'QUEUED' ? 0 : s === 'PROCESSING' ? 1 : s === 'COMPLETED' || s === 'FAILED' ? 2 : -1;
const terminal = (s: unknown) => s === 'COMPLETED' || s === 'FAILED';

/** What the suite knows of one submitted request. */
export interface Tracked {
  id: string;
  highest: number;
  terminal?: string;
  endedAt?: number;
  goneAt?: number;
}

/** The invariant an answer breaks for a tracked request, or undefined. `states`: the states the answer reports (a stream reports several). */
export function violation(
  t: Tracked,
  ex: Pick<Exchange, 'status'>,
  states: unknown[],
  retentionMs: number,
  now = Date.now(),
): string | undefined {
  if (ex.status === 404) {
    if (t.goneAt === undefined && (t.endedAt === undefined || now - t.endedAt < retentionMs))
      return `404 for ${t.id} before its retention passed`;
    t.goneAt ??= now;
    return undefined;
  }
  if (t.goneAt !== undefined && ex.status < 300) return `${t.id} answered ${ex.status} after it was gone (404)`;
  for (const s of states) {
    if (rank(s) < 0) continue;
    if (rank(s) < t.highest)
      return `${t.id} went back to ${String(s)} after ${t.terminal ?? (t.highest === 1 ? 'PROCESSING' : 'QUEUED')}`;
    if (t.terminal && s !== t.terminal) return `${t.id} changed from ${t.terminal} to ${String(s)}`;
    t.highest = Math.max(t.highest, rank(s));
    if (terminal(s)) {
      t.terminal ??= s as string;
      t.endedAt ??= now;
    }
  }
  return undefined;
}

/** The states an answer reports: its body's `status`, or every event of a status stream. */
export function statesOf(ex: Pick<Exchange, 'json' | 'body' | 'contentType'>): unknown[] {
  if (/^text\/event-stream/i.test(ex.contentType))
    return parseEvents(ex.body.toString('utf8')).map((e) => (e.json as { status?: unknown } | undefined)?.status);
  return [(ex.json as { status?: unknown } | undefined)?.status];
}
