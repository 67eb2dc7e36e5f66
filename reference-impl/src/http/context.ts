/** What handlers (v1 here, v2 from the lifecycle engineer) reach through `app.bgr`: config, engine, keys, clock and input policy. */
import type { Config } from '../process/config.ts';
import type { Engine } from '../engine/types.ts';
import type { FetchPolicy } from '../input/guarded-fetch.ts';
import type { InputPolicy } from '../input/image.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Clock, KeyStore } from '../ports.ts';

export interface AppContext {
  config: Config;
  engine: Engine;
  keys: KeyStore;
  clock: Clock;
  /** Image-input policy (SSRF fetch policy + pixel limit) for resolveImage(). */
  input: InputPolicy;
  /** The SSRF policy alone, for other outbound requests (webhooks). */
  fetchPolicy: FetchPolicy;
  /** True once shutdown has begun. */
  isClosing(): boolean;
  /** This node's metrics, e.g. `metrics.imagesInFlight = () => admission.usage.images`; absent in bare test apps. */
  metrics?: Metrics;
}

/** The fetch policy derived from Config. */
export function fetchPolicyOf(config: Config): FetchPolicy {
  return {
    allowPrivate: config.allowPrivateUrls,
    timeoutMs: config.fetchTimeoutS * 1000,
    maxBytes: config.fetchMaxBytes,
    maxRedirects: config.fetchMaxRedirects,
  };
}
