/** Resolves client options against the environment, once, at construction. */
import { BgRemovalError } from './errors.ts';
import type { FetchLike } from './transport.ts';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
export const DEFAULT_API_KEY_ENV = 'BGR_API_KEY';

export interface BgRemovalClientOptions {
  /** The `x-api-key`; defaults to the environment variable named by `apiKeyEnv`. */
  apiKey?: string;
  /** Which environment variable holds the key (default `BGR_API_KEY`; e.g. `SEGMIND_API_KEY` for production-style setups). */
  apiKeyEnv?: string;
  /** Default `BGR_BASE_URL`, else `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** A fetch to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: FetchLike;
  /** Retries after 429/503 (and after network errors where safe); default 3. */
  maxRetries?: number;
  /** Longest Retry-After (ms) the client will sit out; longer ones throw at once. Default 60 000. */
  maxRetryDelay?: number;
  /** Extra headers for every request to a trusted origin, e.g. `{ Prefer: 'code=429' }` against Prism. */
  headers?: Record<string, string>;
  /** Origins besides the base URL's that may receive the key (e.g. a separate media host). */
  trustedOrigins?: string[];
  /** The environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedConfig {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  maxRetries: number;
  maxRetryDelay: number;
  headers: Record<string, string>;
  trustedOrigins: Set<string>;
}

export function resolveConfig(options: BgRemovalClientOptions): ResolvedConfig {
  const env = options.env ?? process.env;
  const keyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const apiKey = options.apiKey ?? env[keyEnv];
  // Failing here beats a 401 on the first call: the message can say where the key was looked for.
  if (!apiKey) throw new BgRemovalError(`No API key: pass { apiKey } or set ${keyEnv}`);
  const baseUrl = (options.baseUrl ?? env['BGR_BASE_URL'] ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  return {
    apiKey,
    baseUrl,
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    maxRetries: Math.max(0, options.maxRetries ?? 3),
    maxRetryDelay: options.maxRetryDelay ?? 60_000,
    headers: { ...options.headers },
    trustedOrigins: new Set([origin, ...(options.trustedOrigins ?? []).map((o) => new URL(o).origin)]),
  };
}
