// GET /node — what this node offers: chain identity, prices, capacity, the
// WireGuard server key and endpoint, and the usage payment policy.
import type { Route } from '../http/router.js';

export const nodeRoute: Route = {
  method: 'GET',
  path: '/node',
  name: 'node',
  async handle(_r, ctx) {
    const { node, config, sessions, pool } = ctx;
    const a = node.account;
    return {
      json: {
        node: node.address.toBase58(),
        provider: node.provider.toBase58(),
        authority: ctx.chain.authority.publicKey.toBase58(),
        endpoint: node.endpoint,
        region: a.region,
        isActive: a.isActive,
        pricePerMinute: a.pricePerMinute,
        pricePerMinuteToken: a.pricePerMinuteToken,
        maxCapacity: a.maxCapacity,
        activeSessionsOnChain: a.activeSessions,
        peers: sessions.peers.presentPeerCount,
        tunnel: config.tunnel,
        wireguard: {
          publicKey: node.serverPublicKey,
          endpoint: node.endpoint,
          serverAddress: pool.serverAddress,
          pool: pool.cidr,
          poolFree: sessions.peers.poolFree,
          dns: config.wireguard.dns,
          clientAllowedIps: config.wireguard.clientAllowedIps,
          probe: node.probeUrl,
        },
        auth: { message: 'dvpn-auth/v1|<sessionPda>|<clientWgPubkey>|<timestamp>', timestampWindowSeconds: config.auth.timestampWindowSeconds },
        usage: {
          tickIntervalSeconds: config.usage.tickIntervalSeconds,
          tickGraceSeconds: config.usage.tickGraceSeconds,
          bytesPerTick: config.usage.bytesPerTick,
          maxTickGap: config.usage.maxTickGap,
        },
        refreshedAt: new Date(node.refreshedAt).toISOString(),
      },
    };
  },
};
