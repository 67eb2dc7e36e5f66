/** meteredEngine: an Engine that counts its images in flight and reports each inference time to Metrics. */
import type { Engine } from '../engine/types.ts';
import type { Metrics } from './metrics.ts';

/**
 * Wraps a local engine (never the API node's QueueEngine: its inference runs, and is counted, on the
 * workers). Wires `imagesInFlight` (until an admission controller owns it) and `workerRestarts`.
 */
export function meteredEngine(engine: Engine, metrics: Metrics): Engine {
  let inFlight = 0;
  metrics.imagesInFlight = () => inFlight;
  if (engine.restarts) metrics.workerRestarts = () => engine.restarts!();
  return {
    ready: () => engine.ready(),
    isReady: () => engine.isReady(),
    close: () => engine.close(),
    ...(engine.restarts ? { restarts: () => engine.restarts!() } : {}),
    async removeBackground(input, opts) {
      inFlight++;
      try {
        const result = await engine.removeBackground(input, opts);
        metrics.inferenceDuration.observe(result.timings.infer / 1000);
        return result;
      } finally {
        inFlight--;
      }
    },
  };
}
