/**
 * The chaos checker: reads a whole history (client log, faults, receiver log, Redis ledger) and checks each
 * invariant over every request. Pure: the same history always gives the same table.
 */
import type { ClientOp, Delivery, FaultEvent, HistoryEvent, Ledger, RunInfo } from './history.ts';

export interface Row {
  invariant: string;
  /** How many things it was checked on. */
  checked: number;
  violations: number;
  /** Cases that are not violations but a documented limit (e.g. async replication's window), counted apart. */
  excused: number;
  /** The first few violations, for the reader. */
  examples: string[];
}

export interface Verdict {
  rows: Row[];
  ok: boolean;
}

const RANK: Record<string, number> = { QUEUED: 0, PROCESSING: 1, COMPLETED: 2, FAILED: 2 };
const terminal = (s: string | undefined): s is 'COMPLETED' | 'FAILED' => s === 'COMPLETED' || s === 'FAILED';

/** What the history says about one acknowledged v2 request. */
interface RequestView {
  id: string;
  key: string;
  ackAt: number;
  webhook: boolean;
  /** Observations with a state (status/result/stream/cancel/submit), in issue order. */
  seen: { t0: number; t1: number; state: string; client: number }[];
  /** 404s on it (the client's own key). */
  missing: { t0: number; t1: number }[];
  terminal?: { state: 'COMPLETED' | 'FAILED'; at: number };
}

function row(invariant: string): Row {
  return { invariant, checked: 0, violations: 0, excused: 0, examples: [] };
}
function violate(r: Row, what: string): void {
  r.violations++;
  if (r.examples.length < 5) r.examples.push(what);
}

