import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  BgRemovalClient,
  BgRemovalError,
  InferenceFailed,
  InferenceTimeout,
  NetworkError,
  UnsupportedOperation,
} from './index.ts';
import {
  FAKE_KEY,
  type FakeServer,
  SCRIPT_HEADER,
  type Script as FakeScript,
  startFakeServer,
  TINY_PNG,
} from './testing/fake-server.ts';
import { STREAM_ACCEPT } from './status-stream.ts';
import { describeScenarios, type Script } from './testing/scenarios.ts';

// How the fake acts out each shared script; `{}` where its ordinary behaviour already does.
const FAKE_SCRIPTS: Record<Script, FakeScript | null> = {
  unauthorized: null,
  'not-found': null,
  processing: null,
  fail: 'fail',
  slow: 'slow',
  'rate-limited': 'rate-limit-long',
  'rate-limit-once': 'rate-limit-once',
  'bad-submit': 'bad-submit',
};

let fake: FakeServer;
let media: FakeServer;
/** The production-shaped fake: no `code`, 200 while pending, no cancel, no status stream. */
let prod: FakeServer;
beforeAll(async () => {
  [fake, media, prod] = await Promise.all([
    startFakeServer(),
    startFakeServer(),
    startFakeServer({ production: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([fake?.close(), media?.close(), prod?.close()]);
});
beforeEach(() => {
  fake.reset();
  media.reset();
  prod.reset();
});

describeScenarios(
  {
    name: 'the scripted fake server',
    capabilities: new Set(['lifecycle', 'cancel', 'images', 'error-codes', 'status-stream', 'output-options']),
    script: (name): Record<string, string> => {
      const script = FAKE_SCRIPTS[name];
      return script ? { [SCRIPT_HEADER]: script } : {};
    },
    interval: 10,
  },
  () => ({ baseUrl: fake.url, apiKey: FAKE_KEY, image: TINY_PNG }),
);

describeScenarios(
  {
    name: 'the production-shaped fake (core API only)',
    capabilities: new Set(['lifecycle', 'images', 'output-options']),
    script: (name): Record<string, string> => {
      const script = FAKE_SCRIPTS[name];
      return script ? { [SCRIPT_HEADER]: script } : {};
    },
    interval: 10,
  },
  () => ({ baseUrl: prod.url, apiKey: FAKE_KEY, image: TINY_PNG }),
);

function client(script?: FakeScript, options: ConstructorParameters<typeof BgRemovalClient>[0] = {}): BgRemovalClient {
  return new BgRemovalClient({
    baseUrl: fake.url,
    apiKey: FAKE_KEY,
    headers: script ? { [SCRIPT_HEADER]: script } : {},
    ...options,
  });
}

const submits = () => fake.log.filter((r) => r.method === 'POST' && r.path === '/v2/bg-removal');

describe('client behaviour only the fake can script', () => {
  it('walks QUEUED → PROCESSING → COMPLETED through status()', async () => {
    const job = await client().submitAsync({ image: TINY_PNG });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await job.status()).status);
    expect(seen).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    expect(await job.result()).toMatchObject({ status: 'COMPLETED', request_id: job.requestId });
  });

  it('result() answers the pending body while the request runs', async () => {
    const job = await client().submitAsync({ image: TINY_PNG });
    expect(await job.result()).toMatchObject({ status: 'QUEUED' });
  });

  it('never retries a submit after a network error without an Idempotency-Key', async () => {
    await expect(client('drop-once').submitAsync({ image: TINY_PNG })).rejects.toBeInstanceOf(NetworkError);
    expect(submits()).toHaveLength(1);
  });

  it('retries a keyed submit after a network error, sending the same key', async () => {
    const result = await client('drop-once').run({ image: TINY_PNG, idempotencyKey: 'order-4711' }, { interval: 10 });
    expect(result.status).toBe('COMPLETED');
    expect(submits().map((r) => r.headers['idempotency-key'])).toEqual(['order-4711', 'order-4711']);
    expect(submits()[0]?.body).toBe(submits()[1]?.body);
  });

  it('sends a submit exactly once on success, and retries a 503 status poll', async () => {
    const result = await client('unavailable-once').run({ image: TINY_PNG }, { interval: 10, stream: false });
    expect(result.status).toBe('COMPLETED');
    expect(submits()).toHaveLength(1);
    expect(fake.log.filter((r) => r.path.endsWith('/status')).length).toBeGreaterThanOrEqual(4);
  });

  it('follows the URLs the server returned instead of building them', async () => {
    const c = client('elsewhere');
    const job = await c.submitAsync({ image: TINY_PNG });
    expect(job.statusUrl).toContain('/alt/requests/');
    const output = await job.output({ interval: 10 });
    expect(output.image).toEqual(TINY_PNG);
    const followed = fake.log.filter((r) => r.path !== '/v2/bg-removal');
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.every((r) => r.path.startsWith('/alt/'))).toBe(true);
  });

  it('keeps polling when the status says COMPLETED before the result is served', async () => {
    const result = await client('lagging-result').run({ image: TINY_PNG }, { interval: 10, stream: false });
    expect(result.status).toBe('COMPLETED');
  });

  it('raises InferenceFailed from a FAILED body even when served as HTTP 200; status() reports it', async () => {
    const job = await client('fail-200').submitAsync({ image: TINY_PNG });
    await expect(job.wait({ interval: 10 })).rejects.toBeInstanceOf(InferenceFailed);
    expect(await job.status()).toMatchObject({ status: 'FAILED', code: 'invalid_image' });
    await expect(job.result()).rejects.toMatchObject({
      detail: 'The image could not be decoded.',
      code: 'invalid_image',
    });
  });

  it('sends the key only to trusted origins', async () => {
    fake.setOutputOrigin(media.url);
    const job = await client().submitAsync({ image: TINY_PNG });
    expect((await job.output({ interval: 10 })).image).toEqual(TINY_PNG);
    expect(media.log).toHaveLength(1);
    expect(media.log[0]?.headers['x-api-key']).toBeUndefined();

    const trusting = client(undefined, { trustedOrigins: [media.url] });
    await (await trusting.submitAsync({ image: TINY_PNG })).output({ interval: 10 });
    expect(media.log[1]?.headers['x-api-key']).toBe(FAKE_KEY);
  });

  it('follows an output redirect to another origin without forwarding the key', async () => {
    fake.setOutputOrigin(media.url);
    const job = await client('redirect-output').submitAsync({ image: TINY_PNG });
    expect((await job.output({ interval: 10 })).image).toEqual(TINY_PNG);
    expect(fake.log.at(-1)?.headers['x-api-key']).toBe(FAKE_KEY);
    expect(media.log).toHaveLength(1);
    expect(media.log[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('gives up at once when Retry-After exceeds maxRetryDelay', async () => {
    const started = Date.now();
    await expect(client('rate-limit-long').submitAsync({ image: TINY_PNG })).rejects.toMatchObject({
      status: 429,
      retryAfter: 3_600_000,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(submits()).toHaveLength(1);
  });

  it('sends files, bytes, URLs and base64 as the contract’s image string, options in snake_case', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bgr-client-'));
    const path = join(dir, 'photo.png');
    await writeFile(path, TINY_PNG);
    const c = client();
    const b64 = TINY_PNG.toString('base64');
    for (const image of [path, TINY_PNG, new Uint8Array(TINY_PNG), b64, 'https://example.com/a.jpg']) {
      await c.removeBackground({ image, method: 'human', format: 'webp', maskOnly: true, bgColor: '#ffffff' });
    }
    const bodies = fake.log.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies.map((b) => b['image'])).toEqual([b64, b64, b64, b64, 'https://example.com/a.jpg']);
    expect(bodies[0]).toEqual({ image: b64, method: 'human', format: 'webp', mask_only: true, bg_color: '#ffffff' });
  });

  it('reads the v1 headers', async () => {
    const result = await client().removeBackground({ image: TINY_PNG, format: 'webp' });
    expect(result).toMatchObject({ contentType: 'image/webp', inferenceTime: 0.25, remainingCredits: 41 });
    expect(result.image).toEqual(TINY_PNG);
  });
});

const statusReads = (server: FakeServer) => server.log.filter((r) => r.method === 'GET' && r.path.endsWith('/status'));

describe('wait() over the status stream, and its fallback to polling', () => {
  it('reads every state from one stream and takes the result from its terminal event', async () => {
    const job = await client().submitAsync({ image: TINY_PNG });
    const states: string[] = [];
    const result = await job.wait({ interval: 5000, onStatus: (b) => states.push(b.status) });
    expect(result).toMatchObject({
      status: 'COMPLETED',
      request_id: job.requestId,
      output: expect.stringContaining('/output'),
    });
    expect(states).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    expect(statusReads(fake).map((r) => r.headers.accept)).toEqual([STREAM_ACCEPT]);
    expect(fake.log.filter((r) => r.path === `/v2/requests/${job.requestId}`)).toHaveLength(0);
    expect(fake.openStreams()).toBe(0);
  });

  it('raises InferenceFailed from a FAILED terminal event, with its code', async () => {
    const job = await client('fail').submitAsync({ image: TINY_PNG });
    await expect(job.wait({ interval: 5000 })).rejects.toMatchObject({
      name: 'InferenceFailed',
      code: 'invalid_image',
    });
    expect(statusReads(fake)).toHaveLength(1);
  });

  it('falls back to polling when the stream breaks', async () => {
    const result = await client('stream-break').run({ image: TINY_PNG }, { interval: 10 });
    expect(result.status).toBe('COMPLETED');
    const reads = statusReads(fake);
    // One stream (its first event arrived, then the drop), then plain polls to the end.
    expect(reads.filter((r) => r.headers.accept === STREAM_ACCEPT)).toHaveLength(1);
    expect(reads.length).toBeGreaterThan(1);
  });

  it('times out on a stream that never ends, and closes it', async () => {
    const job = await client('slow').submitAsync({ image: TINY_PNG });
    await expect(job.wait({ timeout: 100 })).rejects.toBeInstanceOf(InferenceTimeout);
    expect(statusReads(fake)).toHaveLength(1);
    await expect.poll(() => fake.openStreams()).toBe(0);
  });

  it('leaves no stream open after aborted waits', async () => {
    const job = await client('slow').submitAsync({ image: TINY_PNG });
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const waiting = job.wait({ signal: controller.signal });
      await expect.poll(() => fake.openStreams()).toBe(1);
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      await expect.poll(() => fake.openStreams()).toBe(0);
    }
  });

  it('answers an unknown id on the stream request with ApiError 404, as a poll would', async () => {
    const error = await client()
      .job('00000000-0000-4000-8000-000000000000')
      .wait()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('polls only, with stream: false', async () => {
    await client().run({ image: TINY_PNG }, { interval: 10, stream: false });
    expect(statusReads(fake).every((r) => !r.headers.accept?.includes('text/event-stream'))).toBe(true);
  });
});

describe('against a production-shaped deployment', () => {
  const prodClient = (script?: FakeScript) =>
    new BgRemovalClient({ baseUrl: prod.url, apiKey: FAKE_KEY, headers: script ? { [SCRIPT_HEADER]: script } : {} });

  it('asks for the stream once, gets JSON, and polls from there (the JSON answer counts as the first poll)', async () => {
    const states: string[] = [];
    const result = await prodClient().run(
      { image: TINY_PNG },
      { interval: 10, onStatus: (b) => states.push(b.status) },
    );
    expect(result.status).toBe('COMPLETED');
    expect(states).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    const reads = statusReads(prod);
    expect(reads[0]?.headers.accept).toBe(STREAM_ACCEPT);
    expect(reads).toHaveLength(3); // QUEUED (the stream's ask), PROCESSING, COMPLETED: no extra read
  });

  it('submit without cancel_url, result 200 while pending, FAILED without code: all read as the core API says', async () => {
    const c = prodClient();
    const job = await c.submitAsync({ image: TINY_PNG });
    expect(job.cancelUrl).toBe(`${prod.url}/v2/requests/${job.requestId}/cancel`);
    expect(await job.result()).toMatchObject({ status: 'QUEUED' });
    const failed = await prodClient('fail')
      .run({ image: TINY_PNG }, { interval: 10 })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(InferenceFailed);
    expect(failed).toMatchObject({ code: undefined, detail: 'The image could not be decoded.' });
  });

  it('cancel is UnsupportedOperation; an unknown id still answers ApiError 404', async () => {
    const job = await prodClient('slow').submitAsync({ image: TINY_PNG });
    await expect(job.cancel()).rejects.toBeInstanceOf(UnsupportedOperation);
    const unknown = await prodClient()
      .job('00000000-0000-4000-8000-000000000000')
      .cancel()
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApiError);
    expect(unknown).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('client configuration', () => {
  it('reads BGR_API_KEY and BGR_BASE_URL, defaulting to the reference address', () => {
    expect(new BgRemovalClient({ env: { BGR_API_KEY: 'k' } }).baseUrl).toBe('http://127.0.0.1:8080');
    expect(new BgRemovalClient({ env: { BGR_API_KEY: 'k', BGR_BASE_URL: 'http://h:1/' } }).baseUrl).toBe('http://h:1');
  });

  it('fails at construction without a key, naming where it looked', () => {
    expect(() => new BgRemovalClient({ env: {} })).toThrow(BgRemovalError);
    expect(() => new BgRemovalClient({ env: {}, apiKeyEnv: 'SEGMIND_API_KEY' })).toThrow(/SEGMIND_API_KEY/);
  });

  it('reads the key from the variable apiKeyEnv names', async () => {
    const c = new BgRemovalClient({
      env: { SEGMIND_API_KEY: FAKE_KEY },
      apiKeyEnv: 'SEGMIND_API_KEY',
      baseUrl: fake.url,
    });
    expect((await c.removeBackground({ image: TINY_PNG })).image).toEqual(TINY_PNG);
  });

  it('uses a custom fetch', async () => {
    const seen: string[] = [];
    const c = client(undefined, { fetch: (request) => (seen.push(request.url), fetch(request)) });
    await c.removeBackground({ image: TINY_PNG });
    expect(seen).toEqual([`${fake.url}/v1/bg-removal`]);
  });
});
