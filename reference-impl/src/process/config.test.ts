/** Config parsing: defaults, env and flags, keys lists and files, and clear errors for bad values. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseBytes, parseRateLimit, requireWebhookSecret } from './config.ts';

describe('loadConfig', () => {
  it('has documented defaults and generates a dev key when none is configured', () => {
    const c = loadConfig({}, []);
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      resultTtlS: 3600,
      bodyLimit: 16 * 1024 * 1024,
      maxPixels: 50_000_000,
      device: 'cpu',
      precision: 'fp32',
      workers: 1,
      rateLimit: { max: 50, windowS: 60 },
      allowPrivateUrls: [],
      trustProxy: false,
    });
    expect(c.devKey).toMatch(/^dev_/);
    expect(c.keys).toEqual([
      { key: c.devKey, name: 'dev', credits: null, scopes: ['v1', 'v2'], rateLimit: { max: 50, windowS: 60 } },
    ]);
  });

  it('reads env and lets flags override it', () => {
    const c = loadConfig({ PORT: '9000', HOST: '0.0.0.0', BGR_API_KEYS: 'abcdefgh:10, ijklmnop' }, [
      '--port',
      '9100',
      '--public-url=https://api.example.com/',
      '--allow-private-urls',
      '127.0.0.1,10.0.0.0/8',
    ]);
    expect(c.port).toBe(9100);
    expect(loadConfig({ BGR_PRECISION: 'int8' }).precision).toBe('int8');
    expect(loadConfig({}, ['--precision', 'int8']).precision).toBe('int8');
    expect(c.host).toBe('0.0.0.0');
    expect(c.publicUrl).toBe('https://api.example.com');
    expect(c.allowPrivateUrls).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(c.devKey).toBeUndefined();
    expect(c.keys.map((k) => [k.key, k.credits])).toEqual([
      ['abcdefgh', 10],
      ['ijklmnop', null],
    ]);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer between 0 and 65535/],
    [{ BGR_BODY_LIMIT: 'lots' }, /BGR_BODY_LIMIT must be a size/],
    [{ BGR_DEVICE: 'tpu' }, /BGR_DEVICE must be cpu, cuda or webgpu/],
    [{ BGR_PRECISION: 'fp16' }, /BGR_PRECISION must be fp32 or int8, got 'fp16'/],
    [{ BGR_RATE_LIMIT: '50/fortnight' }, /BGR_RATE_LIMIT must look like/],
    [{ BGR_RATE_LIMIT: '0/min' }, /at least 1 request/],
    [{ BGR_V1_DEADLINE_S: '-1' }, /BGR_V1_DEADLINE_S must be a number/],
    [{ BGR_MAX_PIXELS: '1.5' }, /BGR_MAX_PIXELS must be an integer/],
    [{ BGR_PUBLIC_URL: 'example.com' }, /BGR_PUBLIC_URL must be an absolute/],
    [{ BGR_TRUST_PROXY: 'maybe' }, /BGR_TRUST_PROXY must be true\/false or a comma list of IPs\/CIDRs/],
    [{ BGR_PIXEL_BUDGET: '1MB', BGR_MAX_PIXELS: '1e6' }, /BGR_PIXEL_BUDGET .* must hold at least one largest image/],
    [{ BGR_HEADERS_TIMEOUT_S: '30', BGR_REQUEST_TIMEOUT_S: '10' }, /must not exceed BGR_REQUEST_TIMEOUT_S/],
    [{ BGR_API_KEYS: 'short' }, /entry 1 must be 'key' or 'key:credits'/],
    [{ BGR_API_KEYS: 'abcdefgh:-3' }, /credits must be a non-negative integer/],
    [{ BGR_API_KEYS: 'abcdefgh,abcdefgh' }, /twice/],
    [{ BGR_API_KEYS: '/nonexistent/keys.yaml' }, /does not exist/],
    [{ BGR_ALLOW_PRIVATE_URLS: 'localhost' }, /comma list of IPs\/CIDRs/],
    [{ BGR_ENGINE: 'onnx' }, /BGR_ENGINE must be model or sandbox/],
    [{ BGR_SANDBOX_MS: '-5' }, /BGR_SANDBOX_MS must be an integer/],
    [{ BGR_SANDBOX_SHAPE: 'prod' }, /BGR_SANDBOX_SHAPE must be full or production/],
  ])('%j → clear error', (env, message) => {
    expect(() => loadConfig(env as Record<string, string>, [])).toThrow(ConfigError);
    expect(() => loadConfig(env as Record<string, string>, [])).toThrow(message);
  });

  it('engine: the model by default; the sandbox with its time per image and shape', () => {
    expect(loadConfig({}, [])).toMatchObject({ engine: 'model', sandboxMs: 1000, sandboxShape: 'full' });
    expect(loadConfig({ BGR_ENGINE: 'sandbox' }, ['--sandbox-ms', '0', '--sandbox-shape=production'])).toMatchObject({
      engine: 'sandbox',
      sandboxMs: 0,
      sandboxShape: 'production',
    });
  });

  it('roles: all by default and in-memory; api/worker with Redis (--redis is --redis-url), prefix and job timings', () => {
    expect(loadConfig({}, [])).toMatchObject({
      role: 'all',
      redisUrl: undefined,
      redisPrefix: 'bgr:',
      jobLockMs: 30_000,
      jobStalledMs: 30_000,
    });
    const c = loadConfig({ BGR_API_KEYS: 'abcdefgh', BGR_ROLE: 'worker' }, [
      '--redis',
      'redis://r:6379/2',
      '--redis-prefix',
      't1:',
      '--job-lock-ms=1000',
      '--job-stalled-ms',
      '500',
    ]);
    expect(c).toMatchObject({
      role: 'worker',
      redisUrl: 'redis://r:6379/2',
      redisPrefix: 't1:',
      jobLockMs: 1000,
      jobStalledMs: 500,
    });
    expect(loadConfig({ BGR_API_KEYS: 'abcdefgh' }, ['--role', 'api', '--redis-url=rediss://r']).role).toBe('api');
  });

  it.each([
    [{ BGR_ROLE: 'api' }, /BGR_ROLE=api needs BGR_REDIS_URL/],
    [{ BGR_ROLE: 'worker' }, /BGR_ROLE=worker needs BGR_REDIS_URL/],
    [{ BGR_ROLE: 'gpu' }, /BGR_ROLE must be all, api or worker/],
    [
      { BGR_REDIS_URL: 'http://r:6379', BGR_API_KEYS: 'abcdefgh' },
      /BGR_REDIS_URL must be redis:\/\/host:port.*redis\+cluster:\/\//,
    ],
    [{ BGR_REDIS_URL: 'redis://a:1,b:2', BGR_API_KEYS: 'abcdefgh' }, /use redis\+cluster:\/\/h1:p1,h2:p2/],
    [
      { BGR_REDIS_URL: 'redis+cluster://u:s3cret@a:1,b:99999', BGR_API_KEYS: 'abcdefgh' },
      /bad host:port 'b:99999'; got 'redis\+cluster:\/\/u:\*\*\*@a:1,b:99999'/,
    ],
    [{ BGR_REDIS_URL: 'redis://r:6379' }, /BGR_API_KEYS is required with BGR_REDIS_URL/],
    [{ BGR_JOB_LOCK_MS: '5' }, /BGR_JOB_LOCK_MS must be an integer/],
  ])('%j → clear error', (env, message) => {
    expect(() => loadConfig(env as Record<string, string>, [])).toThrow(message);
  });

  it('rejects unknown flags and flags without values', () => {
    expect(() => loadConfig({}, ['--prot', '1'])).toThrow(/unknown option '--prot'/);
    expect(() => loadConfig({}, ['--port'])).toThrow(/needs a value/);
  });
});

describe('keys files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgr-keys-'));
  it('reads YAML with names, credits, scopes and rate limits', () => {
    const path = join(dir, 'keys.yaml');
    writeFileSync(
      path,
      `keys:
  - { key: alice_key_1, name: alice, credits: 100, scopes: [v1], rate_limit: 5/min }
  - { key: bob_key_12, credits: unlimited, rate_limit: { max: 10, window_s: 1 } }
`,
    );
    const c = loadConfig({ BGR_API_KEYS: path }, []);
    expect(c.keys).toEqual([
      { key: 'alice_key_1', name: 'alice', credits: 100, scopes: ['v1'], rateLimit: { max: 5, windowS: 60 } },
      { key: 'bob_key_12', name: 'key2', credits: null, scopes: ['v1', 'v2'], rateLimit: { max: 10, windowS: 1 } },
    ]);
  });

  it('reads a JSON list', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify([{ key: 'carol_key_1', credits: 0, scopes: ['v2'] }]));
    expect(loadConfig({ BGR_API_KEYS: path }, []).keys[0]).toMatchObject({
      key: 'carol_key_1',
      credits: 0,
      scopes: ['v2'],
    });
  });

  it.each([
    ['keys: []', /non-empty list/],
    ['keys: [{ key: abcdefgh, scopes: [v3] }]', /scopes must be a list of v1\/v2/],
    ['keys: [{ key: abcdefgh, credit: 5 }]', /unknown field\(s\): credit/],
    ['keys: [{ key: abcdefgh, rate_limit: fast }]', /rate_limit/],
    ['keys: [{ key: abc }]', /8\+ characters/],
    ['keys: [ {', /not valid JSON\/YAML/],
  ])('bad file %j', (text, message) => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, text);
    expect(() => loadConfig({ BGR_API_KEYS: path }, [])).toThrow(message);
  });
});

describe('unit parsers', () => {
  it.each([
    ['16MiB', 16777216],
    ['12mb', 12e6],
    ['1048576', 1048576],
    ['64KiB', 65536],
  ])('bytes %s', (s, n) => expect(parseBytes('X', s)).toBe(n));
  it.each([
    ['50/min', 50, 60],
    ['5/s', 5, 1],
    ['100/30s', 100, 30],
    ['50', 50, 60],
    ['1000/h', 1000, 3600],
  ])('rate %s', (s, max, windowS) => expect(parseRateLimit('X', s)).toEqual({ max, windowS }));
});

describe('requireWebhookSecret (bgr serve refuses keys without a webhook secret)', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  it.each([
    ['dev mode (no keys): a per-process secret is fine', {}, undefined],
    ['keys and a secret', { BGR_API_KEYS: 'abcdefgh', BGR_WEBHOOK_SECRET: secret }, undefined],
    ['dev mode with a secret', { BGR_WEBHOOK_SECRET: secret }, undefined],
    ['keys without a secret', { BGR_API_KEYS: 'abcdefgh' }, /BGR_WEBHOOK_SECRET is required when BGR_API_KEYS is set/],
    ['a malformed secret', { BGR_WEBHOOK_SECRET: 'whsec_abc' }, /not a valid Standard Webhooks secret/],
  ])('%s', (_name, env, error) => {
    const check = () => requireWebhookSecret(loadConfig(env as Record<string, string>, []));
    if (error) expect(check).toThrow(error);
    else expect(check).not.toThrow();
    if (error) expect(check).toThrow(ConfigError);
  });
});
