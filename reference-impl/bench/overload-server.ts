/** The server under the overload bench, in its own process (so its peak RSS is its own): `startServer` on a FakeEngine with BENCH_FAKE_DELAY_MS per image. */
import { loadConfig } from '../src/process/config.ts';
import { startServer } from '../src/process/serve.ts';
import { FakeEngine } from '../testing/fake-engine.ts';

const config = loadConfig(process.env);
const engine = new FakeEngine({ delayMs: Number(process.env.BENCH_FAKE_DELAY_MS ?? 500), maxPixels: config.maxPixels });
const running = await startServer({ config, engine });
process.stdout.write(`bgr serve: listening on ${running.url}\n`);
process.on('SIGTERM', () => {
  void running.shutdown().then(() => process.exit(0));
});
