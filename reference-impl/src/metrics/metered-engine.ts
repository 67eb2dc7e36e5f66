/** meteredEngine: an Engine that reports each inference time and the pool's worker restarts to Metrics. */
import type { Engine } from '../engine/types.ts';
import type { Metrics } from './metrics.ts';

/**
 * Wraps a local engine (never the API node's QueueEngine: its inference runs, and is counted, on the
 * workers). Images in flight are the node's admission control's count (see serve.ts, worker-node.ts).
 */
export function meteredEngine(engine: Engine, metrics: Metrics): Engine {
  if (engine.restarts) metrics.workerRestarts = () => engine.restarts!();
  return {
    ready: () => engine.ready(),
    isReady: () => engine.isReady(),
    close: () => engine.close(),
    ...(engine.restarts ? { restarts: () => engine.restarts!() } : {}),
    async removeBackground(input, opts) {
      const result = await engine.removeBackground(input, opts);
      metrics.inferenceDuration.observe(result.timings.infer / 1000);
      return result;
    },
  };
}
