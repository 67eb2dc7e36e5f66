/** Server configuration from environment and `bgr serve` flags, with documented defaults (issue 3 "Server", issue 4 "Gateway policies"). */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { parse as parseYaml } from 'yaml';
import type { LogFormat } from './logger.ts';
import { DEFAULT_PRECISION, PRECISIONS, type Precision } from '../engine/graph/precision.ts';
import type { KeyRecord, Scope } from '../ports.ts';
import { parseRedisUrl, redactRedisUrl } from '../adapters/redis/url.ts';

export type Device = 'cpu' | 'cuda' | 'webgpu';
/** `bgr serve --role`: `api` accepts and answers, `worker` runs inference, `all` both (one process). */
export type Role = 'all' | 'api' | 'worker';
export interface RateLimit { max: number; windowS: number }

export interface Config {
  port: number;
  host: string;
  /** Absolute base URL for links in bodies (v2 URLs); undefined → derived from the request. */
  publicUrl?: string;
  /** Trust X-Forwarded-* headers: from any peer (true), from the listed proxy IPs/CIDRs only, or never (false). */
  trustProxy: boolean | string[];
  keys: KeyRecord[];
  /** Set when no key was configured and one was generated for development. */
  devKey?: string;
  resultTtlS: number;
  bodyLimit: number;
  maxPixels: number;
  v1DeadlineS: number;
  device: Device;
  /** Model graph precision (`BGR_PRECISION`): fp32 (default) or int8 (≈2× faster, lower quality; see the engine README). */
  precision: Precision;
  workers: number;
  threads: number;
  queueMax: number;
  /** Images in flight on this node (v1 requests + v2 jobs) before v1 gets a fast 429 `queue_full`. */
  maxInFlight: number;
  /** Decoded bytes (width × height × 4) of the images in flight on this node; beyond it v1 gets a fast 429, v2 jobs wait. */
  pixelBudget: number;
  /** Slow clients: seconds to send the headers, the whole request, and seconds an idle keep-alive socket is kept. */
  headersTimeoutS: number;
  requestTimeoutS: number;
  keepAliveTimeoutS: number;
  /** The default per-key rate limit (keys may override it). */
  rateLimit: RateLimit;
  /** SSRF policy for image URLs and webhooks: `all` allows private addresses, else the listed IPs/CIDRs only. */
  allowPrivateUrls: 'all' | string[];
  fetchTimeoutS: number;
  fetchMaxBytes: number;
  fetchMaxRedirects: number;
  shutdownGraceS: number;
  cacheDir?: string;
  logLevel: string;
  /** auto (pretty on a terminal, JSON otherwise), json or pretty. */
  logFormat: LogFormat;
  /** Standard Webhooks secret (`whsec_…`); required by `bgr serve` unless in dev mode (see requireWebhookSecret). */
  webhookSecret?: string;
  /** Serve Prometheus metrics at /metrics (no auth). */
  metrics: boolean;
  /** The distributed backend (Redis + BullMQ); unset → in-memory. */
  redisUrl?: string;
  /** What this node does; `api` and `worker` need `redisUrl`. */
  role: Role;
  /** Prefix of every Redis key; deployments (and tests) sharing one Redis use different ones. */
  redisPrefix: string;
  /** BullMQ job lock (ms): a killed worker's job is re-run within about lock + stalled interval. */
  jobLockMs: number;
  /** BullMQ stalled-job check interval (ms). */
  jobStalledMs: number;
  /** Replicas that must confirm (Redis WAIT) a submit before it is acknowledged; 0 = asynchronous replication. */
  redisWaitReplicas: number;
}

/** A configuration error, with a message naming the variable/flag and the bad value. */
export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

type Env = Record<string, string | undefined>;

