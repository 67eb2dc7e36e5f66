/** An HTTP(S) client that cannot be pointed at internal addresses (SSRF guard), for image URLs and webhooks. */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { ApiError } from '../errors.ts';
import { forbiddenReason, inAllowList } from './address.ts';

/** What may be fetched and how much: built from Config (allowPrivateUrls, fetch*). */
export interface FetchPolicy {
  /** 'all' lets private addresses through (dev/tests); a list allows those IPs/CIDRs only. */
  allowPrivate: 'all' | readonly string[];
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

export interface GuardedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Follow 3xx (each hop re-checked); default true for GET/HEAD, false otherwise (webhooks must not be bounced). */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The final URL after redirects. */
  url: string;
}

/**
 * Errors carry contract codes: `image_url_forbidden` (scheme or address refused), `image_fetch_failed`
 * (DNS, connect, timeout, too many redirects), `payload_too_large` (body over maxBytes).
 */
export async function guardedFetch(
  url: string,
  policy: FetchPolicy,
  init: GuardedRequest = {},
): Promise<GuardedResponse> {
  const method = (init.method ?? 'GET').toUpperCase();
  const follow = init.followRedirects ?? (method === 'GET' || method === 'HEAD');
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
  let current = parseUrl(url);
  for (let hop = 0; ; hop++) {
    const address = await resolvePinned(current, policy, signal);
    const res = await send(current, address, method, init, signal);
    const location = res.headers.location;
    if (follow && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location) {
      res.resume();
      if (hop >= policy.maxRedirects)
        throw new ApiError('image_fetch_failed', `The image URL redirected more than ${policy.maxRedirects} times.`);
      current = redirectTarget(location, current);
      continue;
    }
    const body = await readCapped(res, policy.maxBytes, signal);
    return { status: res.statusCode ?? 0, headers: res.headers, body, url: current.toString() };
  }
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ApiError('invalid_parameter', 'The image URL is not a valid URL.');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ApiError('image_url_forbidden', `The URL scheme '${u.protocol}' is not allowed; use http or https.`);
  return u;
}

/** The next hop of a redirect: a Location that is not a URL is the origin's fault, so the fetch failed. */
function redirectTarget(location: string, from: URL): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new ApiError('image_fetch_failed', 'The image URL redirected to a malformed Location.');
  }
  return parseUrl(next.toString());
}

/** Resolves the host once; every address must be allowed, and the first one is the one connected to. */
export async function resolvePinned(u: URL, policy: FetchPolicy, signal?: AbortSignal): Promise<LookupAddress> {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
      const onAbort = () => reject(new ApiError('image_fetch_failed', `Resolving ${host} timed out.`));
      signal?.addEventListener('abort', onAbort, { once: true });
      dnsLookup(host, { all: true, verbatim: true }, (err, list) => {
        signal?.removeEventListener('abort', onAbort);
        if (err || list.length === 0)
          reject(new ApiError('image_fetch_failed', `The host ${host} could not be resolved.`));
        else resolve(list);
      });
    });
  }
  for (const a of addresses) {
    const why = forbiddenReason(a.address);
    const allowed = policy.allowPrivate === 'all' || inAllowList(a.address, policy.allowPrivate);
    if (why && !allowed)
      throw new ApiError('image_url_forbidden', `The URL's host resolves to a ${why} address, which is not allowed.`);
  }
  return addresses[0]!;
}

/** Connects to the pinned address (the custom lookup answers without a second DNS query → no rebinding); TLS still verifies the hostname. */
function send(
  u: URL,
  pinned: LookupAddress,
  method: string,
  init: GuardedRequest,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const lookup = (_h: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [pinned]);
    else cb(null, pinned.address, pinned.family);
  };
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, {
      method,
      agent: false, // no pooled socket: a pooled one could have been opened for another resolution
      lookup: lookup as never,
      headers: { 'user-agent': 'bgr-reference/1.0', accept: 'image/*, */*;q=0.1', ...init.headers },
      signal,
    });
    req.on('response', resolve);
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new ApiError('image_fetch_failed', `Fetching ${u.host} timed out.`));
      else reject(new ApiError('image_fetch_failed', `Fetching ${u.host} failed (${e.code ?? e.message}).`));
    });
    req.end(init.body);
  });
}

function readCapped(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(new ApiError('payload_too_large', `The image at the URL is larger than ${maxBytes} bytes.`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        // Reject before destroy(): destroy() emits 'aborted'/'error' synchronously and would win the race.
        reject(new ApiError('payload_too_large', `The image at the URL is larger than ${maxBytes} bytes.`));
        res.destroy();
      } else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', () =>
      reject(
        new ApiError(
          'image_fetch_failed',
          signal.aborted ? 'Fetching the image timed out.' : 'The image download was interrupted.',
        ),
      ),
    );
    res.on('aborted', () => reject(new ApiError('image_fetch_failed', 'The image download was interrupted.')));
  });
}
