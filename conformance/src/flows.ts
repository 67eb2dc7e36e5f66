/** Shared v2 flows: submit, follow the returned URLs, poll to a terminal state while watching every step. */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { CheckContext } from './context.ts';
import type { Exchange } from './http.ts';
import { ensure, expectStatus, fail, skip } from './outcome.ts';
import { hasTerminalEvent } from './sse.ts';

export const states = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
/** Order rank of a state; COMPLETED and FAILED are both terminal. */
export const rank = (s: unknown): number =>
  s === 'QUEUED' ? 0 : s === 'PROCESSING' ? 1 : s === 'COMPLETED' || s === 'FAILED' ? 2 : -1;
export const isTerminal = (s: unknown): boolean => s === 'COMPLETED' || s === 'FAILED';
export const stateOf = (ex: Exchange): unknown => (ex.json as { status?: unknown } | undefined)?.status;

export interface Submitted {
  ex: Exchange;
  id: string;
  statusUrl: string;
  resultUrl: string;
  cancelUrl: string;
  /** Local time just before the submit was sent. */
  sentAt: number;
}

/** Submits and returns the URLs to follow (relative ones resolved, missing ones built from the contract paths). */
export async function submit(
  ctx: CheckContext,
  body: unknown,
  opts: { key?: string; headers?: Record<string, string> } = {},
): Promise<Submitted> {
  const sentAt = Date.now();
  const ex = await ctx.http.post('/v2/bg-removal', { json: body, key: opts.key, headers: opts.headers });
  return parseSubmit(ctx, ex, sentAt);
}

/** Reads a submit answer: the id and the URLs to follow. */
export function parseSubmit(ctx: CheckContext, ex: Exchange, sentAt: number): Submitted {
  expectStatus(ex, 200, 'submit');
  const j = (ex.json ?? {}) as Record<string, unknown>;
  ensure(typeof j.request_id === 'string' && j.request_id, 'submit: the body has no request_id', ex);
  const id = j.request_id;
  const follow = (field: string, fallback: string) =>
    ctx.http.resolve(typeof j[field] === 'string' && j[field] ? (j[field] as string) : fallback).href;
  const enc = encodeURIComponent(id);
  return {
    ex,
    id,
    statusUrl: follow('status_url', `/v2/requests/${enc}/status`),
    resultUrl: follow('response_url', `/v2/requests/${enc}`),
    cancelUrl: follow('cancel_url', `/v2/requests/${enc}/cancel`),
    sentAt,
  };
}

/** The output URL of a request (built: the contract names it; the result body's `output` is checked separately). */
export const outputPath = (id: string) => `/v2/requests/${encodeURIComponent(id)}/output`;

export interface Terminal {
  final: Exchange;
  state: 'COMPLETED' | 'FAILED';
  /** Local time of the last poll that still saw the request pending (or the submit time). */
  lastPendingAt: number;
  /** Local time when the terminal state was first seen. */
  terminalSeenAt: number;
  polls: Exchange[];
}

/** Polls the status URL until the request is terminal, or fails at the deadline. */
export async function waitTerminal(ctx: CheckContext, s: Submitted, intervalMs = 100, key?: string): Promise<Terminal> {
  const deadline = s.sentAt + ctx.options.requestTimeoutS * 1000;
  let lastPendingAt = s.sentAt;
  const polls: Exchange[] = [];
  let lastReport = 0;
  for (;;) {
    const before = Date.now();
    const ex = await ctx.http.get(s.statusUrl, { key });
    polls.push(ex);
    if (ex.status !== 200 && ex.status !== 422)
      fail(`status of ${s.id}: expected 200 or 422 while it exists, got ${ex.status}`, ex);
    const st = stateOf(ex);
    if (isTerminal(st))
      return { final: ex, state: st as 'COMPLETED' | 'FAILED', lastPendingAt, terminalSeenAt: Date.now(), polls };
    if (rank(st) < 0) fail(`status of ${s.id}: unknown state ${JSON.stringify(st)}`, ex);
    lastPendingAt = before;
    if (Date.now() > deadline) fail(`request ${s.id} still ${String(st)} after ${ctx.options.requestTimeoutS} s`, ex);
    if (Date.now() - lastReport > 1000) {
      ctx.progress(
        `request ${s.id} is ${String(st)}; waiting for a terminal state`,
        Math.ceil((deadline - Date.now()) / 1000),
      );
      lastReport = Date.now();
    }
    await sleep(intervalMs);
  }
}

