/** API key lists: the comma list of BGR_API_KEYS (key or key:credits) and the JSON/YAML keys file. */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KeyRecord, Scope } from '../ports.ts';
import { ConfigError, parseRateLimit, type RateLimit } from './parsers.ts';

/** A key spec is a file when it names an existing file or ends in .json/.yaml/.yml; else a comma list. */
export function parseKeys(spec: string, defaultRate: RateLimit): KeyRecord[] {
  if (/\.(json|ya?ml)$/i.test(spec) || (spec.includes('/') && existsSync(spec))) {
    if (!existsSync(spec)) throw new ConfigError(`BGR_API_KEYS names a keys file that does not exist: ${spec}`);
    return parseKeysFile(readFileSync(spec, 'utf8'), spec, defaultRate);
  }
  const seen = new Set<string>();
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const [key, credits, ...rest] = entry.split(':');
      if (!key || rest.length > 0 || !/^[\w.~-]{8,200}$/.test(key)) {
        throw new ConfigError(
          `BGR_API_KEYS entry ${i + 1} must be 'key' or 'key:credits' with a key of 8+ characters [A-Za-z0-9_.~-]`,
        );
      }
      if (seen.has(key)) throw new ConfigError(`BGR_API_KEYS lists key ${i + 1} twice`);
      seen.add(key);
      return {
        key,
        name: `key${i + 1}`,
        credits: parseCredits(credits, `BGR_API_KEYS entry ${i + 1}`),
        scopes: ['v1', 'v2'],
        rateLimit: defaultRate,
      };
    });
}

function parseCredits(v: unknown, where: string): number | null {
  if (v === undefined || v === null || v === 'unlimited') return null;
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${where}: credits must be a non-negative integer or 'unlimited', got '${String(v)}'`);
  return n;
}

/**
 * Keys file (JSON or YAML): `{ keys: [{ key, name?, credits?: number|'unlimited', scopes?: [v1, v2], rate_limit?: '50/min' | {max, window_s} }] }`
 * or the bare list.
 */
export function parseKeysFile(text: string, path: string, defaultRate: RateLimit): KeyRecord[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`keys file ${path} is not valid JSON/YAML: ${(e as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(`keys file ${path} must hold a non-empty list under 'keys'`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const where = `keys file ${path}, entry ${i + 1}`;
    if (!raw || typeof raw !== 'object') throw new ConfigError(`${where} must be an object`);
    const r = raw as Record<string, unknown>;
    const known = new Set(['key', 'name', 'credits', 'scopes', 'rate_limit']);
    const unknown = Object.keys(r).filter((k) => !known.has(k));
    if (unknown.length) throw new ConfigError(`${where} has unknown field(s): ${unknown.join(', ')}`);
    if (typeof r.key !== 'string' || !/^[\w.~-]{8,200}$/.test(r.key))
      throw new ConfigError(`${where}: key must be a string of 8+ characters [A-Za-z0-9_.~-]`);
    if (seen.has(r.key)) throw new ConfigError(`${where}: duplicate key`);
    seen.add(r.key);
    const scopes = (r.scopes ?? ['v1', 'v2']) as unknown;
    if (!Array.isArray(scopes) || scopes.some((s) => s !== 'v1' && s !== 'v2'))
      throw new ConfigError(`${where}: scopes must be a list of v1/v2`);
    let rateLimit = defaultRate;
    if (typeof r.rate_limit === 'string' || typeof r.rate_limit === 'number')
      rateLimit = parseRateLimit(`${where}: rate_limit`, r.rate_limit);
    else if (r.rate_limit && typeof r.rate_limit === 'object') {
      const o = r.rate_limit as { max?: unknown; window_s?: unknown };
      if (
        !Number.isInteger(o.max) ||
        (o.max as number) < 1 ||
        !Number.isInteger(o.window_s ?? 60) ||
        ((o.window_s ?? 60) as number) < 1
      ) {
        throw new ConfigError(`${where}: rate_limit must be like '50/min' or {max: 50, window_s: 60}`);
      }
      rateLimit = { max: o.max as number, windowS: (o.window_s ?? 60) as number };
    } else if (r.rate_limit !== undefined)
      throw new ConfigError(`${where}: rate_limit must be like '50/min' or {max: 50, window_s: 60}`);
    return {
      key: r.key,
      name: typeof r.name === 'string' ? r.name : `key${i + 1}`,
      credits: parseCredits(r.credits, where),
      scopes: [...new Set(scopes as Scope[])],
      rateLimit,
    };
  });
}
