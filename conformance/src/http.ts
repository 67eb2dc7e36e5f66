/** The suite's one HTTP layer: every exchange is recorded, summarised and validated against the contract. */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadContract, type Violation } from '@bgr/spec/contract';

/** One request/response pair as the suite saw it; failures cite these so a reader can reproduce them. */
export interface Exchange {
  seq: number;
  /** The check that sent it (contract violations are attributed per operation, not per check). */
  check: string;
  method: string;
  url: string;
  /** Path relative to the deployment's base URL (what the contract names). */
  path: string;
  status: number;
  contentType: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The parsed body when the response is JSON (undefined when it is not, or does not parse). */
  json: unknown;
  ms: number;
  operationId?: string;
  violations: Violation[];
  /** The error code the table names for this situation (recorded by a check; judged by ERROR-CODES). */
  expectedCode?: { code: string; what: string };
  /** For a read stream: whether the server ended it before the suite stopped reading. */
  streamEnded?: boolean;
  /** What the suite sent, as sent (the API key included: reproductions and HAR files redact it). */
  request: { headers: Record<string, string>; body?: string | Buffer };
  /** When the request was sent (ISO 8601). */
  startedAt: string;
  /** Time the suite spent on 429s before this exchange (the throttled attempts and their Retry-After waits), in ms. */
  throttledMs?: number;
}

export interface RequestOptions {
  /** undefined: the primary key; null: no x-api-key header; a string: that key. */
  key?: string | null;
  json?: unknown;
  /** A raw body (sent as is, with `contentType`), e.g. malformed JSON. */
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Wait out a 429 (honouring Retry-After) and retry; on by default so throttling never fails a check. */
  retry429?: boolean;
  timeoutMs?: number;
  /**
   * Read a `text/event-stream` answer incrementally: stop `graceMs` after `isDone(textSoFar)` holds (the
   * server should have ended it by then) or at `deadlineMs`; `streamEnded` says whether the server ended it.
   */
  stream?: { isDone(text: string): boolean; graceMs: number; deadlineMs: number };
}

/** The deployment could not be reached at all (the CLI exits 2 for it). */
export class ConnectionError extends Error {}

export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Called while a 429 is waited out, so long waits are visible. */
  onWait?: (what: string, remainingS: number) => void;
}

/** A short, single-line description of a body: JSON truncated, binary as its size and type. */
export function summariseBody(ex: Pick<Exchange, 'body' | 'json' | 'contentType'>): string {
  if (ex.json !== undefined) {
    const text = JSON.stringify(ex.json);
    return text.length > 240 ? `${text.slice(0, 240)}…` : text;
  }
  if (ex.body.length === 0) return '(empty)';
  if (/^(text\/|application\/(json|problem))/.test(ex.contentType)) {
    const text = ex.body.toString('utf8').replace(/\s+/g, ' ');
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  }
  return `<${ex.body.length} bytes>`;
}

/** `POST /v2/bg-removal → 200 application/json {"request_id":…}` */
export function summarise(ex: Exchange): string {
  return `${ex.method} ${ex.path} → ${ex.status} ${ex.contentType || '(no content-type)'} ${summariseBody(ex)}`;
}

function headerRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** Reads an event stream until the server ends it, or until a grace period after `isDone`, or the deadline. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  opts: NonNullable<RequestOptions['stream']>,
  abort: AbortController,
): Promise<{ buf: Buffer; ended: boolean }> {
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  const deadline = Date.now() + opts.deadlineMs;
  let stopAt = deadline;
  for (;;) {
    const left = stopAt - Date.now();
    const next =
      left <= 0
        ? undefined
        : await Promise.race([
            reader.read().catch(() => ({ done: true as const, value: undefined, error: true })),
            // Unref'd: when the read wins, the losing timer must not keep the process alive until the deadline.
            sleep(left, undefined, { ref: false }).then(() => undefined),
          ]);
    if (next === undefined) {
      abort.abort();
      await reader.cancel().catch(() => {});
      return { buf: Buffer.concat(chunks), ended: false };
    }
    if (next.done) return { buf: Buffer.concat(chunks), ended: !('error' in next) };
    chunks.push(Buffer.from(next.value));
    if (stopAt === deadline && opts.isDone(Buffer.concat(chunks).toString('utf8')))
      stopAt = Math.min(deadline, Date.now() + opts.graceMs);
  }
}

