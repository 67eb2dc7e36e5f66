/** One chaos (or soak) run: starts Redis (primary + replica), the proxy, the receiver and four nodes, drives the workload and the faults, then checks the history. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyIdHasher } from '../../src/policy/keys.ts';
import { generateWebhookSecret } from '../../src/removal/webhook.ts';
import { check, type Verdict } from './checker.ts';
import { injectFaults, planFaults } from './faults.ts';
import { History, type ClientOp, type FaultEvent } from './history.ts';
import { chaosNode, type ChaosNode } from './nodes.ts';
import { startProxy } from './proxy.ts';
import { startChaosReceiver } from './receiver.ts';
import { startRedisPair } from './redis-pair.ts';
import { keyLabels, runWorkload } from './workload.ts';

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  /** Faults injected over the run (0 = a soak). */
  faults: number;
  clients: number;
  thinkMs: number;
  /** Where the history, node logs and the verdict go. */
  outDir: string;
  /** Retention of ended requests (BGR_RESULT_TTL_S); a soak uses a short one to show keys plateau. */
  retentionS: number;
  /** Extra node environment (e.g. BGR_REDIS_WAIT_REPLICAS). */
  env?: Record<string, string>;
  /** Scrape memory and handles of every node after each this many requests (the soak). */
  sampleEvery?: number;
  /** End the workload once this many requests were acknowledged (the soak), even before `durationMs`. */
  stopAfter?: number;
  log?: (s: string) => void;
}

export interface Sample {
  requests: number;
  node: string;
  rssMb: number;
  heapMb: number;
  handles: number;
  redisKeys: number;
}
export interface ChaosResult {
  verdict: Verdict;
  history: History;
  acknowledged: number;
  faults: FaultEvent[];
  samples: Sample[];
  outDir: string;
}

const CREDITS = 1_000_000;

