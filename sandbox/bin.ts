#!/usr/bin/env node
/** The published `bgr-sandbox` CLI: the reference server on its model-free engine (`bgr-sandbox --help`). */
import { sandboxCommand } from '../reference-impl/src/process/sandbox.ts';

process.exitCode = await sandboxCommand(process.argv.slice(2));
