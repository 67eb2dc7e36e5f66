/** The status-stream extension as served (real HTTP, the openapi-glue app), in memory and over Redis from another node. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readEvents, type SseEvent } from '../../../client/sse.ts';
import { loadConfig } from '../process/config.ts';
import { createRedisBackend, type RedisBackend } from '../adapters/redis/index.ts';
import { deletePrefix, testPrefix, testRedisUrl } from '../../testing/redis.ts';
import { startServer, type Running } from '../process/serve.ts';
import { MemoryJobQueue } from './queue.ts';
import { formatEvent, statusStream } from './status-stream.ts';
import { MemoryRequestStore, type RequestState } from './store.ts';
import { FakeEngine, tinyPng } from '../../testing/v2.ts';

const KEY = 'stream-key-1';
const OTHER = 'stream-key-2';
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** The reference server (fake engine) on a memory backend whose store the test can inspect. */
async function memoryServer(graceS = 0) {
  const engine = new FakeEngine();
  const store = new MemoryRequestStore();
  const server = await startServer({
    config: loadConfig({ PORT: '0', BGR_API_KEYS: `${KEY},${OTHER}`, BGR_SHUTDOWN_GRACE_S: String(graceS) }),
    engine,
    backend: { store, queue: new MemoryJobQueue({ maxSize: 50, concurrency: 1 }) },
  });
  open.push({ close: () => server.shutdown() });
  return { server, engine, store };
}

async function submit(server: Running): Promise<{ request_id: string; status_url: string; response_url: string }> {
  const res = await fetch(`${server.url}/v2/bg-removal`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ image: tinyPng.toString('base64') }),
  });
  expect(res.status).toBe(200);
  return res.json() as never;
}

