/** Each v2 lifecycle clause, over HTTP (Fastify inject) with the memory backend, a fake engine and a fake clock. */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { EngineError } from '../engine/types.ts';
import { ApiError } from '../errors.ts';
import type { ImageSource } from './request.ts';
import { MemoryRequestStore } from './store.ts';
import { MemoryJobQueue } from './queue.ts';
import { RemovalService } from './service.ts';
import type { ServiceConfig, ResolveImage } from './service.ts';
import {
  asProbed,
  deferred,
  FakeClock,
  FakeEngine,
  FakeKeyStore,
  fakeResult,
  startReceiver,
  tinyPng,
  v2TestApp,
} from '../../testing/v2.ts';
import { WebhookSender, generateWebhookSecret, type WebhookPort } from './webhook.ts';
import type { JobContext } from './queue.ts';

const contract = loadContract();
const HOUR = 3_600_000;
/** A v1 call's request, as the v1 handler builds it, for the tests that call `removeNow` directly. */
const V1_REQUEST = {
  image: 'https://img.test/cat.jpg',
  method: 'object',
  format: 'png',
  maskOnly: false,
  base64: false,
} as const;

/** Fails like the server's input resolution does, by URL. */
const coded = (code: string, message: string) => Object.assign(new Error(message), { code });
const resolveImage: ResolveImage = async (input: ImageSource) => {
  if (typeof input !== 'string') return asProbed(input);
  if (input.includes('404')) throw coded('image_fetch_failed', 'The image URL answered 404.');
  if (input.includes('169.254')) throw coded('image_url_forbidden', 'The image URL points to a link-local address.');
  return asProbed(Buffer.from(input));
};