/** A metric's value from a Prometheus text page (first sample). */
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  mkdirSync(o.outDir, { recursive: true });
  const history = new History();
  const secret = generateWebhookSecret();
  const labels = keyLabels(o.clients);
  const keys = Object.fromEntries(labels.map((l) => [l, `chaos_${l}_${randomBytes(8).toString('hex')}`]));
  const keysFile = join(o.outDir, 'keys.yaml');
  writeFileSync(
    keysFile,
    `keys:\n${labels.map((l) => `  - { key: ${keys[l]}, credits: ${CREDITS}, rate_limit: 100000/min }\n`).join('')}`,
  );
  const prefix = 'chaos:';
  const graceMs = 10_000;
  const webhookSpanMs = 35_000;
  history.add({
    kind: 'run',
    seed: o.seed,
    durationMs: o.durationMs,
    retentionMs: o.retentionS * 1000,
    graceMs,
    webhookSpanMs,
  });

  const redis = await startRedisPair();
  const proxy = await startProxy(redis.primary());
  const receiver = await startChaosReceiver(secret, history);
  const env = {
    BGR_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    BGR_REDIS_PREFIX: prefix,
    BGR_API_KEYS: keysFile,
    BGR_WEBHOOK_SECRET: secret,
    BGR_KEY_ID_SECRET: randomBytes(16).toString('hex'),
    BGR_ALLOW_PRIVATE_URLS: 'true',
    BGR_JOB_LOCK_MS: '2000',
    BGR_JOB_STALLED_MS: '1000',
    BGR_SHUTDOWN_GRACE_S: '2',
    BGR_THREADS: '1',
    BGR_WORKERS: '2',
    BGR_FAKE_DELAY_MS: '40',
    BGR_QUEUE_MAX: '1000',
    BGR_RESULT_TTL_S: String(o.retentionS),
    BGR_V1_DEADLINE_S: '30',
    ...o.env,
  };
  // Balances and holds are named in Redis by the key's id: the server's one hashing, under this run's key-id secret.
  const keyId = keyIdHasher(env.BGR_KEY_ID_SECRET || undefined);
  const nodes = new Map<string, ChaosNode>();
  const samples: Sample[] = [];
  try {
    for (const [name, role] of [
      ['api1', 'api'],
      ['api2', 'api'],
      ['worker1', 'worker'],
      ['worker2', 'worker'],
    ] as const) {
      nodes.set(name, await chaosNode(name, role, env, o.outDir));
    }
    await Promise.all([...nodes.values()].map((n) => n.start()));
    log(
      `chaos: seed ${o.seed}, ${o.durationMs / 1000} s, ${o.faults} faults, ${o.clients} clients; Redis ${redis.primary()} (+ replica) via proxy ${proxy.port}; logs in ${o.outDir}`,
    );

    const start = history.now();
    let until = start + o.durationMs;
    const apis = [...nodes.values()].filter((n) => n.role === 'api');
    const plan = planFaults(
      o.seed,
      o.faults,
      start + 2_000,
      until - 8_000,
      apis.map((n) => n.name),
      ['worker1', 'worker2'],
    );
    // Stalls nobody injected (a starved machine, a slow disk under the AOF) are faults too: watch for them.
    let watching = true;
    const watcher = (async () => {
      let port = 0;
      let client: Redis | undefined;
      while (watching) {
        if (port !== redis.primary()) {
          client?.disconnect();
          port = redis.primary();
          client = new Redis(port, '127.0.0.1', {
            maxRetriesPerRequest: 1,
            enableOfflineQueue: false,
            retryStrategy: () => 200,
          });
          client.on('error', () => {});
        }
        const t0 = history.now();
        const ok = await client!.ping().then(
          () => true,
          () => false,
        );
        await sleep(250);
        const late = history.now() - t0 - 250;
        if (ok && late >= 1_000)
          history.add({ kind: 'fault', fault: 'stall', target: 'machine', t0, t1: history.now() });
      }
      client?.disconnect();
    })();
    let sampling = o.sampleEvery !== undefined;
    const sampler = (async () => {
      let next = o.sampleEvery ?? Infinity;
      while (sampling) {
        const done = history.events.filter(
          (e) => e.kind === 'op' && (e.op === 'submit' || e.op === 'v1') && e.status === 200,
        ).length;
        if (done >= next) {
          const redisKeys = Number(redis.cli(redis.primary(), 'dbsize'));
          for (const n of nodes.values()) {
            const text = await fetch(`${n.url}/metrics`).then(
              (r) => r.text(),
              () => '',
            );
            samples.push({
              requests: done,
              node: n.name,
              redisKeys,
              rssMb: +(metric(text, 'bgr_process_resident_memory_bytes') / 1e6).toFixed(1),
              heapMb: +(metric(text, 'bgr_nodejs_heap_size_used_bytes') / 1e6).toFixed(1),
              handles: metric(text, 'bgr_nodejs_active_handles_total'),
            });
          }
          if (o.stopAfter && done >= o.stopAfter) until = Math.min(until, history.now());
          log(
            `  ${done} requests: ${samples
              .slice(-nodes.size)
              .map((s) => `${s.node} rss ${s.rssMb} MB heap ${s.heapMb} MB handles ${s.handles}`)
              .join('; ')}; Redis keys ${redisKeys}`,
          );
          next += o.sampleEvery!;
        }
        await sleep(500);
      }
    })();
    await Promise.all([
      runWorkload(
        {
          seed: o.seed,
          clients: o.clients,
          apis: apis.map((n) => n.url),
          keys,
          webhookUrl: receiver.url,
          until: () => until,
          drainMs: 60_000,
          thinkMs: o.thinkMs,
        },
        history,
      ),
      injectFaults(plan, { nodes, redis, proxy, receiver }, history, (s) => log(`  fault at ${s}`)),
    ]);
    sampling = false;
    await sampler;
    watching = false;
    await watcher;
    // Webhook retries may still be waiting out their backoff: wait until deliveries go quiet (bounded).
    for (let quiet = 0, last = -1, i = 0; quiet < 6 && i < 90; i++) {
      const n = history.events.filter((e) => e.kind === 'delivery').length;
      quiet = n === last ? quiet + 1 : 0;
      last = n;
      await sleep(1_000);
    }
    for (const l of labels) {
      const p = redis.primary();
      const bal = redis.cli(p, 'hget', `${prefix}credits:${keyId(keys[l]!)}`, 'bal');
      // A hold's score is when it was taken (back-dated for short-lived ones): it expires 24 h after its score.
      const scores = redis
        .cli(p, 'zrange', `${prefix}holds:${keyId(keys[l]!)}`, '0', '-1', 'withscores')
        .split('\n')
        .filter((_, i) => i % 2 === 1)
        .map(Number);
      const expiresIn = scores.map((sc) => sc + 24 * 3_600_000 - Date.now());
      const holds = expiresIn.filter((ms) => ms > 5 * 60_000).length;
      history.add({
        kind: 'ledger',
        key: l,
        initial: CREDITS,
        final: bal ? Number(bal) : CREDITS,
        holds,
        expiringHolds: expiresIn.length - holds,
      });
    }
  } finally {
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    await receiver.close();
    await proxy.close();
    redis.stop();
  }
  writeFileSync(join(o.outDir, 'history.jsonl'), history.toJsonl());
  const verdict = check(history.events);
  const ops = history.events.filter((e): e is ClientOp => e.kind === 'op');
  return {
    verdict,
    history,
    outDir: o.outDir,
    samples,
    acknowledged:
      ops.filter((e) => e.op === 'submit' && e.status === 200).length +
      ops.filter((e) => e.op === 'v1' && e.status === 200).length,
    faults: history.events.filter((e): e is FaultEvent => e.kind === 'fault'),
  };
}
