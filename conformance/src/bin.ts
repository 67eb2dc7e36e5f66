#!/usr/bin/env node
/** The published `bgr` CLI of @bgr/conformance: `bgr check …` and `bgr verify …` (the repository's own `bgr` also serves, mocks and benches). */
import { checkCommand } from './cli.ts';
import { verifyCommand } from './verify.ts';

const [name, ...rest] = process.argv.slice(2);
if (name === 'check') {
  process.exitCode = await checkCommand(rest);
} else if (name === 'verify') {
  process.exitCode = await verifyCommand(rest);
} else {
  process.stderr.write(
    'usage: bgr check --base-url URL --api-key KEY [options]   (bgr check --help lists them)\n       bgr verify ATTESTATION\n',
  );
  process.exitCode = name === undefined || name === '--help' || name === '-h' ? 0 : 2;
}
