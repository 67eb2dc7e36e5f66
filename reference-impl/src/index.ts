/** Public entry of @bgr/reference: start the reference server from code (the CLI is `bgr-reference`). */
export { engineConfigOf, serveCommand, startServer } from './serve.ts';
export type { Running, ServerDeps } from './serve.ts';
export { loadConfig } from './config.ts';
export type { Config } from './config.ts';
export { createEngine } from './engine/index.ts';