interface Setup {
  credits?: number | null;
  maxSize?: number;
  concurrency?: number;
  config?: Partial<ServiceConfig>;
  webhooks?: WebhookPort;
}

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup(o: Setup = {}) {
  const clock = new FakeClock();
  const store = new MemoryRequestStore(clock);
  const queue = new MemoryJobQueue({ maxSize: o.maxSize ?? 10, concurrency: o.concurrency ?? 1, retryDelayMs: 1 });
  const keys = new FakeKeyStore([
    { key: 'k1', credits: o.credits === undefined ? 10 : o.credits },
    { key: 'k2', credits: null },
  ]);
  const engine = new FakeEngine();
  const service = new RemovalService({
    store,
    queue,
    keys,
    engine,
    resolveImage,
    clock,
    config: { retentionMs: HOUR, shutdownGraceMs: 50, ...o.config },
    ...(o.webhooks ? { webhooks: o.webhooks } : {}),
  }).start();
  const app: FastifyInstance = await v2TestApp({ service, keys });
  open.push(service, app);

  /** One HTTP call; every response is checked against the contract before the test sees it. */
  async function call(
    method: 'GET' | 'POST',
    url: string,
    opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const res = await app.inject({
      method,
      url,
      headers: { 'x-api-key': opts.key ?? 'k1', ...opts.headers },
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    const ct = res.headers['content-type'] as string | undefined;
    const body: any = ct?.startsWith('application/json') ? res.json() : res.rawPayload;
    const op = contract.findOperation(method, url);
    expect(op, `${method} ${url} is in the contract`).toBeDefined();
    expect(contract.validateResponse(op!, res.statusCode, ct, body)).toEqual([]);
    return { status: res.statusCode, body, headers: res.headers };
  }
  const submit = (
    body: unknown = { image: 'https://img.test/cat.jpg' },
    opts: { key?: string; headers?: Record<string, string> } = {},
  ) => call('POST', '/v2/bg-removal', { body, ...opts });
  const path = (id: string) => `/v2/requests/${id}`;
  const status = (id: string, key?: string) => call('GET', `${path(id)}/status`, key ? { key } : {});
  const result = (id: string, key?: string) => call('GET', path(id), key ? { key } : {});
  const output = (id: string, key?: string) => call('GET', `${path(id)}/output`, key ? { key } : {});
  const cancel = (id: string, key?: string) => call('POST', `${path(id)}/cancel`, key ? { key } : {});
  /** Polls the status until it is terminal. */
  async function settled(id: string) {
    for (let i = 0; i < 2000; i++) {
      const s = await status(id);
      if (s.body.status === 'COMPLETED' || s.body.status === 'FAILED' || s.status === 404) return s;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error(`${id} never ended`);
  }
  return { clock, store, queue, keys, engine, service, app, call, submit, status, result, output, cancel, settled };
}

describe('submit', () => {
  it('a refused submit is undone step by step, and a step that failed (store down) is retried until it succeeds', async () => {
    const t = await setup();
    t.queue.add = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    const withdraw = t.keys.withdraw.bind(t.keys);
    let failures = 1;
    t.keys.withdraw = async (...a) => {
      if (failures-- > 0) throw new Error('store down');
      return withdraw(...a);
    };
    const res = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers: { 'idempotency-key': 'undo-1' } });
    expect(res.status).toBeGreaterThanOrEqual(500);
    // The hold's release failed; the other steps were not skipped because of it.
    expect(t.keys.heldBy('k1')).toBe(1);
    expect(await t.store.claim('k1', 'undo-1', 'h', 'probe')).toEqual({ kind: 'claimed' });
    await new Promise((r) => setTimeout(r, 200)); // retried in the background soon after
    expect(t.keys.heldBy('k1')).toBe(0);
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
  });

  it('an enqueue with no answer that lands once the store is back: the undo releases the hold first and soon, so its run charges nothing', async () => {
    const t = await setup();
    const add = t.queue.add.bind(t.queue);
    let late: (() => Promise<unknown>) | undefined;
    t.queue.add = async (...a) => {
      late = () => add(...a); // the client re-sends it after reconnecting
      throw new Error('Command timed out');
    };
    // The outage that refused the submit also fails the undo's first attempt at each step.
    const [withdraw, del] = [t.keys.withdraw.bind(t.keys), t.store.delete.bind(t.store)];
    const down = new Set(['withdraw', 'delete']);
    t.keys.withdraw = async (...a) =>
      down.delete('withdraw') ? Promise.reject(new Error('store down')) : withdraw(...a);
    t.store.delete = async (...a) => (down.delete('delete') ? Promise.reject(new Error('store down')) : del(...a));
    const res = await t.submit();
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(t.keys.heldBy('k1')).toBe(1);
    await new Promise((r) => setTimeout(r, 200)); // the store is back; the retry (after 50 ms) has run
    expect(t.keys.heldBy('k1')).toBe(0);
    await late!();
    await new Promise((r) => setTimeout(r, 200)); // the late job runs (or is dropped: its record is gone)
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
  });

  it('an enqueue with no answer whose job ran and was charged before the undo got through: the charge is given back', async () => {
    // The chaos run's double charge: the submit answered 503, the client re-sent it (a second request, charged
    // too), while the first one's enqueue had landed and its job completed before the undo reached the store.
    const t = await setup();
    t.engine.auto = () => fakeResult();
    const add = t.queue.add.bind(t.queue);
    t.queue.add = async (...a) => {
      await add(...a); // it landed; the reply was lost
      throw new Error('Command timed out');
    };
    const [withdraw, del] = [t.keys.withdraw.bind(t.keys), t.store.delete.bind(t.store)];
    let down = true; // the outage goes on until the job has been charged
    const unavailable = () => Promise.reject(new Error('store down'));
    t.keys.withdraw = async (...a) => (down ? unavailable() : withdraw(...a));
    t.store.delete = async (...a) => (down ? unavailable() : del(...a));
    const res = await t.submit();
    expect(res.status).toBeGreaterThanOrEqual(500);
    for (let i = 0; i < 200 && !t.keys.charged.get('k1'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.keys.charged.get('k1')).toBe(1); // the job ran and was charged while the undo was retried
    down = false;
    for (let i = 0; i < 300 && t.keys.charged.get('k1'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.keys.charged.get('k1')).toBe(0);
    expect(await t.keys.balance('k1')).toBe(10);
    expect(t.keys.heldBy('k1')).toBe(0);
  });

  it.each([
    ['before its release (the reply was lost)', true],
    ['after its release (a late or re-sent command)', false],
  ] as const)('a hold with no answer is released by the undo; it landed %s', async (_n, landsFirst) => {
    const t = await setup();
    const hold = t.keys.hold.bind(t.keys);
    let late: (() => Promise<unknown>) | undefined;
    t.keys.hold = async (...a) => {
      if (landsFirst) await hold(...a);
      else late = () => hold(...a);
      throw new Error('Command timed out');
    };
    const res = await t.submit();
    expect(res.status).toBeGreaterThanOrEqual(500);
    await late?.();
    expect(t.keys.heldBy('k1')).toBe(0);
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
  });

  it('answers 200 with an unguessable id and absolute URLs', async () => {
    const t = await setup();
    const a = await t.submit();
    const b = await t.submit();
    expect(a.status).toBe(200);
    expect(a.body.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.body.request_id).not.toBe(b.body.request_id);
    // x-request-id is the app's trace id (set by its onSend hook), never the v2 request id: ids mean one thing.
    expect(a.headers['x-request-id']).not.toBe(a.body.request_id);
    expect(a.body.status_url).toBe(`http://api.test/v2/requests/${a.body.request_id}/status`);
    expect(a.body.poll_url).toBe(a.body.status_url);
  });
});

describe('states', () => {
  it('move only forward, QUEUED → PROCESSING → COMPLETED, observed by fast polling', async () => {
    const t = await setup({ concurrency: 1 });
    await t.submit(); // occupies the only worker, so the next one is observed QUEUED
    const {
      body: { request_id: id },
    } = await t.submit();
    const seen: string[] = [];
    const poller = (async () => {
      for (;;) {
        const s = await t.status(id);
        if (seen.at(-1) !== s.body.status) seen.push(s.body.status);
        if (s.body.status === 'COMPLETED') return;
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 10));
    (await t.engine.call(0)).complete();
    const second = await t.engine.call(1);
    await new Promise((r) => setTimeout(r, 10));
    second.complete();
    await poller;
    expect(seen).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    // Terminal never changes: a late cancel is refused and the state stays.
    expect((await t.cancel(id)).status).toBe(409);
    expect((await t.status(id)).body.status).toBe('COMPLETED');
  });

  it('a status stream never repeats a state, even when the record moves between two reads of one snapshot', async () => {
    const t = await setup({ config: { streamResyncMs: 5 } });
    const {
      body: { request_id: id },
    } = await t.submit();
    const running = await t.engine.call(0); // PROCESSING now
    const rec = (await t.store.get(id))!;
    // The first read inside the stream sees the record one step behind (QUEUED), as a read racing a worker's
    // claim on another node does; every later read sees the truth.
    const get = t.store.get.bind(t.store);
    let reads = 0;
    t.store.get = async (rid: string) => {
      const r = await get(rid);
      // Read 1 is the 404 check before the stream opens; read 2 is the first read of its first snapshot.
      return rid === id && r && ++reads === 2 ? { ...r, state: 'QUEUED' } : r;
    };
    const stream = await t.service.statusStream(rec.owner, id, 'http://api.test');
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => setTimeout(r, 40));
    running.complete();
    await new Promise((r) => stream.once('end', r));
    const states = [
      ...Buffer.concat(chunks)
        .toString()
        .matchAll(/"status":"([A-Z]+)"/g),
    ].map((m) => m[1]);
    expect(states).toEqual([...new Set(states)]);
    expect(states.at(-1)).toBe('COMPLETED');
  });

  it('result is 202 pending, then 200 with output URL, metrics in seconds and expires_at', async () => {
    const t = await setup({ concurrency: 1 });
    await t.submit(); // ahead of ours, so ours waits in the queue
    const {
      body: { request_id: id },
    } = await t.submit();
    const pending = await t.result(id);
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'QUEUED', queue_position: 0 });
    expect(pending.body).not.toHaveProperty('output');
    t.clock.advance(500); // queued half a second …
    (await t.engine.call(0)).complete();
    const call = await t.engine.call(1);
    expect((await t.result(id)).body.status).toBe('PROCESSING');
    t.clock.advance(2300); // … then 2.3 s of inference
    call.complete();
    await t.settled(id);
    const done = await t.result(id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'COMPLETED',
      error: null,
      output: `http://api.test/v2/requests/${id}/output`,
      metrics: { inference_time: 2.3, total_time: 2.8, remaining_credits: 8 },
    });
    expect(done.body.metrics.queue_time).toBe(0.5);
    expect(Date.parse(done.body.expires_at) - Date.parse(done.body.completed_at)).toBe(HOUR);
    const out = await t.output(id);
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(out.body, tinyPng)).toBe(0);
  });

  it('base64: true inlines the output as a data: URI', async () => {
    const t = await setup();
    t.engine.auto = () => fakeResult(Buffer.from('webp!'), 'image/webp');
    const {
      body: { request_id: id },
    } = await t.submit({ image: 'https://img.test/a.jpg', base64: true, format: 'webp' });
    await t.settled(id);
    expect((await t.result(id)).body.output).toBe(`data:image/webp;base64,${Buffer.from('webp!').toString('base64')}`);
  });

  it('output of a pending or FAILED request is 409 not_ready', async () => {
    const t = await setup();
    const {
      body: { request_id: id },
    } = await t.submit();
    expect((await t.output(id)).body.code).toBe('not_ready');
    await t.cancel(id);
    expect((await t.output(id)).status).toBe(409);
  });
});

