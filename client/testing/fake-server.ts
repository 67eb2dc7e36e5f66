/** A scripted in-test server (node:http) acting out the v1/v2 lifecycle, so client edge cases are deterministic. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The 1×1 PNG from the contract's examples: real PNG bytes for the output endpoints. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
export const FAKE_KEY = 'fake-key';
/** The header naming the script a request (and the job it creates) acts out. */
export const SCRIPT_HEADER = 'x-fake-script';

/**
 * Scripts: `ok` QUEUED→PROCESSING→COMPLETED over three polls; `fail` FAILED (422); `fail-200` FAILED served as 200;
 * `slow` never ends; `rate-limit-once` 429 + Retry-After: 1 on the first try; `rate-limit-long` 429 + Retry-After: 3600;
 * `bad-submit` a 200 submit without URLs; `drop-once` the first submit's socket is destroyed; `unavailable-once`
 * the first status poll answers 503; `elsewhere` returned URLs use another path prefix (clients must follow them);
 * `lagging-result` the result still answers 202 on the first read after COMPLETED; `redirect-output` the output
 * endpoint redirects to the output origin; `stream-break` a status stream's connection drops after its first event.
 *
 * The status URL streams Server-Sent Events (the `status-stream` extension, one state per 5 ms) when asked
 * with `Accept: text/event-stream`, except in the production-shaped mode.
 */
export type Script =
  | 'ok'
  | 'fail'
  | 'fail-200'
  | 'slow'
  | 'rate-limit-once'
  | 'rate-limit-long'
  | 'bad-submit'
  | 'drop-once'
  | 'unavailable-once'
  | 'elsewhere'
  | 'lagging-result'
  | 'redirect-output'
  | 'stream-break';

interface FakeJob {
  id: string;
  script: Script;
  polls: number;
  resultReads: number;
  state: 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  code?: 'invalid_image' | 'canceled';
  base64: boolean;
  format: string;
  outputOrigin: string | undefined;
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * `production`: answers as the production service does: error bodies `{"error"}` without `code` (FAILED
 * ones too), 200 with the status body while a result is pending, a submit without `cancel_url`, no cancel
 * endpoint, no status stream (Accept is ignored).
 */
export interface FakeServerOptions {
  production?: boolean;
}

export interface FakeServer {
  url: string;
  log: LoggedRequest[];
  /** Status streams open now (a client that went away must not leave one). */
  openStreams(): number;
  /** Serve outputs from another origin (a second fake), to check where the key goes. */
  setOutputOrigin(origin: string | undefined): void;
  /** Forget the log, the one-shot scripts' counters and the output origin (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const production = options.production === true;
  const jobs = new Map<string, FakeJob>();
  let streams = 0;
  const log: LoggedRequest[] = [];
  const tries = new Map<string, number>();
  let outputOrigin: string | undefined;
  let url = '';

  const once = (key: string): boolean => {
    const n = (tries.get(key) ?? 0) + 1;
    tries.set(key, n);
    return n === 1;
  };

  // Production error bodies are only `{"error": …}`; FAILED bodies carry no `code` either.
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    if (production && typeof body === 'object' && body !== null && 'code' in body) {
      const { code: _code, ...rest } = body as Record<string, unknown>;
      return sendJson(res, status, rest);
    }
    return sendJson(res, status, body);
  };
  const rateLimited = (res: ServerResponse, seconds: number): void => {
    res.setHeader('retry-after', String(seconds));
    json(res, 429, { error: 'Too many requests.', code: 'rate_limited' });
  };
  const resultBody = (job: FakeJob) => {
    const outputUrl =
      job.outputOrigin && job.script !== 'redirect-output'
        ? `${job.outputOrigin}/media/${job.id}.png`
        : `${url}/${job.script === 'elsewhere' ? 'alt' : 'v2'}/requests/${job.id}/output`;
    return {
      request_id: job.id,
      status: 'COMPLETED',
      output: job.base64 ? `data:image/png;base64,${TINY_PNG.toString('base64')}` : outputUrl,
      created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      metrics: { inference_time: 0.25, queue_time: 0.01, total_time: 0.3 },
      error: null,
    };
  };
  /** The status stream: the current state, then a state every 5 ms, ending with the result or FailedBody. */
  const stream = (job: FakeJob, req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    streams += 1;
    let id = 0;
    let last = '';
    const send = (): boolean => {
      const ended = job.state === 'COMPLETED' || job.state === 'FAILED';
      if (job.state !== last) {
        const body = job.state === 'FAILED' ? failedBody(job) : ended ? resultBody(job) : statusBody(job);
        res.write(`event: status\nid: ${++id}\ndata: ${JSON.stringify(body)}\n\n`);
        last = job.state;
      }
      return ended;
    };
    const timer = setInterval(() => {
      res.write(': keep-alive\n\n');
      advance(job);
      if (send()) {
        clearInterval(timer);
        res.end();
      }
    }, 5);
    res.once('close', () => {
      clearInterval(timer);
      streams -= 1;
    });
    if (send()) return void res.end();
    // Once the first event is on the wire (headers and all), the connection drops.
    if (job.script === 'stream-break') res.write('', () => req.socket.destroy());
  };

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', url).pathname;
    log.push({ method: req.method ?? '', path, headers: req.headers, body });
    const script = (req.headers[SCRIPT_HEADER] as Script | undefined) ?? 'ok';

