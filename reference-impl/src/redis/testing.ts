/** Test helpers for the Redis backend: the test server's URL, a random key prefix per file, cleanup by SCAN. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedis, whenReady, type RedisClient } from './connection.ts';

/** The machine's Redis (CI starts one when absent); override with BGR_TEST_REDIS_URL. */
export const testRedisUrl = process.env.BGR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file shares, so files run in parallel against one server. */
export function testPrefix(): string {
  return `bgrtest:${randomBytes(6).toString('hex')}:`;
}

/** An API-role client on the test server, connected (it has no offline queue). */
export async function testClient(): Promise<RedisClient> {
  const client = createRedis({ url: testRedisUrl, role: 'api' });
  if (!(await whenReady(client))) throw new Error(`no Redis at ${testRedisUrl}`);
  return client;
}

/** Deletes every key under `prefix` (never FLUSHALL: the server is shared). */
export async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(testRedisUrl, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}
