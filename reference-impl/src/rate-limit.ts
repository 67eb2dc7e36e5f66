/** Per-key rate limiting on @fastify/rate-limit, emitting the IETF draft structured headers (spec: RATE-LIMIT). */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimit } from './config.ts';
import { ApiError } from './errors.ts';

/**
 * The plugin only knows `x-ratelimit-*` (or the older draft's three separate headers), so it is used as
 * the counter (`createRateLimit`) and this hook writes `RateLimit-Policy: "default";q=50;w=60`,
 * `RateLimit: "default";r=12;t=30` and, on 429, `Retry-After`. Runs after the auth hook, so the key
 * record (with its own limit) is known; the counter is keyed by the API key, not the client IP.
 */
export async function rateLimitHook(app: FastifyInstance, fallback: RateLimit) {
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (req: FastifyRequest) => `key:${req.apiKey?.key ?? req.ip}`,
    max: (req: FastifyRequest) => req.apiKey?.rateLimit.max ?? fallback.max,
    timeWindow: (req: FastifyRequest) => (req.apiKey?.rateLimit.windowS ?? fallback.windowS) * 1000,
  });
  const limiter = app.createRateLimit();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rl = await limiter(request);
    if (rl.isAllowed) return;
    const windowS = Math.round(rl.timeWindow / 1000);
    reply.header('RateLimit-Policy', `"default";q=${rl.max};w=${windowS}`);
    reply.header('RateLimit', `"default";r=${rl.remaining};t=${rl.ttlInSeconds}`);
    if (rl.isExceeded) {
      throw new ApiError('rate_limited', `Too many requests: this key allows ${rl.max} per ${windowS} s; retry in ${rl.ttlInSeconds} s.`, {
        'Retry-After': String(rl.ttlInSeconds),
      });
    }
  };
}
