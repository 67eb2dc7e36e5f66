/** The one HTTP layer under openapi-fetch: auth per origin, followed URLs, redirects, and bounded retries. */
import { NetworkError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sleep } from './sleep.ts';

export type FetchLike = (request: Request) => Promise<Response>;

export interface TransportOptions {
  fetch: FetchLike;
  apiKey: string;
  /** Headers added to every request to a trusted origin (e.g. Prism's `Prefer`). */
  headers: Record<string, string>;
  /** Origins that may see the key: the base URL's, plus any the caller names. */
  trustedOrigins: ReadonlySet<string>;
  maxRetries: number;
  /** Longest Retry-After we will sit out; a longer one is returned to the caller at once. */
  maxRetryDelay: number;
}

/** How one operation may be retried, and where it goes. */
export interface CallPolicy {
  /** Safe only for requests that cannot have had an effect twice (GETs, keyed submits). */
  retryNetworkErrors: boolean;
  /** A URL the server returned (status_url, response_url, …) to use instead of the templated one. */
  url?: string;
}

const MAX_REDIRECTS = 5;
const RETRYABLE_STATUS = new Set([429, 503]);

export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /** A fetch for openapi-fetch's per-request `fetch` option, bound to one call's policy. */
  fetcher(policy: CallPolicy): FetchLike {
    return async (request) => {
      const body = request.body ? await request.arrayBuffer() : undefined;
      return this.send(policy.url ?? request.url, request, body, policy);
    };
  }

  private async send(
    url: string,
    template: Request,
    body: ArrayBuffer | undefined,
    policy: CallPolicy,
  ): Promise<Response> {
    const { maxRetries, maxRetryDelay } = this.options;
    const signal = template.signal;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.followRedirects(url, template, body);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof NetworkError && policy.retryNetworkErrors && attempt < maxRetries) {
          await sleep(backoff(attempt), signal);
          continue;
        }
        throw err;
      }
      if (RETRYABLE_STATUS.has(response.status) && attempt < maxRetries) {
        // A 429/503 means the server did not take the request, so even a non-idempotent submit may be repeated.
        const wait = parseRetryAfter(response.headers.get('retry-after')) ?? backoff(attempt);
        if (wait <= maxRetryDelay) {
          await response.body?.cancel();
          await sleep(wait, signal);
          continue;
        }
      }
      return response;
    }
  }

  /** Redirects are followed by hand so that the key is never forwarded to an origin we do not trust. */
  private async followRedirects(url: string, template: Request, body: ArrayBuffer | undefined): Promise<Response> {
    let current = url;
    let method = template.method;
    let payload = body;
    for (let hop = 0; ; hop++) {
      const headers = new Headers(template.headers);
      if (this.options.trustedOrigins.has(new URL(current).origin)) {
        for (const [name, value] of Object.entries(this.options.headers)) headers.set(name, value);
        headers.set('x-api-key', this.options.apiKey);
      } else {
        headers.delete('x-api-key');
      }
      if (payload === undefined) headers.delete('content-type');
      const request = new Request(current, {
        method,
        headers,
        body: payload,
        signal: template.signal,
        redirect: 'manual',
      });
      let response: Response;
      try {
        response = await this.options.fetch(request);
      } catch (err) {
        if (template.signal.aborted) throw template.signal.reason;
        throw new NetworkError(`${method} ${current}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location || hop >= MAX_REDIRECTS) return response;
      await response.body?.cancel();
      current = new URL(location, current).href;
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        payload = undefined;
      }
    }
  }
}

/** Exponential backoff for failures that carry no Retry-After: 0.5 s, 1 s, 2 s … capped at 8 s. */
function backoff(attempt: number): number {
  return Math.min(8000, 500 * 2 ** attempt);
}
