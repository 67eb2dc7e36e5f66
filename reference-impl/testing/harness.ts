/** Test helpers: an app on a fake engine, and a check that every response conforms to the contract (status, content type, schema). */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { buildApp } from '../src/http/app.ts';
import { loadConfig, type Config } from '../src/process/config.ts';
import { createRemovalService, memoryBackend } from '../src/process/removal-service.ts';
import { MemoryKeyStore } from '../src/policy/keys.ts';
import type { RemovalService } from '../src/removal/service.ts';
import { FakeEngine, type FakeEngineOptions } from './fake-engine.ts';

export const KEY = 'test_key_unlimited';
export const KEY_V1 = 'test_key_v1_only';
export const KEY_V2 = 'test_key_v2_only';
export const KEY_3 = 'test_key_3_credits';

export interface Harness {
  app: FastifyInstance;
  engine: FakeEngine;
  keys: MemoryKeyStore;
  config: Config;
  service: RemovalService;
}

/** An app with four keys (unlimited; v1-only; v2-only; 3 credits), a fake engine, the memory backend and test-friendly config. */
export async function makeApp(
  opts: { env?: Record<string, string>; engine?: FakeEngineOptions } = {},
): Promise<Harness> {
  const config = loadConfig({
    BGR_API_KEYS: `${KEY},${KEY_3}:3`,
    BGR_RATE_LIMIT: '1000/min',
    BGR_FETCH_TIMEOUT_S: '3',
    ...opts.env,
  });
  config.keys.push(
    { key: KEY_V1, name: 'v1only', credits: null, scopes: ['v1'], rateLimit: config.rateLimit },
    { key: KEY_V2, name: 'v2only', credits: null, scopes: ['v2'], rateLimit: config.rateLimit },
  );
  const engine = new FakeEngine(opts.engine);
  const keys = new MemoryKeyStore(config.keys);
  const service = createRemovalService(config, { engine, keys, backend: memoryBackend(config) });
  const app = buildApp({ config, keys, service, ready: () => engine.isReady() });
  app.addHook('onClose', async () => service.close());
  await app.ready();
  return { app, engine, keys, config, service };
}

/** Asserts the response is one the contract allows for this operation; error bodies never leak a stack. */
export function expectConforms(
  method: string,
  url: string,
  res: Pick<LightMyRequestResponse, 'statusCode' | 'headers' | 'body'>,
): void {
  const contract = loadContract();
  const ct = String(res.headers['content-type'] ?? '');
  const json = ct.includes('json') ? JSON.parse(res.body) : undefined;
  if (res.statusCode >= 400) {
    expect(res.body).not.toMatch(/\bat .+:\d+:\d+|stack/i);
    expect(contract.validateSchema('Error', json), `error body ${res.body}`).toEqual([]);
  }
  if (res.statusCode === 429 || res.statusCode === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/);
  const op = contract.findOperation(method, url);
  if (!op) return; // health probes and unknown routes are outside the contract
  expect(
    contract.validateResponse(op, res.statusCode, ct, json ?? res.body),
    `${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`,
  ).toEqual([]);
}
