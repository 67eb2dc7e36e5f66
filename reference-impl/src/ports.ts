/** The seams between the gateway, the v2 lifecycle and their backends (in-memory now, Redis later). */
export type Scope = 'v1' | 'v2';

/** One API key's policy as configured (BGR_API_KEYS or a keys file): the only place its secret is held. */
export interface KeyRecord {
  key: string;
  name: string;
  /** Remaining credits; null means unlimited. */
  credits: number | null;
  scopes: Scope[];
  /** Requests allowed per window for this key. */
  rateLimit: { max: number; windowS: number };
}

/**
 * A key as the server knows it once authenticated: by its id (a keyed hash of the secret, `policy/keys.ts`),
 * never by the secret. Stores, rate limits, idempotency bindings, logs and metrics use `id`.
 */
export interface Caller {
  id: string;
  name: string;
  scopes: Scope[];
  rateLimit: { max: number; windowS: number };
}

/** A caller with its balance (null = unlimited). */
export interface KeyAccount extends Caller {
  credits: number | null;
}

/**
 * Keys and credits, by key id. A request holds one credit while it runs (so concurrent requests cannot overspend)
 * and settles it once: charged when COMPLETED, released when FAILED. Both calls are idempotent per
 * request id, so retries and idempotent replays never charge twice.
 */
export interface KeyStore {
  /** The key with this id, or undefined. */
  find(id: string): Promise<KeyAccount | undefined>;
  /**
   * Reserves one credit for requestId; false when the balance (minus holds) cannot cover it. `ttlMs`: a shared
   * store drops the hold after this long even if nobody settles it (its holder died), instead of its default.
   */
  hold(id: string, requestId: string, ttlMs?: number): Promise<boolean>;
  /**
   * Charges (charged=true) or releases the hold of requestId, once; returns the remaining balance (null =
   * unlimited). requestId counts as settled even if no hold was found: a hold that arrives later takes no credit.
   */
  settle(id: string, requestId: string, charged: boolean): Promise<number | null>;
  /**
   * Withdraws a refused request (its submit answered an error, so the caller never learnt its id): it costs
   * nothing whatever has happened to it. Releases its hold, gives back a charge its job already took (the
   * enqueue may land after the submit gave up, and the job run before this), and keeps any later settle
   * from charging. Idempotent.
   */
  withdraw(id: string, requestId: string): Promise<void>;
  balance(id: string): Promise<number | null>;
}

/** Time source, injectable so retention and expiry are testable without waiting. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
