// GET /metrics — Prometheus text format.
import type { Route } from '../http/router.js';

export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  name: 'metrics',
  rateLimited: false,
  async handle(_r, ctx) {
    return { text: ctx.metrics.registry.render(), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
  },
};
