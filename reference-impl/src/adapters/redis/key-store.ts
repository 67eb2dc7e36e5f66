/** RedisKeyStore: key policies from config, balances and credit holds in Redis with atomic Lua. */
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.ts';
import type { Clock, KeyAccount, KeyRecord, KeyStore } from '../../ports.ts';
import { systemClock } from '../../ports.ts';
import { accountOf, keyIdOf, type KeyIdOf } from '../../policy/keys.ts';
import { guard } from './connection.ts';

export interface RedisKeyStoreOptions {
  prefix: string;
  clock?: Clock;
  /**
   * A hold older than this is dropped (default 24 h, the pending-record safety TTL): an API node that
   * died between hold and rollback must not pin a credit forever.
   */
  holdTtlMs?: number;
  /** How long a settled request id is remembered, so a late second settle cannot charge (default 24 h). */
  settledTtlMs?: number;
  /** secret → key id (the deployment's key-id secret); default: the built-in one. */
  keyId?: KeyIdOf;
}

// Layout per API key, named by the key's id (policy/keys.ts), so secrets never appear in Redis:
//   {p}credits:{id}  hash: bal (balance, or 'unlimited'), seeded (the configured credits last seeded)
//   {p}holds:{id}    zset: requestId → hold time (ms); the balance available = bal - ZCARD
//   {p}settled:{requestId}  string with TTL: settle already happened (idempotency): 'c' it took a credit,
//                           'r' it did not (released, or withdrawn); '1' (older nodes) is read as 'r'
// Policies (name, scopes, rate limit) stay in each node's config: the config is the source of truth
// for which keys exist, so a key removed from it stops working at once on every node that reloads.

/**
 * KEYS: credits, holds, settled. ARGV: now, holdTtl, requestId, configured credits[, score].
 * A hold's score is when it was taken; `score` back-dates it so that it ages out sooner than holdTtl.
 * 1 held (or already held/settled), 0 not. A missing balance (Redis lost its data) is re-seeded from
 * the configured amount, so the deployment heals without restarting its nodes.
 */
const holdScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[2], ARGV[3]) or redis.call('EXISTS', KEYS[3]) == 1 then return 1 end
local bal = redis.call('HGET', KEYS[1], 'bal')
if not bal then
  bal = ARGV[4]
  redis.call('HSET', KEYS[1], 'bal', bal, 'seeded', bal)
end
if bal ~= 'unlimited' and tonumber(bal) - redis.call('ZCARD', KEYS[2]) < 1 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[5] or ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/**
 * KEYS: credits, holds, settled. ARGV: requestId, charged (1|0), settledTtl.
 * Returns the balance after it (-1 = unlimited). Only a held, unsettled id charges or releases. The settle
 * marker is written even when no hold is found: a hold that reaches Redis after its own release (a command
 * that timed out on the client yet ran later, or that ioredis re-sent after a reconnect) then finds the
 * marker and takes no credit, instead of pinning one until its TTL. The marker says whether a credit was
 * taken, so that a withdrawal can give it back.
 */
const settleScript = `
if redis.call('EXISTS', KEYS[3]) == 0 then
  local took = 'r'
  if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
    local bal = redis.call('HGET', KEYS[1], 'bal')
    if ARGV[2] == '1' and bal and bal ~= 'unlimited' then
      redis.call('HINCRBY', KEYS[1], 'bal', -1)
      took = 'c'
    end
  end
  redis.call('SET', KEYS[3], took, 'PX', ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local bal = redis.call('HGET', KEYS[1], 'bal')
if (not bal) or bal == 'unlimited' then return -1 end
return tonumber(bal)`;

/**
 * KEYS: credits, holds, settled. ARGV: requestId, settledTtl.
 * Withdraws a refused request: drops its hold, gives back the credit its settle took ('c'), and leaves the
 * id settled without a charge ('r'), so a later settle or hold of it is a no-op.
 */
const withdrawScript = `
redis.call('ZREM', KEYS[2], ARGV[1])
local took = redis.call('GET', KEYS[3])
if took == 'c' then
  local bal = redis.call('HGET', KEYS[1], 'bal')
  if bal and bal ~= 'unlimited' then redis.call('HINCRBY', KEYS[1], 'bal', 1) end
  redis.call('SET', KEYS[3], 'r', 'KEEPTTL')
elseif not took then
  redis.call('SET', KEYS[3], 'r', 'PX', ARGV[2])
end
return 1`;

/**
 * KEYS: credits. ARGV: configured credits ('unlimited' or an integer).
 * First seed sets the balance. Later seeds keep what was spent and apply only a change of the configured
 * amount (a top-up from 100 to 150 adds 50); switching to or from unlimited sets it outright.
 */
const seedScript = `
local conf = ARGV[1]
local seeded = redis.call('HGET', KEYS[1], 'seeded')
local bal = redis.call('HGET', KEYS[1], 'bal')
if not bal or not seeded then
  redis.call('HSET', KEYS[1], 'bal', conf, 'seeded', conf)
elseif seeded ~= conf then
  if conf == 'unlimited' or seeded == 'unlimited' or bal == 'unlimited' then
    redis.call('HSET', KEYS[1], 'bal', conf)
  else
    redis.call('HINCRBY', KEYS[1], 'bal', tonumber(conf) - tonumber(seeded))
  end
  redis.call('HSET', KEYS[1], 'seeded', conf)
end
return redis.call('HGET', KEYS[1], 'bal')`;