export class Http {
  readonly exchanges: Exchange[] = [];
  /** The check now running; stamped on each exchange. */
  check = '';
  private readonly base: URL;

  constructor(private readonly options: HttpOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  }

  /** Resolves a contract path (`/v2/…`) under the base URL's own path, or a returned (absolute or relative) URL. */
  resolve(target: string): URL {
    if (/^https?:\/\//i.test(target)) return new URL(target);
    if (target.startsWith('/')) return new URL(target.slice(1), this.base);
    return new URL(target, this.base);
  }

  /** The path as the contract names it: the URL's path without the base URL's path prefix. */
  private contractPath(url: URL): string {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const path =
      url.origin === this.base.origin && prefix && url.pathname.startsWith(prefix)
        ? url.pathname.slice(prefix.length)
        : url.pathname;
    return path + url.search;
  }

  async request(method: string, target: string, opts: RequestOptions = {}): Promise<Exchange> {
    const url = this.resolve(target);
    const headers: Record<string, string> = { accept: 'application/json, image/png, image/webp, */*', ...opts.headers };
    const key = opts.key === undefined ? this.options.apiKey : opts.key;
    if (key !== null) headers['x-api-key'] = key;
    let body: string | Buffer | undefined = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] = 'application/json';
    } else if (body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      const attemptAt = performance.now();
      const ex = await this.once(method, url, headers, body, opts.timeoutMs ?? this.options.timeoutMs, opts.stream);
      if (attempt > 0) ex.throttledMs = attemptAt - t0;
      if (ex.status !== 429 || opts.retry429 === false || attempt >= 6) return ex;
      // Throttling is the deployment's right; wait it out rather than failing an unrelated check.
      const waitS = Math.min(Math.max(Number(ex.headers['retry-after']) || 1, 1), 60);
      for (let left = waitS; left > 0; left--) {
        this.options.onWait?.(`429 on ${method} ${ex.path}: waiting Retry-After`, left);
        await sleep(1000);
      }
    }
  }

  get(target: string, opts?: RequestOptions): Promise<Exchange> {
    return this.request('GET', target, opts);
  }

  post(target: string, opts?: RequestOptions): Promise<Exchange> {
    return this.request('POST', target, opts);
  }

  private async once(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    timeoutMs: number,
    stream?: RequestOptions['stream'],
  ): Promise<Exchange> {
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const abort = new AbortController();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'manual',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ConnectionError(`${method} ${url.href}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const contentType = res.headers.get('content-type') ?? '';
    let streamEnded: boolean | undefined;
    let buf: Buffer;
    if (stream && /^text\/event-stream/i.test(contentType) && res.body) {
      ({ buf, ended: streamEnded } = await readStream(res.body, stream, abort));
    } else {
      buf = Buffer.from(await res.arrayBuffer());
    }
    let json: unknown;
    if (/json/i.test(contentType)) {
      try {
        json = JSON.parse(buf.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const path = this.contractPath(url);
    const contract = loadContract();
    const op = contract.findOperation(method, path);
    const validated = json !== undefined ? json : /json/i.test(contentType) ? buf.toString('utf8') : buf;
    const violations: Violation[] = op
      ? contract.validateResponse(op, res.status, contentType || undefined, validated)
      : [];
    const ex: Exchange = {
      seq: this.exchanges.length + 1,
      check: this.check,
      method,
      url: url.href,
      path,
      status: res.status,
      contentType,
      headers: headerRecord(res.headers),
      body: buf,
      json,
      ms: performance.now() - started,
      operationId: op?.operationId,
      violations,
      ...(streamEnded === undefined ? {} : { streamEnded }),
      request: { headers: { ...headers }, ...(body === undefined ? {} : { body }) },
      startedAt,
    };
    this.exchanges.push(ex);
    return ex;
  }
}
