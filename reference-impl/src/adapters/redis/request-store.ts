/** RedisRequestStore: v2 request records as Redis hashes; CAS transitions in Lua; TTL = retention once ended. */
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.ts';
import type { Clock } from '../../ports.ts';
import { systemClock } from '../../ports.ts';
import type {
  ClaimResult,
  RecordPatch,
  RequestMetrics,
  RequestRecord,
  RequestState,
  RequestStore,
  StoredOutput,
} from '../../removal/store.ts';
import { Watchers } from '../../removal/watchers.ts';
import { isProbed } from '../../removal/request.ts';
import type { ProbedImage } from '../../engine/types.ts';
import { guard } from './connection.ts';
import { ApiError } from '../../errors.ts';

export interface RedisRequestStoreOptions {
  /** Key prefix shared by the backend (e.g. `bgr:`); tests use a random one. */
  prefix: string;
  clock?: Clock;
  /**
   * Safety TTL for pending records and idempotency bindings (default 24 h): a record whose request never
   * ends (its node died and no worker ever ran it) is freed eventually instead of living forever.
   * Refreshed on every transition, so it must only exceed the longest time a request may wait.
   */
  pendingTtlMs?: number;
}

// Layout, one request = two keys (the output apart, so a status poll never ships the image):
//   {p}req:{id}   hash: state, doc (JSON: id, owner (the key id), params, baseUrl, createdAt, idempotency, sync),
//                 startedAt, completedAt, expiresAt, error (JSON), m:<metric>, in + it (input: b bytes, s text,
//                 p probed bytes with ip, the probe as JSON), ck
//   {p}out:{id}   hash: b (bytes), ct (content type)
//   {p}idem:{sha256(owner NUL key)}  hash: id, h (body hash), exp (the request's expiresAt once ended)
// Times are epoch ms as decimal strings, so they round-trip exactly (Lua's cjson would cut digits).
// TTLs are set relative to the store's clock (PEXPIRE expiresAt - now), so Redis expiry and the
// `expiresAt <= now` check on reads agree even under a test's fake clock.

const rankLua = `local rank = {QUEUED=0, PROCESSING=1, COMPLETED=2, FAILED=2}`;

// Applies the TTL that follows from the record's expiresAt (or the pending safety TTL) to its keys.
const ttlLua = `
local function applyTtl(now, pendingTtl)
  local exp = redis.call('HGET', KEYS[1], 'expiresAt')
  local ttl = tonumber(pendingTtl)
  if exp then ttl = math.max(1, tonumber(exp) - now) end
  redis.call('PEXPIRE', KEYS[1], ttl)
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return exp, ttl
end`;

/** KEYS: req, out. ARGV: now, pendingTtl, field/value pairs. Returns 0 when the id exists. */
const createScript = `${ttlLua}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
applyTtl(tonumber(ARGV[1]), ARGV[2])
return 1`;

/**
 * The compare-and-set. KEYS: req, out[, claim]. ARGV: now, to, from (comma list), pendingTtl,
 * output content type ('' = none), output bytes, id, then patch field/value pairs.
 * Returns the new hash (HGETALL) or nil when the CAS fails.
 */
const transitionScript = `${rankLua}${ttlLua}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
local now = tonumber(ARGV[1])
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if exp and tonumber(exp) <= now then return false end
local to = ARGV[2]
if rank[state] == 2 or rank[to] == nil or rank[to] < rank[state] then return false end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do if s == state then allowed = true end end
if not allowed then return false end
redis.call('HSET', KEYS[1], 'state', to)
if #ARGV >= 8 then redis.call('HSET', KEYS[1], unpack(ARGV, 8)) end
if rank[to] == 2 then redis.call('HDEL', KEYS[1], 'in', 'it', 'ip') end
if to == 'COMPLETED' and ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'ct', ARGV[5], 'b', ARGV[6]) end
local newExp, ttl = applyTtl(now, ARGV[4])
-- The idempotency binding expires with its request, in the same step.
if KEYS[3] and newExp and redis.call('HGET', KEYS[3], 'id') == ARGV[7] then
  redis.call('HSET', KEYS[3], 'exp', newExp)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return redis.call('HGETALL', KEYS[1])`;

