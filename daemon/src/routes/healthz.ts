// GET /healthz — 200 while the lifecycle loop polls successfully, 503 when its
// last poll is stale or failed (so a supervisor or load balancer can react).
import type { Route } from '../http/router.js';

export const healthzRoute: Route = {
  method: 'GET',
  path: '/healthz',
  name: 'healthz',
  rateLimited: false,
  async handle(_r, ctx) {
    const { lifecycle, config } = ctx;
    const staleAfter = Math.max(3 * config.lifecycle.pollIntervalMs, 10_000);
    const last = lifecycle.lastPollAt;
    const problems: string[] = [];
    if (last === null || Date.now() - last >= staleAfter) problems.push('poll_stale');
    else {
      if (!lifecycle.lastPollStagesOk) problems.push('poll_failed');
      if (lifecycle.peersOutOfSync) problems.push('peers_out_of_sync');
    }
    const lamports = ctx.node.authorityLamports;
    if (lamports !== null && lamports < config.claims.minAuthorityLamports) problems.push('authority_unfunded');
    const healthy = problems.length === 0;
    return {
      status: healthy ? 200 : 503,
      json: {
        status: healthy ? 'ok' : 'degraded',
        tunnel: config.tunnel,
        lastPollAt: last ? new Date(last).toISOString() : null,
        lastPollOk: lifecycle.lastPollOk,
        uptimeSeconds: Math.floor((Date.now() - ctx.startedAt) / 1000),
        // What WireGuard has (as dvpn_peers), not what the records hold.
        peers: ctx.sessions.peers.presentPeerCount,
        problems,
        authority: { address: ctx.chain.authority.publicKey.toBase58(), lamports },
      },
    };
  },
};
