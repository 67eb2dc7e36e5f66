/** /metrics scraped after real HTTP requests: in memory (role all), and on the api and worker nodes of a Redis deployment. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../process/config.ts';
import { startRedisNode } from '../process/distributed.ts';
import { startServer, type Running } from '../process/serve.ts';
import { deletePrefix, testPrefix, testRedisUrl } from '../../testing/redis.ts';
import { FakeEngine } from '../../testing/fake-engine.ts';
import { pngOf } from '../../testing/fixtures.ts';
import { until } from '../../testing/nodes.ts';
import { startReceiver } from '../../testing/v2.ts';
import { generateWebhookSecret } from '../removal/webhook.ts';
import { pino } from 'pino';

const KEY = 'metrics_key_1';
const running: Running[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.shutdown();
  for (const c of cleanups.splice(0)) await c();
});

/** The value of one sample: `name` with at least `labels` (the default label `role` and others may be there too). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const values = text
    .split('\n')
    .filter((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) return false;
      const have = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return Object.entries(labels).every(([k, v]) => have[k] === v);
    })
    .map((line) => Number(line.split(' ').at(-1)));
  if (values.length !== 1) throw new Error(`${values.length} samples of ${name}${JSON.stringify(labels)}`);
  return values[0]!;
}

const scrape = async (url: string) => {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};
const image = async () => (await pngOf(40, 30)).toString('base64');
const post = async (url: string, path: string, body: unknown, key = KEY) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('/metrics in memory mode (role all)', () => {
  it('counts requests by route template and status, inference and v2 latencies, queue depth and webhook outcomes', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, [500]);
    cleanups.push(receiver.close);
    const engine = new FakeEngine({ delayMs: 30 });
    const config = loadConfig({
      PORT: '0',
      BGR_API_KEYS: KEY,
      BGR_WEBHOOK_SECRET: secret,
      BGR_ALLOW_PRIVATE_URLS: 'true',
      BGR_WORKERS: '1',
    });
    const s = await startServer({ config, engine });
    running.push(s);
    const before = await scrape(s.url);
    expect(sample(before, 'bgr_images_in_flight')).toBe(0);
    expect(sample(before, 'bgr_webhook_deliveries_total', { outcome: 'delivered' })).toBe(0);

    expect((await post(s.url, '/v1/bg-removal', { image: await image() })).status).toBe(200);
    expect((await post(s.url, '/v1/bg-removal', { image: await image() })).status).toBe(200);
    expect((await post(s.url, '/v1/bg-removal', { image: await image() }, 'wrong_key_1')).status).toBe(401);
    expect((await fetch(`${s.url}/no/such/path`)).status).toBe(404);
    const sub = (await (
      await post(s.url, '/v2/bg-removal', { image: await image(), webhook: receiver.url })
    ).json()) as { request_id: string };
    const status = () =>
      fetch(`${s.url}/v2/requests/${sub.request_id}/status`, { headers: { 'x-api-key': KEY } }).then(
        async (r) => ((await r.json()) as { status: string }).status,
      );
    await until(status, (st) => st === 'COMPLETED');
    await receiver.count(2); // 500, then 204 after the 1 s backoff

    // While the engine holds two images, the gauge reads 2 (its collect() asks the node's admission control).
    engine.opts.delayMs = 400;
    const slow = [
      post(s.url, '/v1/bg-removal', { image: await image() }),
      post(s.url, '/v1/bg-removal', { image: await image() }),
    ];
    await until(
      async () => engine.calls.length,
      (c) => c === 5,
    );
    expect(sample(await scrape(s.url), 'bgr_images_in_flight')).toBe(2);
    await Promise.all(slow);

    const after = await scrape(s.url);
    expect(sample(after, 'bgr_http_requests_total', { method: 'POST', route: '/v1/bg-removal', status: '200' })).toBe(
      4,
    );
    expect(sample(after, 'bgr_http_requests_total', { method: 'POST', route: '/v1/bg-removal', status: '401' })).toBe(
      1,
    );
    expect(sample(after, 'bgr_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(after, 'bgr_http_requests_total', { method: 'POST', route: '/v2/bg-removal', status: '200' })).toBe(
      1,
    );
    expect(
      sample(after, 'bgr_http_requests_total', {
        method: 'GET',
        route: '/v2/requests/:request_id/status',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'bgr_http_request_duration_seconds_count', { method: 'POST', route: '/v1/bg-removal' })).toBe(
      5,
    );
    // 4 v1 images and 1 v2 job, each ≥ 30 ms in the engine.
    expect(sample(after, 'bgr_inference_duration_seconds_count')).toBe(5);
    expect(sample(after, 'bgr_inference_duration_seconds_sum')).toBeGreaterThanOrEqual(5 * 0.03);
    expect(sample(after, 'bgr_inference_duration_seconds_bucket', { le: '0.025' })).toBe(0);
    expect(sample(after, 'bgr_request_duration_seconds_count', { status: 'COMPLETED' })).toBe(1);
    expect(sample(after, 'bgr_images_in_flight')).toBe(0);
    expect(sample(after, 'bgr_queue_depth')).toBe(0);
    expect(sample(after, 'bgr_worker_restarts_total')).toBe(0);
    expect(sample(after, 'bgr_webhook_deliveries_total', { outcome: 'retry' })).toBe(1);
    expect(sample(after, 'bgr_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(sample(after, 'bgr_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(sample(after, 'bgr_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after).toMatch(/role="all"/);
  });

  it('BGR_METRICS=false: no /metrics route', async () => {
    const s = await startServer({ config: loadConfig({ PORT: '0', BGR_METRICS: 'false' }), engine: new FakeEngine() });
    running.push(s);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
  });
});

describe('/metrics on a Redis deployment', () => {
  it('the api node counts the HTTP side; the worker node (probes only otherwise) counts inference, the shared queue and webhooks', async () => {
    const prefix = testPrefix();
    cleanups.push(() => deletePrefix(prefix));
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret);
    cleanups.push(receiver.close);
    const env = {
      PORT: '0',
      BGR_REDIS_URL: testRedisUrl,
      BGR_REDIS_PREFIX: prefix,
      BGR_API_KEYS: KEY,
      BGR_WEBHOOK_SECRET: secret,
      BGR_ALLOW_PRIVATE_URLS: 'true',
      BGR_SHUTDOWN_GRACE_S: '1',
    };
    const log = pino({ level: 'silent' });
    const workerEngine = new FakeEngine({ delayMs: 20, ready: false });
    const { running: api } = await startRedisNode(
      loadConfig({ ...env, BGR_ROLE: 'api' }),
      log,
      () => {
        throw new Error('an api node loads no model');
      },
      startServer,
    );
    running.push(api);
    const { running: worker } = await startRedisNode(
      loadConfig({ ...env, BGR_ROLE: 'worker' }),
      log,
      () => workerEngine,
      startServer,
    );
    running.push(worker);

    // Two v2 requests wait in the shared queue while the worker is not ready: both nodes see depth 2.
    const ids: string[] = [];
    for (let i = 0; i < 2; i++)
      ids.push(
        (
          (await (await post(api.url, '/v2/bg-removal', { image: await image(), webhook: receiver.url })).json()) as {
            request_id: string;
          }
        ).request_id,
      );
    expect(sample(await scrape(api.url), 'bgr_queue_depth')).toBe(2);
    expect(sample(await scrape(worker.url), 'bgr_queue_depth')).toBe(2);
    // While the worker runs a job, its gauge counts it: its admission control's count of the jobs it holds.
    workerEngine.opts.delayMs = 400;
    workerEngine.setReady();
    await until(
      async () => workerEngine.calls.length,
      (c) => c >= 1,
    );
    const busy = sample(await scrape(worker.url), 'bgr_images_in_flight');
    expect(busy).toBeGreaterThanOrEqual(1);
    expect(busy).toBeLessThanOrEqual(2);
    await receiver.count(2);

    const a = await scrape(api.url);
    expect(sample(a, 'bgr_http_requests_total', { method: 'POST', route: '/v2/bg-removal', status: '200' })).toBe(2);
    expect(sample(a, 'bgr_inference_duration_seconds_count')).toBe(0); // nothing inferred on an api node
    expect(a).toMatch(/role="api"/);
    const w = await scrape(worker.url);
    expect(sample(w, 'bgr_queue_depth')).toBe(0);
    expect(sample(w, 'bgr_inference_duration_seconds_count')).toBe(2);
    expect(sample(w, 'bgr_request_duration_seconds_count', { status: 'COMPLETED' })).toBe(2);
    expect(sample(w, 'bgr_webhook_deliveries_total', { outcome: 'delivered' })).toBe(2);
    expect(sample(w, 'bgr_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(2); // the two scrapes above
    expect(sample(w, 'bgr_images_in_flight')).toBe(0);
    expect(w).toMatch(/role="worker"/);
  });
});
