/** The table of `bgr` subcommands; each role registers its entry here. */
import { command } from './cli.ts';

command('serve', 'run the reference API server', async () => async () => {
  process.stderr.write('bgr serve: the reference engine is not built yet\n');
  return 1;
});

command('check', 'run the conformance suite against a deployment', async () => (await import('../conformance/src/cli.ts')).checkCommand);
