/** RequestStore: the v2 request records (state machine, output, idempotency keys) and its in-memory backend. */
import type { ErrorCode } from '@bgr/spec';
import type { Clock } from '../ports.ts';
import { systemClock } from '../ports.ts';
import { Watchers } from './watchers.ts';
import type { JobInput, RemovalOptions } from './request.ts';

export type RequestState = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface RequestError {
  code: ErrorCode;
  message: string;
}

/** Timings in seconds, as the contract's metrics; remainingCredits once charged (limited keys only). */
export interface RequestMetrics {
  inferenceTime?: number;
  queueTime?: number;
  totalTime?: number;
  remainingCredits?: number;
}

export interface StoredOutput {
  bytes: Buffer;
  contentType: 'image/png' | 'image/webp';
}

export interface RequestRecord {
  /** crypto.randomUUID(): 122 random bits, unguessable. */
  id: string;
  /** The API key that created it; every read is scoped to it. */
  owner: string;
  state: RequestState;
  params: RemovalOptions;
  /** The image input; dropped when the record ends, since only processing needs it (memory: images are big). */
  input?: JobInput;
  /** The public base URL the submit came through; webhooks render absolute URLs with it. */
  baseUrl: string;
  /** Epoch milliseconds. */
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Set when the record ends (completion + retention); reads at or after it find nothing. */
  expiresAt?: number;
  error?: RequestError;
  metrics: RequestMetrics;
  idempotency?: { key: string; bodyHash: string };
  /** A v1 request: its caller waits on the connection, no v2 endpoint serves it, and it is deleted once answered. */
  sync?: boolean;
}

/** What a transition may change besides the state. */
export type RecordPatch = Partial<Pick<RequestRecord, 'startedAt' | 'completedAt' | 'expiresAt' | 'error' | 'metrics'>>;

export type ClaimResult = { kind: 'claimed' } | { kind: 'existing'; id: string } | { kind: 'conflict'; id: string };

export const terminalStates: readonly RequestState[] = ['COMPLETED', 'FAILED'];
export const isTerminal = (s: RequestState): boolean => s === 'COMPLETED' || s === 'FAILED';
const rank: Record<RequestState, number> = { QUEUED: 0, PROCESSING: 1, COMPLETED: 2, FAILED: 2 };

/**
 * The request records. Every operation is one atomic step in the Redis backend (a Lua script or
 * WATCH/MULTI): `transition` is a compare-and-set on the state, and the record, its output and its
 * idempotency key get a TTL (PEXPIREAT expiresAt) when it ends, so Redis does the expiry and `sweep` is a no-op.
 */
export interface RequestStore {
  /** Stores a new record (state QUEUED). */
  create(record: RequestRecord): Promise<void>;
  /** The record, or undefined when unknown or expired (expiresAt <= now), even before a sweep. */
  get(id: string): Promise<RequestRecord | undefined>;
  /**
   * Compare-and-set: when the state is one of `from` and `to` is not behind it, sets the state, applies
   * `patch` (metrics are merged) and, with COMPLETED, stores `output` in the same step. Returns the new
   * record, or undefined when the CAS failed (unknown, expired, other state, or a backward move).
   * A terminal record never changes state; reaching one drops `input`.
   */
  transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch?: RecordPatch,
    output?: StoredOutput,
  ): Promise<RequestRecord | undefined>;
  /** Merges metrics into a live record (remaining_credits after the charge that follows COMPLETED). */
  setMetrics(id: string, metrics: RequestMetrics): Promise<RequestRecord | undefined>;
  /** The output of a live COMPLETED record. */
  getOutput(id: string): Promise<StoredOutput | undefined>;
  /** Removes a record that was never accepted (a submit rolled back, e.g. queue full). */
  delete(id: string): Promise<void>;
  /**
   * Atomically binds (owner, key) to `id` unless a live request already holds it: the same body hash →
   * `existing`, another → `conflict`. A binding lives while its request is pending, then expires with it.
   */
  claim(owner: string, key: string, bodyHash: string, id: string): Promise<ClaimResult>;
  /** Releases a binding made for `id` (a submit rolled back), so the client may retry with the same key. */
  unclaim(owner: string, key: string, id: string): Promise<void>;
  /** Frees everything expired at `now`; returns how many records it removed. */
  sweep(now: number): Promise<number>;
  /**
   * Optional push of changes (the status stream): calls `onChange` after the record may have changed
   * (transitions, from any node); best effort, so listeners re-read and also re-read now and then.
   * Returns the unsubscribe. A store without it is polled.
   */
  watch?(id: string, onChange: () => void): () => void;
}

