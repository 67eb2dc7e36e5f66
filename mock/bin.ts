#!/usr/bin/env node
/** The published `bgr-mock` CLI: Prism serving the contract (`bgr-mock [--port N] [--host H]`). */
import { mockCommand } from './server.ts';

process.exitCode = await mockCommand(process.argv.slice(2));