    // A media host (another origin) serves any output without a key, like a CDN's signed URLs.
    if (/^\/media\/[^/]+\.png$/.test(path) && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(TINY_PNG);
    }
    // Outputs are served without a key, like the media URLs of the production service.
    const output = /^\/(?:v2|alt)\/requests\/([^/]+)\/output$/.exec(path);
    if (output && req.method === 'GET') {
      const job = jobs.get(output[1] ?? '');
      if (!job) return json(res, 404, { error: 'Request not found.', code: 'not_found' });
      if (job.script === 'redirect-output' && outputOrigin) {
        res.writeHead(302, { location: `${outputOrigin}/media/${job.id}.png` });
        return res.end();
      }
      res.writeHead(200, { 'content-type': job.format === 'webp' ? 'image/webp' : 'image/png' });
      return res.end(TINY_PNG);
    }
    if (req.headers['x-api-key'] !== FAKE_KEY)
      return json(res, 401, { error: 'A valid x-api-key header is required.', code: 'unauthorized' });

    if (path === '/v1/bg-removal' && req.method === 'POST') {
      if (script === 'rate-limit-once' && once('v1')) return rateLimited(res, 1);
      const parsed = parse(body, req.headers['content-type']);
      if (!parsed || typeof parsed['image'] !== 'string')
        return json(res, 400, { error: "body must have required property 'image'", code: 'invalid_parameter' });
      res.writeHead(200, {
        'content-type': parsed['format'] === 'webp' ? 'image/webp' : 'image/png',
        'x-request-id': randomUUID(),
        'x-inference-time': '0.25',
        'x-remaining-credits': '41',
      });
      return res.end(TINY_PNG);
    }

    if (path === '/v2/bg-removal' && req.method === 'POST') {
      if (script === 'rate-limit-once' && once('submit')) return rateLimited(res, 1);
      if (script === 'rate-limit-long') return rateLimited(res, 3600);
      if (script === 'drop-once' && once('drop')) return req.socket.destroy();
      const parsed = parse(body, req.headers['content-type']);
      if (!parsed || typeof parsed['image'] !== 'string')
        return json(res, 400, { error: "body must have required property 'image'", code: 'invalid_parameter' });
      if (script === 'bad-submit') return json(res, 200, { status: 'QUEUED' });
      const id = randomUUID();
      const job: FakeJob = {
        id,
        script,
        polls: 0,
        resultReads: 0,
        state: 'QUEUED',
        base64: parsed['base64'] === true,
        format: typeof parsed['format'] === 'string' ? parsed['format'] : 'png',
        outputOrigin,
      };
      jobs.set(id, job);
      const prefix = `${url}/${script === 'elsewhere' ? 'alt' : 'v2'}/requests/${id}`;
      return json(res, 200, {
        request_id: id,
        status: 'QUEUED',
        status_url: `${prefix}/status`,
        response_url: prefix,
        poll_url: `${prefix}/status`,
        ...(production ? {} : { cancel_url: `${prefix}/cancel` }),
      });
    }

