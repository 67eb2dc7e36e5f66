/** `GET /metrics` (Prometheus text format) and the hook counting every HTTP response by route and status. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/metrics.ts';

/**
 * Without auth, like the probes: Prometheus scrapers rarely carry API keys, and the numbers name no key
 * or request. Operators who must not expose them set BGR_METRICS=false or block the path at the proxy
 * (docs/deploy.md). Route labels are templates (`/v2/requests/:id/status`), never raw URLs, so the
 * label set stays bounded whatever clients send; unmatched paths count as `unmatched`.
 */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    metrics.httpRequests.inc({ method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
}
