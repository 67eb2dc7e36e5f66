/**
 * API keys: the one hash from a key's secret to its id, authentication into a `Caller`, scopes, and the
 * in-memory KeyStore (ports.ts). Past `authenticate` the secret is never used again: every store, counter,
 * binding, log line and metric names the key by its id.
 */
import { createHmac } from 'node:crypto';
import { ApiError } from '../errors.ts';
import {
  systemClock,
  type Caller,
  type Clock,
  type KeyAccount,
  type KeyRecord,
  type KeyStore,
  type Scope,
} from '../ports.ts';

/**
 * The HMAC key used when the deployment sets none (BGR_KEY_ID_SECRET). With it the ids are only as hard to
 * reverse as the secrets are to guess; a deployment whose Redis or logs others may read sets its own.
 */
export const DEFAULT_KEY_ID_SECRET = 'bgr-key-id';

/** secret → id: the one hashing of API keys (HMAC-SHA256 under the deployment's key-id secret, 128 bits in hex). */
export type KeyIdOf = (secret: string) => string;

/** The key-id function of a deployment; every node of one deployment must use the same `hashSecret`. */
export function keyIdHasher(hashSecret: string = DEFAULT_KEY_ID_SECRET): KeyIdOf {
  return (secret) => createHmac('sha256', hashSecret).update(secret).digest('hex').slice(0, 32);
}

/** The key id under the default key-id secret (tests, and deployments that set none). */
export const keyIdOf: KeyIdOf = keyIdHasher();

/** The caller part of an account (its balance left out). */
export function callerOf(a: KeyAccount): Caller {
  return { id: a.id, name: a.name, scopes: [...a.scopes], rateLimit: { ...a.rateLimit } };
}

/** Turns a configured key into its account (by id, without the secret). */
export function accountOf(r: KeyRecord, keyId: KeyIdOf): KeyAccount {
  return { id: keyId(r.key), name: r.name, credits: r.credits, scopes: [...r.scopes], rateLimit: { ...r.rateLimit } };
}

/**
 * Authenticates an `x-api-key` value: 401 for a missing or unknown key, 403 for one without `scope`.
 * The secret is hashed here, once, and forgotten.
 */
export async function authenticate(
  keys: KeyStore,
  keyId: KeyIdOf,
  header: string | string[] | undefined,
  scope: Scope,
): Promise<Caller> {
  const secret = typeof header === 'string' ? header.trim() : undefined;
  if (!secret) throw new ApiError('unauthorized', 'The x-api-key header is missing.');
  const account = await keys.find(keyId(secret));
  if (!account) throw new ApiError('unauthorized', 'The x-api-key header names an unknown key.');
  if (!account.scopes.includes(scope)) throw new ApiError('forbidden', `This key lacks the '${scope}' scope.`);
  return callerOf(account);
}

/** The scope an operation needs: v2 paths need `v2`, everything else in the contract `v1`. */
export function scopeOfPath(openapiPath: string): Scope {
  return openapiPath.startsWith('/v2/') ? 'v2' : 'v1';
}

interface Account {
  record: KeyAccount;
  /** requestIds holding one credit each. */
  holds: Set<string>;
  /** requestId → when it was settled and whether that took a credit; replays are no-ops until it ages out. */
  settled: Map<string, { at: number; charged: boolean }>;
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

  constructor(keys: KeyRecord[], opts: { clock?: Clock; rememberMs?: number; keyId?: KeyIdOf } = {}) {
    const keyId = opts.keyId ?? keyIdOf;
    for (const k of keys) {
      const record = accountOf(k, keyId);
      this.accounts.set(record.id, { record, holds: new Set(), settled: new Map() });
    }
    this.clock = opts.clock ?? systemClock;
    this.rememberMs = opts.rememberMs ?? 2 * 3600_000;
  }

  async find(id: string): Promise<KeyAccount | undefined> {
    const a = this.accounts.get(id);
    return a ? { ...a.record, scopes: [...a.record.scopes], rateLimit: { ...a.record.rateLimit } } : undefined;
  }

  async hold(id: string, requestId: string): Promise<boolean> {
    const a = this.accounts.get(id);
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

  async settle(id: string, requestId: string, charged: boolean): Promise<number | null> {
    const a = this.accounts.get(id);
    if (!a) return null;
    this.prune(a);
    if (a.settled.has(requestId)) return a.record.credits;
    const held = a.holds.delete(requestId);
    // A charge without a hold is still charged once, but never below zero.
    const take = charged && a.record.credits !== null && (held || a.record.credits > 0);
    if (take && a.record.credits !== null) a.record.credits -= 1;
    a.settled.set(requestId, { at: this.clock.now(), charged: take });
    return a.record.credits;
  }

  async withdraw(id: string, requestId: string): Promise<void> {
    const a = this.accounts.get(id);
    if (!a) return;
    a.holds.delete(requestId);
    const s = a.settled.get(requestId);
    if (s?.charged && a.record.credits !== null) a.record.credits += 1;
    if (!s || s.charged) a.settled.set(requestId, { at: s?.at ?? this.clock.now(), charged: false });
  }

  async balance(id: string): Promise<number | null> {
    return this.accounts.get(id)?.record.credits ?? null;
  }

  /** Settled ids come in time order (Map keeps insertion order), so pruning stops at the first young one. */
  private prune(a: Account): void {
    const cutoff = this.clock.now() - this.rememberMs;
    for (const [id, { at }] of a.settled) {
      if (at >= cutoff) break;
      a.settled.delete(id);
    }
  }
}
