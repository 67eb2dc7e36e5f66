// Worker bootstrap: registers tsx inside the worker thread so the TypeScript worker module runs the same way
// under `node bin/bgr.mjs`, tsx and vitest (worker threads do not inherit the parent's loader hooks).
// The published build runs worker.js and needs no tsx (not a dependency of the package).
import { workerData } from 'node:worker_threads';

if (workerData.script.endsWith('.ts')) {
  // eslint-disable-next-line import-x/no-extraneous-dependencies -- only from the sources, where the workspace has tsx
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.script);
