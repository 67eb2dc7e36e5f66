/** `bgr serve --role worker`: runs the jobs (v1 and v2) from Redis; its only HTTP is `/healthz`, `/readyz` and `/metrics`. */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { createRemovalService, type V2Backend } from './removal-service.ts';
import type { Config } from './config.ts';
import type { Engine } from '../engine/types.ts';
import { installErrorHandlers } from '../errors.ts';
import { Admission } from '../policy/admission.ts';
import type { KeyStore } from '../ports.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { metricsRoutes } from '../http/routes/metrics.ts';
import { healthRoutes } from '../http/routes/health.ts';
import type { WebhookPort } from '../removal/webhook.ts';
import { listen, type Running } from './running.ts';
import type { RemovalService } from '../removal/service.ts';
import { describeCpu } from '../engine/cpu.ts';

export interface WorkerNodeDeps {
  config: Config;
  engine: Engine;
  keys: KeyStore;
  backend: V2Backend;
  log: FastifyBaseLogger;
  /** Whether Redis answers, for `/readyz`. */
  backendUp: () => Promise<boolean>;
  onLifecycle?: (service: RemovalService) => void;
  metrics: Metrics;
  /** The durable webhook queue (delivering on this node already); absent → sent from this process. */
  webhooks?: WebhookPort;
}

/**
 * Listens for the probes at once, and takes jobs only once the model is loaded and warm: a job taken
 * earlier would wait for the model while a ready worker could have run it.
 */
export async function startWorkerNode(deps: WorkerNodeDeps): Promise<Running> {
  const { config, log, metrics } = deps;
  const { engine } = deps;
  if (engine.restarts) metrics.workerRestarts = () => engine.restarts!();
  // The jobs' admission control (pixel budget) is also what "images in flight" reports, as on the other roles.
  const admission = new Admission(config);
  metrics.imagesInFlight = () => admission.usage.images;
  if (deps.backend.depth) metrics.queueDepth = () => deps.backend.depth!();
  const app = Fastify({ loggerInstance: log, return503OnClosing: false });
  installErrorHandlers(app);
  let closing = false;
  let service: RemovalService | undefined;
  app.addHook('preClose', async () => {
    closing = true;
  });
  healthRoutes(
    app,
    () => engine.isReady(),
    () => closing,
    deps.backendUp,
  );
  if (config.metrics) metricsRoutes(app, metrics);
  engine.ready().then(
    () => {
      if (closing) return;
      service = createRemovalService(config, {
        engine,
        keys: deps.keys,
        backend: deps.backend,
        log,
        metrics,
        admission,
        ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
      });
      deps.onLifecycle?.(service);
      log.info({ cpu: describeCpu() }, 'worker taking jobs');
    },
    (err: Error) => log.error({ err }, 'engine failed to become ready: this worker takes no jobs'),
  );
  // Running jobs finish within the grace period, the rest go back to the queue for another worker.
  app.addHook('onClose', async () => {
    await service?.close();
    await deps.backend.close?.();
  });
  return listen(app, engine, config);
}