/** Runs every invariant over the events. */
export function check(events: readonly HistoryEvent[]): Verdict {
  const info = events.find((e): e is RunInfo => e.kind === 'run') ?? {
    kind: 'run',
    seed: 0,
    durationMs: 0,
    retentionMs: Infinity,
    graceMs: 10_000,
    webhookSpanMs: 35_000,
  };
  const ops = events.filter((e): e is ClientOp => e.kind === 'op');
  const faults = events.filter((e): e is FaultEvent => e.kind === 'fault');
  const deliveries = events.filter((e): e is Delivery => e.kind === 'delivery');
  const ledgers = events.filter((e): e is Ledger => e.kind === 'ledger');
  /**
   * Writes Redis may lose by design, counted apart: acknowledged shortly before a failover (asynchronous
   * replication: the promoted replica may not have them) or before the primary was killed and restarted
   * (appendfsync everysec: up to about a second, two when fsync lags, of writes not yet in the AOF file).
   */
  const lossWindows = faults.flatMap((f) =>
    f.fault === 'redis-failover' ? [[f.t0 - 5_000, f.t0]] : f.fault === 'redis-restart' ? [[f.t0 - 2_000, f.t0]] : [],
  );
  const inReplicationWindow = (t: number) => lossWindows.some(([a, b]) => t >= a! && t <= b!);
  const duringFault = (t0: number, t1: number) => faults.some((f) => t1 >= f.t0 && t0 <= f.t1 + info.graceMs);

  // Every acknowledged request and what was seen of it.
  const reqs = new Map<string, RequestView>();
  for (const o of ops) {
    if (o.op === 'submit' && o.status === 200 && o.id && !reqs.has(o.id)) {
      reqs.set(o.id, { id: o.id, key: o.key, ackAt: o.t1, webhook: !!o.webhook, seen: [], missing: [] });
    }
  }
  for (const o of ops) {
    const r = o.id ? reqs.get(o.id) : undefined;
    if (!r || o.op === 'probe' || o.key !== r.key) continue;
    // An idempotent replay repeats the first answer (QUEUED), as idempotency promises: it says nothing of the state now.
    const replay = o.op === 'submit' && o.t1 > r.ackAt;
    const states = replay ? [] : (o.states ?? (o.state ? [o.state] : []));
    for (const state of states) r.seen.push({ t0: o.t0, t1: o.t1, state, client: o.client });
    if (o.status === 404 && o.op !== 'submit') r.missing.push({ t0: o.t0, t1: o.t1 });
  }
  for (const d of deliveries) {
    const r = reqs.get(d.id);
    if (r && d.verified && d.answered >= 200 && d.answered < 300)
      r.seen.push({ t0: d.t, t1: d.t, state: d.state, client: -1 });
  }
  for (const r of reqs.values()) {
    for (const s of r.seen) {
      if (terminal(s.state) && (!r.terminal || s.t1 < r.terminal.at)) r.terminal = { state: s.state, at: s.t1 };
    }
  }
  const lost = new Set<string>();

  // 1. Acknowledged ⇒ eventually terminal (or 404 only after its retention).
  const ended = row('acknowledged ⇒ terminal');
  for (const r of reqs.values()) {
    ended.checked++;
    if (r.terminal) continue;
    const gone = r.missing.at(-1);
    if (gone && inReplicationWindow(r.ackAt)) {
      ended.excused++;
      lost.add(r.id);
      continue;
    }
    if (gone && gone.t0 >= r.ackAt + info.retentionMs) continue;
    violate(
      ended,
      `${r.id} (${r.key}, acknowledged at ${r.ackAt} ms) never seen terminal${gone ? `; 404 at ${gone.t0} ms` : ''}`,
    );
  }

  // 2. States never go back: an observation that began after another ended never shows an earlier state,
  //    never the other terminal state, and never a 404 (within retention) once the request was seen.
  const forward = row('states never go back');
  for (const r of reqs.values()) {
    forward.checked++;
    const bad: string[] = [];
    for (const a of r.seen) {
      for (const b of r.seen) {
        if (a.t1 >= b.t0) continue; // not strictly before: concurrent answers may come in either order
        if (
          (RANK[b.state] ?? -1) < (RANK[a.state] ?? -1) ||
          (terminal(a.state) && terminal(b.state) && a.state !== b.state)
        )
          bad.push(`${a.state}@${a.t1} then ${b.state}@${b.t0}`);
      }
      for (const m of r.missing) {
        if (a.t1 < m.t0 && m.t0 < r.ackAt + info.retentionMs) bad.push(`${a.state}@${a.t1} then 404@${m.t0}`);
      }
    }
    if (bad.length === 0) continue;
    if (lost.has(r.id) || inReplicationWindow(r.ackAt)) {
      forward.excused++;
      continue;
    }
    violate(forward, `${r.id}: ${bad[0]}`);
  }

  // 3. At most one charge per request, none for FAILED: per key, credits spent = COMPLETED requests (v2 seen
  //    COMPLETED + v1 200s), give or take requests whose outcome the client never learnt; no hold left over.
  const charges = row('≤ 1 charge, none for FAILED');
  for (const l of ledgers) {
    charges.checked++;
    const spent = l.initial - l.final;
    const completed =
      [...reqs.values()].filter((r) => r.key === l.key && r.terminal?.state === 'COMPLETED').length +
      ops.filter((o) => o.key === l.key && o.op === 'v1' && o.status === 200).length;
    const unknown =
      [...reqs.values()].filter((r) => r.key === l.key && !r.terminal).length +
      ops.filter((o) => o.key === l.key && (o.op === 'v1' || o.op === 'submit') && o.status === 0).length;
    if (spent > completed + unknown)
      violate(charges, `${l.key}: ${spent} credits spent for ${completed} completed (+${unknown} of unknown outcome)`);
    else if (spent < completed) charges.excused++; // completions not charged: a balance rewound by lost writes
  }
  const holds = row('no credit hold left behind');
  for (const l of ledgers) {
    holds.checked++;
    if (l.holds > 0) violate(holds, `${l.key}: ${l.holds} credit hold(s) left after every request ended`);
    else if (l.expiringHolds) holds.excused++;
  }

  // 4. Exactly one successful webhook delivery per terminal request (unless its receiver stayed down longer
  //    than the sender's retry span), with the request's terminal state.
  const hooks = row('exactly one webhook delivery');
  const receiverDown = faults.filter((f) => f.fault === 'receiver-down');
  for (const r of reqs.values()) {
    if (!r.webhook || !r.terminal) continue;
    hooks.checked++;
    const ok = deliveries.filter((d) => d.id === r.id && d.verified && d.answered >= 200 && d.answered < 300);
    if (ok.length === 1 && ok[0]!.state === r.terminal.state) continue;
    if (ok.length === 0) {
      const end = r.terminal.at;
      if (receiverDown.some((f) => end <= f.t1 && f.t1 - Math.max(end, f.t0) >= info.webhookSpanMs - 5_000)) {
        hooks.excused++;
        continue;
      }
      violate(
        hooks,
        `${r.id}: ${r.terminal.state} at ${end} ms, no successful delivery (${deliveries.filter((d) => d.id === r.id).length} attempts)`,
      );
    } else if (ok.length > 1) {
      // At least once: a node or Redis failing between the receiver's 2xx and the job's completion repeats the
      // same message (same webhook-id, receivers dedupe on it). Without such a fault in between it is a bug.
      const first = ok[0]!.t;
      const last = ok.at(-1)!.t;
      const sameBody = ok.every((d) => d.state === ok[0]!.state);
      if (sameBody && faults.some((f) => f.fault !== 'receiver-down' && f.t0 <= last && f.t1 + info.graceMs >= first))
        hooks.excused++;
      else violate(hooks, `${r.id}: ${ok.length} successful deliveries`);
    } else violate(hooks, `${r.id}: delivered ${ok[0]!.state}, but it ended ${r.terminal.state}`);
  }
  for (const d of deliveries) {
    if (!d.verified) violate(hooks, `a delivery for ${d.id} at ${d.t} ms failed signature verification`);
  }

  // 5. No request visible to another key.
  const isolation = row('no request visible to another key');
  for (const o of ops.filter((o) => o.op === 'probe')) {
    isolation.checked++;
    if (o.status !== 404 && o.status !== 0 && o.status < 500)
      violate(isolation, `${o.id} answered ${o.status} to key ${o.key}`);
  }

  // 5b. Every answer is about the request asked (a body never carries another request's id).
  const same = row('answers are about the request asked');
  for (const o of ops.filter((o) => o.id && o.op !== 'submit' && o.status >= 200 && o.status < 300)) {
    same.checked++;
    if (o.bodyId) violate(same, `${o.op} of ${o.id} (key ${o.key}) answered about ${o.bodyId} at ${o.t0} ms`);
  }

  // 6. No 5xx but the declared 502/503/504 with Retry-After, and only while a dependency is impaired.
  const fivexx = row('5xx only 502/503/504 + Retry-After, during faults');
  for (const o of ops) {
    fivexx.checked++;
    if (o.status < 500) continue;
    if (![502, 503, 504].includes(o.status))
      violate(fivexx, `${o.op} ${o.id ?? ''} → ${o.status} ${o.code ?? ''} at ${o.t0} ms`);
    else if (!o.retryAfter) violate(fivexx, `${o.op} → ${o.status} ${o.code ?? ''} without Retry-After at ${o.t0} ms`);
    else if (!duringFault(o.t0, o.t1))
      violate(fivexx, `${o.op} → ${o.status} ${o.code ?? ''} at ${o.t0} ms with no fault active`);
  }

  // 7. Ids mean one thing: an error body carries no request_id.
  const ids = row('error bodies carry no request_id');
  for (const o of ops.filter((o) => o.status >= 400)) {
    ids.checked++;
    if (o.errorHasRequestId) violate(ids, `${o.op} → ${o.status} at ${o.t0} ms has a request_id in its error body`);
  }

  // 8. A replayed Idempotency-Key (same key, same body) answers the same request id.
  const idem = row('idempotent replays get the same id');
  const firstId = new Map<string, { id: string; at: number }>();
  for (const o of [...ops].sort((a, b) => a.t1 - b.t1)) {
    if (o.op !== 'submit' || o.status !== 200 || !o.idem || !o.id) continue;
    const k = `${o.key} ${o.idem}`;
    const first = firstId.get(k);
    if (!first) {
      firstId.set(k, { id: o.id, at: o.t1 });
      continue;
    }
    idem.checked++;
    if (first.id === o.id) continue;
    // The binding expires with its request (completed + retention, so no earlier than acknowledged + retention):
    // past that a reused key may start a new request.
    if (o.t1 >= first.at + info.retentionMs) {
      firstId.set(k, { id: o.id, at: o.t1 });
      continue;
    }
    if (lost.has(first.id) || inReplicationWindow(first.at)) {
      idem.excused++;
      continue;
    }
    violate(idem, `${o.key} ${o.idem}: ${first.id} then ${o.id}`);
  }

  const rows = [ended, forward, charges, holds, hooks, isolation, same, fivexx, ids, idem];
  return { rows, ok: rows.every((r) => r.violations === 0) };
}

/** The verdict as a fixed-width table, with the first examples of each violated invariant below it. */
export function formatVerdict(v: Verdict): string {
  const w = Math.max(...v.rows.map((r) => r.invariant.length));
  const lines = [
    `${'invariant'.padEnd(w)}  checked  violations  excused`,
    `${'-'.repeat(w)}  -------  ----------  -------`,
  ];
  for (const r of v.rows)
    lines.push(
      `${r.invariant.padEnd(w)}  ${String(r.checked).padStart(7)}  ${String(r.violations).padStart(10)}  ${String(r.excused).padStart(7)}`,
    );
  for (const r of v.rows) for (const e of r.examples) lines.push(`  ✗ ${r.invariant}: ${e}`);
  lines.push(v.ok ? 'OK: no invariant violated' : 'FAILED: invariants violated');
  return lines.join('\n');
}