describe('FAILED is 422 on both status and result', () => {
  const cases: { name: string; image?: string; engineError?: unknown; code: string; message?: RegExp }[] = [
    { name: 'bad URL (fetch failed)', image: 'https://img.test/404.jpg', code: 'image_fetch_failed', message: /404/ },
    { name: 'forbidden URL', image: 'http://169.254.169.254/latest', code: 'image_url_forbidden' },
    {
      name: 'undecodable image',
      engineError: new EngineError('invalid_image', 'The image could not be decoded.'),
      code: 'invalid_image',
    },
    {
      name: 'engine internal error',
      engineError: new EngineError('internal', 'onnx: bad tensor at 0x1f'),
      code: 'inference_failed',
      message: /^Inference failed\.$/,
    },
    {
      name: 'a bug (uncoded throw)',
      engineError: new TypeError('cannot read x of undefined'),
      code: 'internal',
      message: /^Internal server error\.$/,
    },
  ];
  it.each(cases)('$name → $code', async ({ image, engineError, code, message }) => {
    const t = await setup();
    if (engineError)
      t.engine.auto = () => {
        throw engineError;
      };
    const {
      body: { request_id: id },
    } = await t.submit({ image: image ?? 'https://img.test/cat.jpg' });
    await t.settled(id);
    for (const r of [await t.status(id), await t.result(id)]) {
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ status: 'FAILED', code, request_id: id });
      if (message) expect(r.body.error).toMatch(message);
      expect(r.body.expires_at).toBeDefined();
    }
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
  });
});

