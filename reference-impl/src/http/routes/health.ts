/** Liveness and readiness probes, outside the contract and without auth. */
import type { FastifyInstance } from 'fastify';
import { describeCpu } from '../../engine/cpu.ts';

/**
 * `/healthz`: the process answers. `/readyz`: 200 only once images can run here (`ready`: the engine is
 * loaded and warm; always on an API-only node, whose images run on the workers) and the
 * backend (Redis, when there is one) answers; else 503, so a load balancer stops sending traffic here.
 */
export function healthRoutes(
  app: FastifyInstance,
  ready: () => boolean,
  isClosing: () => boolean,
  backendUp?: () => Promise<boolean>,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (isClosing()) return reply.code(503).send({ status: 'closing' });
    if (!ready()) return reply.code(503).send({ status: 'loading' });
    if (backendUp && !(await backendUp())) return reply.code(503).send({ status: 'backend_unavailable' });
    // The CPU says where this deployment's int8 speed figures apply (engine README, "Precision").
    return reply.code(200).send({ status: 'ready', cpu: describeCpu() });
  });
}
