// POST /session/auth {sessionPda, clientWgPubkey, signature, timestamp}
// -> the client's WireGuard config once the session and signature check out.
import { wgQuickConfig, type AuthResult, type WgClientConfig } from '@dvpn/sdk';
import type { AppContext } from '../context.js';
import { readJson } from '../http/body.js';
import type { Route } from '../http/router.js';
import type { Admission } from '../sessions/auth.js';
import { AuthRequest } from '../validation.js';

/** The answer to an admission: the client's WireGuard config and the session's payment terms. */
export function authView({ rec, key, address, payment }: Admission, ctx: AppContext): AuthResult {
  const { config, node } = ctx;
  const wireguard: WgClientConfig = {
    interface: { address: `${address}/32`, dns: config.wireguard.dns, ...(config.wireguard.mtu ? { mtu: config.wireguard.mtu } : {}) },
    peer: {
      publicKey: node.serverPublicKey,
      endpoint: node.endpoint,
      allowedIps: config.wireguard.clientAllowedIps,
      persistentKeepalive: config.wireguard.persistentKeepalive,
    },
  };
  return {
    session: rec.session,
    mode: rec.mode,
    clientPublicKey: key,
    expiresAt: rec.endTs.toString(),
    wireguard,
    config: wgQuickConfig(wireguard),
    payment,
    probe: node.probeUrl,
  };
}

export const sessionAuthRoute: Route = {
  method: 'POST',
  path: '/session/auth',
  name: 'session_auth',
  countsFailures: true,
  async handle({ req }, ctx) {
    const body = await readJson(req, ctx.config.http.bodyLimitBytes, AuthRequest);
    const admission = await ctx.sessions.auth.authenticate(body);
    // `tunnel` tells the client whether the config will carry traffic (`none`: the no-tunnel mode).
    return { status: 200, json: { ...authView(admission, ctx), tunnel: ctx.config.tunnel } };
  },
};
