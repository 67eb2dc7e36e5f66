/**
 * A compact, correct in-process deployment of the contract (node:http), with one-clause faults for the suite's tests.
 * Two shapes: every extension (the default, like the reference), or `production: true`, the core alone exactly as
 * the production service answers (../shared/notes/api-facts.md).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { cutOut, type CutFaults, type CutOptions } from './cutout.ts';
import { formBody, isMultipart } from './good-multipart.ts';
import { wantsStream } from './good-stream.ts';
import { deliverSigned, goodWebhookSecret, wrongWebhookSecret } from './good-webhook.ts';

export { goodWebhookSecret };

/** Each fault breaks exactly one clause; faults.ts says which checks must notice. */
export const faultNames = [
  'failed-200',
  'status-backwards',
  'never-expires',
  'expires-early',
  'output-expires-early',
  'output-before-completed',
  'result-200-pending',
  'wrong-content-type',
  'output-wrong-content-type',
  'wrong-dimensions',
  'no-alpha',
  'webp-ignored',
  'box-mask',
  'human-ignored',
  'leak-other-key',
  'no-auth',
  'any-key',
  '500-on-caller-mistake',
  'submit-missing-urls',
  'relative-urls',
  '429-no-retry-after',
  'no-ratelimit-headers',
  'expires-at-wrong',
  'cancel-terminal-200',
  'cancel-no-effect',
  'idempotency-new-id',
  'idempotency-charge-twice',
  'idempotency-no-conflict',
  'unknown-id-no-code',
  'unknown-id-410',
  'malformed-id-400',
  'no-inference-time',
  'charges-failed',
  'slow',
  'result-409-pending',
  'error-not-json',
  'failed-no-code',
  'timestamps-backwards',
  'queue-position-processing',
  'output-never-expires',
  'scope-ignored',
  'no-credit-check',
  'webhook-bad-signature',
  'stream-repeats',
  'stream-terminal-status-body',
  'stream-never-ends',
  'mask-inverted',
  'bg-color-swapped',
  'base64-ignored',
  'multipart-no-alpha',
  'method-type-500',
] as const;
export type FaultName = (typeof faultNames)[number];

type Scope = 'v1' | 'v2';
interface KeySpec {
  credits: number;
  scopes?: Scope[];
  rateLimit?: { max: number; windowMs: number };
}

export interface GoodServerOptions {
  /**
   * API keys, their credits, scopes and optional own rate limit. Default: key-a and key-b with a large balance
   * (key-b strictly limited), key-v1 without the v2 scope, key-low with one credit.
   */
  keys?: Record<string, KeySpec>;
  /** The production service's shape: the core only, no extension (no codes, 200 while pending, no cancel, …). */
  production?: boolean;
  retentionMs?: number;
  queueMs?: number;
  /** Requests processed at once; the rest wait QUEUED in submit order (default 2). */
  workers?: number;
  processMs?: number;
  rateLimit?: { max: number; windowMs: number };
  fault?: FaultName;
  /** 0 (default): any free port. */
  port?: number;
}

export interface GoodServer {
  url: string;
  keys: string[];
  close(): Promise<void>;
}

type State = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
interface Job {
  id: string;
  key: string;
  state: State;
  body: string;
  opts: CutOptions & { base64?: boolean };
  /** Defects only this request's image gets (beside the deployment's own). */
  faults?: CutFaults;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  inferenceS?: number;
  error?: string;
  code?: string;
  output?: { bytes: Buffer; type: string };
  remaining?: number;
  reads: number;
  base: string;
  webhook?: string;
  /** Called on every state change (status streams wait on it). */
  listeners: Set<() => void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const v1Fields = ['image', 'method', 'format', 'mask_only', 'bg_color'];
const v2Fields = [...v1Fields, 'webhook', 'base64'];
/** The production service's bodies: `{ image, method }` only. */
const productionFields = ['image', 'method'];
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
// Unref'd: a pending simulated delay never keeps the process alive.
const sleep = (ms: number) => delay(ms, undefined, { ref: false });
const onePixel = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

/** Reads the caller's image: an http(s) URL, a data URI or raw base64. */
async function loadImage(image: string): Promise<Buffer> {
  if (/^https?:\/\//i.test(image)) {
    const res = await fetch(image, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!res?.ok) throw new HttpError(400, 'image_fetch_failed', 'The image URL could not be fetched.');
    return Buffer.from(await res.arrayBuffer());
  }
  const b64 = /^data:[^,]*,(.*)$/s.exec(image)?.[1] ?? image;
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(b64)) throw new HttpError(400, 'invalid_image', 'The image could not be decoded.');
  return Buffer.from(b64, 'base64');
}

