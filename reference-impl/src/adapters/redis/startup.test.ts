/** createRedisBackend awaits BullMQ's start-up check, so a start-up that blocks the event loop cannot break the queues for good. */
import { afterAll, expect, it } from 'vitest';
import { createRedisBackend, type RedisBackend } from './index.ts';
import { deletePrefix, testPrefix, testRedisUrl } from '../../../testing/redis.ts';

const prefix = testPrefix();
const backends: RedisBackend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
  await deletePrefix(prefix);
});

it('a queue still adds after the event loop was blocked past the command timeout right after start', async () => {
  const b = await createRedisBackend({
    url: testRedisUrl,
    role: 'api',
    prefix,
    keys: [],
    maxQueue: 10,
    commandTimeoutMs: 200,
  });
  backends.push(b);
  // What a busy start-up does (building the app, compiling schemas) on a loaded machine. Had BullMQ's
  // INFO still been in flight, its timeout would fire before its reply is read, and BullMQ would keep
  // that failed start for good: every add "Command timed out".
  const until = Date.now() + 400;
  while (Date.now() < until) {
    /* block */
  }
  await b.queue.add('after-block');
  expect(await b.queue.position('after-block')).toBe(0);
});