function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[0-9.e+]+\s*$/i.test(v) || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${v}'`);
    }
    return n;
  };
}
function num(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number ≥ ${min}, got '${v}'`);
    return n;
  };
}
function bool(name: string) {
  return (v: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off|)$/i.test(v)) return false;
    throw new ConfigError(`${name} must be true or false, got '${v}'`);
  };
}

const units: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };
/** Parses "16MiB", "12mb", "1048576". */
export function parseBytes(name: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = units[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined || Number(m[1]) * unit < 1) throw new ConfigError(`${name} must be a size like 16MiB or 1048576, got '${v}'`);
  return Math.floor(Number(m[1]) * unit);
}

const windows: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };
/** Parses "50/min", "5/s", "100/30s", "50" (per minute). */
export function parseRateLimit(name: string, v: string | number): RateLimit {
  const m = /^\s*(\d+)\s*(?:\/\s*(\d*)\s*([a-z]+))?\s*$/i.exec(String(v));
  const unit = m?.[3] === undefined ? 60 : windows[m[3].toLowerCase()];
  if (!m || unit === undefined) throw new ConfigError(`${name} must look like 50/min, 5/s or 100/30s, got '${v}'`);
  const max = Number(m[1]);
  const windowS = (m[2] ? Number(m[2]) : 1) * unit;
  if (max < 1 || windowS < 1) throw new ConfigError(`${name} must allow at least 1 request per window, got '${v}'`);
  return { max, windowS };
}

const role = (v: string): Role => {
  if (v === 'all' || v === 'api' || v === 'worker') return v;
  throw new ConfigError(`BGR_ROLE must be all, api or worker, got '${v}'`);
};

function redisUrl(v: string): string {
  try {
    parseRedisUrl(v);
  } catch (e) {
    throw new ConfigError(`BGR_REDIS_URL ${(e as Error).message}; got '${redactRedisUrl(v)}'`);
  }
  return v;
}

const logFormat = (v: string): LogFormat => {
  if (v === 'auto' || v === 'json' || v === 'pretty') return v;
  throw new ConfigError(`BGR_LOG_FORMAT must be auto, json or pretty, got '${v}'`);
};

const device = (v: string): Device => {
  if (v === 'cpu' || v === 'cuda' || v === 'webgpu') return v;
  throw new ConfigError(`BGR_DEVICE must be cpu, cuda or webgpu, got '${v}'`);
};

const precision = (v: string): Precision => {
  const p = PRECISIONS.find((x) => x === v);
  if (!p) throw new ConfigError(`BGR_PRECISION must be ${PRECISIONS.join(' or ')}, got '${v}'`);
  return p;
};

function url(name: string) {
  return (v: string): string => {
    let u: URL;
    try { u = new URL(v); } catch { throw new ConfigError(`${name} must be an absolute http(s) URL, got '${v}'`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got '${v}'`);
    return v.replace(/\/+$/, '');
  };
}

/** A comma list of IPs/CIDRs (either family), each checked. */
function ipList(name: string, v: string): string[] {
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const it of items) {
    const [ip, bits] = it.split('/');
    const family = isIP(ip ?? '');
    if (!family || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)))) {
      throw new ConfigError(`${name} must be true/false or a comma list of IPs/CIDRs, got '${it}'`);
    }
  }
  return items;
}

function allowList(v: string): 'all' | string[] {
  if (/^(1|true|yes|all|\*)$/i.test(v.trim())) return 'all';
  if (/^(0|false|no|)$/i.test(v.trim())) return [];
  return ipList('BGR_ALLOW_PRIVATE_URLS', v);
}

/** `true`/`false`, or the proxies (IPs/CIDRs) whose X-Forwarded-* headers are believed. */
function trustedProxies(v: string): boolean | string[] {
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(v.trim())) return bool('BGR_TRUST_PROXY')(v.trim());
  return ipList('BGR_TRUST_PROXY', v);
}

/**
 * One row per setting: env name, flag, default, parser, doc. `bgr serve --help` prints this table,
 * so the documentation and the behaviour come from the same place.
 */