/** KEYS: req. ARGV: now, field/value pairs. Merges metric fields into a live record. */
const setMetricsScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if exp and tonumber(exp) <= tonumber(ARGV[1]) then return false end
if #ARGV >= 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return redis.call('HGETALL', KEYS[1])`;

/** KEYS: claim. ARGV: now, id, bodyHash, pendingTtl. Returns {id, hash} of a live binding, or nil once claimed. */
const claimScript = `
local id = redis.call('HGET', KEYS[1], 'id')
if id then
  local exp = redis.call('HGET', KEYS[1], 'exp')
  if (not exp) or tonumber(exp) > tonumber(ARGV[1]) then
    return {id, redis.call('HGET', KEYS[1], 'h')}
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'h', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false`;

/** KEYS: claim. ARGV: id. Deletes the binding only when `id` holds it. */
const unclaimScript = `
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Bin = Buffer | string;
interface Scripts {
  bgrCreate(req: string, out: string, ...args: Bin[]): Promise<number>;
  bgrTransitionBuffer(...args: Bin[]): Promise<Buffer[] | null>;
  bgrSetMetricsBuffer(req: string, ...args: Bin[]): Promise<Buffer[] | null>;
  bgrClaim(claim: string, ...args: string[]): Promise<[string, string] | null>;
  bgrUnclaim(claim: string, id: string): Promise<number>;
}

/** Registers the store's Lua scripts on a client (EVALSHA with a fallback to EVAL, by ioredis). */
function withScripts(redis: RedisClient): RedisClient & Scripts {
  const r = redis as RedisClient & Partial<Scripts>;
  if (!r.bgrCreate) {
    redis.defineCommand('bgrCreate', { numberOfKeys: 2, lua: createScript });
    redis.defineCommand('bgrTransition', { lua: transitionScript });
    redis.defineCommand('bgrSetMetrics', { numberOfKeys: 1, lua: setMetricsScript });
    redis.defineCommand('bgrClaim', { numberOfKeys: 1, lua: claimScript });
    redis.defineCommand('bgrUnclaim', { numberOfKeys: 1, lua: unclaimScript });
  }
  return redis as RedisClient & Scripts;
}

const metricNames = ['inferenceTime', 'queueTime', 'totalTime', 'remainingCredits'] as const;

/** The v2 request records in Redis: every operation one atomic step, expiry by TTL. */
export class RedisRequestStore implements RequestStore {
  private readonly redis: RedisClient & Scripts;
  private readonly p: string;
  private readonly clock: Clock;
  private readonly pendingTtlMs: number;
  /** Pub/sub channel of state changes (message = request id), for the status streams of every API node. */
  private readonly changes: string;
  private subscriber?: RedisClient;
  readonly watchers = new Watchers();

  constructor(redis: RedisClient, opts: RedisRequestStoreOptions) {
    this.redis = withScripts(redis);
    this.p = opts.prefix;
    this.clock = opts.clock ?? systemClock;
    this.pendingTtlMs = opts.pendingTtlMs ?? 24 * 3_600_000;
    this.changes = `${opts.prefix}changes`;
  }

  private reqKey(id: string) {
    return `${this.p}req:${id}`;
  }
  private outKey(id: string) {
    return `${this.p}out:${id}`;
  }
  /** Hashed, so neither the API key nor the client's idempotency key appears in a Redis key name. */
  claimKey(owner: string, key: string): string {
    return `${this.p}idem:${createHash('sha256').update(`${owner}\u0000${key}`).digest('hex')}`;
  }

  async create(record: RequestRecord): Promise<void> {
    const { id, owner, params, baseUrl, createdAt, idempotency, sync } = record;
    const fields: Bin[] = [
      'state',
      record.state,
      'doc',
      JSON.stringify({ id, owner, params, baseUrl, createdAt, idempotency, sync }),
    ];
    fields.push(...patchFields(record));
    const input = record.input;
    if (input !== undefined && isProbed(input)) {
      // Probed where the request entered (v1): the worker takes the header's facts instead of reading it again.
      const { bytes, ...probe } = input;
      fields.push('in', bytes, 'it', 'p', 'ip', JSON.stringify(probe));
    } else if (input !== undefined) {
      fields.push('in', input, 'it', Buffer.isBuffer(input) ? 'b' : 's');
    }
    if (idempotency) fields.push('ck', this.claimKey(owner, idempotency.key));
    const created = await guard(() =>
      this.redis.bgrCreate(
        this.reqKey(id),
        this.outKey(id),
        String(this.clock.now()),
        String(this.pendingTtlMs),
        ...fields,
      ),
    );
    if (created !== 1) throw new Error(`request ${id} exists`);
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const flat = await guard(() => this.redis.hgetallBuffer(this.reqKey(id)));
    const rec = decode(flat);
    // The owner check downstream trusts this record to be the one asked for: a reply about another key (a
    // connection whose replies got out of step) must never reach it. Reconnect, which drops the stale queue.
    if (rec && rec.id !== id) {
      this.redis.disconnect(true);
      throw new ApiError('service_unavailable', 'The request store (Redis) answered out of step; retry shortly.', {
        'Retry-After': '2',
      });
    }
    return this.live(rec);
  }

  async transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch: RecordPatch = {},
    output?: StoredOutput,
  ): Promise<RequestRecord | undefined> {
    return guard(async () => {
      const keys = [this.reqKey(id), this.outKey(id)];
      // Only an ending touches the idempotency binding; its key name is immutable, so reading it first is safe.
      if (to === 'COMPLETED' || to === 'FAILED' || patch.expiresAt !== undefined) {
        const ck = await this.redis.hget(this.reqKey(id), 'ck');
        if (ck) keys.push(ck);
      }
      const withOutput = to === 'COMPLETED' && output;
      const reply = await this.redis.bgrTransitionBuffer(
        String(keys.length),
        ...keys,
        String(this.clock.now()),
        to,
        from.join(','),
        String(this.pendingTtlMs),
        withOutput ? output.contentType : '',
        withOutput ? output.bytes : '',
        id,
        ...patchFields(patch),
      );
      if (!reply) return undefined;
      // Tell the streams (any node) to re-read. Not awaited and best effort: they also re-read now and then.
      this.redis.publish(this.changes, id).catch(() => {});
      return decode(reply);
    });
  }

  /**
   * Change notices over pub/sub: one subscriber connection per store, made at the first watch, on one
   * channel for all requests (a notice is a few bytes; listeners filter by id). Closed by `close()`.
   */
  watch(id: string, onChange: () => void): () => void {
    if (!this.subscriber) {
      // A subscriber must wait out reconnects (ioredis resubscribes by itself), unlike the fail-fast API client.
      const patient = { maxRetriesPerRequest: null, commandTimeout: undefined };
      // On a cluster, PUBLISH reaches every node, so a subscriber on any node hears every change.
      const sub: RedisClient =
        this.redis instanceof Cluster
          ? this.redis.duplicate([], {
              enableOfflineQueue: true,
              redisOptions: { ...this.redis.options.redisOptions, ...patient },
            })
          : this.redis.duplicate({ enableOfflineQueue: true, ...patient });
      sub.on('error', () => {}); // the API client reports outages; the streams' re-reads cover the gap
      sub.on('message', (_channel: string, changed: string) => {
        this.watchers.notify(changed);
      });
      void sub.subscribe(this.changes).catch(() => {});
      this.subscriber = sub;
    }
    return this.watchers.add(id, onChange);
  }

  /** Closes the change subscriber, if any (the shared client belongs to the backend). */
  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Just the state (one small read, unlike `get`, which carries the input while pending): for waiters that poll. */
  async stateOf(id: string): Promise<RequestState | undefined> {
    const [state, expiresAt] = await guard(() => this.redis.hmget(this.reqKey(id), 'state', 'expiresAt'));
    if (!state || (expiresAt && Number(expiresAt) <= this.clock.now())) return undefined;
    return state as RequestState;
  }

  async setMetrics(id: string, metrics: RequestMetrics): Promise<RequestRecord | undefined> {
    const reply = await guard(() =>
      this.redis.bgrSetMetricsBuffer(this.reqKey(id), String(this.clock.now()), ...metricFields(metrics)),
    );
    return reply ? this.live(decode(reply)) : undefined;
  }

  async getOutput(id: string): Promise<StoredOutput | undefined> {
    const results = await guard(() =>
      this.redis.multi().hmget(this.reqKey(id), 'state', 'expiresAt').hgetallBuffer(this.outKey(id)).exec(),
    );
    const [state, expiresAt] = (results?.[0]?.[1] ?? []) as (string | null)[];
    const out = (results?.[1]?.[1] ?? {}) as Record<string, Buffer>;
    if (state !== 'COMPLETED' || !out.b || !out.ct) return undefined;
    if (expiresAt && Number(expiresAt) <= this.clock.now()) return undefined;
    return { bytes: out.b, contentType: out.ct.toString() as StoredOutput['contentType'] };
  }

  async delete(id: string): Promise<void> {
    await guard(() => this.redis.del(this.reqKey(id), this.outKey(id)));
  }

  async claim(owner: string, key: string, bodyHash: string, id: string): Promise<ClaimResult> {
    const held = await guard(() =>
      this.redis.bgrClaim(this.claimKey(owner, key), String(this.clock.now()), id, bodyHash, String(this.pendingTtlMs)),
    );
    if (!held) return { kind: 'claimed' };
    const [heldId, heldHash] = held;
    return heldHash === bodyHash ? { kind: 'existing', id: heldId } : { kind: 'conflict', id: heldId };
  }

  async unclaim(owner: string, key: string, id: string): Promise<void> {
    await guard(() => this.redis.bgrUnclaim(this.claimKey(owner, key), id));
  }

  /** Redis expires the keys itself (TTL = retention); reads already hide what is past `expiresAt`. */
  async sweep(_now: number): Promise<number> {
    return 0;
  }

  private live(rec: RequestRecord | undefined): RequestRecord | undefined {
    if (!rec) return undefined;
    return rec.expiresAt !== undefined && rec.expiresAt <= this.clock.now() ? undefined : rec;
  }
}

/** The hash fields a patch writes (undefined values are skipped, as spreading them is not a write here). */
function patchFields(patch: RecordPatch): Bin[] {
  const out: Bin[] = [];
  for (const name of ['startedAt', 'completedAt', 'expiresAt'] as const) {
    const v = patch[name];
    if (v !== undefined) out.push(name, String(v));
  }
  if (patch.error) out.push('error', JSON.stringify(patch.error));
  if (patch.metrics) out.push(...metricFields(patch.metrics));
  return out;
}

function metricFields(metrics: RequestMetrics): string[] {
  const out: string[] = [];
  for (const name of metricNames) {
    const v = metrics[name];
    if (v !== undefined) out.push(`m:${name}`, String(v));
  }
  return out;
}

/** A record from HGETALL's reply (a flat array from a script, or an object from hgetallBuffer). */
function decode(reply: Buffer[] | Record<string, Buffer>): RequestRecord | undefined {
  const h: Record<string, Buffer> = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) h[reply[i]!.toString()] = reply[i + 1]!;
  } else {
    Object.assign(h, reply);
  }
  if (!h.state || !h.doc) return undefined;
  const doc = JSON.parse(h.doc.toString()) as Pick<
    RequestRecord,
    'id' | 'owner' | 'params' | 'baseUrl' | 'createdAt' | 'idempotency' | 'sync'
  >;
  const rec: RequestRecord = {
    id: doc.id,
    owner: doc.owner,
    state: h.state.toString() as RequestState,
    params: doc.params,
    baseUrl: doc.baseUrl,
    createdAt: doc.createdAt,
    metrics: {},
  };
  if (doc.idempotency) rec.idempotency = doc.idempotency;
  if (doc.sync) rec.sync = true;
  const kind = h.it?.toString();
  if (h.in && kind === 'p' && h.ip)
    rec.input = { bytes: h.in, ...(JSON.parse(h.ip.toString()) as Omit<ProbedImage, 'bytes'>) };
  else if (h.in) rec.input = kind === 's' ? h.in.toString() : h.in;
  for (const name of ['startedAt', 'completedAt', 'expiresAt'] as const) {
    if (h[name]) rec[name] = Number(h[name].toString());
  }
  if (h.error) rec.error = JSON.parse(h.error.toString()) as RequestRecord['error'];
  for (const name of metricNames) {
    const v = h[`m:${name}`];
    if (v) rec.metrics[name] = Number(v.toString());
  }
  return rec;
}