export async function startGoodServer(options: GoodServerOptions = {}): Promise<GoodServer> {
  const fault = (name: FaultName) => options.fault === name;
  const prod = options.production === true;
  // key-b's low limit makes the suite's burst (sent with the second key) reach 429 however slow the machine is.
  const keys: Record<string, KeySpec> = options.keys ?? {
    'key-a': { credits: 1_000_000 },
    'key-b': { credits: 1_000_000, rateLimit: { max: 40, windowMs: 2000 } },
    'key-v1': { credits: 1_000_000, scopes: ['v1'] },
    'key-low': { credits: 1 },
  };
  const credits = new Map(Object.entries(keys).map(([k, v]) => [k, v.credits]));
  const retentionMs = options.retentionMs ?? 3_600_000;
  const queueMs = options.queueMs ?? 100;
  const workers = options.workers ?? 2;
  let busy = 0;
  const waiting: (() => void)[] = [];
  /** Resolves when a worker is free (FIFO), so that a burst of submits really queues. */
  const acquire = () => (busy < workers ? (busy++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const release = () => (waiting.length ? waiting.shift()!() : busy--);
  const processMs = (options.processMs ?? 200) + (fault('slow') ? 1500 : 0);
  const defaultLimit = options.rateLimit ?? { max: 250, windowMs: 1000 };
  const jobs = new Map<string, Job>();
  const idempotency = new Map<string, { body: string; id: string }>();
  const windows = new Map<string, { start: number; count: number }>();

  const charge = (key: string) => {
    const left = Math.max(0, (credits.get(key) ?? 0) - 1);
    credits.set(key, left);
    return left;
  };
  const expiresAt = (j: Job) =>
    j.completedAt === undefined ? undefined : j.completedAt + retentionMs * (fault('expires-at-wrong') ? 2 : 1);
  /** Gone: terminal and past retention (a fault may forget too early or never). */
  const gone = (j: Job, part: 'request' | 'output') => {
    if (j.completedAt === undefined || fault('never-expires') || (part === 'output' && fault('output-never-expires')))
      return false;
    const early = fault('expires-early') || (part === 'output' && fault('output-expires-early'));
    return Date.now() > j.completedAt + (early ? retentionMs / 2 : retentionMs);
  };

  const metrics = (j: Job) => ({
    ...(j.startedAt !== undefined ? { queue_time: (j.startedAt - j.createdAt) / 1000 } : {}),
    ...(j.inferenceS !== undefined && !fault('no-inference-time') ? { inference_time: j.inferenceS } : {}),
    ...(j.completedAt !== undefined ? { total_time: (j.completedAt - j.createdAt) / 1000 } : {}),
    ...(j.remaining !== undefined ? { remaining_credits: j.remaining } : {}),
  });
  const times = (j: Job) =>
    prod
      ? {}
      : {
          created_at: iso(j.createdAt + (fault('timestamps-backwards') && j.startedAt !== undefined ? 60_000 : 0)),
          started_at: iso(j.startedAt),
          completed_at: iso(j.completedAt),
          expires_at: iso(expiresAt(j)),
        };
  const urls = (base: string, id: string) => {
    const root = fault('relative-urls') ? '' : base;
    const r = `${root}/v2/requests/${id}`;
    return {
      status_url: `${r}/status`,
      response_url: r,
      poll_url: `${r}/status`,
      ...(prod ? {} : { cancel_url: `${r}/cancel` }),
    };
  };
  const queuePosition = (state: State) =>
    !prod && (state === 'QUEUED' || (state === 'PROCESSING' && fault('queue-position-processing')));
  const statusBody = (j: Job, base: string, state: State = j.state) => {
    const u = urls(base, j.id);
    return {
      request_id: j.id,
      status: state,
      ...(queuePosition(state) ? { queue_position: ahead(j) } : {}),
      ...times(j),
      metrics: metrics(j),
      ...(state === 'COMPLETED' ? {} : { status_url: u.status_url, response_url: u.response_url }),
    };
  };
  const failedBody = (j: Job) => ({
    request_id: j.id,
    status: 'FAILED',
    error: j.error,
    ...(prod || fault('failed-no-code') ? {} : { code: j.code }),
    ...times(j),
    metrics: metrics(j),
  });
  const outputUrl = (j: Job, base: string) =>
    prod ? `${base}/media/${j.id}.png` : `${base}/v2/requests/${j.id}/output`;
  // Production's result is `{status, output, metrics, error}` (no request_id).
  const resultBody = (j: Job, base: string) => ({
    ...(prod ? {} : { request_id: j.id }),
    status: 'COMPLETED',
    ...times(j),
    metrics: metrics(j),
    error: null,
    output:
      j.opts.base64 && !fault('base64-ignored')
        ? `data:${j.output!.type};base64,${j.output!.bytes.toString('base64')}`
        : outputUrl(j, base),
  });
  const terminalBody = (j: Job) => (j.state === 'COMPLETED' ? resultBody(j, j.base) : failedBody(j));

  /** Applies a state change and tells whoever streams or awaits it; a terminal state also sends the webhook. */
  const update = (j: Job, patch: Partial<Job>) => {
    Object.assign(j, patch);
    for (const l of [...j.listeners]) l();
    if ((j.state === 'COMPLETED' || j.state === 'FAILED') && j.webhook) void deliver(j.webhook, terminalBody(j));
  };

  const deliver = (url: string, body: unknown) =>
    deliverSigned(url, body, fault('webhook-bad-signature') ? wrongWebhookSecret : goodWebhookSecret);

  /** Requests submitted before this one that still wait. */
  const ahead = (j: Job) => [...jobs.values()].filter((o) => o.state === 'QUEUED' && o.createdAt < j.createdAt).length;

  async function process(j: Job, image: string): Promise<void> {
    await sleep(queueMs);
    await acquire();
    try {
      await work(j, image);
    } finally {
      release();
    }
  }

  async function work(j: Job, image: string): Promise<void> {
    if (j.state !== 'QUEUED') return;
    update(j, { state: 'PROCESSING', startedAt: Date.now() });
    try {
      const t0 = performance.now();
      const output = await cutOut(await loadImage(image), j.opts, { ...cutFaults(), ...j.faults }).catch((e) => {
        throw e instanceof HttpError ? e : new HttpError(400, 'invalid_image', 'The image could not be decoded.');
      });
      await sleep(processMs);
      if ((j.state as State) !== 'PROCESSING') return; // canceled meanwhile: the result is discarded
      update(j, {
        output,
        inferenceS: (performance.now() - t0) / 1000,
        state: 'COMPLETED',
        completedAt: Date.now(),
        remaining: charge(j.key),
      });
    } catch (e) {
      if ((j.state as State) !== 'PROCESSING') return;
      const err = e as HttpError;
      if (fault('charges-failed')) j.remaining = charge(j.key);
      update(j, { state: 'FAILED', error: err.message, code: err.code ?? 'internal', completedAt: Date.now() });
    }
  }

  const cutFaults = () => ({
    noAlpha: fault('no-alpha'),
    halfSize: fault('wrong-dimensions'),
    boxMask: fault('box-mask'),
    ignoreHuman: fault('human-ignored'),
    ignoreWebp: fault('webp-ignored'),
    invertMask: fault('mask-inverted'),
    swapBgColor: fault('bg-color-swapped'),
  });

  /** The submit body: JSON, or (the multipart extension) a form; production takes JSON only. */
  async function readBody(req: IncomingMessage, raw: Buffer): Promise<unknown> {
    if (!prod && isMultipart(req.headers['content-type'])) {
      const form = await formBody(req.headers['content-type']!, raw);
      if (!form) throw new HttpError(400, 'invalid_parameter', 'The multipart/form-data body is malformed.');
      return form;
    }
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_parameter', 'The body is not valid JSON.');
    }
  }

  function validate(body: unknown, fields: string[]): Record<string, any> {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new HttpError(400, 'invalid_parameter', 'The body must be a JSON object.');
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => !fields.includes(k));
    const bad = (m: string) => new HttpError(400, 'invalid_parameter', m);
    if (unknown.length) throw bad(`Unknown field(s): ${unknown.join(', ')}.`);
    if (typeof b.image !== 'string' || !b.image) throw bad("body must have required property 'image'");
    // The fault: a non-string `method` reaches code that lower-cases it.
    if (fault('method-type-500') && b.method !== undefined && typeof b.method !== 'string')
      throw new Error('b.method.toLowerCase is not a function');
    if (b.method !== undefined && b.method !== 'object' && b.method !== 'human')
      throw bad('method must be object or human.');
    if (b.format !== undefined && b.format !== 'png' && b.format !== 'webp') throw bad('format must be png or webp.');
    for (const f of ['mask_only', 'base64'])
      if (b[f] !== undefined && typeof b[f] !== 'boolean') throw bad(`${f} must be a boolean.`);
    if (
      b.bg_color !== undefined &&
      (typeof b.bg_color !== 'string' || !/^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.test(b.bg_color))
    )
      throw bad('bg_color must be a hex colour.');
    if (b.webhook !== undefined && (typeof b.webhook !== 'string' || !/^https?:\/\//.test(b.webhook)))
      throw bad('webhook must be an http(s) URL.');
    return b;
  }

  function authenticate(req: IncomingMessage): string {
    const key = req.headers['x-api-key'];
    if (fault('no-auth')) return typeof key === 'string' && credits.has(key) ? key : credits.keys().next().value!;
    if (typeof key !== 'string' || !key)
      throw new HttpError(401, 'unauthorized', 'A valid x-api-key header is required.');
    if (!credits.has(key)) {
      if (fault('any-key')) return credits.keys().next().value!;
      throw new HttpError(401, 'unauthorized', 'A valid x-api-key header is required.');
    }
    return key;
  }

  /** 403 when the key lacks the scope of the path (`/v1/…` or `/v2/…`). */
  function authorize(key: string, path: string): void {
    const scope = path.startsWith('/v1/') ? 'v1' : 'v2';
    const scopes = keys[key]?.scopes ?? ['v1', 'v2'];
    if (!scopes.includes(scope) && !fault('scope-ignored'))
      throw new HttpError(403, 'forbidden', 'This key may not use this operation.');
  }

  /** Fixed-window rate limit per key; the 429 carries Retry-After and the IETF RateLimit headers. */
  function rateLimit(key: string, res: ServerResponse): void {
    const limit = keys[key]?.rateLimit ?? defaultLimit;
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= limit.windowMs) windows.set(key, (w = { start: now, count: 0 }));
    if (++w.count <= limit.max) return;
    const reset = Math.max(1, Math.ceil((w.start + limit.windowMs - now) / 1000));
    if (!fault('429-no-retry-after')) res.setHeader('retry-after', String(reset));
    if (!fault('no-ratelimit-headers')) {
      res.setHeader('ratelimit', `"default";r=0;t=${reset}`);
      res.setHeader('ratelimit-policy', `"default";q=${limit.max};w=${Math.ceil(limit.windowMs / 1000)}`);
    }
    throw new HttpError(429, 'rate_limited', 'Too many requests.');
  }

  function find(rawId: string, key: string, part: 'request' | 'output' = 'request'): Job {
    let id = rawId;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      /* a malformed escape is just an unknown id */
    }
    if (fault('malformed-id-400') && !/^[0-9a-f-]{36}$/.test(id))
      throw new HttpError(400, 'invalid_parameter', 'Malformed request id.');
    const j = jobs.get(id);
    if (!j && fault('unknown-id-410')) throw new HttpError(410, 'not_found', `Request ${id} is gone.`);
    if (!j || (j.key !== key && !fault('leak-other-key')) || gone(j, part))
      throw new HttpError(404, 'not_found', `Request ${id} not found.`);
    return j;
  }

  /** The status-stream extension: one event per state change, the terminal body last, then the end. */
  function stream(j: Job, base: string, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let id = 0;
    let last: State | undefined;
    const send = () => {
      if (j.state === last) return;
      last = j.state;
      const terminal = j.state === 'COMPLETED' || j.state === 'FAILED';
      const data =
        terminal && !fault('stream-terminal-status-body')
          ? terminalBody(j)
          : j.state === 'FAILED'
            ? failedBody(j)
            : statusBody(j, base);
      const event = `event: status\nid: ${++id}\ndata: ${JSON.stringify(data)}\n\n`;
      res.write(fault('stream-repeats') && id === 1 ? event + event.replace('id: 1', `id: ${++id}`) : event);
      if (terminal) {
        j.listeners.delete(send);
        if (!fault('stream-never-ends')) res.end();
      }
    };
    j.listeners.add(send);
    res.on('close', () => j.listeners.delete(send));
    send();
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): Promise<[number, unknown] | undefined> {
    const base = `http://${req.headers.host}`;
    const path = (req.url ?? '/').split('?')[0]!;
    // Production serves the output as a media URL of its own (no key needed).
    const media = /^\/media\/([^/]+)\.png$/.exec(path);
    if (prod && media && req.method === 'GET') {
      const j = jobs.get(media[1]!);
      if (!j || j.state !== 'COMPLETED' || gone(j, 'output')) throw new HttpError(404, 'not_found', 'Not found.');
      res.writeHead(200, { 'content-type': j.output!.type }).end(j.output!.bytes);
      return undefined;
    }
    const key = authenticate(req);
    authorize(key, path);
    rateLimit(key, res);
    if (req.method === 'POST' && (path === '/v1/bg-removal' || path === '/v2/bg-removal')) {
      const v2 = path.startsWith('/v2');
      const b = validate(await readBody(req, raw), prod ? productionFields : v2 ? v2Fields : v1Fields);
      const faults = isMultipart(req.headers['content-type']) && fault('multipart-no-alpha') ? { noAlpha: true } : {};
      if ((credits.get(key) ?? 0) < 1 && !fault('no-credit-check'))
        throw new HttpError(406, 'insufficient_credits', 'Insufficient credits.');
      const opts = {
        method: b.method,
        format: b.format,
        mask_only: b.mask_only,
        bg_color: b.bg_color,
        base64: b.base64,
      };
      if (!v2) {
        const t0 = performance.now();
        const image = await loadImage(b.image);
        const out = await cutOut(image, opts, { ...cutFaults(), ...faults }).catch(() => {
          throw new HttpError(400, 'invalid_image', 'The image could not be decoded.');
        });
        await sleep(fault('slow') ? 1500 : 0);
        const left = charge(key);
        res.writeHead(200, {
          'content-type': fault('wrong-content-type') ? 'application/octet-stream' : out.type,
          'x-request-id': randomUUID(),
          'x-inference-time': ((performance.now() - t0) / 1000).toFixed(3),
          'x-remaining-credits': String(left),
        });
        res.end(out.bytes);
        return undefined;
      }
      // Production has no Idempotency-Key: every submit is a new request.
      const idemKey = prod ? undefined : req.headers['idempotency-key'];
      const canonical = JSON.stringify(b);
      if (typeof idemKey === 'string') {
        const seen = idempotency.get(`${key}\n${idemKey}`);
        if (seen && jobs.has(seen.id)) {
          if (seen.body !== canonical && !fault('idempotency-no-conflict'))
            throw new HttpError(409, 'idempotency_conflict', 'This Idempotency-Key was used with a different body.');
          if (fault('idempotency-charge-twice')) charge(key);
          if (!fault('idempotency-new-id'))
            return [200, { request_id: seen.id, status: 'QUEUED', ...urls(base, seen.id) }];
        }
      }
      for (const [id, j] of jobs) if (gone(j, 'request') && gone(j, 'output')) jobs.delete(id);
      const j: Job = {
        id: randomUUID(),
        key,
        state: 'QUEUED',
        body: canonical,
        opts,
        faults,
        createdAt: Date.now(),
        reads: 0,
        base,
        webhook: b.webhook,
        listeners: new Set(),
      };
      jobs.set(j.id, j);
      if (typeof idemKey === 'string') idempotency.set(`${key}\n${idemKey}`, { body: canonical, id: j.id });
      void process(j, b.image);
      const u = urls(base, j.id);
      const body = fault('submit-missing-urls')
        ? { request_id: j.id, status: 'QUEUED', status_url: u.status_url, response_url: u.response_url }
        : { request_id: j.id, status: 'QUEUED', ...u };
      return [200, body];
    }
    const m = /^\/v2\/requests\/([^/]+)(\/status|\/output|\/cancel)?$/.exec(path);
    // Production has neither the output nor the cancel endpoint.
    if (!m || (prod && (m[2] === '/output' || m[2] === '/cancel')))
      throw new HttpError(404, 'not_found', 'No such route.');
    const [, id, sub = ''] = m;
    const j = find(id!, key, sub === '/output' && fault('output-never-expires') ? 'output' : 'request');
    const pending = j.state === 'QUEUED' || j.state === 'PROCESSING';
    if (req.method === 'GET' && sub === '/status') {
      if (!prod && wantsStream(req.headers.accept)) {
        stream(j, base, res);
        return undefined;
      }
      if (j.state === 'FAILED') return [fault('failed-200') ? 200 : 422, failedBody(j)];
      if (j.state === 'COMPLETED' && fault('status-backwards') && ++j.reads === 2)
        return [200, statusBody(j, base, 'PROCESSING')];
      return [200, statusBody(j, base)];
    }
    if (req.method === 'GET' && sub === '') {
      if (pending && fault('result-409-pending')) throw new HttpError(409, 'not_ready', 'The request has no output.');
      if (pending)
        return [prod || (fault('result-200-pending') && j.state === 'QUEUED') ? 200 : 202, statusBody(j, base)];
      if (j.state === 'FAILED') return [fault('failed-200') ? 200 : 422, failedBody(j)];
      return [200, resultBody(j, base)];
    }
    if (req.method === 'GET' && sub === '/output') {
      if (pending && fault('output-before-completed')) {
        res.writeHead(200, { 'content-type': 'image/png' }).end(onePixel);
        return undefined;
      }
      if (j.state !== 'COMPLETED') throw new HttpError(409, 'not_ready', 'The request has no output.');
      if (gone(j, 'output')) throw new HttpError(404, 'not_found', `Request ${j.id} not found.`);
      res
        .writeHead(200, {
          'content-type': fault('output-wrong-content-type') ? 'application/octet-stream' : j.output!.type,
        })
        .end(j.output!.bytes);
      return undefined;
    }
    if (req.method === 'POST' && sub === '/cancel') {
      if (!pending) {
        if (fault('cancel-terminal-200')) return [200, j.state === 'COMPLETED' ? resultBody(j, base) : failedBody(j)];
        throw new HttpError(409, 'not_cancelable', 'The request has already ended.');
      }
      const body = {
        ...j,
        state: 'FAILED' as State,
        error: 'The request was canceled.',
        code: 'canceled',
        completedAt: Date.now(),
      };
      if (!fault('cancel-no-effect'))
        update(j, { state: 'FAILED', error: body.error, code: body.code, completedAt: body.completedAt });
      return [200, failedBody(body)];
    }
    throw new HttpError(404, 'not_found', 'No such route.');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks))
        .then((out) => {
          if (out) res.writeHead(out[0], { 'content-type': 'application/json' }).end(JSON.stringify(out[1]));
        })
        .catch((e: unknown) => {
          const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'Internal server error.');
          const callerMistake = err.status === 400;
          const [status, code] =
            callerMistake && fault('500-on-caller-mistake') ? [500, 'internal'] : [err.status, err.code];
          if (err.code === 'not_found' && fault('error-not-json')) {
            if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
            res.end('Not Found');
            return;
          }
          // Production's error body is `{"error": message}` alone.
          const body =
            prod || (err.code === 'not_found' && fault('unknown-id-no-code'))
              ? { error: err.message }
              : { error: err.message, code };
          if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    keys: [...credits.keys()],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