    const match = /^\/(v2|alt)\/requests\/([^/]+)(\/status|\/cancel)?$/.exec(path);
    const job = match ? jobs.get(match[2] ?? '') : undefined;
    if (!match || !job) return json(res, 404, { error: `Request ${match?.[2] ?? ''} not found.`, code: 'not_found' });
    // The 'elsewhere' script serves its jobs only under the URLs it returned.
    if ((job.script === 'elsewhere') !== (match[1] === 'alt'))
      return json(res, 404, { error: 'Request not found.', code: 'not_found' });
    const kind = match[3] ?? '';

    if (kind === '/cancel' && production) return json(res, 404, { error: 'Not Found' });
    if (kind === '/cancel' && req.method === 'POST') {
      if (job.state === 'COMPLETED' || job.state === 'FAILED')
        return json(res, 409, { error: 'The request has already ended.', code: 'not_cancelable' });
      job.state = 'FAILED';
      job.code = 'canceled';
      return json(res, 200, failedBody(job));
    }
    if (kind === '/status' && req.method === 'GET') {
      if (job.script === 'unavailable-once' && once(`503-${job.id}`)) {
        res.setHeader('retry-after', '0');
        return json(res, 503, { error: 'The service is temporarily unavailable.', code: 'service_unavailable' });
      }
      if (!production && /\btext\/event-stream\b/.test(req.headers.accept ?? '')) return stream(job, req, res);
      advance(job);
      if (job.state === 'FAILED') return json(res, job.script === 'fail-200' ? 200 : 422, failedBody(job));
      return json(res, 200, statusBody(job));
    }
    if (kind === '' && req.method === 'GET') {
      if (job.state === 'FAILED') return json(res, job.script === 'fail-200' ? 200 : 422, failedBody(job));
      if (job.state !== 'COMPLETED' || (job.script === 'lagging-result' && job.resultReads++ === 0)) {
        // Pending: 202 here, 200 from the production service; the same status body either way.
        return json(res, production ? 200 : 202, {
          ...statusBody(job),
          status: job.state === 'COMPLETED' ? 'PROCESSING' : job.state,
        });
      }
      return json(res, 200, resultBody(job));
    }
    return json(res, 404, { error: 'Not found.', code: 'not_found' });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    log,
    openStreams: () => streams,
    setOutputOrigin: (origin) => {
      outputOrigin = origin;
    },
    reset: () => {
      log.length = 0;
      tries.clear();
      outputOrigin = undefined;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One step per status poll, so tests see every state without sleeping. */
function advance(job: FakeJob): void {
  job.polls += 1;
  if (job.state === 'COMPLETED' || job.state === 'FAILED' || job.script === 'slow') {
    if (job.script === 'slow' && job.polls > 1) job.state = 'PROCESSING';
    return;
  }
  if (job.polls === 2) job.state = 'PROCESSING';
  if (job.polls >= 3) {
    if (job.script === 'fail' || job.script === 'fail-200') {
      job.state = 'FAILED';
      job.code = 'invalid_image';
    } else {
      job.state = 'COMPLETED';
    }
  }
}

function statusBody(job: FakeJob) {
  return { request_id: job.id, status: job.state, created_at: new Date().toISOString(), metrics: {} };
}

function failedBody(job: FakeJob) {
  const canceled = job.code === 'canceled';
  return {
    request_id: job.id,
    status: 'FAILED',
    error: canceled ? 'The request was canceled.' : 'The image could not be decoded.',
    code: job.code ?? 'invalid_image',
    created_at: new Date().toISOString(),
    metrics: {},
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A JSON body, or a multipart form's fields (a file part counts as `image` present). */
function parse(body: string, contentType = ''): Record<string, unknown> | undefined {
  if (contentType.startsWith('multipart/form-data')) {
    const fields: Record<string, unknown> = {};
    for (const m of body.matchAll(/name="([^"]+)"(; filename="[^"]*")?[^]*?\r\n\r\n([^\r]*)/g)) {
      fields[m[1]!] = m[2] ? '(file)' : m[3];
    }
    return fields;
  }
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
