/** The in-memory KeyStore (ports.ts) and the `x-api-key` auth hook with scopes (spec: AUTH-REQUIRED, AUTH-SCOPE, CREDITS). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { systemClock, type Clock, type KeyRecord, type KeyStore, type Scope } from '../ports.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated key (set by the auth hook before validation and handlers run). */
    apiKey?: KeyRecord;
  }
}

interface Account {
  record: KeyRecord;
  /** requestIds holding one credit each. */
  holds: Set<string>;
  /** requestId → settle time; replays of a settled id are no-ops until the entry ages out. */
  settled: Map<string, number>;
}

/**
 * Keys and credits in process memory. A hold reserves a credit so concurrent requests cannot overspend;
 * settle charges or releases it exactly once per request id (repeated holds/settles are no-ops).
 * Settled ids are remembered for `rememberMs` (default: 2 h, beyond any retention a replay could come in).
 */
export class MemoryKeyStore implements KeyStore {
  private readonly accounts = new Map<string, Account>();
  private readonly clock: Clock;
  private readonly rememberMs: number;

  constructor(keys: KeyRecord[], opts: { clock?: Clock; rememberMs?: number } = {}) {
    for (const k of keys) this.accounts.set(k.key, { record: { ...k, scopes: [...k.scopes] }, holds: new Set(), settled: new Map() });
    this.clock = opts.clock ?? systemClock;
    this.rememberMs = opts.rememberMs ?? 2 * 3600_000;
  }

  async find(key: string): Promise<KeyRecord | undefined> {
    const a = this.accounts.get(key);
    return a ? { ...a.record, scopes: [...a.record.scopes] } : undefined;
  }

  async hold(key: string, requestId: string): Promise<boolean> {
    const a = this.accounts.get(key);
    if (!a) return false;
    if (a.holds.has(requestId) || a.settled.has(requestId)) return true;
    if (a.record.credits === null) {
      a.holds.add(requestId);
      return true;
    }
    if (a.record.credits - a.holds.size < 1) return false;
    a.holds.add(requestId);
    return true;
  }

  async settle(key: string, requestId: string, charged: boolean): Promise<number | null> {
    const a = this.accounts.get(key);
    if (!a) return null;
    this.prune(a);
    if (a.settled.has(requestId)) return a.record.credits;
    const held = a.holds.delete(requestId);
    // A charge without a hold is still charged once, but never below zero.
    if (charged && a.record.credits !== null && (held || a.record.credits > 0)) a.record.credits -= 1;
    a.settled.set(requestId, this.clock.now());
    return a.record.credits;
  }

  async balance(key: string): Promise<number | null> {
    return this.accounts.get(key)?.record.credits ?? null;
  }

  /** Settled ids come in time order (Map keeps insertion order), so pruning stops at the first young one. */
  private prune(a: Account): void {
    const cutoff = this.clock.now() - this.rememberMs;
    for (const [id, at] of a.settled) {
      if (at >= cutoff) break;
      a.settled.delete(id);
    }
  }
}

/** The scope an operation needs: v2 paths need `v2`, everything else in the contract `v1`. */
export function scopeOfPath(openapiPath: string): Scope {
  return openapiPath.startsWith('/v2/') ? 'v2' : 'v1';
}

/** onRequest hook: 401 for a missing/unknown key, 403 for a key without the route's scope. Runs before body parsing. */
export function authHook(keys: KeyStore, scope: Scope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers['x-api-key'];
    const key = typeof header === 'string' ? header.trim() : undefined;
    if (!key) throw new ApiError('unauthorized', 'The x-api-key header is missing.');
    const record = await keys.find(key);
    if (!record) throw new ApiError('unauthorized', 'The x-api-key header names an unknown key.');
    if (!record.scopes.includes(scope)) throw new ApiError('forbidden', `This key lacks the '${scope}' scope.`);
    request.apiKey = record;
  };
}
