/** ioredis connections for the distributed backend: fail-fast for API calls, patient for BullMQ workers. */
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { ApiError } from '../../errors.ts';
import { parseRedisUrl } from './url.ts';

export type ConnectionRole = 'api' | 'worker';

/** One Redis server or a Redis Cluster: the commands the backend uses are the same on both. */
export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  /** redis://[user:pass@]host:port[/db], or redis+cluster://h1:p1,h2:p2 for a Redis Cluster (BGR_REDIS_URL). */
  url: string;
  /**
   * `api`: commands fail at once while Redis is down (no offline queue, one retry, a command timeout),
   * so an HTTP request answers 503 instead of hanging. `worker`: what BullMQ requires for its blocking
   * connection (maxRetriesPerRequest: null, offline queue on), so a worker waits out an outage.
   */
  role: ConnectionRole;
  /** Upper bound for one command on the API side (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Socket connect timeout (default 2000 ms). */
  connectTimeoutMs?: number;
  /** A name shown by CLIENT LIST, to tell nodes apart when debugging. */
  name?: string;
}

/** Reconnect forever, backing off to at most 2 s between tries: an outage ends by itself. */
const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

/** The ioredis options for a role (exported for the rate limiter, which builds its own client). */
export function redisOptions(opts: ConnectionOptions): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    retryStrategy,
    ...(opts.name ? { connectionName: opts.name } : {}),
  };
  if (opts.role === 'worker') return { ...common, maxRetriesPerRequest: null, enableOfflineQueue: true };
  return {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? 2000,
  };
}

/**
 * A new ioredis client — `Redis.Cluster` for a redis+cluster:// URL, with the role's options on every
 * node connection; errors are logged by the caller's `onError` (ioredis warns loudly without a listener).
 */
export function createRedis(opts: ConnectionOptions, onError: (err: Error) => void = () => {}): RedisClient {
  const target = parseRedisUrl(opts.url);
  let client: RedisClient;
  if (target.cluster) {
    const { enableOfflineQueue, ...perNode } = redisOptions(opts);
    const clusterOptions: ClusterOptions = {
      redisOptions: {
        ...perNode,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
      },
      // Offline queueing is decided by the cluster client, not the node connections.
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? 2000,
    };
    client = new Cluster(target.nodes, clusterOptions);
  } else {
    client = new Redis(opts.url, redisOptions(opts));
  }
  client.on('error', onError);
  return client;
}

/** True for a Redis Cluster URL (keys must then be hash-tagged: see clusterPrefix). */
export function isClusterUrl(url: string): boolean {
  return parseRedisUrl(url).cluster;
}

/**
 * Resolves once `client` is connected, or false after `timeoutMs` (it keeps reconnecting either way).
 * An API-role client has no offline queue, so commands sent before this fail at once.
 */
export function whenReady(client: RedisClient, timeoutMs = 5000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

// Messages ioredis and node use for "cannot reach Redis right now"; anything else is a real error.
const unavailablePatterns = [
  /enableOfflineQueue/i,
  /Command timed out/i,
  /Connection is closed/i,
  /ECONNREFUSED/,
  /ECONNRESET/,
  /ETIMEDOUT/,
  /EHOSTUNREACH/,
  /ENOTFOUND/,
  /max retries per request/i,
  /connect ETIMEDOUT/i,
  /LOADING/,
  /READONLY/,
  /MASTERDOWN/,
  /socket closed/i,
  // maxmemory reached (BullMQ needs noeviction, so Redis refuses writes instead of evicting): shed load.
  /OOM command not allowed/,
];

/** True when `err` means Redis is unreachable or not serving (503), not a bug. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  const text = `${String(e?.code ?? '')} ${String(e?.message ?? '')}`;
  return unavailablePatterns.some((p) => p.test(text));
}

/** Rethrows an outage as ApiError `service_unavailable` (503, a clear message); other errors as they are. */
export function rethrowUnavailable(err: unknown): never {
  if (err instanceof ApiError) throw err;
  if (isUnavailable(err)) {
    // The cause keeps ioredis's own words for the log; the client sees only the contract's message.
    throw Object.assign(
      new ApiError('service_unavailable', 'The request store (Redis) is unavailable; retry shortly.', {
        'Retry-After': '2',
      }),
      { cause: err },
    );
  }
  throw err;
}

/** Runs a Redis operation, turning an outage into `service_unavailable`. */
export async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    rethrowUnavailable(err);
  }
}