describe('not found', () => {
  it("unknown and another key's ids answer the same 404 on all four endpoints", async () => {
    const t = await setup();
    const {
      body: { request_id: id },
    } = await t.submit();
    for (const [target, key] of [
      ['00000000-0000-4000-8000-000000000000', 'k1'],
      [id, 'k2'],
      ['%20bad', 'k1'],
    ] as const) {
      for (const r of [
        await t.status(target, key),
        await t.result(target, key),
        await t.output(target, key),
        await t.cancel(target, key),
      ]) {
        expect(r.status).toBe(404);
        expect(r.body.code).toBe('not_found');
      }
    }
    expect((await t.status(id)).status).toBe(200); // the cancel attempt by k2 changed nothing
  });
});

describe('retention', () => {
  it('serves status, result and output until completion + retention, then 404 on all three', async () => {
    const t = await setup();
    t.engine.auto = () => fakeResult();
    const {
      body: { request_id: id },
    } = await t.submit();
    await t.settled(id);
    t.clock.advance(HOUR - 1);
    expect([(await t.status(id)).status, (await t.result(id)).status, (await t.output(id)).status]).toEqual([
      200, 200, 200,
    ]);
    t.clock.advance(1);
    expect([(await t.status(id)).status, (await t.result(id)).status, (await t.output(id)).status]).toEqual([
      404, 404, 404,
    ]);
  });

  it('the sweeper frees expired records', async () => {
    const t = await setup({ config: { sweepIntervalMs: 5 } });
    t.engine.auto = () => fakeResult();
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await t.submit({ image: 'https://img.test/cat.jpg' }, { headers: { 'idempotency-key': `k${i}` } })).body
          .request_id,
      );
    ids.push((await t.submit({ image: 'https://img.test/404.jpg' })).body.request_id);
    for (const id of ids) await t.settled(id);
    expect(t.store.size).toBeGreaterThan(0);
    t.clock.advance(HOUR);
    await expect.poll(() => t.store.size, { timeout: 1000, interval: 5 }).toBe(0);
  });
});

