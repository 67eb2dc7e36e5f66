/** Public entry of @bgr/reference: start the reference server from code (the CLI is `bgr-reference`). */
export { engineConfigOf, serveCommand, startServer } from './process/serve.ts';
export type { Running, ServerDeps } from './process/serve.ts';
export { loadConfig } from './process/config.ts';
export type { Config } from './process/config.ts';
export { createEngine } from './engine/index.ts';
export { startSandbox, sandboxDeps } from './process/sandbox.ts';