/** One round of the watched flow: a status poll, then (while pending) the result and output endpoints. */
export interface Round {
  status: Exchange;
  result?: Exchange;
  output?: Exchange;
}

export interface Watched {
  sub: Submitted;
  rounds: Round[];
  /** Local time when COMPLETED was first seen. */
  terminalSeenAt: number;
  lastPendingAt: number;
}

/** Submits the disc fixture and polls fast, probing result and output between status polls, until a few polls past terminal. */
export function watchedRequest(ctx: CheckContext): Promise<Watched> {
  return ctx.memo('watched', async () => {
    const sub = await submit(ctx, { image: ctx.fixtures.disc.base64 });
    const deadline = sub.sentAt + ctx.options.requestTimeoutS * 1000;
    const rounds: Round[] = [];
    let afterTerminal = 0;
    let terminalSeenAt = 0;
    let lastPendingAt = sub.sentAt;
    while (afterTerminal < 3) {
      const before = Date.now();
      const status = await ctx.http.get(sub.statusUrl);
      const round: Round = { status };
      rounds.push(round);
      if (status.status !== 200 && status.status !== 422)
        fail(`status of ${sub.id}: expected 200 or 422, got ${status.status}`, status);
      if (isTerminal(stateOf(status)) || afterTerminal > 0) {
        if (!terminalSeenAt) terminalSeenAt = Date.now();
        afterTerminal++;
      } else {
        lastPendingAt = before;
        round.result = await ctx.http.get(sub.resultUrl);
        round.output = await ctx.http.get(outputPath(sub.id));
        if (Date.now() > deadline)
          fail(`request ${sub.id} not terminal after ${ctx.options.requestTimeoutS} s`, status);
      }
      await sleep(ctx.options.pollIntervalMs);
    }
    return { sub, rounds, terminalSeenAt, lastPendingAt };
  });
}

export interface FetchedOutput {
  ex?: Exchange;
  bytes: Buffer;
  contentType: string;
}

/** Fetches the `output` of a COMPLETED result: a data URI is decoded, a URL fetched (the key only goes to the deployment's own origin). */
export async function fetchOutput(ctx: CheckContext, output: string): Promise<FetchedOutput> {
  const data = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(output);
  if (data) return { bytes: Buffer.from(data[3]!, data[2] ? 'base64' : 'utf8'), contentType: data[1]! };
  const url = ctx.http.resolve(output);
  const own = url.origin === ctx.http.resolve('/').origin;
  const ex = await ctx.http.get(url.href, own ? {} : { key: null });
  return { ex, bytes: ex.body, contentType: ex.contentType };
}

/**
 * The watched request, required to have COMPLETED, with its result and output fetched at once: with a
 * short declared retention, later checks may run after the request has (rightly) expired.
 */
export function completedResult(
  ctx: CheckContext,
): Promise<{ w: Watched; result: Exchange; status: Exchange; output?: FetchedOutput; outputEndpoint: Exchange }> {
  return ctx.memo('completed-result', async () => {
    const w = await watchedRequest(ctx);
    const last = w.rounds[w.rounds.length - 1]!.status;
    if (stateOf(last) !== 'COMPLETED')
      fail(`the disc fixture did not complete (state ${JSON.stringify(stateOf(last))})`, last);
    const result = await ctx.http.get(w.sub.resultUrl);
    const url = (result.json as { output?: unknown } | undefined)?.output;
    const output =
      typeof url === 'string' && /^(https?:\/\/|data:)/i.test(url) ? await fetchOutput(ctx, url) : undefined;
    // The output endpoint (an extension), asked directly: production serves its output elsewhere.
    const outputEndpoint = await ctx.http.get(outputPath(w.sub.id));
    return { w, result, status: last, output, outputEndpoint };
  });
}

/** One plain submit of the disc fixture (no polling: a mock's URLs may point elsewhere). */
export function plainSubmit(ctx: CheckContext): Promise<Exchange> {
  return ctx.memo('plain-submit', async () => {
    const ex = await ctx.http.post('/v2/bg-removal', { json: { image: ctx.fixtures.disc.base64 } });
    expectStatus(ex, 200, 'POST /v2/bg-removal');
    return ex;
  });
}