describe('cancel', () => {
  it('a QUEUED request ends FAILED canceled, leaves the queue and is never run', async () => {
    const t = await setup({ concurrency: 1 });
    await t.submit();
    const {
      body: { request_id: id },
    } = await t.submit();
    t.clock.advance(1000);
    const c = await t.cancel(id);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: 'FAILED', code: 'canceled', metrics: { queue_time: 1, total_time: 1 } });
    expect(c.body).not.toHaveProperty('started_at');
    expect((await t.status(id)).status).toBe(422);
    expect((await t.result(id)).body.code).toBe('canceled');
    (await t.engine.call(0)).complete();
    await new Promise((r) => setTimeout(r, 10));
    expect(t.engine.calls).toHaveLength(1);
    expect((await t.cancel(id)).body.code).toBe('not_cancelable');
  });

  it('a PROCESSING request is aborted, its late result discarded, its credit released', async () => {
    const t = await setup({ credits: 1 });
    const {
      body: { request_id: id },
    } = await t.submit();
    const running = await t.engine.call(0);
    expect((await t.cancel(id)).status).toBe(200);
    expect(running.aborted).toBe(true);
    running.complete(); // too late: ignored
    await new Promise((r) => setTimeout(r, 10));
    expect((await t.result(id)).status).toBe(422);
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
    expect((await t.submit()).status).toBe(200); // the held credit came back
  });
});

describe('idempotency', () => {
  it('same key + same body → the same request, one job, one charge', async () => {
    const t = await setup({ credits: 1 });
    const headers = { 'idempotency-key': 'order-4711' };
    const first = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers });
    const replay = await t.submit({ method: 'object', image: 'https://img.test/cat.jpg' }, { headers });
    expect(replay.status).toBe(200);
    expect(replay.body.request_id).toBe(first.body.request_id);
    (await t.engine.call(0)).complete();
    await t.settled(first.body.request_id);
    const again = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers }); // no credit left: still a replay
    expect(again.body.request_id).toBe(first.body.request_id);
    expect(t.engine.calls).toHaveLength(1);
    expect(t.keys.charged.get('k1')).toBe(1);
    // Another key may use the same Idempotency-Key independently.
    expect((await t.submit({ image: 'https://img.test/cat.jpg' }, { key: 'k2', headers })).body.request_id).not.toBe(
      first.body.request_id,
    );
  });

  it('same key + another body → 409 idempotency_conflict', async () => {
    const t = await setup();
    const headers = { 'idempotency-key': 'order-4711' };
    await t.submit({ image: 'https://img.test/cat.jpg' }, { headers });
    const r = await t.submit({ image: 'https://img.test/dog.jpg' }, { headers });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('idempotency_conflict');
  });

  it('the key is free again once its request expired', async () => {
    const t = await setup();
    t.engine.auto = () => fakeResult();
    const headers = { 'idempotency-key': 'order-4711' };
    const first = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers });
    await t.settled(first.body.request_id);
    t.clock.advance(HOUR);
    const later = await t.submit({ image: 'https://img.test/dog.jpg' }, { headers });
    expect(later.status).toBe(200);
    expect(later.body.request_id).not.toBe(first.body.request_id);
  });
});

