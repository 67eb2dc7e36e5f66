/**
 * The seeded workload: several clients, each with its own API key, sending v1 and v2 calls to any API node —
 * submits with and without Idempotency-Key and webhooks, polls, results, status streams, cancels, and probes of
 * other keys' requests — and logging every exchange to the history. Bounded: it stops at `until`, then drains.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pngOf } from '../fixtures.ts';
import type { ClientOp, History } from './history.ts';
import { between, pick, rng, type Rng } from './random.ts';

export interface WorkloadOptions {
  seed: number;
  clients: number;
  /** API node base URLs (a client picks one per call, as a load balancer would). */
  apis: string[];
  /** Secret per key label. */
  keys: Record<string, string>;
  webhookUrl: string;
  /** The history clock at which clients stop starting new work (read on every call: a soak moves it). */
  until: () => number;
  /** After `until`, how long clients keep polling their acknowledged requests. */
  drainMs: number;
  /** Mean pause between a client's calls (ms). */
  thinkMs: number;
}

interface Answer {
  status: number;
  body?: Record<string, unknown>;
  retryAfter?: string;
  note?: string;
}

/** Labels of the keys a workload of `clients` clients uses: `k<i>` for v2, `v<i>` for v1. */
export function keyLabels(clients: number): string[] {
  return Array.from({ length: clients }, (_, i) => [`k${i}`, `v${i}`]).flat();
}

async function call(url: string, init: RequestInit & { timeoutMs?: number }): Promise<Answer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
    const text = await res.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return {
      status: res.status,
      ...(body ? { body } : {}),
      ...(res.headers.get('retry-after') ? { retryAfter: res.headers.get('retry-after')! } : {}),
    };
  } catch (err) {
    return { status: 0, note: String((err as Error).cause ?? (err as Error).message).slice(0, 120) };
  }
}

/** Reads a status stream for at most `ms`, collecting the state of each event. */
async function stream(url: string, key: string, ms: number): Promise<Answer & { states: string[] }> {
  const states: string[] = [];
  try {
    const res = await fetch(url, {
      headers: { 'x-api-key': key, accept: 'text/event-stream' },
      signal: AbortSignal.timeout(ms),
    });
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const a = await res.text().then((t) => {
        try {
          return JSON.parse(t) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      });
      return {
        status: res.status,
        ...(a ? { body: a } : {}),
        ...(res.headers.get('retry-after') ? { retryAfter: res.headers.get('retry-after')! } : {}),
        states,
      };
    }
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('data:')) {
          try {
            states.push(String((JSON.parse(line.slice(5)) as { status?: string }).status));
          } catch {
            /* a partial line */
          }
        }
      }
    }
    return { status: res.status, states };
  } catch (err) {
    // A timeout after events is the bounded read ending, not a failure.
    return { status: states.length ? 200 : 0, states, note: String((err as Error).message).slice(0, 80) };
  }
}

/** Runs the clients to the end of the drain; every exchange goes to `history`. */
export async function runWorkload(o: WorkloadOptions, history: History): Promise<void> {
  const images = await Promise.all([pngOf(16, 12), pngOf(24, 16), pngOf(32, 24)]);
  // A PNG cut short: its header passes the submit's checks, its decode fails → FAILED invalid_image (never charged).
  const broken = images[2]!.subarray(0, 60);
  const bodies = [...images, broken].map((b) => b.toString('base64'));
  await Promise.all(Array.from({ length: o.clients }, (_, i) => client(i, rng(o.seed * 1000 + i), o, bodies, history)));
}

