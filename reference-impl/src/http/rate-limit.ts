/** Per-key rate limiting on @fastify/rate-limit, emitting the IETF draft structured headers (spec: RATE-LIMIT). */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RedisClient } from '../adapters/redis/connection.ts';
import type { RateLimit } from '../process/config.ts';
import { ApiError } from '../errors.ts';

/**
 * The plugin only knows `x-ratelimit-*` (or the older draft's three separate headers), so it is used as
 * the counter (`createRateLimit`) and this hook writes `RateLimit-Policy: "default";q=50;w=60`,
 * `RateLimit: "default";r=12;t=30` and, on 429, `Retry-After`. Runs after the auth hook, so the key
 * record (with its own limit) is known; the counter is keyed by the API key, not the client IP.
 */
/** Counters in Redis, shared by every API node (the distributed deployment); absent → in process memory. */
export interface RateLimitStore {
  redis: RedisClient;
  nameSpace: string;
}

/** The key's id names its counter, so API keys never appear in a (Redis) key name. */
const counterOf = (req: FastifyRequest): string => (req.caller ? `key:${req.caller.id}` : `ip:${req.ip}`);

export async function rateLimitHook(app: FastifyInstance, fallback: RateLimit, store?: RateLimitStore) {
  await app.register(rateLimit, {
    global: false,
    // While Redis is down the counter is skipped, not failed: the auth hook before it already answers
    // 503 for anything that needs Redis, and a limiter outage must not become an outage of its own.
    ...(store ? { redis: store.redis, nameSpace: store.nameSpace, skipOnError: true } : {}),
    keyGenerator: counterOf,
    max: (req: FastifyRequest) => req.caller?.rateLimit.max ?? fallback.max,
    timeWindow: (req: FastifyRequest) => (req.caller?.rateLimit.windowS ?? fallback.windowS) * 1000,
  });
  const limiter = app.createRateLimit();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rl = await limiter(request);
    if (rl.isAllowed) return;
    const windowS = Math.round(rl.timeWindow / 1000);
    reply.header('RateLimit-Policy', `"default";q=${rl.max};w=${windowS}`);
    reply.header('RateLimit', `"default";r=${rl.remaining};t=${rl.ttlInSeconds}`);
    if (rl.isExceeded) {
      throw new ApiError(
        'rate_limited',
        `Too many requests: this key allows ${rl.max} per ${windowS} s; retry in ${rl.ttlInSeconds} s.`,
        {
          'Retry-After': String(rl.ttlInSeconds),
        },
      );
    }
  };
}