describe('credits', () => {
  it('charged once on COMPLETED, never on FAILED; 406 when the balance (minus holds) cannot cover a request', async () => {
    const t = await setup({ credits: 2 });
    const ok = await t.submit();
    const bad = await t.submit({ image: 'https://img.test/404.jpg' });
    const none = await t.submit(); // both credits are held
    expect(none.status).toBe(406);
    expect(none.body.code).toBe('insufficient_credits');
    (await t.engine.call(0)).complete();
    await t.settled(ok.body.request_id);
    await t.settled(bad.body.request_id);
    expect(t.keys.charged.get('k1')).toBe(1);
    expect(await t.keys.balance('k1')).toBe(1);
    expect(t.keys.heldBy('k1')).toBe(0);
    expect((await t.result(ok.body.request_id)).body.metrics.remaining_credits).toBe(1);
    expect((await t.status(bad.body.request_id)).body.metrics).not.toHaveProperty('remaining_credits');
  });

  it('unlimited keys carry no remaining_credits', async () => {
    const t = await setup();
    t.engine.auto = () => fakeResult();
    const {
      body: { request_id: id },
    } = await t.submit(undefined, { key: 'k2' });
    await new Promise((r) => setTimeout(r, 10));
    expect((await t.result(id, 'k2')).body.metrics).not.toHaveProperty('remaining_credits');
  });
  it.each([
    ['the output cannot be read (the store went down after the ending write): 503', 'outage', 503],
    ['the deadline passes between the ending write and the answer: 504', 'deadline', 504],
  ] as const)(
    'a v1 call charged at COMPLETED but answered with an error gets its charge back: %s',
    async (_name, fault, status) => {
      const t = await setup();
      t.engine.auto = () => fakeResult();
      if (fault === 'outage') {
        t.store.getOutput = async () => {
          throw new ApiError('service_unavailable', 'The request store is unavailable.');
        };
      }
      // The charge is taken, then the answer is held up until the call has ended (past its deadline), so the
      // deadline case never takes the cancel path instead, however slow the host.
      const answered = deferred<void>();
      const settle = t.keys.settle.bind(t.keys);
      let chargedBeforeAnswer = false;
      t.keys.settle = async (...a) => {
        const left = await settle(...a);
        chargedBeforeAnswer = t.keys.charged.get('k1') === 1;
        if (fault === 'deadline') await answered.promise;
        return left;
      };
      const call = t.service.removeNow('k1', 'v1-charged', V1_REQUEST, { deadlineS: fault === 'deadline' ? 1 : 5 });
      await expect(call).rejects.toMatchObject({ statusCode: status });
      answered.resolve();
      expect(chargedBeforeAnswer).toBe(true); // the path under test, not a cancel before the charge
      for (let i = 0; i < 200 && (t.keys.charged.get('k1') ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(t.keys.charged.get('k1') ?? 0).toBe(0);
      expect(await t.keys.balance('k1')).toBe(10);
      expect(t.keys.heldBy('k1')).toBe(0);
      expect(await t.store.get('v1-charged')).toBeUndefined(); // forgotten as a v1 call is
    },
  );
  it("a v1 call's hold lives no longer than its deadline + 60 s (a node killed mid-call pins no credit for a day); a v2 hold takes the store's own TTL", async () => {
    const t = await setup();
    t.engine.auto = () => fakeResult();
    const ttls: (number | undefined)[] = [];
    const hold = t.keys.hold.bind(t.keys);
    t.keys.hold = async (id, requestId, ttlMs?: number) => {
      ttls.push(ttlMs);
      return hold(id, requestId);
    };
    await t.service.removeNow('k1', 'v1-call', V1_REQUEST, { deadlineS: 5 });
    await t.submit();
    expect(ttls).toEqual([65_000, undefined]);
  });
});

describe('a job re-run that finds its request ended (its worker died right after the ending write)', () => {
  /** Runs the job again as a second attempt, as BullMQ's stalled-job recovery does. */
  const rerun = (service: RemovalService, id: string) =>
    (service as unknown as { run(id: string, ctx: JobContext): Promise<void> }).run(id, {
      attempt: 2,
      maxAttempts: 2,
      signal: new AbortController().signal,
    });

  it.each([
    ['an idempotent port (the durable queue) gets the webhook again', true, 2],
    ['a port that would deliver twice gets nothing more', false, 1],
  ] as const)('settles the credit the first run did not; %s', async (_n, idempotent, sends) => {
    const sent: string[] = [];
    const webhooks: WebhookPort = {
      idempotent,
      async send(_url, id) {
        sent.push(id);
      },
      async close() {},
    };
    const t = await setup({ webhooks });
    const settle = t.keys.settle.bind(t.keys);
    let dies = 1; // the first run's settlement never happens (its worker died)
    t.keys.settle = async (...a) => {
      if (dies-- > 0) throw new Error('worker killed');
      return settle(...a);
    };
    const {
      body: { request_id: id },
    } = await t.submit({ image: 'https://img.test/cat.jpg', webhook: 'https://hooks.test/h' });
    (await t.engine.call(0)).complete();
    expect((await t.settled(id)).body.status).toBe('COMPLETED');
    expect(t.keys.heldBy('k1')).toBe(1);
    await rerun(t.service, id);
    expect(t.keys.heldBy('k1')).toBe(0);
    expect(t.keys.charged.get('k1')).toBe(1);
    expect(sent).toEqual(Array(sends).fill(id));
    await rerun(t.service, id); // once more: settle is a no-op
    expect(t.keys.charged.get('k1')).toBe(1);
  });

  it.each([
    ['its start', 'PROCESSING'],
    ['its ending', 'COMPLETED'],
  ] as const)('a job whose store call at %s meets a short outage waits it out and completes', async (_n, to) => {
    const t = await setup();
    const transition = t.store.transition.bind(t.store);
    let failures = 2;
    t.store.transition = async (...a) => {
      if (a[2] === to && failures-- > 0) throw new ApiError('service_unavailable');
      return transition(...a);
    };
    const {
      body: { request_id: id },
    } = await t.submit();
    (await t.engine.call(0)).complete();
    expect((await t.settled(id)).body.status).toBe('COMPLETED');
    expect(failures).toBe(-1);
    expect(t.keys.charged.get('k1')).toBe(1);
  });

  it('a settlement that met an outage (the job itself ends fine, so no re-run) is retried in the background', async () => {
    const t = await setup();
    const settle = t.keys.settle.bind(t.keys);
    let failures = 1;
    t.keys.settle = async (...a) => {
      if (failures-- > 0) throw new Error('Command timed out');
      return settle(...a);
    };
    const {
      body: { request_id: id },
    } = await t.submit();
    (await t.engine.call(0)).complete();
    expect((await t.settled(id)).body.status).toBe('COMPLETED');
    expect(t.keys.heldBy('k1')).toBe(1);
    await new Promise((r) => setTimeout(r, 1200)); // retried a second later
    expect(t.keys.heldBy('k1')).toBe(0);
    expect(t.keys.charged.get('k1')).toBe(1);
  });
});

describe('back-pressure', () => {
  it('a full queue answers 429 queue_full with Retry-After and keeps nothing of the refused submit', async () => {
    const t = await setup({ maxSize: 2, concurrency: 1, credits: 10 });
    await t.submit();
    await t.engine.call(0); // running; the queue itself is empty again
    await t.submit();
    await t.submit();
    const full = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers: { 'idempotency-key': 'x' } });
    expect(full.status).toBe(429);
    expect(full.body.code).toBe('queue_full');
    expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(t.keys.heldBy('k1')).toBe(3);
    (await t.engine.call(0)).complete();
    await t.engine.call(1);
    // The idempotency key was released with the refused submit, so the retry is a new request.
    const retry = await t.submit({ image: 'https://img.test/cat.jpg' }, { headers: { 'idempotency-key': 'x' } });
    expect(retry.status).toBe(200);
  });

  it('queue_position counts down as the requests ahead finish', async () => {
    const t = await setup({ concurrency: 1 });
    for (let i = 0; i < 3; i++) await t.submit();
    const {
      body: { request_id: id },
    } = await t.submit();
    const positions: number[] = [];
    for (let n = 0; n < 3; n++) {
      positions.push((await t.status(id)).body.queue_position);
      (await t.engine.call(n)).complete();
      await t.engine.call(n + 1);
    }
    expect(positions).toEqual([2, 1, 0]);
    expect((await t.status(id)).body).not.toHaveProperty('queue_position');
  });
});

