/** Submits acknowledged only once a replica has them (BGR_REDIS_WAIT_REPLICAS): a real primary and replica, the latency cost, and the refusal when no replica answers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ApiError } from '../../errors.ts';
import { createRedis, whenReady, type RedisClient } from './connection.ts';
import { BullJobQueue } from './job-queue.ts';
import { freePort, startOwnRedis, stopOwnRedis } from '../../../testing/nodes.ts';

const primary = await freePort();
const replica = await freePort();
// A replica writes the RDB it receives to its --dir (not settable later: a protected config): a temporary folder.
const dir = mkdtempSync(join(tmpdir(), 'bgr-replicas-'));
const cli = (port: number, ...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(port), ...args])
    .toString()
    .trim();
for (const port of [primary, replica]) await startOwnRedis(port, { dir });
cli(replica, 'replicaof', '127.0.0.1', String(primary));
for (let i = 0; i < 100 && !/master_link_status:up/.test(cli(replica, 'info', 'replication')); i++)
  await new Promise((r) => setTimeout(r, 50));

const api: RedisClient = createRedis({ url: `redis://127.0.0.1:${primary}`, role: 'api' });
await whenReady(api);
const queues: BullJobQueue[] = [];
afterAll(async () => {
  for (const q of queues) await q.close(0);
  api.disconnect();
  stopOwnRedis(replica);
  stopOwnRedis(primary);
  rmSync(dir, { recursive: true, force: true });
});
const queue = (ackReplicas: number, queueName: string) => {
  const q = new BullJobQueue({
    connection: api,
    prefix: 'wait:',
    queueName,
    maxSize: 10_000,
    concurrency: 1,
    ackReplicas,
    ackTimeoutMs: 300,
  });
  queues.push(q);
  return q;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('ackReplicas (Redis WAIT before a submit is acknowledged)', () => {
  it('a submit acknowledged with ackReplicas 1 is already on the replica; the latency cost is logged', async () => {
    const plain = queue(0, 'plain');
    const waited = queue(1, 'waited');
    const times: Record<string, number[]> = { plain: [], waited: [] };
    for (let i = 0; i < 100; i++) {
      for (const [name, q] of [
        ['plain', plain],
        ['waited', waited],
      ] as const) {
        const t0 = performance.now();
        await q.add(`${name}-${i}`);
        times[name]!.push(performance.now() - t0);
      }
      // Read from the replica right after the acknowledgment: with WAIT the job is there, every time.
      const onReplica = new Redis(replica, '127.0.0.1', { lazyConnect: true });
      await onReplica.connect();
      expect(await onReplica.exists(`wait:bull:waited:waited-${i}`)).toBe(1);
      onReplica.disconnect();
    }
    console.log(
      `queue.add median: ${median(times.plain!).toFixed(2)} ms plain, ${median(times.waited!).toFixed(2)} ms with WAIT 1 (loopback replica)`,
    );
  });

  it('with no replica answering, the submit is refused 503 with Retry-After and its job withdrawn', async () => {
    const q = queue(1, 'lonely');
    cli(replica, 'replicaof', 'no', 'one'); // the primary has no replica any more
    for (let i = 0; i < 100 && !/connected_slaves:0/.test(cli(primary, 'info', 'replication')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const err = await q.add('lonely-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'service_unavailable', headers: { 'Retry-After': '2' } });
    expect(await api.exists('wait:bull:lonely:lonely-1')).toBe(0);
    expect(await q.position('lonely-1')).toBeUndefined();
  });
});