export const settings = [
  { env: 'PORT', flag: '--port', def: '8080', doc: 'TCP port to listen on' },
  { env: 'HOST', flag: '--host', def: '127.0.0.1', doc: 'interface to bind (0.0.0.0 for all)' },
  { env: 'BGR_PUBLIC_URL', flag: '--public-url', def: '', doc: 'absolute base URL used in v2 links (default: from the request)' },
  { env: 'BGR_TRUST_PROXY', flag: '--trust-proxy', def: 'false', doc: 'trust X-Forwarded-* headers: true (any peer), false, or a comma list of proxy IPs/CIDRs' },
  { env: 'BGR_API_KEYS', flag: '--api-keys', def: '', doc: 'comma list of key or key:credits, or a path to a JSON/YAML keys file; empty → a dev key is generated' },
  { env: 'BGR_RESULT_TTL_S', flag: '--result-ttl', def: '3600', doc: 'seconds v2 results are kept after completion' },
  { env: 'BGR_BODY_LIMIT', flag: '--body-limit', def: '16MiB', doc: 'largest request body (413 beyond)' },
  { env: 'BGR_MAX_PIXELS', flag: '--max-pixels', def: '50e6', doc: 'largest image in pixels (413 image_too_large beyond)' },
  { env: 'BGR_V1_DEADLINE_S', flag: '--v1-deadline', def: '60', doc: 'sync request deadline in seconds (504 beyond)' },
  { env: 'BGR_DEVICE', flag: '--device', def: 'cpu', doc: 'inference device: cpu, cuda or webgpu' },
  { env: 'BGR_PRECISION', flag: '--precision', def: DEFAULT_PRECISION, doc: 'model graph: fp32 (full quality) or int8 (≈2.3× faster model; alpha IoU vs fp32 ≈ 0.98 mean, 0.956 worst on the shared photos)' },
  { env: 'BGR_WORKERS', flag: '--workers', def: '1', doc: 'inference worker threads' },
  { env: 'BGR_THREADS', flag: '--threads', def: '(cores)', doc: 'intra-op threads per worker' },
  { env: 'BGR_QUEUE_MAX', flag: '--queue-max', def: '64', doc: 'bounded queue length (429 queue_full beyond)' },
  { env: 'BGR_MAX_IN_FLIGHT', flag: '--max-in-flight', def: '4×workers', doc: 'images in flight per node (v1 requests + v2 jobs); v1 beyond it: fast 429 queue_full with Retry-After (also when it would finish past 80% of the v1 deadline at the measured time per image)' },
  { env: 'BGR_PIXEL_BUDGET', flag: '--pixel-budget', def: '512MiB', doc: 'decoded bytes (w×h×4) of images in flight per node, at least max-pixels×4; v1 beyond: fast 429, v2 jobs wait' },
  { env: 'BGR_HEADERS_TIMEOUT_S', flag: '--headers-timeout', def: '15', doc: 'seconds a client has to send the request headers (408 beyond)' },
  { env: 'BGR_REQUEST_TIMEOUT_S', flag: '--request-timeout', def: '120', doc: 'seconds a client has to send the whole request, body included (408 beyond)' },
  { env: 'BGR_KEEPALIVE_TIMEOUT_S', flag: '--keepalive-timeout', def: '5', doc: 'seconds an idle keep-alive connection stays open' },
  { env: 'BGR_RATE_LIMIT', flag: '--rate-limit', def: '50/min', doc: 'default per-key rate limit (like the production plans)' },
  { env: 'BGR_ALLOW_PRIVATE_URLS', flag: '--allow-private-urls', def: 'false', doc: 'SSRF allow-list: true for any address, or a comma list of IPs/CIDRs' },
  { env: 'BGR_FETCH_TIMEOUT_S', flag: '--fetch-timeout', def: '10', doc: 'image URL fetch timeout in seconds' },
  { env: 'BGR_FETCH_MAX_BYTES', flag: '--fetch-max-bytes', def: '16MiB', doc: 'largest image fetched from a URL' },
  { env: 'BGR_FETCH_MAX_REDIRECTS', flag: '--fetch-max-redirects', def: '3', doc: 'redirects followed per image URL (each re-checked)' },
  { env: 'BGR_SHUTDOWN_GRACE_S', flag: '--shutdown-grace', def: '30', doc: 'seconds in-flight requests get on SIGINT/SIGTERM' },
  { env: 'BGR_CACHE_DIR', flag: '--cache-dir', def: '', doc: 'model cache folder (empty → $XDG_CACHE_HOME/bgr/models or ~/.cache/bgr/models)' },
  { env: 'BGR_LOG_LEVEL', flag: '--log-level', def: 'info', doc: 'pino log level' },
  { env: 'BGR_LOG_FORMAT', flag: '--log-format', def: 'auto', doc: 'auto (pino-pretty when stdout is a terminal, JSON lines otherwise), json or pretty' },
  { env: 'BGR_WEBHOOK_SECRET', flag: '--webhook-secret', def: '', doc: 'Standard Webhooks signing secret (whsec_…); required unless in dev mode (no BGR_API_KEYS), where one is generated per process' },
  { env: 'BGR_METRICS', flag: '--metrics', def: 'true', doc: 'serve Prometheus metrics at /metrics, without auth (false to turn off; or block the path at the proxy)' },
  { env: 'BGR_REDIS_URL', flag: '--redis-url', def: '', doc: 'Redis for the distributed backend (empty → in-memory): redis://host:port[/db], rediss:// (TLS), or a Redis Cluster as redis+cluster://h1:p1,h2:p2 (keys then hash-tagged into one slot); alias --redis' },
  { env: 'BGR_ROLE', flag: '--role', def: 'all', doc: 'all, api (accept and answer, no model) or worker (run jobs); api/worker need BGR_REDIS_URL' },
  { env: 'BGR_REDIS_PREFIX', flag: '--redis-prefix', def: 'bgr:', doc: 'prefix of every Redis key (one per deployment sharing a Redis)' },
  { env: 'BGR_JOB_LOCK_MS', flag: '--job-lock-ms', def: '30000', doc: 'BullMQ job lock: a dead worker\'s job runs again after about lock + stalled check' },
  { env: 'BGR_JOB_STALLED_MS', flag: '--job-stalled-ms', def: '30000', doc: 'BullMQ stalled-job check interval' },
  { env: 'BGR_REDIS_WAIT_REPLICAS', flag: '--redis-wait-replicas', def: '0', doc: 'replicas that confirm a submit (Redis WAIT, 1 s) before it is acknowledged: closes the window in which a failover loses acknowledged submits (not on a cluster)' },
] as const;

