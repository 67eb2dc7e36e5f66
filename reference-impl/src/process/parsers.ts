/** The parsers of the server's settings: each reads one value and throws a ConfigError naming the setting and the bad value. */
import { isIP } from 'node:net';
import type { LogFormat } from './logger.ts';
import { PRECISIONS, type Precision } from '../engine/graph/precision.ts';
import { DEVICES, type Device } from '../engine/types.ts';
import { parseRedisUrl, redactRedisUrl } from '../adapters/redis/url.ts';

/** `bgr serve --role`: `api` accepts and answers, `worker` runs inference, `all` both (one process). */
export type Role = 'all' | 'api' | 'worker';
export interface RateLimit {
  max: number;
  windowS: number;
}

/** A configuration error, with a message naming the variable/flag and the bad value. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*[0-9.e+]+\s*$/i.test(v) || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${v}'`);
    }
    return n;
  };
}
export function num(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min)
      throw new ConfigError(`${name} must be a number ≥ ${min}, got '${v}'`);
    return n;
  };
}
export function bool(name: string) {
  return (v: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off|)$/i.test(v)) return false;
    throw new ConfigError(`${name} must be true or false, got '${v}'`);
  };
}

const units: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};
/** Parses "16MiB", "12mb", "1048576". */
export function parseBytes(name: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = units[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined || Number(m[1]) * unit < 1)
    throw new ConfigError(`${name} must be a size like 16MiB or 1048576, got '${v}'`);
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

/** Which engine removes backgrounds: the ISNet model, or the model-free sandbox (engine/sandbox, scripted outcomes). */
export type EngineKind = 'model' | 'sandbox';
/** The sandbox's answers: every extension (`full`), or the production service's shape (`production`). */
export type SandboxShape = 'full' | 'production';

export const engineKind = (v: string): EngineKind => {
  if (v === 'model' || v === 'sandbox') return v;
  throw new ConfigError(`BGR_ENGINE must be model or sandbox, got '${v}'`);
};

export const sandboxShape = (v: string): SandboxShape => {
  if (v === 'full' || v === 'production') return v;
  throw new ConfigError(`BGR_SANDBOX_SHAPE must be full or production, got '${v}'`);
};

export const role = (v: string): Role => {
  if (v === 'all' || v === 'api' || v === 'worker') return v;
  throw new ConfigError(`BGR_ROLE must be all, api or worker, got '${v}'`);
};

export function redisUrl(v: string): string {
  try {
    parseRedisUrl(v);
  } catch (e) {
    throw new ConfigError(`BGR_REDIS_URL ${(e as Error).message}; got '${redactRedisUrl(v)}'`);
  }
  return v;
}

export const logFormat = (v: string): LogFormat => {
  if (v === 'auto' || v === 'json' || v === 'pretty') return v;
  throw new ConfigError(`BGR_LOG_FORMAT must be auto, json or pretty, got '${v}'`);
};

export const device = (v: string): Device => {
  const d = DEVICES.find((x) => x === v);
  if (!d) throw new ConfigError(`BGR_DEVICE must be ${DEVICES.join(', ').replace(/, (?=[^,]*$)/, ' or ')}, got '${v}'`);
  return d;
};

export const precision = (v: string): Precision => {
  const p = PRECISIONS.find((x) => x === v);
  if (!p) throw new ConfigError(`BGR_PRECISION must be ${PRECISIONS.join(' or ')}, got '${v}'`);
  return p;
};

export function url(name: string) {
  return (v: string): string => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`${name} must be an absolute http(s) URL, got '${v}'`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new ConfigError(`${name} must be an http(s) URL, got '${v}'`);
    return v.replace(/\/+$/, '');
  };
}

/** A comma list of IPs/CIDRs (either family), each checked. */
function ipList(name: string, v: string): string[] {
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const it of items) {
    const [ip, bits] = it.split('/');
    const family = isIP(ip ?? '');
    if (!family || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)))) {
      throw new ConfigError(`${name} must be true/false or a comma list of IPs/CIDRs, got '${it}'`);
    }
  }
  return items;
}

export function allowList(v: string): 'all' | string[] {
  if (/^(1|true|yes|all|\*)$/i.test(v.trim())) return 'all';
  if (/^(0|false|no|)$/i.test(v.trim())) return [];
  return ipList('BGR_ALLOW_PRIVATE_URLS', v);
}

/** `true`/`false`, or the proxies (IPs/CIDRs) whose X-Forwarded-* headers are believed. */
export function trustedProxies(v: string): boolean | string[] {
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(v.trim())) return bool('BGR_TRUST_PROXY')(v.trim());
  return ipList('BGR_TRUST_PROXY', v);
}