const sse = (url: string, key = KEY, signal?: AbortSignal) =>
  fetch(url, { headers: { 'x-api-key': key, accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
const getJson = async (url: string) => {
  const res = await fetch(url, { headers: { 'x-api-key': KEY } });
  return { status: res.status, body: await res.json() };
};

/** Reads events one at a time, so a test can act between them. */
function events(res: Response) {
  const it = readEvents(res.body!)[Symbol.asyncIterator]();
  return {
    next: async (): Promise<SseEvent | undefined> => (await it.next()).value,
    state: (e: SseEvent | undefined) => (JSON.parse(e!.data) as { status: RequestState }).status,
  };
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('formatEvent', () => {
  it('is `event: status`, an id and one data line of JSON', () => {
    expect(formatEvent(3, { a: 'x\ny' })).toBe('event: status\nid: 3\ndata: {"a":"x\\ny"}\n\n');
  });
});

describe('statusStream', () => {
  it('sends `: keep-alive` comments while pending and stops them once closed', async () => {
    let reads = 0;
    const stream = statusStream({
      read: async () => (reads++, { state: 'QUEUED', body: { status: 'QUEUED' } }),
      resyncMs: 5,
      keepAliveMs: 20,
    });
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    await until(() => (text.match(/: keep-alive\n\n/g) ?? []).length >= 2);
    expect(text.match(/^event: status$/gm)).toHaveLength(1); // QUEUED re-read many times, sent once
    expect(reads).toBeGreaterThan(2);
    stream.destroy();
    const seen = reads;
    await new Promise((r) => setTimeout(r, 60));
    expect(reads - seen).toBeLessThanOrEqual(1); // no reads, no timers after close
  });
});

describe('GET /v2/requests/{id}/status with Accept: text/event-stream (memory backend)', () => {
  it('streams QUEUED, PROCESSING, then the result body, and ends', async () => {
    const { server, engine } = await memoryServer();
    const job = await submit(server);
    const res = await sse(job.status_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const ev = events(res);
    const first = await ev.next();
    // The first event: the current state, exactly the JSON status body.
    expect(first).toMatchObject({ event: 'status', id: '1' });
    const call = await engine.call(0);
    const states = [ev.state(first)];
    if (states[0] === 'QUEUED') {
      const processing = await ev.next();
      states.push(ev.state(processing));
      expect(processing?.id).toBe('2');
      expect(JSON.parse(processing!.data)).toEqual((await getJson(job.status_url)).body);
    }
    call.complete();
    const e = await ev.next();
    expect(JSON.parse(e!.data)).toEqual((await getJson(job.response_url)).body); // terminal = the result body
    expect(ev.state(e)).toBe('COMPLETED');
    expect(await ev.next()).toBeUndefined(); // the server ended the response
    expect(states).toEqual(states[0] === 'QUEUED' ? ['QUEUED', 'PROCESSING'] : ['PROCESSING']);
  });

  it('ends a FAILED request with what the 422 carries', async () => {
    const { server, engine } = await memoryServer();
    const job = await submit(server);
    const ev = events(await sse(job.status_url));
    await ev.next();
    (await engine.call(0)).fail(Object.assign(new Error('The image could not be decoded.'), { code: 'invalid_image' }));
    let last: SseEvent | undefined;
    for (let e = await ev.next(); e; e = await ev.next()) last = e;
    const failed = await getJson(job.response_url);
    expect(failed.status).toBe(422);
    expect(JSON.parse(last!.data)).toEqual(failed.body);
    expect(failed.body).toMatchObject({ status: 'FAILED', code: 'invalid_image' });
  });

  it('is one terminal event when the request has already ended', async () => {
    const { server, engine } = await memoryServer();
    const job = await submit(server);
    (await engine.call(0)).complete();
    for (let s = ''; s !== 'COMPLETED'; await new Promise((r) => setTimeout(r, 10)))
      s = (await getJson(job.status_url)).body.status;
    const all: SseEvent[] = [];
    for await (const e of readEvents((await sse(job.status_url)).body!)) all.push(e);
    expect(all).toHaveLength(1);
    expect(JSON.parse(all[0]!.data)).toEqual((await getJson(job.response_url)).body);
  });

  it('answers unknown ids, other keys’ ids and missing keys with the usual JSON errors, not a stream', async () => {
    const { server } = await memoryServer();
    const job = await submit(server);
    const cases = [
      { url: `${server.url}/v2/requests/00000000-0000-4000-8000-000000000000/status`, key: KEY, status: 404 },
      { url: job.status_url, key: OTHER, status: 404 },
      { url: job.status_url, key: 'wrong', status: 401 },
    ];
    for (const c of cases) {
      const res = await sse(c.url, c.key);
      expect([res.status, res.headers.get('content-type')]).toEqual([
        c.status,
        expect.stringMatching(/^application\/json/),
      ]);
      expect((await res.json()).error).toMatch(/\S/);
    }
  });

  it('streams only when text/event-stream is the preferred type of Accept', async () => {
    const { server } = await memoryServer();
    const job = await submit(server);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^application\/json/],
      ['application/json', /^application\/json/],
      ['text/event-stream;q=0, application/json', /^application\/json/],
      ['text/event-stream', /^text\/event-stream/],
      ['text/event-stream, application/json;q=0.9', /^text\/event-stream/],
      ['application/json;q=0.5, TEXT/EVENT-STREAM;q=0.8', /^text\/event-stream/],
      // Redocly Respect and other JSON tools list both, JSON first: they get JSON.
      ['application/json, text/event-stream', /^application\/json/],
      ['*/*', /^application\/json/],
    ];
    for (const [accept, type] of cases) {
      const controller = new AbortController();
      const res = await fetch(job.status_url, {
        headers: { 'x-api-key': KEY, ...(accept ? { accept } : {}) },
        signal: controller.signal,
      });
      expect([accept, res.status, res.headers.get('content-type')]).toEqual([accept, 200, expect.stringMatching(type)]);
      controller.abort();
    }
  });

  it('leaves no listener behind after clients abort their streams', async () => {
    const { server, store } = await memoryServer();
    const job = await submit(server);
    for (let i = 0; i < 25; i++) {
      const controller = new AbortController();
      const res = await sse(job.status_url, KEY, controller.signal);
      await events(res).next();
      expect(store.watchers.size).toBe(1);
      controller.abort();
      await until(() => store.watchers.size === 0);
    }
    // And 25 at once.
    const controllers = Array.from({ length: 25 }, () => new AbortController());
    await Promise.all(controllers.map(async (c) => events(await sse(job.status_url, KEY, c.signal)).next()));
    expect(store.watchers.size).toBe(25);
    for (const c of controllers) c.abort();
    await until(() => store.watchers.size === 0);
  });

  it('ends open streams when the server shuts down, without waiting for the grace period', async () => {
    const { server, engine } = await memoryServer(20);
    const job = await submit(server);
    const ev = events(await sse(job.status_url));
    await ev.next();
    const call = await engine.call(0);
    const started = Date.now();
    const closing = server.shutdown();
    while (await ev.next().catch(() => undefined)) {
      /* drain until the server ends the stream */
    }
    // Ended by the preClose hook, not by the 20 s grace period's cut of every connection.
    expect(Date.now() - started).toBeLessThan(10_000);
    call.complete(); // lets the lifecycle's drain finish at once
    await closing;
    open.length = 0;
  });
});

describe('the status stream over Redis: an API node streams what a worker node does', () => {
  const prefix = testPrefix();
  afterAll(async () => {
    await deletePrefix(prefix);
  });

  it('streams every state from changes made on another node, and frees its listeners', async () => {
    const keys = `${KEY},${OTHER}`;
    const env = { PORT: '0', BGR_API_KEYS: keys, BGR_SHUTDOWN_GRACE_S: '0' };
    const common = { url: testRedisUrl, prefix, keys: loadConfig(env).keys, maxQueue: 10 };
    const apiBackend: RedisBackend = await createRedisBackend({ ...common, role: 'api' });
    const workerBackend: RedisBackend = await createRedisBackend({ ...common, role: 'worker' });
    const engine = new FakeEngine();
    const api = await startServer({
      config: loadConfig(env),
      backend: apiBackend,
    });
    open.push(workerBackend, apiBackend, { close: () => api.shutdown() });
    const worker = await startServer({ config: loadConfig(env), engine, backend: workerBackend });
    open.push({ close: () => worker.shutdown() });

    const job = await submit(api);
    const ev = events(await sse(job.status_url));
    const seen = [ev.state(await ev.next())];
    const call = await engine.call(0);
    if (seen[0] === 'QUEUED') seen.push(ev.state(await ev.next()));
    call.complete();
    const last = await ev.next();
    seen.push(ev.state(last));
    expect(seen.slice(-2)).toEqual(['PROCESSING', 'COMPLETED']);
    expect(JSON.parse(last!.data)).toEqual((await getJson(job.response_url)).body);
    expect(await ev.next()).toBeUndefined();
    await until(() => apiBackend.store.watchers.size === 0);

    // A client that goes away mid-stream leaves nothing behind on the API node either.
    const pending = await submit(api);
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      await events(await sse(pending.status_url, KEY, controller.signal)).next();
      controller.abort();
    }
    await until(() => apiBackend.store.watchers.size === 0);
  }, 30_000);

  it('pushes a transition made through one connection to a watcher on another (pub/sub, no polling)', async () => {
    const common = { url: testRedisUrl, prefix: `${prefix}push:`, keys: [], maxQueue: 10 };
    const a: RedisBackend = await createRedisBackend({ ...common, role: 'api' });
    const b: RedisBackend = await createRedisBackend({ ...common, role: 'api' });
    open.push(a, b);
    const id = '6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7';
    await b.store.create({
      id,
      owner: 'o',
      state: 'QUEUED',
      params: { method: 'object', format: 'png', maskOnly: false, base64: false },
      baseUrl: '',
      createdAt: Date.now(),
      metrics: {},
    });
    const notices: string[] = [];
    const unwatch = a.store.watch(id, () => notices.push('changed'));
    a.store.watch('another-id', () => notices.push('wrong id'))();
    // The subscriber connects on the first watch; notices sent before it subscribed are the resync's to catch.
    for (let tries = 0; notices.length === 0 && tries < 50; tries++) {
      await b.store.transition(id, ['QUEUED', 'PROCESSING'], 'PROCESSING');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(notices[0]).toBe('changed');
    expect(notices).not.toContain('wrong id');
    unwatch();
    expect(a.store.watchers.size).toBe(0);
  });
});
