#!/usr/bin/env node
/** The published `bgr-reference` CLI: the reference server (`bgr-reference --help` lists every setting). */
import { serveCommand } from './serve.ts';

// `bgr-reference serve …` reads like the repository's `bgr serve …`; the word is optional.
const args = process.argv.slice(2);
process.exitCode = await serveCommand(args[0] === 'serve' ? args.slice(1) : args);
