/** Test helpers for the Redis backend: the test server's URL, a random key prefix per file, cleanup by SCAN. */
import { randomBytes } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { createRedis, isClusterUrl, whenReady, type RedisClient } from '../src/adapters/redis/connection.ts';
import { clusterPrefix } from '../src/adapters/redis/url.ts';

/**
 * The machine's Redis (CI starts one when absent); override with BGR_TEST_REDIS_URL — a
 * redis+cluster:// URL runs the files that use it (distributed faults, durable webhooks) on a cluster.
 */
export const testRedisUrl = process.env.BGR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const onCluster = isClusterUrl(testRedisUrl);

/** The prefix a backend configured with `prefix` really uses on the test Redis (hash-tagged on a cluster). */
export function keyPrefix(prefix: string): string {
  return onCluster ? clusterPrefix(prefix) : prefix;
}

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
  if (onCluster) return deleteOnCluster(prefix);
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

/** deletePrefix on a cluster: every master scanned, for the plain and the hash-tagged spelling (`{prefix…}:`). */
async function deleteOnCluster(prefix: string): Promise<number> {
  const cluster = createRedis({ url: testRedisUrl, role: 'api' }) as Cluster;
  let removed = 0;
  try {
    if (!(await whenReady(cluster))) throw new Error(`no Redis Cluster at ${testRedisUrl}`);
    for (const node of cluster.nodes('master')) {
      for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const k of keys) removed += await cluster.del(k);
        } while (cursor !== '0');
      }
    }
  } finally {
    cluster.disconnect();
  }
  return removed;
}
