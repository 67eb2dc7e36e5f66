/** BGR_REDIS_URL: one server (`redis://`, `rediss://`) or a Redis Cluster (`redis+cluster://h1:p1,h2:p2`), parsed and redacted. */

export interface RedisTarget {
  /** A Redis Cluster: keys are hash-tagged into one slot per deployment (see clusterPrefix). */
  cluster: boolean;
  tls: boolean;
  /** Seed nodes (cluster: any reachable ones; the client discovers the rest). */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  /** The database number (single server only: a cluster has database 0 only). */
  db?: number;
}

const schemes: Record<string, { cluster: boolean; tls: boolean }> = {
  'redis:': { cluster: false, tls: false },
  'rediss:': { cluster: false, tls: true },
  'redis+cluster:': { cluster: true, tls: false },
  'rediss+cluster:': { cluster: true, tls: true },
};

/** Throws an Error whose message never contains the password. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^([a-z+]+:)\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/(\d*))?\/?$/i.exec(url.trim());
  const scheme = m && schemes[m[1]!.toLowerCase()];
  if (!m || !scheme) {
    throw new Error(
      'must be redis://host:port[/db], rediss://… (TLS), or redis+cluster://host1:port1,host2:port2 (rediss+cluster:// for TLS)',
    );
  }
  const [user, pass] = m[2] === undefined ? [] : splitOnce(m[2], ':');
  const nodes = m[3]!.split(',').map((hp) => hostPort(hp.trim()));
  if (!scheme.cluster && nodes.length !== 1)
    throw new Error('lists several hosts: use redis+cluster://h1:p1,h2:p2 for a Redis Cluster');
  if (scheme.cluster && m[4]) throw new Error('names a database: a Redis Cluster has database 0 only');
  return {
    ...scheme,
    nodes,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
    ...(m[4] ? { db: Number(m[4]) } : {}),
  };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function hostPort(hp: string): { host: string; port: number } {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/i.exec(hp);
  const port = Number(m?.[2] ?? 6379);
  if (!m || port < 1 || port > 65535) throw new Error(`has a bad host:port '${hp}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** The URL with its password replaced, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * The key prefix on a cluster: wrapped in a hash tag (`bgr:` → `{bgr}:`) unless it has one, so every
 * key of the deployment — records, credits, rate-limit counters, both BullMQ queues — hashes to one
 * slot, and every Lua script and BullMQ's multi-key scripts run there (a cluster refuses cross-slot ones).
 */
export function clusterPrefix(prefix: string): string {
  if (/\{[^}]+\}/.test(prefix)) return prefix;
  const base = prefix.replace(/:+$/, '');
  return `{${base || 'bgr'}}:`;
}
