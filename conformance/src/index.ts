/** Public entry of @bgr/conformance: run the suite from code (the CLI is `bgr check`). */
export { checkCommand } from './cli.ts';
export { ConnectionError, runChecks } from './runner.ts';
export { profiles } from './registry.ts';
export type { Check, Level, Profile } from './check.ts';