async function client(i: number, r: Rng, o: WorkloadOptions, bodies: string[], history: History): Promise<void> {
  const key = `k${i}`;
  const v1key = `v${i}`;
  const secret = o.keys[key]!;
  const pending = new Map<string, { idem?: string }>();
  const log = (op: Omit<ClientOp, 'kind' | 'client'>) => history.add({ kind: 'op', client: i, ...op });
  const fields = (a: Answer, asked?: string): Partial<ClientOp> => {
    const b = a.body ?? {};
    const bodyId = typeof b.request_id === 'string' && asked && b.request_id !== asked ? b.request_id : undefined;
    const isError = a.status >= 400 && typeof b.error === 'string' && b.status !== 'FAILED';
    return {
      status: a.status,
      ...(typeof b.status === 'string' ? { state: b.status } : {}),
      ...(typeof b.code === 'string' ? { code: b.code } : {}),
      ...(a.retryAfter ? { retryAfter: a.retryAfter } : {}),
      ...(isError && 'request_id' in b ? { errorHasRequestId: true } : {}),
      ...(a.note ? { note: a.note } : {}),
      ...(bodyId ? { bodyId } : {}),
    };
  };
  const api = () => pick(r, o.apis);
  const headers = (k: string, extra: Record<string, string> = {}) => ({
    'x-api-key': k,
    'content-type': 'application/json',
    ...extra,
  });
  const observe = (id: string, a: Answer, state?: string) => {
    const s = state ?? (a.body?.status as string | undefined);
    if (s === 'COMPLETED' || s === 'FAILED' || a.status === 404) pending.delete(id);
  };

  const submit = async () => {
    const withIdem = r() < 0.4;
    const idem = withIdem ? `c${i}-idem-${between(r, 0, 30)}` : undefined;
    // The body follows from the idempotency key, so a replay is the same body.
    const bodyIx = idem ? Number(idem.split('-').at(-1)) % bodies.length : r() < 0.06 ? 3 : between(r, 0, 2);
    // Under an Idempotency-Key every field follows from the key: a replay is the same body (another body is a 409).
    const keyed = idem ? Number(idem.split('-').at(-1)) : -1;
    const webhook = idem ? keyed % 10 < 7 : r() < 0.7;
    const base64 = idem ? keyed % 3 === 0 : r() < 0.3;
    const t0 = history.now();
    const a = await call(`${api()}/v2/bg-removal`, {
      method: 'POST',
      headers: headers(secret, idem ? { 'idempotency-key': idem } : {}),
      body: JSON.stringify({
        image: bodies[bodyIx],
        ...(webhook ? { webhook: o.webhookUrl } : {}),
        ...(base64 ? { base64: true } : {}),
      }),
    });
    const id = typeof a.body?.request_id === 'string' && a.status === 200 ? a.body.request_id : undefined;
    log({
      key,
      op: 'submit',
      t0,
      t1: history.now(),
      ...(id ? { id } : {}),
      ...(idem ? { idem } : {}),
      webhook,
      ...fields(a),
    } as ClientOp);
    if (id) pending.set(id, idem ? { idem } : {});
  };
  const v1 = async () => {
    const t0 = history.now();
    const a = await call(`${api()}/v1/bg-removal`, {
      method: 'POST',
      headers: headers(o.keys[v1key]!),
      body: JSON.stringify({ image: bodies[between(r, 0, 2)] }),
      timeoutMs: 20_000,
    });
    log({ key: v1key, op: 'v1', t0, t1: history.now(), ...fields(a) } as ClientOp);
  };
  const poll = async (id: string, op: 'status' | 'result') => {
    const t0 = history.now();
    const a = await call(`${api()}/v2/requests/${id}${op === 'status' ? '/status' : ''}`, {
      headers: { 'x-api-key': secret },
    });
    log({ key, op, id, t0, t1: history.now(), ...fields(a, id) } as ClientOp);
    observe(id, a);
  };
  const watch = async (id: string) => {
    const t0 = history.now();
    const a = await stream(`${api()}/v2/requests/${id}/status`, secret, 8_000);
    log({
      key,
      op: 'stream',
      id,
      t0,
      t1: history.now(),
      ...fields(a),
      states: a.states,
      ...(a.states.length ? { state: a.states.at(-1)! } : {}),
    } as ClientOp);
    observe(id, a, a.states.at(-1));
  };
  const cancel = async (id: string) => {
    const t0 = history.now();
    const a = await call(`${api()}/v2/requests/${id}/cancel`, { method: 'POST', headers: { 'x-api-key': secret } });
    log({ key, op: 'cancel', id, t0, t1: history.now(), ...fields(a, id) } as ClientOp);
    observe(id, a);
  };
  const probe = async (id: string) => {
    const other = `k${(i + 1) % o.clients}`;
    const t0 = history.now();
    const a = await call(`${api()}/v2/requests/${id}/status`, { headers: { 'x-api-key': o.keys[other]! } });
    log({ key: other, op: 'probe', id, t0, t1: history.now(), ...fields(a, id) } as ClientOp);
  };

  while (history.now() < o.until()) {
    const ids = [...pending.keys()];
    const x = r();
    if (x < 0.3 || ids.length === 0) await submit();
    else if (x < 0.38) await v1();
    else {
      const id = pick(r, ids);
      const y = r();
      if (y < 0.5) await poll(id, 'status');
      else if (y < 0.65) await poll(id, 'result');
      else if (y < 0.75) await watch(id);
      else if (y < 0.85) await cancel(id);
      else await probe(id);
    }
    await sleep(between(r, 0, 2 * o.thinkMs));
  }
  // Drain: poll every acknowledged request until it ends (or the drain is over).
  const stop = o.until() + o.drainMs;
  while (pending.size > 0 && history.now() < stop) {
    for (const id of [...pending.keys()]) {
      await poll(id, 'status');
      await sleep(20);
    }
    await sleep(250);
  }
}
