/**
 * Test-only `bgr serve` with the fake engine (no model loaded): the Redis node wiring of the real server,
 * with `FakeEngine` answering each image after BGR_FAKE_DELAY_MS. Chaos and soak runs spawn it so that
 * many real processes fit on a small machine; product config is untouched.
 */
import { loadConfig, requireWebhookSecret } from '../../src/process/config.ts';
import { startRedisNode } from '../../src/process/distributed.ts';
import { createLogger } from '../../src/process/logger.ts';
import { startServer } from '../../src/process/serve.ts';
import { FakeEngine } from '../fake-engine.ts';

const config = loadConfig(process.env, []);
requireWebhookSecret(config);
const log = createLogger(config.logLevel, 'json');
const delayMs = Number(process.env.BGR_FAKE_DELAY_MS ?? 50);
const engines: FakeEngine[] = [];
const { running } = await startRedisNode(
  config,
  log,
  () => {
    const e = new FakeEngine({ delayMs });
    engines.push(e);
    return e;
  },
  startServer,
);
// The fake keeps every call (inputs included) for tests to inspect; a long-running node must not, or a soak
// measures the test double's memory instead of the server's.
setInterval(() => {
  for (const e of engines) e.calls.length = 0;
}, 1000).unref();
process.stdout.write(`bgr serve: listening on ${running.url} (role ${config.role}, fake engine)\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) process.exit(1);
  stopping = true;
  running.shutdown().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