/** Other spellings of flags (the issue calls it `--redis`). */
const flagAliases: Record<string, string> = { '--redis': '--redis-url' };

type EnvName = (typeof settings)[number]['env'];

/** Flags override env: `--port 9000` or `--port=9000`. Unknown flags are an error (typos must not pass silently). */
function flagsToEnv(argv: string[]): Partial<Record<EnvName, string>> {
  const flags = [...settings.map((s) => s.flag), ...Object.keys(flagAliases)];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: Object.fromEntries(flags.map((f) => [f.slice(2), { type: 'string' as const }])) }));
  } catch (e) {
    const arg = /'([^' ]+)/.exec((e as Error).message)?.[1] ?? '';
    const code = (e as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new ConfigError(`option ${arg} needs a value`);
    throw new ConfigError(`unknown option '${arg}' (see bgr serve --help)`);
  }
  const out: Partial<Record<EnvName, string>> = {};
  for (const [name, value] of Object.entries(values)) {
    const s = settings.find((x) => x.flag === (flagAliases[`--${name}`] ?? `--${name}`))!;
    out[s.env] = value as string;
  }
  return out;
}

/** Loads the configuration; throws ConfigError with a clear message on bad values. */
export function loadConfig(env: Env = process.env, argv: string[] = []): Config {
  const merged: Env = { ...env, ...flagsToEnv(argv) };
  const get = (name: EnvName): string | undefined => {
    const v = merged[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const rateLimit = parseRateLimit('BGR_RATE_LIMIT', get('BGR_RATE_LIMIT') ?? '50/min');
  const keysSpec = get('BGR_API_KEYS');
  let keys = keysSpec ? parseKeys(keysSpec, rateLimit) : [];
  let devKey: string | undefined;
  if (keys.length === 0) {
    devKey = `dev_${randomBytes(18).toString('base64url')}`;
    keys = [{ key: devKey, name: 'dev', credits: null, scopes: ['v1', 'v2'], rateLimit }];
  }
  const bodyLimit = parseBytes('BGR_BODY_LIMIT', get('BGR_BODY_LIMIT') ?? '16MiB');
  const nodeRole = role(get('BGR_ROLE') ?? 'all');
  const redis = get('BGR_REDIS_URL') ? redisUrl(get('BGR_REDIS_URL')!) : undefined;
  if (!redis && nodeRole !== 'all') {
    throw new ConfigError(`BGR_ROLE=${nodeRole} needs BGR_REDIS_URL (--redis-url): api and worker nodes share requests through Redis; without it use --role all`);
  }
  // Every node must know the same keys: a generated dev key would differ per process, and a worker
  // settles credits only for keys it knows.
  if (redis && devKey) throw new ConfigError('BGR_API_KEYS is required with BGR_REDIS_URL (every node of the deployment needs the same keys)');
  const maxPixels = int('BGR_MAX_PIXELS', 1)(get('BGR_MAX_PIXELS') ?? '50e6');
  const workers = int('BGR_WORKERS', 1, 64)(get('BGR_WORKERS') ?? '1');
  return {
    port: int('PORT', 0, 65535)(get('PORT') ?? '8080'),
    host: get('HOST') ?? '127.0.0.1',
    publicUrl: get('BGR_PUBLIC_URL') ? url('BGR_PUBLIC_URL')(get('BGR_PUBLIC_URL')!) : undefined,
    trustProxy: trustedProxies(get('BGR_TRUST_PROXY') ?? 'false'),
    keys,
    devKey,
    resultTtlS: int('BGR_RESULT_TTL_S', 1)(get('BGR_RESULT_TTL_S') ?? '3600'),
    bodyLimit,
    maxPixels,
    v1DeadlineS: num('BGR_V1_DEADLINE_S', 0.001)(get('BGR_V1_DEADLINE_S') ?? '60'),
    device: device(get('BGR_DEVICE') ?? 'cpu'),
    precision: precision(get('BGR_PRECISION') ?? DEFAULT_PRECISION),
    workers,
    threads: int('BGR_THREADS', 1, 256)(get('BGR_THREADS') ?? String(availableParallelism())),
    queueMax: int('BGR_QUEUE_MAX', 1)(get('BGR_QUEUE_MAX') ?? '64'),
    ...admission(get, workers, maxPixels),
    ...clientTimeouts(get),
    rateLimit,
    allowPrivateUrls: allowList(get('BGR_ALLOW_PRIVATE_URLS') ?? 'false'),
    fetchTimeoutS: num('BGR_FETCH_TIMEOUT_S', 0.001)(get('BGR_FETCH_TIMEOUT_S') ?? '10'),
    fetchMaxBytes: parseBytes('BGR_FETCH_MAX_BYTES', get('BGR_FETCH_MAX_BYTES') ?? '16MiB'),
    fetchMaxRedirects: int('BGR_FETCH_MAX_REDIRECTS', 0, 20)(get('BGR_FETCH_MAX_REDIRECTS') ?? '3'),
    shutdownGraceS: num('BGR_SHUTDOWN_GRACE_S', 0)(get('BGR_SHUTDOWN_GRACE_S') ?? '30'),
    cacheDir: get('BGR_CACHE_DIR'),
    logLevel: get('BGR_LOG_LEVEL') ?? 'info',
    logFormat: logFormat(get('BGR_LOG_FORMAT') ?? 'auto'),
    webhookSecret: get('BGR_WEBHOOK_SECRET'),
    metrics: bool('BGR_METRICS')(get('BGR_METRICS') ?? 'true'),
    redisUrl: redis,
    role: nodeRole,
    redisPrefix: get('BGR_REDIS_PREFIX') ?? 'bgr:',
    jobLockMs: int('BGR_JOB_LOCK_MS', 100)(get('BGR_JOB_LOCK_MS') ?? '30000'),
    jobStalledMs: int('BGR_JOB_STALLED_MS', 100)(get('BGR_JOB_STALLED_MS') ?? '30000'),
    redisWaitReplicas: int('BGR_REDIS_WAIT_REPLICAS', 0)(get('BGR_REDIS_WAIT_REPLICAS') ?? '0'),
  };
}

/** Admission control: images in flight and their decoded bytes; a budget below one maximum image could never admit it. */
function admission(get: (name: EnvName) => string | undefined, workers: number, maxPixels: number): Pick<Config, 'maxInFlight' | 'pixelBudget'> {
  const maxInFlight = int('BGR_MAX_IN_FLIGHT', 1, 100_000)(get('BGR_MAX_IN_FLIGHT') ?? String(4 * workers));
  const onePicture = maxPixels * 4;
  const pixelBudget = get('BGR_PIXEL_BUDGET') ? parseBytes('BGR_PIXEL_BUDGET', get('BGR_PIXEL_BUDGET')!) : Math.max(512 * 1024 ** 2, onePicture);
  if (pixelBudget < onePicture) {
    throw new ConfigError(`BGR_PIXEL_BUDGET (${pixelBudget} bytes) must hold at least one largest image: BGR_MAX_PIXELS × 4 = ${onePicture} bytes`);
  }
  return { maxInFlight, pixelBudget };
}

/** Slow-client timeouts; Node requires the headers timeout not to exceed the request timeout. */
function clientTimeouts(get: (name: EnvName) => string | undefined): Pick<Config, 'headersTimeoutS' | 'requestTimeoutS' | 'keepAliveTimeoutS'> {
  const headersTimeoutS = num('BGR_HEADERS_TIMEOUT_S', 0.1)(get('BGR_HEADERS_TIMEOUT_S') ?? '15');
  const requestTimeoutS = num('BGR_REQUEST_TIMEOUT_S', 0.1)(get('BGR_REQUEST_TIMEOUT_S') ?? '120');
  const keepAliveTimeoutS = num('BGR_KEEPALIVE_TIMEOUT_S', 0.1)(get('BGR_KEEPALIVE_TIMEOUT_S') ?? '5');
  if (headersTimeoutS > requestTimeoutS) throw new ConfigError(`BGR_HEADERS_TIMEOUT_S (${headersTimeoutS}) must not exceed BGR_REQUEST_TIMEOUT_S (${requestTimeoutS})`);
  return { headersTimeoutS, requestTimeoutS, keepAliveTimeoutS };
}

/**
 * `bgr serve` refuses to start without a webhook secret outside dev mode (dev mode: no BGR_API_KEYS, a
 * dev key generated). A per-process secret would change at every restart and differ between nodes, so
 * receivers could never verify a delivery. Libraries embedding the server (tests) may still pass none.
 */
export function requireWebhookSecret(config: Config): void {
  if (config.webhookSecret) {
    try {
      new Webhook(config.webhookSecret);
    } catch (e) {
      throw new ConfigError(`BGR_WEBHOOK_SECRET is not a valid Standard Webhooks secret (whsec_ + base64): ${(e as Error).message}`);
    }
    return;
  }
  if (config.devKey) return;
  throw new ConfigError('BGR_WEBHOOK_SECRET is required when BGR_API_KEYS is set: receivers verify webhooks with it, so every node needs the same one, kept across restarts (e.g. whsec_$(openssl rand -base64 24))');
}

/** A key spec is a file when it names an existing file or ends in .json/.yaml/.yml; else a comma list. */
export function parseKeys(spec: string, defaultRate: RateLimit): KeyRecord[] {
  if (/\.(json|ya?ml)$/i.test(spec) || (spec.includes('/') && existsSync(spec))) {
    if (!existsSync(spec)) throw new ConfigError(`BGR_API_KEYS names a keys file that does not exist: ${spec}`);
    return parseKeysFile(readFileSync(spec, 'utf8'), spec, defaultRate);
  }
  const seen = new Set<string>();
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry, i) => {
    const [key, credits, ...rest] = entry.split(':');
    if (!key || rest.length > 0 || !/^[\w.~-]{8,200}$/.test(key)) {
      throw new ConfigError(`BGR_API_KEYS entry ${i + 1} must be 'key' or 'key:credits' with a key of 8+ characters [A-Za-z0-9_.~-]`);
    }
    if (seen.has(key)) throw new ConfigError(`BGR_API_KEYS lists key ${i + 1} twice`);
    seen.add(key);
    return { key, name: `key${i + 1}`, credits: parseCredits(credits, `BGR_API_KEYS entry ${i + 1}`), scopes: ['v1', 'v2'], rateLimit: defaultRate };
  });
}

