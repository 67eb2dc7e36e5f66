/** Test doubles for the v2 lifecycle: a controllable Engine, an in-memory KeyStore, a fake Clock, a webhook receiver. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { FakeEngine as SharedFakeEngine, type FakeEngineOptions } from './fake-engine.ts';
import type { Clock, KeyAccount, KeyRecord, KeyStore } from '../src/ports.ts';
import { ApiError, installErrorHandlers } from '../src/errors.ts';
import type { RemovalService } from '../src/removal/service.ts';
import type { V2OperationId } from '../src/http/routes/v2.ts';
import { v2Handlers, v2Paths } from '../src/http/routes/v2.ts';
import '../src/http/auth.ts';

// One FakeEngine for every test (./fake-engine.ts); here in manual mode, the v2 tests' default.
export { asProbed, deferred, fakeResult, tinyPng, type Deferred, type EngineCall } from './fake-engine.ts';

/** The shared FakeEngine whose inferences finish when the test says so (`manual`), unless `auto` answers them. */
export class FakeEngine extends SharedFakeEngine {
  constructor(opts: FakeEngineOptions = {}) {
    super({ manual: true, ...opts });
  }
}

/** A KeyStore in memory with the ports.ts semantics: holds, idempotent settle, counters for asserts. Its key ids are the keys' own strings. */
export class FakeKeyStore implements KeyStore {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly holds = new Map<string, string>();
  /** Settled request ids → whether the settle took a credit. */
  private readonly settled = new Map<string, boolean>();
  /** Credits actually charged, per key. */
  readonly charged = new Map<string, number>();

  constructor(records: Partial<KeyRecord>[] = []) {
    for (const r of records) this.add(r);
  }

  add(r: Partial<KeyRecord>): KeyRecord {
    const record: KeyRecord = {
      key: r.key ?? `key-${this.keys.size + 1}`,
      name: r.name ?? 'test',
      credits: r.credits === undefined ? null : r.credits,
      scopes: r.scopes ?? ['v1', 'v2'],
      rateLimit: r.rateLimit ?? { max: 1000, windowS: 60 },
    };
    this.keys.set(record.key, record);
    return record;
  }

  async find(id: string): Promise<KeyAccount | undefined> {
    const r = this.keys.get(id);
    return r ? { id: r.key, name: r.name, credits: r.credits, scopes: r.scopes, rateLimit: r.rateLimit } : undefined;
  }

  async hold(key: string, requestId: string): Promise<boolean> {
    const k = this.keys.get(key);
    if (!k) return false;
    if (this.holds.has(requestId) || this.settled.has(requestId)) return true;
    if (k.credits !== null && k.credits - this.heldBy(key) < 1) return false;
    this.holds.set(requestId, key);
    return true;
  }

  async settle(key: string, requestId: string, charged: boolean): Promise<number | null> {
    const k = this.keys.get(key);
    if (!k) return null;
    if (this.settled.has(requestId)) return k.credits;
    // Marked settled even without a hold, so a hold that arrives after its release takes nothing.
    const took = charged && this.holds.get(requestId) === key;
    this.settled.set(requestId, took);
    if (this.holds.get(requestId) === key) this.holds.delete(requestId);
    if (took) {
      if (k.credits !== null) k.credits -= 1;
      this.charged.set(key, (this.charged.get(key) ?? 0) + 1);
    }
    return k.credits;
  }

  async withdraw(key: string, requestId: string): Promise<void> {
    const k = this.keys.get(key);
    if (!k) return;
    if (this.holds.get(requestId) === key) this.holds.delete(requestId);
    if (this.settled.get(requestId)) {
      if (k.credits !== null) k.credits += 1;
      this.charged.set(key, this.charged.get(key)! - 1);
    }
    this.settled.set(requestId, false);
  }

  async balance(key: string): Promise<number | null> {
    return this.keys.get(key)?.credits ?? null;
  }

  /** Credits held and not yet settled for a key. */
  heldBy(key: string): number {
    let n = 0;
    for (const owner of this.holds.values()) if (owner === key) n++;
    return n;
  }
}

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(private t = Date.parse('2026-11-24T10:00:00.000Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Received {
  headers: Record<string, string>;
  body: string;
  verified: unknown;
  status: number;
}

/**
 * A receiver as a customer would write it: verifies every delivery with `Webhook.verify`, answers the
 * statuses in `script` in turn (then 204). Shared by the lifecycle tests.
 */
export async function startReceiver(secret: string, script: number[] = []) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified: unknown;
      try {
        verified = new Webhook(secret).verify(body, headers);
      } catch {
        verified = undefined;
      }
      const status = verified === undefined ? 400 : (script[received.length] ?? 204);
      received.push({ headers, body, verified, status });
      res.writeHead(status).end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bgr`;
  return {
    url,
    received,
    /** Resolves once `n` deliveries arrived. */
    async count(n: number) {
      while (received.length < n) await new Promise<void>((r) => waiters.push(r));
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A minimal Fastify app with the v2 routes mounted as the server will: a test-only auth hook reading
 * `x-api-key`, and the server's central error handlers.
 */
export async function v2TestApp(opts: {
  service: RemovalService;
  keys: KeyStore;
  baseUrl?: string;
}): Promise<FastifyInstance> {
  const app = Fastify();
  app.addHook('onRequest', async (request) => {
    const key = request.headers['x-api-key'];
    const account = typeof key === 'string' ? await opts.keys.find(key) : undefined;
    if (!account) throw new ApiError('unauthorized');
    request.caller = account;
  });
  installErrorHandlers(app);
  const handlers = v2Handlers({ service: opts.service, baseUrl: () => opts.baseUrl ?? 'http://api.test' });
  for (const [op, { method, url }] of Object.entries(v2Paths) as [V2OperationId, (typeof v2Paths)[V2OperationId]][]) {
    app.route({ method, url, handler: handlers[op] });
  }
  await app.ready();
  return app;
}