export interface Idem {
  first: Exchange;
  replay: Exchange;
  conflict: Exchange;
  supported: boolean;
  key: string;
  body: unknown;
}

/** Same Idempotency-Key with the same body, then with another body; supported if either is honoured. */
export function idempotency(ctx: CheckContext): Promise<Idem> {
  return ctx.memo('idempotency', async () => {
    const key = `bgr-conformance-${randomUUID()}`;
    const body = { image: ctx.fixtures.disc.base64 };
    const headers = { 'Idempotency-Key': key };
    const first = await ctx.http.post('/v2/bg-removal', { json: body, headers });
    expectStatus(first, 200, 'first submit with an Idempotency-Key');
    const replay = await ctx.http.post('/v2/bg-removal', { json: body, headers });
    const conflict = await ctx.http.post('/v2/bg-removal', { json: { ...body, method: 'human' }, headers });
    const id = (ex: Exchange) => (ex.json as { request_id?: unknown } | undefined)?.request_id;
    const supported = (replay.status === 200 && id(replay) === id(first)) || conflict.status === 409;
    // Let them end before the credit checks start counting: with several workers they would otherwise be
    // charged in the middle of another check's window, and look like a double charge.
    for (const ex of [first, replay, conflict]) {
      if (ex.status === 200) await waitTerminal(ctx, parseSubmit(ctx, ex, Date.now()), 50);
    }
    return { first, replay, conflict, supported, key, body };
  });
}

/** A fresh request of the disc fixture whose status URL is read as an event stream from the start (memoised). */
export function streamedRequest(ctx: CheckContext): Promise<{ sub: Submitted; stream: Exchange }> {
  return ctx.memo('streamed', async () => {
    const sub = await submit(ctx, { image: ctx.fixtures.disc.base64 });
    return { sub, stream: await readStatusStream(ctx, sub.statusUrl) };
  });
}

/** Reads the status URL as an event stream (status-stream extension) until the terminal event, plus a grace period for the server to end it. */
export function readStatusStream(ctx: CheckContext, statusUrl: string): Promise<Exchange> {
  return ctx.http.get(statusUrl, {
    headers: { accept: 'text/event-stream' },
    stream: { isDone: hasTerminalEvent, graceMs: 2000, deadlineMs: ctx.options.requestTimeoutS * 1000 },
  });
}

export interface FailedFlow {
  sub: Submitted;
  terminal: Terminal;
  status: Exchange;
  result: Exchange;
}

/** Forces FAILED deterministically: an image URL on a `.invalid` host, or undecodable base64. */
export function failedRequest(ctx: CheckContext, kind: 'unreachable-url' | 'undecodable'): Promise<FailedFlow> {
  return ctx.memo(`failed:${kind}`, async () => {
    const image = kind === 'unreachable-url' ? ctx.fixtures.unreachableUrl : ctx.fixtures.undecodableBase64;
    const sentAt = Date.now();
    const ex = await ctx.http.post('/v2/bg-removal', { json: { image } });
    if (ex.status === 400)
      skip(
        `the deployment rejects this image at submit (400 ${JSON.stringify((ex.json as { code?: string })?.code)}), so FAILED cannot be forced with it`,
      );
    const sub = parseSubmit(ctx, ex, sentAt);
    const terminal = await waitTerminal(ctx, sub, 50);
    const status = await ctx.http.get(sub.statusUrl);
    const result = await ctx.http.get(sub.resultUrl);
    return { sub, terminal, status, result };
  });
}

/** `metrics.remaining_credits` of a body, if present. */
export const remainingCredits = (ex: Exchange): number | undefined => {
  const v = (ex.json as { metrics?: { remaining_credits?: unknown } } | undefined)?.metrics?.remaining_credits;
  return typeof v === 'number' ? v : undefined;
};

/** Submits an image and waits until it is terminal; returns the final result exchange. */
export async function runToEnd(
  ctx: CheckContext,
  body: unknown,
  key?: string,
): Promise<{ sub: Submitted; terminal: Terminal; result: Exchange }> {
  const sub = await submit(ctx, body, { key });
  const terminal = await waitTerminal(ctx, sub, 50, key);
  const result = await ctx.http.get(sub.resultUrl, { key });
  return { sub, terminal, result };
}