describe('webhooks', () => {
  it('POSTs the signed final body, retried after a 500, verified by the receiver', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, [500]);
    open.push(receiver);
    const t = await setup({ webhooks: new WebhookSender({ secret, baseDelayMs: 5 }) });
    const ok = await t.submit({ image: 'https://img.test/cat.jpg', webhook: receiver.url });
    (await t.engine.call(0)).complete();
    const got = await receiver.count(2);
    expect(got.map((r) => r.status)).toEqual([500, 204]);
    const delivered = got[1]!.verified as Record<string, unknown>;
    expect(delivered).toEqual((await t.result(ok.body.request_id)).body);
    expect(contract.validateSchema('ResultBody', delivered)).toEqual([]);
    expect(got[1]!.headers['webhook-id']).toBe(ok.body.request_id);

    const bad = await t.submit({ image: 'https://img.test/404.jpg', webhook: receiver.url });
    const failed = (await receiver.count(3))[2]!.verified as Record<string, unknown>;
    expect(failed).toMatchObject({ status: 'FAILED', code: 'image_fetch_failed', request_id: bad.body.request_id });
    expect(contract.validateSchema('FailedBody', failed)).toEqual([]);
  });
});

describe('worker crash (worker_unavailable)', () => {
  it('is retried once and completes when the restarted worker succeeds', async () => {
    const t = await setup();
    const {
      body: { request_id: id },
    } = await t.submit();
    (await t.engine.call(0)).fail(new EngineError('worker_unavailable', 'worker exited'));
    const retry = await t.engine.call(1);
    expect((await t.status(id)).body.status).toBe('PROCESSING'); // never back to QUEUED
    retry.complete();
    expect((await t.settled(id)).body.status).toBe('COMPLETED');
    expect(t.keys.charged.get('k1')).toBe(1);
  });

  it('fails worker_unavailable after the second crash, with the credit released', async () => {
    const t = await setup();
    t.engine.auto = () => {
      throw new EngineError('worker_unavailable', 'worker exited');
    };
    const {
      body: { request_id: id },
    } = await t.submit();
    const s = await t.settled(id);
    expect(s.status).toBe(422);
    expect(s.body.code).toBe('worker_unavailable');
    expect(t.keys.heldBy('k1')).toBe(0);
    expect(t.keys.charged.get('k1') ?? 0).toBe(0);
  });

  it('abandon (the queue gave up on it) ends it FAILED worker_unavailable with the webhook sent; no-op once ended', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, []);
    open.push(receiver);
    const t = await setup({ webhooks: new WebhookSender({ secret, baseDelayMs: 5 }) });
    const {
      body: { request_id: id },
    } = await t.submit({ image: 'https://img.test/cat.jpg', webhook: receiver.url });
    await t.engine.call(0);
    await t.service.abandon(id, 'job stalled more than allowable limit');
    expect((await t.status(id)).body).toMatchObject({ status: 'FAILED', code: 'worker_unavailable' });
    expect((await receiver.count(1))[0]!.verified).toMatchObject({
      status: 'FAILED',
      code: 'worker_unavailable',
      request_id: id,
    });
    expect(t.keys.heldBy('k1')).toBe(0);
    await t.service.abandon(id, 'again');
    expect((await t.status(id)).body.code).toBe('worker_unavailable');
  });
});

describe('close (graceful shutdown)', () => {
  it('finishes running jobs within the grace, fails the rest worker_unavailable, then refuses submits', async () => {
    const t = await setup({ concurrency: 2, config: { shutdownGraceMs: 100 } });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await t.submit()).body.request_id);
    const [a, b] = [await t.engine.call(0), await t.engine.call(1)];
    setTimeout(() => a.complete(), 10); // finishes within the grace period; b never does
    await t.service.close();
    expect(b.aborted).toBe(true);
    const states = [];
    for (const id of ids) states.push((await t.status(id)).body);
    expect(states.map((s) => s.status)).toEqual(['COMPLETED', 'FAILED', 'FAILED']);
    expect(states.slice(1).map((s) => s.code)).toEqual(['worker_unavailable', 'worker_unavailable']);
    expect(t.keys.heldBy('k1')).toBe(0);
    const refused = await t.submit();
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('service_unavailable');
  });
});
