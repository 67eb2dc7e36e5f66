/** The chaos run's history: what clients sent and saw, the faults injected, the receiver's deliveries, and Redis's final word. */

/** One HTTP exchange a workload client made (or tried). Times are ms since the run started. */
export interface ClientOp {
  kind: 'op';
  client: number;
  /** The API key's label (`k0`…), never the secret. */
  key: string;
  op: 'submit' | 'status' | 'result' | 'stream' | 'cancel' | 'v1' | 'probe';
  /** The v2 request this exchange is about (for a submit: the id it got back, if any). */
  id?: string;
  /** Idempotency-Key sent with a submit. */
  idem?: string;
  /** Whether the submit asked for a webhook. */
  webhook?: boolean;
  t0: number;
  t1: number;
  /** HTTP status; 0 for a network error or a client-side timeout. */
  status: number;
  /** The body's `status` (QUEUED…FAILED) where it has one; for a stream, the last event's. */
  state?: string;
  /** For a stream: every state its events carried, in order. */
  states?: string[];
  code?: string;
  retryAfter?: string;
  /** The body's `request_id` where it is not the id asked about (an answer about another request). */
  bodyId?: string;
  /** The body has a `request_id` although it is no v2 request body (an error). */
  errorHasRequestId?: boolean;
  /** Network error message, or a note. */
  note?: string;
}

/** A fault the schedule injected: [t0, t1] is when the dependency was impaired (t1 = it was healed). */
export interface FaultEvent {
  kind: 'fault';
  fault: FaultKind;
  target: string;
  t0: number;
  t1: number;
  /** Failover: bytes the promoted replica was behind the old primary when promoted (the replication window). */
  lagBytes?: number;
}

export type FaultKind =
  | 'kill-api'
  | 'stop-api'
  | 'kill-worker'
  | 'stop-worker'
  | 'redis-failover'
  | 'redis-restart'
  | 'net-delay'
  | 'net-drop'
  | 'receiver-down'
  /** Not injected but observed: Redis (or the whole machine) answered a PING a second or more late. */
  | 'stall';

/** One webhook delivery attempt as the receiver saw it. */
export interface Delivery {
  kind: 'delivery';
  t: number;
  /** webhook-id (= request id). */
  id: string;
  /** The body's status. */
  state: string;
  /** What the receiver answered (2xx = delivered). */
  answered: number;
  /** The Standard Webhooks signature verified. */
  verified: boolean;
}

/** Credits per key label at the start and at the end, and the holds left (from Redis). */
export interface Ledger {
  kind: 'ledger';
  key: string;
  initial: number;
  final: number;
  /** Holds that would pin a credit for long (beyond 5 minutes from the end of the run). */
  holds: number;
  /** Holds that free themselves within minutes (a v1 call cut by its node's death: bounded by the v1 deadline). */
  expiringHolds?: number;
}

/** The run's settings, so a history file says how it was made. */
export interface RunInfo {
  kind: 'run';
  seed: number;
  durationMs: number;
  /** Ended records stay readable this long (BGR_RESULT_TTL_S). */
  retentionMs: number;
  /** How long after a fault heals its 503s are still expected (reconnects, failover detection). */
  graceMs: number;
  /** The webhook sender's whole retry span: a request ending while the receiver is down longer than this may get none. */
  webhookSpanMs: number;
}

export type HistoryEvent = ClientOp | FaultEvent | Delivery | Ledger | RunInfo;

/** The history in memory, in arrival order; `toJsonl` writes it one event a line. */
export class History {
  readonly events: HistoryEvent[] = [];
  private readonly start = performance.now();
  now(): number {
    return Math.round(performance.now() - this.start);
  }
  add(e: HistoryEvent): void {
    this.events.push(e);
  }
  toJsonl(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  }
  static parse(text: string): HistoryEvent[] {
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as HistoryEvent);
  }
}
