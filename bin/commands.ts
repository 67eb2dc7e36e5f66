/** The table of `bgr` subcommands; each role registers its entry here. */
import { command } from './cli.ts';

command('serve', 'run the reference API server (bgr serve --help for options)', async () =>
  (await import('../reference-impl/src/serve.ts')).serveCommand);

command('mock', 'serve the contract with the Prism mock', async () => (await import('../mock/server.ts')).mockCommand);

command('check', 'run the conformance suite against a deployment', async () => (await import('../conformance/src/cli.ts')).checkCommand);

command('docs', 'build the docs site into docs/site/', async () => (await import('../docs/build.ts')).docsCommand);

command('bench', 'benchmarks: engine, v1 over HTTP, v2 load (bgr bench --help)', async () => (await import('../reference-impl/bench/index.ts')).benchCommand);
