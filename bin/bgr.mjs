#!/usr/bin/env node
// The repository's `bgr` entry: registers tsx and the `bgr-source` condition so the TypeScript sources of every
// workspace package run without a build step (the published packages have their own built bins).
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./source-condition.mjs', import.meta.url);
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
