// POST /session/:pda/ticks {tick, preimage} — a usage session pays through `tick`.
import type { TickAnswer } from '@dvpn/sdk';
import type { AppContext } from '../context.js';
import { readJson, validate } from '../http/body.js';
import type { Route } from '../http/router.js';
import type { SessionRecord } from '../state/types.js';
import { PubkeyString, TickRequest } from '../validation.js';

export function tickView(rec: SessionRecord, ctx: AppContext): TickAnswer {
  return {
    session: rec.session,
    paidTick: rec.latestTick.toString(),
    owedTick: ctx.sessions.usage.owedTick(rec).toString(),
    claimedTick: rec.chainTick.toString(),
    peerActive: rec.peer !== null,
    phase: rec.phase,
  };
}

export const sessionTicksRoute: Route = {
  method: 'POST',
  path: '/session/:pda/ticks',
  name: 'session_ticks',
  countsFailures: true,
  async handle({ req, params }, ctx) {
    const pda = validate(PubkeyString, params.pda);
    const body = await readJson(req, ctx.config.http.bodyLimitBytes, TickRequest);
    return { status: 200, json: tickView(await ctx.sessions.ticks.pay(pda, body), ctx) };
  },
};
