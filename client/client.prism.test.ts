import { afterAll, beforeAll } from 'vitest';
import { startPrism, type Prism } from './testing/prism.ts';
import { describeScenarios, type Script } from './testing/scenarios.ts';

// Prism keeps no state, so it drives error paths through `Prefer` (code and example) instead of a lifecycle.
const PREFER: Partial<Record<Script, string>> = {
  unauthorized: 'code=401',
  'not-found': 'code=404',
  processing: 'code=200, example=processing',
  fail: 'code=422',
  'rate-limited': 'code=429',
};

let prism: Prism;
beforeAll(async () => {
  prism = await startPrism();
});
afterAll(async () => {
  await prism?.close();
});

describeScenarios(
  {
    name: 'the Prism mock',
    capabilities: new Set(),
    script: (name) => (PREFER[name] ? { Prefer: PREFER[name] } : undefined),
    interval: 20,
  },
  () => ({ baseUrl: prism.url, apiKey: 'any-key', image: 'https://example.com/photo.jpg' }),
);
