/** Liveness and readiness probes, outside the contract and without auth (issue 3 "Server"). */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../engine/types.ts';

/** `/healthz`: the process answers. `/readyz`: 200 only once the engine is loaded and warm, else 503. */
export function healthRoutes(app: FastifyInstance, engine: Engine, isClosing: () => boolean): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = engine.isReady() && !isClosing();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : isClosing() ? 'closing' : 'loading' });
  });
}