interface Entry {
  record: RequestRecord;
  output?: StoredOutput;
}

/** The embedded backend: Maps in this process. Copies in and out so callers never alias stored state. */
export class MemoryRequestStore implements RequestStore {
  private readonly entries = new Map<string, Entry>();
  private readonly claims = new Map<string, { id: string; bodyHash: string; expiresAt?: number }>();
  readonly watchers = new Watchers();

  constructor(private readonly clock: Clock = systemClock) {}

  watch(id: string, onChange: () => void): () => void {
    return this.watchers.add(id, onChange);
  }

  /** Records held in memory, expired or not (tests check the sweeper frees them). */
  get size(): number {
    return this.entries.size + this.claims.size;
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const { expiresAt } = entry.record;
    return expiresAt !== undefined && expiresAt <= this.clock.now() ? undefined : entry;
  }

  async create(record: RequestRecord): Promise<void> {
    if (this.entries.has(record.id)) throw new Error(`request ${record.id} exists`);
    this.entries.set(record.id, { record: copy(record) });
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const entry = this.live(id);
    return entry && copy(entry.record);
  }

  async transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch: RecordPatch = {},
    output?: StoredOutput,
  ): Promise<RequestRecord | undefined> {
    const entry = this.live(id);
    if (!entry) return undefined;
    const current = entry.record;
    if (!from.includes(current.state) || isTerminal(current.state) || rank[to] < rank[current.state]) return undefined;
    const next: RequestRecord = { ...current, ...patch, state: to, metrics: { ...current.metrics, ...patch.metrics } };
    if (isTerminal(to)) delete next.input;
    entry.record = next;
    // The idempotency binding expires with its request (Redis: PEXPIREAT on the claim key, same script).
    const claim = next.idempotency && this.claims.get(claimKey(next.owner, next.idempotency.key));
    if (claim?.id === id && next.expiresAt !== undefined) claim.expiresAt = next.expiresAt;
    if (to === 'COMPLETED' && output) entry.output = { ...output };
    this.watchers.notify(id);
    return copy(next);
  }

  async setMetrics(id: string, metrics: RequestMetrics): Promise<RequestRecord | undefined> {
    const entry = this.live(id);
    if (!entry) return undefined;
    entry.record = { ...entry.record, metrics: { ...entry.record.metrics, ...metrics } };
    return copy(entry.record);
  }

  async getOutput(id: string): Promise<StoredOutput | undefined> {
    const entry = this.live(id);
    return entry?.record.state === 'COMPLETED' && entry.output ? { ...entry.output } : undefined;
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async claim(owner: string, key: string, bodyHash: string, id: string): Promise<ClaimResult> {
    const k = claimKey(owner, key);
    const held = this.claims.get(k);
    // A binding lives while its request is pending and, once it ended, for the retention period.
    if (held && (held.expiresAt === undefined || held.expiresAt > this.clock.now())) {
      return held.bodyHash === bodyHash ? { kind: 'existing', id: held.id } : { kind: 'conflict', id: held.id };
    }
    this.claims.set(k, { id, bodyHash });
    return { kind: 'claimed' };
  }

  async unclaim(owner: string, key: string, id: string): Promise<void> {
    const k = claimKey(owner, key);
    if (this.claims.get(k)?.id === id) this.claims.delete(k);
  }

  async sweep(now: number): Promise<number> {
    let removed = 0;
    for (const [id, { record }] of this.entries) {
      if (record.expiresAt !== undefined && record.expiresAt <= now) {
        this.entries.delete(id);
        removed++;
      }
    }
    for (const [k, { expiresAt }] of this.claims)
      if (expiresAt !== undefined && expiresAt <= now) this.claims.delete(k);
    return removed;
  }
}

// NUL cannot occur in a header value, so owner and key cannot collide across the separator.
const claimKey = (owner: string, key: string) => `${owner}\u0000${key}`;

function copy(r: RequestRecord): RequestRecord {
  return {
    ...r,
    params: { ...r.params },
    metrics: { ...r.metrics },
    ...(r.error ? { error: { ...r.error } } : {}),
    ...(r.idempotency ? { idempotency: { ...r.idempotency } } : {}),
  };
}
