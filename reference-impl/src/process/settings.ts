/**
 * The server's settings, one row each: the Config field, its environment variable and flag, its default,
 * the parser that reads it and its documentation. `loadConfig`, `bgr serve --help` and the settings table
 * of docs/deploy.md are all made from these rows, so a default or a meaning lives here only.
 */
import type { LogFormat } from './logger.ts';
import { DEFAULT_PRECISION, type Precision } from '../engine/graph/precision.ts';
import { DEVICES, type Device } from '../engine/types.ts';
import { usableCores } from '../engine/cores.ts';
import type { KeyRecord } from '../ports.ts';
import { parseKeys } from './key-list.ts';
import {
  allowList,
  bool,
  device,
  engineKind,
  int,
  logFormat,
  num,
  parseBytes,
  parseRateLimit,
  precision,
  redisUrl,
  role,
  sandboxShape,
  trustedProxies,
  url,
  type EngineKind,
  type RateLimit,
  type Role,
  type SandboxShape,
} from './parsers.ts';
import { DEFAULT_SANDBOX_MS } from '../engine/sandbox/index.ts';

/** Settings read before this one, for computed defaults and parsers that depend on another setting. */
export type Read = Partial<Record<keyof Values, unknown>> & Partial<Values>;

/** What the settings table produces (Config without the values derived after it, such as the dev key). */
export interface Values {
  port: number;
  host: string;
  publicUrl?: string;
  trustProxy: boolean | string[];
  rateLimit: RateLimit;
  keys: KeyRecord[];
  resultTtlS: number;
  bodyLimit: number;
  maxPixels: number;
  v1DeadlineS: number;
  engine: EngineKind;
  sandboxMs: number;
  sandboxShape: SandboxShape;
  device: Device;
  precision: Precision;
  workers: number;
  threads: number;
  queueMax: number;
  maxInFlight: number;
  pixelBudget: number;
  headersTimeoutS: number;
  requestTimeoutS: number;
  keepAliveTimeoutS: number;
  allowPrivateUrls: 'all' | string[];
  fetchTimeoutS: number;
  fetchMaxBytes: number;
  fetchMaxRedirects: number;
  shutdownGraceS: number;
  cacheDir?: string;
  logLevel: string;
  logFormat: LogFormat;
  webhookSecret?: string;
  keyIdSecret?: string;
  metrics: boolean;
  redisUrl?: string;
  role: Role;
  redisPrefix: string;
  jobLockMs: number;
  jobStalledMs: number;
  redisWaitReplicas: number;
}

export interface Setting<K extends keyof Values = keyof Values> {
  key: K;
  env: string;
  flag: string;
  /** The default as people read it ('' = unset); the parser reads it too unless `computed` gives the value. */
  def: string;
  /** A default that follows from settings read before this one (rows are read in order). */
  computed?: (read: Read) => string;
  parse: (value: string, read: Read) => Values[K];
  doc: string;
}

const row = <K extends keyof Values>(s: Setting<K>): Setting<K> => s;
const text = (v: string) => v;
const MiB = 1024 ** 2;

