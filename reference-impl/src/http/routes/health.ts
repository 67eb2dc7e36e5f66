/** Liveness and readiness probes, outside the contract and without auth (issue 3 "Server", issue 6 "Redis"). */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine/types.ts';
import { describeCpu } from '../../engine/cpu.ts';

/**
 * `/healthz`: the process answers. `/readyz`: 200 only once the engine is loaded and warm and the
 * backend (Redis, when there is one) answers; else 503, so a load balancer stops sending traffic here.
 */
export function healthRoutes(app: FastifyInstance, engine: Engine, isClosing: () => boolean, backendUp?: () => Promise<boolean>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (isClosing()) return reply.code(503).send({ status: 'closing' });
    if (!engine.isReady()) return reply.code(503).send({ status: 'loading' });
    if (backendUp && !(await backendUp())) return reply.code(503).send({ status: 'backend_unavailable' });
    // The CPU says where this deployment's int8 speed figures apply (engine README, "Precision").
    return reply.code(200).send({ status: 'ready', cpu: describeCpu() });
  });
}
