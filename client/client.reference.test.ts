/**
 * The client's shared scenarios against the reference server with the sandbox engine (no model; in-memory backend),
 * its scripted outcomes acting out each branch: with every extension, and in the production service's shape.
 */
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../reference-impl/src/process/config.ts';
import { ballScene, render } from '../reference-impl/src/engine/synthetic.ts';
import { sandboxDeps, startServer, type Running } from '../reference-impl/src/process/serve.ts';
import { createSandbox, SCRIPT_HEADER } from '../reference-impl/src/sandbox/index.ts';
import { describeScenarios, type Script } from './testing/scenarios.ts';

const key = 'client-scenarios-key';
let server: Running;
/** The same server in the production service's shape (no codes, 200 while pending, no cancel, no stream). */
let prod: Running;
let image: Buffer;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: key, BGR_SHUTDOWN_GRACE_S: '1' });
  image = (await render(ballScene(160, 120))).image;
  // 300 ms per image: a request is seen pending ("processing") and still ends quickly.
  const prodConfig = loadConfig({
    PORT: '0',
    BGR_API_KEYS: key,
    BGR_SHUTDOWN_GRACE_S: '1',
    BGR_SANDBOX_SHAPE: 'production',
  });
  [server, prod] = await Promise.all([
    startServer({
      config,
      engine: createSandbox({ maxPixels: config.maxPixels, timeMs: 300 }),
      ...sandboxDeps(config),
    }),
    startServer({
      config: prodConfig,
      engine: createSandbox({ maxPixels: config.maxPixels, timeMs: 300 }),
      ...sandboxDeps(prodConfig),
    }),
  ]);
});
afterAll(() => Promise.all([server?.shutdown(), prod?.shutdown()]));

/**
 * How the sandbox acts out each script (its `x-bgr-sandbox` header); `{}` where its ordinary behaviour does.
 * A long rate limit and a malformed submit are left to the fake server: the sandbox's 429 passes on retry,
 * and it never answers a submit without URLs.
 */
const SANDBOX: Record<Script, Record<string, string> | undefined> = {
  unauthorized: {},
  'not-found': {},
  processing: {},
  fail: { [SCRIPT_HEADER]: 'fail=inference_failed' },
  slow: { [SCRIPT_HEADER]: 'queued' },
  'rate-limit-once': { [SCRIPT_HEADER]: 'once=429' },
  'rate-limited': undefined,
  'bad-submit': undefined,
};

describeScenarios(
  {
    name: 'the reference server (sandbox engine)',
    capabilities: new Set(['lifecycle', 'cancel', 'images', 'error-codes', 'status-stream', 'output-options']),
    script: (name) => SANDBOX[name],
    interval: 50,
  },
  () => ({ baseUrl: server.url, apiKey: key, image }),
);

describeScenarios(
  {
    name: 'the reference server (sandbox engine) in the production shape',
    capabilities: new Set(['lifecycle', 'images']),
    script: (name) => SANDBOX[name],
    interval: 50,
  },
  () => ({ baseUrl: prod.url, apiKey: key, image }),
);
