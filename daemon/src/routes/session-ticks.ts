// POST /session/:pda/ticks {tick, preimage} — a usage session pays through `tick`.
import { readJson, validate } from '../http/body.js';
import type { Route } from '../http/router.js';
import { PubkeyString, TickRequest } from '../validation.js';

export const sessionTicksRoute: Route = {
  method: 'POST',
  path: '/session/:pda/ticks',
  name: 'session_ticks',
  countsFailures: true,
  async handle({ req, params }, ctx) {
    const pda = validate(PubkeyString, params.pda);
    const body = await readJson(req, ctx.config.http.bodyLimitBytes, TickRequest);
    return { status: 200, json: await ctx.sessions.tick(pda, body) };
  },
};
