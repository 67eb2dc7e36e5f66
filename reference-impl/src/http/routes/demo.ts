/** The demo page at `/`: a static page that drives v2, and the key it may use in dev mode. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const page = readFileSync(new URL('../../../demo/index.html', import.meta.url));

/**
 * `/demo/config.json` hands the page the generated dev key only in dev mode (no key configured; the
 * server listens on 127.0.0.1 by default). With configured keys the page asks its user for one.
 */
export function demoRoutes(app: FastifyInstance, devKey: string | undefined): void {
  app.get('/', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  );
  app.get('/demo/config.json', async () => (devKey ? { devKey } : {}));
}
