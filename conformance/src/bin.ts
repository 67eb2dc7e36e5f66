#!/usr/bin/env node
/** The published `bgr` CLI of @bgr/conformance: `bgr check …` (the repository's own `bgr` also serves, mocks and benches). */
import { checkCommand } from './cli.ts';

const [name, ...rest] = process.argv.slice(2);
if (name === 'check') {
  process.exitCode = await checkCommand(rest);
} else {
  process.stderr.write('usage: bgr check --base-url URL --api-key KEY [options]   (bgr check --help lists them)\n');
  process.exitCode = name === undefined || name === '--help' || name === '-h' ? 0 : 2;
}
