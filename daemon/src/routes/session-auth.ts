// POST /session/auth {sessionPda, clientWgPubkey, signature, timestamp}
// -> the client's WireGuard config once the session and signature check out.
import { readJson } from '../http/body.js';
import type { Route } from '../http/router.js';
import { AuthRequest } from '../validation.js';

export const sessionAuthRoute: Route = {
  method: 'POST',
  path: '/session/auth',
  name: 'session_auth',
  countsFailures: true,
  async handle({ req }, ctx) {
    const body = await readJson(req, ctx.config.http.bodyLimitBytes, AuthRequest);
    // `tunnel` tells the client whether the config will carry traffic (`none`: the no-tunnel mode).
    return { status: 200, json: { ...(await ctx.sessions.authenticate(body)), tunnel: ctx.config.tunnel } };
  },
};
