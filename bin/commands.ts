/** The table of `bgr` subcommands; each role registers its entry here. */
import { command } from './cli.ts';

command('serve', 'run the reference API server (bgr serve --help for options)', async () =>
  (await import('../reference-impl/src/serve.ts')).serveCommand);
