/** What handlers reach through `app.bgr`: config, the removal service, keys, clock and metrics. */
import type { Config } from '../process/config.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Clock, KeyStore } from '../ports.ts';
import type { RemovalService } from '../removal/service.ts';

export interface AppContext {
  config: Config;
  service: RemovalService;
  keys: KeyStore;
  clock: Clock;
  /** True once shutdown has begun. */
  isClosing(): boolean;
  /** This node's metrics, e.g. `metrics.imagesInFlight = () => admission.usage.images`; absent in bare test apps. */
  metrics?: Metrics;
}