interface Scripts {
  bgrHold(
    credits: string,
    holds: string,
    settled: string,
    now: string,
    ttl: string,
    id: string,
    conf: string,
    score?: string,
  ): Promise<number>;
  bgrSettle(credits: string, holds: string, settled: string, id: string, charged: string, ttl: string): Promise<number>;
  bgrWithdraw(credits: string, holds: string, settled: string, id: string, ttl: string): Promise<number>;
  bgrSeed(credits: string, conf: string): Promise<string>;
}

/** A key's configured credits as the scripts store them. */
const configured = (r: Pick<KeyRecord, 'credits'>): string =>
  r.credits === null ? 'unlimited' : String(Math.max(0, Math.floor(r.credits)));

/** Keys and credits shared by every node: no double charge however many nodes settle at once. */
export class RedisKeyStore implements KeyStore {
  private readonly redis: RedisClient & Scripts;
  private readonly policies = new Map<string, KeyAccount>();
  private readonly clock: Clock;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisKeyStoreOptions,
  ) {
    const r = redis as RedisClient & Partial<Scripts>;
    if (!r.bgrHold) {
      redis.defineCommand('bgrHold', { numberOfKeys: 3, lua: holdScript });
      redis.defineCommand('bgrSettle', { numberOfKeys: 3, lua: settleScript });
      redis.defineCommand('bgrWithdraw', { numberOfKeys: 3, lua: withdrawScript });
      redis.defineCommand('bgrSeed', { numberOfKeys: 1, lua: seedScript });
    }
    this.redis = redis as RedisClient & Scripts;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Loads the configured keys. Balances already in Redis are kept (a restart or a new node must not
   * refill spent credits); only a change of a key's configured amount since the last seed is applied.
   */
  async seed(records: readonly KeyRecord[]): Promise<void> {
    const keyId = this.opts.keyId ?? keyIdOf;
    this.policies.clear();
    for (const r of records) {
      const account = accountOf(r, keyId);
      this.policies.set(account.id, account);
      await this.migrate(r.key, account.id);
    }
    await guard(() =>
      Promise.all([...this.policies.values()].map((a) => this.redis.bgrSeed(this.creditsKey(a.id), configured(a)))),
    );
  }

  /**
   * The one-time cut-over from the earlier layout, whose balances were named by an unkeyed SHA-256 of the
   * secret: a balance found only there moves to the key id's name, so no spent credit is refilled. Holds
   * are not moved (they expire on their own); requests and idempotency bindings of the earlier layout,
   * owned by the secret itself, simply expire with their retention.
   */
  private async migrate(secret: string, id: string): Promise<void> {
    const legacy = `${this.opts.prefix}credits:${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
    await guard(async () => {
      if (await this.redis.exists(this.creditsKey(id))) return;
      const old = await this.redis.hgetall(legacy);
      if (!old.bal) return;
      await this.redis.hset(this.creditsKey(id), old);
      await this.redis.del(legacy);
    });
  }

  async find(id: string): Promise<KeyAccount | undefined> {
    const policy = this.policies.get(id);
    if (!policy) return undefined;
    return {
      ...policy,
      scopes: [...policy.scopes],
      rateLimit: { ...policy.rateLimit },
      credits: await this.balance(id),
    };
  }

  async hold(id: string, requestId: string, ttlMs?: number): Promise<boolean> {
    const policy = this.policies.get(id);
    if (!policy) return false;
    const now = this.clock.now();
    const holdTtl = this.opts.holdTtlMs ?? 24 * 3_600_000;
    // A shorter TTL (a v1 hold lives no longer than the v1 deadline) back-dates the hold: the sweep of old holds frees it sooner.
    const score = ttlMs !== undefined && ttlMs < holdTtl ? [String(now - (holdTtl - ttlMs))] : [];
    const ok = await guard(() =>
      this.redis.bgrHold(
        this.creditsKey(id),
        this.holdsKey(id),
        this.settledKey(requestId),
        String(now),
        String(holdTtl),
        requestId,
        configured(policy),
        ...score,
      ),
    );
    return ok === 1;
  }

  async settle(id: string, requestId: string, charged: boolean): Promise<number | null> {
    if (!this.policies.has(id)) return null;
    const bal = await guard(() =>
      this.redis.bgrSettle(
        this.creditsKey(id),
        this.holdsKey(id),
        this.settledKey(requestId),
        requestId,
        charged ? '1' : '0',
        this.settledTtl(),
      ),
    );
    return bal < 0 ? null : bal;
  }

  async withdraw(id: string, requestId: string): Promise<void> {
    if (!this.policies.has(id)) return;
    await guard(() =>
      this.redis.bgrWithdraw(
        this.creditsKey(id),
        this.holdsKey(id),
        this.settledKey(requestId),
        requestId,
        this.settledTtl(),
      ),
    );
  }

  async balance(id: string): Promise<number | null> {
    const policy = this.policies.get(id);
    if (!policy) return null;
    const bal = await guard(() => this.redis.hget(this.creditsKey(id), 'bal'));
    // Missing: Redis lost its data; the next hold re-seeds the configured amount, so report that.
    if (bal === null) return policy.credits === null ? null : Number(configured(policy));
    return bal === 'unlimited' ? null : Number(bal);
  }

  /** Credits held and not yet settled for a key (tests, metrics). */
  async held(id: string): Promise<number> {
    return guard(() => this.redis.zcard(this.holdsKey(id)));
  }

  private settledTtl(): string {
    return String(this.opts.settledTtlMs ?? 24 * 3_600_000);
  }
  private creditsKey(id: string) {
    return `${this.opts.prefix}credits:${id}`;
  }
  private holdsKey(id: string) {
    return `${this.opts.prefix}holds:${id}`;
  }
  private settledKey(requestId: string) {
    return `${this.opts.prefix}settled:${requestId}`;
  }
}