function parseCredits(v: unknown, where: string): number | null {
  if (v === undefined || v === null || v === 'unlimited') return null;
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${where}: credits must be a non-negative integer or 'unlimited', got '${String(v)}'`);
  return n;
}

/**
 * Keys file (JSON or YAML): `{ keys: [{ key, name?, credits?: number|'unlimited', scopes?: [v1, v2], rate_limit?: '50/min' | {max, window_s} }] }`
 * or the bare list.
 */
export function parseKeysFile(text: string, path: string, defaultRate: RateLimit): KeyRecord[] {
  let doc: unknown;
  try { doc = parseYaml(text); } catch (e) { throw new ConfigError(`keys file ${path} is not valid JSON/YAML: ${(e as Error).message}`); }
  const list = Array.isArray(doc) ? doc : (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`keys file ${path} must hold a non-empty list under 'keys'`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const where = `keys file ${path}, entry ${i + 1}`;
    if (!raw || typeof raw !== 'object') throw new ConfigError(`${where} must be an object`);
    const r = raw as Record<string, unknown>;
    const known = new Set(['key', 'name', 'credits', 'scopes', 'rate_limit']);
    const unknown = Object.keys(r).filter((k) => !known.has(k));
    if (unknown.length) throw new ConfigError(`${where} has unknown field(s): ${unknown.join(', ')}`);
    if (typeof r.key !== 'string' || !/^[\w.~-]{8,200}$/.test(r.key)) throw new ConfigError(`${where}: key must be a string of 8+ characters [A-Za-z0-9_.~-]`);
    if (seen.has(r.key)) throw new ConfigError(`${where}: duplicate key`);
    seen.add(r.key);
    const scopes = (r.scopes ?? ['v1', 'v2']) as unknown;
    if (!Array.isArray(scopes) || scopes.some((s) => s !== 'v1' && s !== 'v2')) throw new ConfigError(`${where}: scopes must be a list of v1/v2`);
    let rateLimit = defaultRate;
    if (typeof r.rate_limit === 'string' || typeof r.rate_limit === 'number') rateLimit = parseRateLimit(`${where}: rate_limit`, r.rate_limit);
    else if (r.rate_limit && typeof r.rate_limit === 'object') {
      const o = r.rate_limit as { max?: unknown; window_s?: unknown };
      if (!Number.isInteger(o.max) || (o.max as number) < 1 || !Number.isInteger(o.window_s ?? 60) || ((o.window_s ?? 60) as number) < 1) {
        throw new ConfigError(`${where}: rate_limit must be like '50/min' or {max: 50, window_s: 60}`);
      }
      rateLimit = { max: o.max as number, windowS: (o.window_s ?? 60) as number };
    } else if (r.rate_limit !== undefined) throw new ConfigError(`${where}: rate_limit must be like '50/min' or {max: 50, window_s: 60}`);
    return {
      key: r.key,
      name: typeof r.name === 'string' ? r.name : `key${i + 1}`,
      credits: parseCredits(r.credits, where),
      scopes: [...new Set(scopes as Scope[])],
      rateLimit,
    };
  });
}

/** `bgr serve --help` text, generated from the settings table. */
export function configHelp(): string {
  const rows = settings.map((s) => `  ${s.flag.padEnd(24)} ${s.env.padEnd(24)} ${s.doc} [${s.def || 'unset'}]`);
  return `usage: bgr serve [options]\n\n  ${'flag'.padEnd(24)} ${'env'.padEnd(24)} meaning [default]\n${rows.join('\n')}\n`;
}