/** Every setting, in the order they are read and listed. */
export const settings = [
  row({
    key: 'port',
    env: 'PORT',
    flag: '--port',
    def: '8080',
    parse: int('PORT', 0, 65535),
    doc: 'TCP port to listen on',
  }),
  row({
    key: 'host',
    env: 'HOST',
    flag: '--host',
    def: '127.0.0.1',
    parse: text,
    doc: 'interface to bind (0.0.0.0 for all)',
  }),
  row({
    key: 'publicUrl',
    env: 'BGR_PUBLIC_URL',
    flag: '--public-url',
    def: '',
    parse: url('BGR_PUBLIC_URL'),
    doc: 'absolute base URL used in v2 links (default: from the request)',
  }),
  row({
    key: 'trustProxy',
    env: 'BGR_TRUST_PROXY',
    flag: '--trust-proxy',
    def: 'false',
    parse: trustedProxies,
    doc: 'trust X-Forwarded-* headers: true (any peer), false, or a comma list of proxy IPs/CIDRs',
  }),
  row({
    key: 'rateLimit',
    env: 'BGR_RATE_LIMIT',
    flag: '--rate-limit',
    def: '50/min',
    parse: (v) => parseRateLimit('BGR_RATE_LIMIT', v),
    doc: 'default per-key rate limit (like the production plans)',
  }),
  row({
    key: 'keys',
    env: 'BGR_API_KEYS',
    flag: '--api-keys',
    def: '',
    parse: (v, read) => parseKeys(v, read.rateLimit!),
    doc: 'comma list of key or key:credits, or a path to a JSON/YAML keys file; empty → a dev key is generated',
  }),
  row({
    key: 'resultTtlS',
    env: 'BGR_RESULT_TTL_S',
    flag: '--result-ttl',
    def: '3600',
    parse: int('BGR_RESULT_TTL_S', 1),
    doc: 'seconds v2 results are kept after completion (the TTL of ended records and outputs)',
  }),
  row({
    key: 'bodyLimit',
    env: 'BGR_BODY_LIMIT',
    flag: '--body-limit',
    def: '16MiB',
    parse: (v) => parseBytes('BGR_BODY_LIMIT', v),
    doc: 'largest request body (413 beyond)',
  }),
  row({
    key: 'maxPixels',
    env: 'BGR_MAX_PIXELS',
    flag: '--max-pixels',
    def: '50e6',
    parse: int('BGR_MAX_PIXELS', 1),
    doc: 'largest image in pixels (413 image_too_large beyond)',
  }),
  row({
    key: 'v1DeadlineS',
    env: 'BGR_V1_DEADLINE_S',
    flag: '--v1-deadline',
    def: '60',
    parse: num('BGR_V1_DEADLINE_S', 0.001),
    doc: 'sync request deadline in seconds (504 beyond)',
  }),
  row({
    key: 'engine',
    env: 'BGR_ENGINE',
    flag: '--engine',
    def: 'model',
    parse: engineKind,
    doc: 'model (ISNet) or sandbox (no model: a subject mask from the image borders, and scripted outcomes by the x-bgr-sandbox header)',
  }),
  row({
    key: 'sandboxMs',
    env: 'BGR_SANDBOX_MS',
    flag: '--sandbox-ms',
    def: String(DEFAULT_SANDBOX_MS),
    parse: int('BGR_SANDBOX_MS', 0, 3_600_000),
    doc: "the sandbox engine's time per image, in milliseconds (0 for tests)",
  }),
  row({
    key: 'sandboxShape',
    env: 'BGR_SANDBOX_SHAPE',
    flag: '--sandbox-shape',
    def: 'full',
    parse: sandboxShape,
    doc: "the sandbox's answers: full (every extension) or production (the production service's shape: no codes, 200 while pending, no cancel…)",
  }),
  row({
    key: 'device',
    env: 'BGR_DEVICE',
    flag: '--device',
    def: 'cpu',
    parse: device,
    doc: `inference device: ${DEVICES.join(', ')}`,
  }),
  row({
    key: 'precision',
    env: 'BGR_PRECISION',
    flag: '--precision',
    def: DEFAULT_PRECISION,
    parse: precision,
    doc: 'model graph: fp32 (full quality) or int8 (≈2.9× faster model where it is sure; an image it is unsure about, ≈ 1 in 6, is run again in fp32; alpha IoU vs fp32 0.995 mean, 0.984 worst on the shared photos and 0.9955 mean, 0.977 worst on 80 scenes drawn after it was chosen; the same on every CPU; ≈ 0.4 GB more memory)',
  }),
  row({
    key: 'workers',
    env: 'BGR_WORKERS',
    flag: '--workers',
    def: '1',
    parse: int('BGR_WORKERS', 1, 64),
    doc: 'inference worker threads (and the v2 jobs a node runs at once)',
  }),
  row({
    key: 'threads',
    env: 'BGR_THREADS',
    flag: '--threads',
    def: '(cores)',
    computed: () => String(usableCores()),
    parse: int('BGR_THREADS', 1, 256),
    doc: 'intra-op threads per worker (default: the usable cores, a cgroup CPU quota rounded down included); with several worker processes on one machine, divide the cores',
  }),
  row({
    key: 'queueMax',
    env: 'BGR_QUEUE_MAX',
    flag: '--queue-max',
    def: '64',
    parse: int('BGR_QUEUE_MAX', 1),
    doc: 'v2 jobs waiting (across the deployment with Redis, v1 jobs of API nodes included); 429 queue_full beyond',
  }),
  row({
    key: 'maxInFlight',
    env: 'BGR_MAX_IN_FLIGHT',
    flag: '--max-in-flight',
    def: '4×workers',
    computed: (read) => String(4 * read.workers!),
    parse: int('BGR_MAX_IN_FLIGHT', 1, 100_000),
    doc: 'images in flight per node (v1 requests + v2 jobs); v1 beyond it: fast 429 queue_full with Retry-After (also when it would finish past 80% of the v1 deadline at the measured time per image)',
  }),
  row({
    key: 'pixelBudget',
    env: 'BGR_PIXEL_BUDGET',
    flag: '--pixel-budget',
    def: '512MiB',
    computed: (read) => String(Math.max(512 * MiB, read.maxPixels! * 4)),
    parse: (v) => parseBytes('BGR_PIXEL_BUDGET', v),
    doc: 'decoded bytes (w×h×4) of images in flight per node, at least max-pixels×4 (the default grows to that); v1 beyond: fast 429, v2 jobs wait',
  }),
  row({
    key: 'headersTimeoutS',
    env: 'BGR_HEADERS_TIMEOUT_S',
    flag: '--headers-timeout',
    def: '15',
    parse: num('BGR_HEADERS_TIMEOUT_S', 0.1),
    doc: 'seconds a client has to send the request headers (408 beyond)',
  }),
  row({
    key: 'requestTimeoutS',
    env: 'BGR_REQUEST_TIMEOUT_S',
    flag: '--request-timeout',
    def: '120',
    parse: num('BGR_REQUEST_TIMEOUT_S', 0.1),
    doc: 'seconds a client has to send the whole request, body included (408 beyond)',
  }),
  row({
    key: 'keepAliveTimeoutS',
    env: 'BGR_KEEPALIVE_TIMEOUT_S',
    flag: '--keepalive-timeout',
    def: '5',
    parse: num('BGR_KEEPALIVE_TIMEOUT_S', 0.1),
    doc: 'seconds an idle keep-alive connection stays open',
  }),
  row({
    key: 'allowPrivateUrls',
    env: 'BGR_ALLOW_PRIVATE_URLS',
    flag: '--allow-private-urls',
    def: 'false',
    parse: allowList,
    doc: 'SSRF allow-list: true for any address, or a comma list of IPs/CIDRs',
  }),
  row({
    key: 'fetchTimeoutS',
    env: 'BGR_FETCH_TIMEOUT_S',
    flag: '--fetch-timeout',
    def: '10',
    parse: num('BGR_FETCH_TIMEOUT_S', 0.001),
    doc: 'image URL fetch timeout in seconds',
  }),
  row({
    key: 'fetchMaxBytes',
    env: 'BGR_FETCH_MAX_BYTES',
    flag: '--fetch-max-bytes',
    def: '16MiB',
    parse: (v) => parseBytes('BGR_FETCH_MAX_BYTES', v),
    doc: 'largest image fetched from a URL',
  }),
  row({
    key: 'fetchMaxRedirects',
    env: 'BGR_FETCH_MAX_REDIRECTS',
    flag: '--fetch-max-redirects',
    def: '3',
    parse: int('BGR_FETCH_MAX_REDIRECTS', 0, 20),
    doc: 'redirects followed per image URL (each re-checked)',
  }),
  row({
    key: 'shutdownGraceS',
    env: 'BGR_SHUTDOWN_GRACE_S',
    flag: '--shutdown-grace',
    def: '30',
    parse: num('BGR_SHUTDOWN_GRACE_S', 0),
    doc: 'seconds in-flight requests get on SIGINT/SIGTERM; then a worker hands the rest back',
  }),
  row({
    key: 'cacheDir',
    env: 'BGR_CACHE_DIR',
    flag: '--cache-dir',
    def: '',
    parse: text,
    doc: 'model cache folder (empty → $XDG_CACHE_HOME/bgr/models or ~/.cache/bgr/models)',
  }),
  row({ key: 'logLevel', env: 'BGR_LOG_LEVEL', flag: '--log-level', def: 'info', parse: text, doc: 'pino log level' }),
  row({
    key: 'logFormat',
    env: 'BGR_LOG_FORMAT',
    flag: '--log-format',
    def: 'auto',
    parse: logFormat,
    doc: 'auto (pino-pretty when stdout is a terminal, JSON lines otherwise), json or pretty',
  }),
  row({
    key: 'webhookSecret',
    env: 'BGR_WEBHOOK_SECRET',
    flag: '--webhook-secret',
    def: '',
    parse: text,
    doc: 'Standard Webhooks signing secret (whsec_…); required unless in dev mode (no BGR_API_KEYS), where one is generated per process; the same on every node',
  }),
  row({
    key: 'keyIdSecret',
    env: 'BGR_KEY_ID_SECRET',
    flag: '--key-id-secret',
    def: '',
    parse: text,
    doc: 'HMAC key that turns API keys into the ids stored in Redis, logs and metrics (empty → a built-in one); the same on every node, kept across restarts',
  }),
  row({
    key: 'metrics',
    env: 'BGR_METRICS',
    flag: '--metrics',
    def: 'true',
    parse: bool('BGR_METRICS'),
    doc: 'serve Prometheus metrics at /metrics, without auth (false to turn off; or block the path at the proxy)',
  }),
  row({
    key: 'redisUrl',
    env: 'BGR_REDIS_URL',
    flag: '--redis-url',
    def: '',
    parse: redisUrl,
    doc: 'Redis for the distributed backend (empty → in-memory): redis://host:port[/db], rediss:// (TLS), or a Redis Cluster as redis+cluster://h1:p1,h2:p2 (keys then hash-tagged into one slot); alias --redis',
  }),
  row({
    key: 'role',
    env: 'BGR_ROLE',
    flag: '--role',
    def: 'all',
    parse: role,
    doc: 'all, api (accept and answer, no model) or worker (run jobs); api/worker need BGR_REDIS_URL',
  }),
  row({
    key: 'redisPrefix',
    env: 'BGR_REDIS_PREFIX',
    flag: '--redis-prefix',
    def: 'bgr:',
    parse: text,
    doc: 'prefix of every Redis key (one per deployment sharing a Redis)',
  }),
  row({
    key: 'jobLockMs',
    env: 'BGR_JOB_LOCK_MS',
    flag: '--job-lock-ms',
    def: '30000',
    parse: int('BGR_JOB_LOCK_MS', 100),
    doc: "BullMQ job lock: a dead worker's job runs again after about lock + stalled check",
  }),
  row({
    key: 'jobStalledMs',
    env: 'BGR_JOB_STALLED_MS',
    flag: '--job-stalled-ms',
    def: '30000',
    parse: int('BGR_JOB_STALLED_MS', 100),
    doc: 'BullMQ stalled-job check interval',
  }),
  row({
    key: 'redisWaitReplicas',
    env: 'BGR_REDIS_WAIT_REPLICAS',
    flag: '--redis-wait-replicas',
    def: '0',
    parse: int('BGR_REDIS_WAIT_REPLICAS', 0),
    doc: "replicas that must confirm (Redis WAIT, 1 s) a submit's writes before it is acknowledged; past the second the submit is withdrawn and answered 503. Closes the window in which a failover loses acknowledged submits; not on a cluster",
  }),
] as const satisfies readonly Setting[];

export type EnvName = (typeof settings)[number]['env'];

/** Other spellings of flags. */
export const flagAliases: Record<string, string> = { '--redis': '--redis-url' };
