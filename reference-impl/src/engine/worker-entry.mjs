// Worker bootstrap: registers tsx inside the worker thread so the TypeScript worker module runs the same way
// under `node bin/bgr.mjs`, tsx and vitest (worker threads do not inherit the parent's loader hooks).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
