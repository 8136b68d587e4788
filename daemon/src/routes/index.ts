import type { Route } from '../http/router.js';
import { healthzRoute } from './healthz.js';
import { metricsRoute } from './metrics.js';
import { nodeRoute } from './node.js';
import { sessionAuthRoute } from './session-auth.js';
import { sessionGetRoute } from './session-get.js';
import { sessionTicksRoute } from './session-ticks.js';

export const routes: Route[] = [sessionAuthRoute, sessionTicksRoute, sessionGetRoute, nodeRoute, metricsRoute, healthzRoute];
