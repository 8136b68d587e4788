// GET /metrics — Prometheus text format (prom-client).
import type { Route } from '../http/router.js';

export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  name: 'metrics',
  rateLimited: false,
  // ~1 ms of CPU per answer (every collector runs): a flood from one client slowed everyone's API 17x.
  scrapeLimited: true,
  async handle(_r, ctx) {
    return ctx.metrics.render();
  },
};
