/** Server configuration: the settings table read from environment and `bgr serve` flags, checked together. */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { ConfigError, type RateLimit, type Role } from './parsers.ts';
import { flagAliases, settings, type EnvName, type Read, type Setting, type Values } from './settings.ts';
import type { Device } from '../engine/types.ts';

export { ConfigError, type Device, type RateLimit, type Role };
export { parseBytes, parseRateLimit } from './parsers.ts';
export { parseKeys, parseKeysFile } from './key-list.ts';
export { settings };

/** The configuration: every setting of the table, and the dev key generated when no key is configured. */
export interface Config extends Values {
  /** Set when no key was configured and one was generated for development. */
  devKey?: string;
}

type Env = Record<string, string | undefined>;

/** Flags override env: `--port 9000` or `--port=9000`. Unknown flags are an error (typos must not pass silently). */
function flagsToEnv(argv: string[]): Partial<Record<EnvName, string>> {
  const flags = [...settings.map((s) => s.flag), ...Object.keys(flagAliases)];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(flags.map((f) => [f.slice(2), { type: 'string' as const }])),
    }));
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
  const read: Read = {};
  for (const s of settings as readonly Setting[]) {
    const given = merged[s.env]?.trim();
    const raw = given || (s.computed ? s.computed(read) : s.def);
    (read as Record<string, unknown>)[s.key] = raw ? s.parse(raw, read) : undefined;
  }
  const config = { ...read, keys: read.keys ?? [], devKey: undefined } as Config;
  if (config.keys.length === 0) {
    config.devKey = `dev_${randomBytes(18).toString('base64url')}`;
    config.keys = [
      { key: config.devKey, name: 'dev', credits: null, scopes: ['v1', 'v2'], rateLimit: config.rateLimit },
    ];
  }
  check(config);
  return config;
}

/** The rules between settings. */
function check(c: Config): void {
  if (!c.redisUrl && c.role !== 'all') {
    throw new ConfigError(
      `BGR_ROLE=${c.role} needs BGR_REDIS_URL (--redis-url): api and worker nodes share requests through Redis; without it use --role all`,
    );
  }
  // Every node must know the same keys: a generated dev key would differ per process, and a worker
  // settles credits only for keys it knows.
  if (c.redisUrl && c.devKey)
    throw new ConfigError(
      'BGR_API_KEYS is required with BGR_REDIS_URL (every node of the deployment needs the same keys)',
    );
  const onePicture = c.maxPixels * 4;
  if (c.pixelBudget < onePicture) {
    throw new ConfigError(
      `BGR_PIXEL_BUDGET (${c.pixelBudget} bytes) must hold at least one largest image: BGR_MAX_PIXELS × 4 = ${onePicture} bytes`,
    );
  }
  // Node requires the headers timeout not to exceed the request timeout.
  if (c.headersTimeoutS > c.requestTimeoutS) {
    throw new ConfigError(
      `BGR_HEADERS_TIMEOUT_S (${c.headersTimeoutS}) must not exceed BGR_REQUEST_TIMEOUT_S (${c.requestTimeoutS})`,
    );
  }
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
      throw new ConfigError(
        `BGR_WEBHOOK_SECRET is not a valid Standard Webhooks secret (whsec_ + base64): ${(e as Error).message}`,
      );
    }
    return;
  }
  if (config.devKey) return;
  throw new ConfigError(
    'BGR_WEBHOOK_SECRET is required when BGR_API_KEYS is set: receivers verify webhooks with it, so every node needs the same one, kept across restarts (e.g. whsec_$(openssl rand -base64 24))',
  );
}

/** `bgr serve --help` text, generated from the settings table. */
export function configHelp(): string {
  const rows = settings.map((s) => `  ${s.flag.padEnd(24)} ${s.env.padEnd(24)} ${s.doc} [${s.def || 'unset'}]`);
  return `usage: bgr serve [options]\n\n  ${'flag'.padEnd(24)} ${'env'.padEnd(24)} meaning [default]\n${rows.join('\n')}\n`;
}

/** The settings as a Markdown table, for the docs (docs/deploy.md holds it between markers; a test checks it). */
export function settingsMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = settings.map((s) => {
    const flags = [
      s.flag,
      ...Object.entries(flagAliases)
        .filter(([, to]) => to === s.flag)
        .map(([alias]) => alias),
    ];
    return `| \`${s.env}\` | ${flags.map((f) => `\`${f}\``).join(', ')} | ${s.def ? `\`${s.def}\`` : 'unset'} | ${cell(s.doc)} |`;
  });
  return ['| Variable | Flag | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
