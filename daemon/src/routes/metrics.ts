// GET /metrics — Prometheus text format (prom-client).
import type { Route } from '../http/router.js';

export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  name: 'metrics',
  rateLimited: false,
  async handle(_r, ctx) {
    return ctx.metrics.render();
  },
};
