/** The client's shared scenarios against the real reference server (real model, in-memory backend). */
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../reference-impl/src/process/config.ts';
import { createEngine } from '../reference-impl/src/engine/index.ts';
import { ballScene, render } from '../reference-impl/src/engine/synthetic.ts';
import { engineConfigOf, startServer, type Running } from '../reference-impl/src/process/serve.ts';
import { describeScenarios, type Script } from './testing/scenarios.ts';

const key = 'client-scenarios-key';
let server: Running;
let image: Buffer;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', BGR_API_KEYS: key });
  const engine = createEngine(engineConfigOf(config));
  [image] = await Promise.all([render(ballScene(160, 120)).then((c) => c.image), engine.ready()]);
  server = await startServer({ config, engine });
}, 180_000);
afterAll(() => server?.shutdown());

// What the reference acts out by itself: a real inference (≈ 2 s) is "slow" next to a 50 ms wait. A FAILED
// request, a 429 and a malformed submit are the conformance suite's and the fake server's to exercise.
const natural = new Set<Script>(['unauthorized', 'not-found', 'processing', 'slow']);

describeScenarios(
  {
    name: 'the reference server',
    capabilities: new Set(['lifecycle', 'cancel', 'images', 'error-codes', 'status-stream']),
    script: (name) => (natural.has(name) ? {} : undefined),
    interval: 200,
  },
  () => ({ baseUrl: server.url, apiKey: key, image }),
);
