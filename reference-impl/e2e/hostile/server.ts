/** The corpus's server: the real `startServer` (v1 + v2, listening on 127.0.0.1) on a FakeEngine, short timeouts, and answer checks. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { loadContract } from '@bgr/spec/contract';
import { loadConfig } from '../../src/process/config.ts';
import { startServer, type Running } from '../../src/process/serve.ts';
import { FakeEngine } from '../../testing/fake-engine.ts';
import { expectConforms } from '../../testing/harness.ts';

export const KEY = 'hostile_corpus_key';

export interface CorpusServer extends Running {
  engine: FakeEngine;
  port: number;
}

/** Loopback is allow-listed so the hostile origin (on 127.0.0.1) can be reached; its redirects are still checked per hop. */
export async function startCorpusServer(env: Record<string, string> = {}): Promise<CorpusServer> {
  const config = loadConfig({
    PORT: '0',
    BGR_API_KEYS: KEY,
    BGR_RATE_LIMIT: '100000/min',
    BGR_ALLOW_PRIVATE_URLS: '127.0.0.1',
    BGR_BODY_LIMIT: '2MiB',
    BGR_FETCH_MAX_BYTES: '1MiB',
    BGR_FETCH_TIMEOUT_S: '2',
    BGR_MAX_PIXELS: '10e6',
    BGR_HEADERS_TIMEOUT_S: '1',
    BGR_REQUEST_TIMEOUT_S: '2',
    BGR_KEEPALIVE_TIMEOUT_S: '1',
    BGR_SHUTDOWN_GRACE_S: '1',
    ...env,
  });
  const engine = new FakeEngine();
  const running = await startServer({ config, engine });
  return { ...running, engine, port: Number(new URL(running.url).port) };
}

/** The contract's checks for a routed answer, plus: never 5xx, and the expected status and code. */
export function expectAnswer(
  method: string,
  url: string,
  res: LightMyRequestResponse,
  status: number,
  code?: string,
): void {
  expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBe(status);
  expect(res.statusCode).toBeLessThan(500);
  if (code) expect(res.json().code).toBe(code);
  expectConforms(method, url.split('?')[0]!, res);
}

/** Error bodies produced below the router (transport errors) have no operation: check the shared shape alone. */
export function expectErrorBody(body: string, code: string): void {
  const json = JSON.parse(body) as unknown;
  expect(loadContract().validateSchema('Error', json), body).toEqual([]);
  expect((json as { code: string }).code).toBe(code);
}

/** Submits and polls until the request ends; the FAILED body or the COMPLETED result. */
export async function v2Outcome(
  s: CorpusServer,
  payload: InjectOptions['payload'],
  headers: Record<string, string> = {},
): Promise<{ submit: LightMyRequestResponse; end?: LightMyRequestResponse }> {
  const submit = await s.app.inject({
    method: 'POST',
    url: '/v2/bg-removal',
    headers: { 'x-api-key': KEY, ...headers },
    payload,
  });
  if (submit.statusCode !== 200) return { submit };
  const id = submit.json().request_id as string;
  for (let i = 0; i < 200; i++) {
    const end = await s.app.inject({ method: 'GET', url: `/v2/requests/${id}`, headers: { 'x-api-key': KEY } });
    if (end.statusCode !== 202) {
      expectConforms('GET', `/v2/requests/${id}`, end);
      return { submit, end };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`request ${id} did not end`);
}
