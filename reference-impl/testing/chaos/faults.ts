/**
 * The seeded fault schedule and its injector: SIGKILL/SIGSTOP of API and worker nodes, Redis failover and restart,
 * network delay and drops through the proxy, the webhook receiver failing. Faults overlap; each heals itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultKind, History } from './history.ts';
import type { ChaosNode } from './nodes.ts';
import type { Proxy } from './proxy.ts';
import { between, pick, rng } from './random.ts';
import type { RedisPair } from './redis-pair.ts';
import type { Receiver } from './receiver.ts';

export interface PlannedFault {
  at: number;
  fault: FaultKind;
  target: string;
  ms: number;
  delayMs?: number;
}

const KINDS: readonly FaultKind[] = [
  'kill-api',
  'stop-api',
  'kill-worker',
  'stop-worker',
  'redis-failover',
  'redis-restart',
  'net-delay',
  'net-drop',
  'receiver-down',
];

/**
 * `count` faults spread over [from, until): the i-th in its own slot (so they are spread, yet neighbours may
 * overlap), kinds cycling through a seeded shuffle so every kind appears once `count` ≥ 9.
 */
export function planFaults(
  seed: number,
  count: number,
  from: number,
  until: number,
  apis: string[],
  workers: string[],
): PlannedFault[] {
  const r = rng(seed ^ 0x5eed);
  const kinds = [...KINDS].sort(() => r() - 0.5);
  const slot = (until - from) / Math.max(1, count);
  const out: PlannedFault[] = [];
  for (let i = 0; i < count; i++) {
    const fault = kinds[i % kinds.length]!;
    const at = Math.round(from + i * slot + r() * slot * 0.5);
    const target = fault.endsWith('-api')
      ? pick(r, apis)
      : fault.endsWith('-worker')
        ? pick(r, workers)
        : fault.startsWith('redis') || fault.startsWith('net')
          ? 'redis'
          : 'receiver';
    const ms =
      fault === 'receiver-down' ? between(r, 2_000, 10_000) : fault === 'redis-failover' ? 0 : between(r, 1_000, 6_000);
    out.push({ at, fault, target, ms, ...(fault === 'net-delay' ? { delayMs: between(r, 100, 1_500) } : {}) });
  }
  return out;
}

export interface Targets {
  nodes: Map<string, ChaosNode>;
  redis: RedisPair;
  proxy: Proxy;
  receiver: Receiver;
}

/** Injects `plan` against the targets, logging each fault's [start, healed] window; resolves once all healed. */
export async function injectFaults(
  plan: PlannedFault[],
  t: Targets,
  history: History,
  log: (s: string) => void,
): Promise<void> {
  // One Redis fault at a time, and one fault per node at a time: overlapping faults hit different parts.
  const busy = new Map<string, Promise<void>>();
  const run = async (p: PlannedFault) => {
    await sleep(Math.max(0, p.at - history.now()));
    while (busy.has(p.target)) await busy.get(p.target);
    const job = (async () => {
      const t0 = history.now();
      let lagBytes: number | undefined;
      log(
        `${t0} ms: ${p.fault} ${p.target}${p.ms ? ` for ${p.ms} ms` : ''}${p.delayMs ? ` (+${p.delayMs} ms per chunk)` : ''}`,
      );
      const node = t.nodes.get(p.target);
      switch (p.fault) {
        case 'kill-api':
        case 'kill-worker':
          await node!.kill();
          await sleep(p.ms);
          await node!.start();
          break;
        case 'stop-api':
        case 'stop-worker':
          node!.signal('SIGSTOP');
          await sleep(p.ms);
          node!.signal('SIGCONT');
          break;
        case 'redis-failover':
          lagBytes = await t.redis.failover((port) => t.proxy.retarget(port));
          break;
        case 'redis-restart':
          await t.redis.restart(p.ms);
          break;
        case 'net-delay':
          t.proxy.delay(p.delayMs ?? 500);
          await sleep(p.ms);
          t.proxy.delay(0);
          break;
        case 'net-drop':
          t.proxy.drop(p.ms);
          await sleep(p.ms);
          break;
        case 'receiver-down':
          t.receiver.up(false);
          await sleep(p.ms);
          t.receiver.up(true);
          break;
      }
      history.add({
        kind: 'fault',
        fault: p.fault,
        target: p.target,
        t0,
        t1: history.now(),
        ...(lagBytes !== undefined ? { lagBytes } : {}),
      });
    })();
    busy.set(
      p.target,
      job.finally(() => busy.delete(p.target)),
    );
    await job;
  };
  await Promise.all(plan.map(run));
}
