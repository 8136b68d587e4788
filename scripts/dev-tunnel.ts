// The dev node's daemon with real WireGuard (DVPN_DEV_TUNNEL=wireguard; root, /dev/net/tun,
// wireguard-go, wg and ip): two network namespaces joined by a veth pair, the daemon and
// wireguard-go in the server one (its API on 192.0.2.1:51820 and a Unix socket, WireGuard on
// UDP 192.0.2.1:51820, tunnel addresses 10.77.0.0/24), the client one left for whoever brings
// a config up (`ip netns exec <client> ...`; the browser test does). The host reaches the
// daemon's API on 127.0.0.1:<port> (a forwarder to its socket); the daemon reaches the
// chain's RPC through forwarders into its namespace. Nothing is added to the host's own
// network namespace. The set-up is daemon/test/helpers/netns.ts's, shared with the daemon's
// tunnel test.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import {
  Procs,
  REPO,
  createNamespacePair,
  forwardIntoNamespaces,
  onPath,
  removeNamespaces,
  startWireguardGo,
  tcpToUnix,
} from '../daemon/test/helpers/netns.js';

export const TUNNEL_SERVER_IP = '192.0.2.1';
export const TUNNEL_CLIENT_IP = '192.0.2.2';
export const TUNNEL_POOL = '10.77.0.0/24';
/** The node's own address in the tunnel (the pool's first). */
export const TUNNEL_NODE_ADDRESS = '10.77.0.1';
export const TUNNEL_WG_PORT = 51820;

/** The names of a run's namespaces and interfaces (short: interface names stop at 15 characters). */
export function tunnelNames(tag: string) {
  return {
    serverNs: `dvpn-dev-s-${tag}`,
    clientNs: `dvpn-dev-c-${tag}`,
    serverIf: `dvds${tag}`,
    vethServer: `dvvs${tag}`,
    vethClient: `dvvc${tag}`,
  };
}

/** Removes a run's namespaces and whatever still runs in them (after a crash, too). */
export async function removeTunnelNamespaces(tag: string): Promise<void> {
  const n = tunnelNames(tag);
  await removeNamespaces([n.serverNs, n.clientNs]);
  rmSync(`/var/run/wireguard/${n.serverIf}.sock`, { force: true });
}

export interface TunnelNode {
  /** The daemon's API on the host (127.0.0.1). */
  daemonUrl: string;
  serverNs: string;
  clientNs: string;
  /** The WireGuard endpoint (and the API's host:port in the namespace): the node's on-chain endpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

/** What this machine lacks for it (empty: it can run). */
export function tunnelMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces)');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun');
  for (const bin of ['wireguard-go', 'wg', 'ip']) if (!onPath(bin)) missing.push(`${bin} on PATH`);
  return missing;
}

export async function startTunnelNode(o: {
  tag: string;
  dir: string;
  rpcUrl: string;
  wsUrl: string;
  node: string;
  authorityPath: string;
  /** The server's WireGuard private key (base64), as announced on chain. */
  serverPrivateKey: string;
  /** Host port of the daemon's API (127.0.0.1). */
  apiPort: number;
  corsOrigins: string[];
  claimIntervalSeconds?: number;
  tickIntervalSeconds?: number;
  logLevel?: string;
}): Promise<TunnelNode> {
  const missing = tunnelMissing();
  if (missing.length) throw new Error(`DVPN_DEV_TUNNEL=wireguard needs: ${missing.join('; ')}`);
  const n = tunnelNames(o.tag);
  const procs = new Procs();
  const hostServers: net.Server[] = [];
  const stop = async () => {
    await procs.stopAll();
    await removeTunnelNamespaces(o.tag);
    for (const s of hostServers) s.close();
  };
  try {
    await createNamespacePair({ server: n.serverNs, client: n.clientNs, serverIp: TUNNEL_SERVER_IP, clientIp: TUNNEL_CLIENT_IP, vethServer: n.vethServer, vethClient: n.vethClient });
    await startWireguardGo(procs, n.serverNs, n.serverIf, join(o.dir, 'wireguard-go-server.log'));
    hostServers.push(
      ...(await forwardIntoNamespaces(procs, o.dir, [n.serverNs], [
        { hostPort: Number(new URL(o.rpcUrl).port), nsPort: 8899 },
        { hostPort: Number(new URL(o.wsUrl).port), nsPort: 8900 },
      ])),
    );
    const keyPath = join(o.dir, 'wg-server.key');
    writeFileSync(keyPath, `${o.serverPrivateKey}\n`, { mode: 0o600 });
    const socket = join(o.dir, 'daemon-api.sock');
    const daemon = procs.start(n.serverNs, [process.execPath, '--import', 'tsx', join(REPO, 'daemon/bin/dvpn-daemon.ts')], {
      env: {
        DVPN_RPC_URL: 'http://127.0.0.1:8899',
        DVPN_WS_URL: 'ws://127.0.0.1:8900',
        DVPN_AUTHORITY_KEYPAIR: o.authorityPath,
        DVPN_NODE: o.node,
        DVPN_HTTP_HOST: TUNNEL_SERVER_IP,
        DVPN_HTTP_PORT: String(TUNNEL_WG_PORT),
        DVPN_HTTP_SOCKET: socket,
        DVPN_CORS_ORIGINS: o.corsOrigins.join(','),
        DVPN_WG_INTERFACE: n.serverIf,
        DVPN_WG_CONFIGURE: 'true',
        DVPN_WG_PRIVATE_KEY_FILE: keyPath,
        DVPN_WG_LISTEN_PORT: String(TUNNEL_WG_PORT),
        DVPN_WG_POOL: TUNNEL_POOL,
        // Only the tunnel's own network: the namespaces have no way out to the internet.
        DVPN_WG_CLIENT_ALLOWED_IPS: TUNNEL_POOL,
        DVPN_CLAIM_INTERVAL_SECONDS: String(o.claimIntervalSeconds ?? 60),
        ...(o.tickIntervalSeconds ? { DVPN_TICK_INTERVAL_SECONDS: String(o.tickIntervalSeconds) } : {}),
        DVPN_POLL_INTERVAL_MS: '500',
        DVPN_STATE_DIR: join(o.dir, 'daemon-state'),
        DVPN_LOG_LEVEL: o.logLevel ?? 'warn',
      },
      log: join(o.dir, 'daemon.log'),
    });
    hostServers.push(await tcpToUnix('127.0.0.1', o.apiPort, socket));
    const daemonUrl = `http://127.0.0.1:${o.apiPort}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`the dev node's daemon exited ${daemon.exitCode} (see ${join(o.dir, 'daemon.log')})`);
      const ok = await fetch(`${daemonUrl}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the dev node's daemon did not answer /healthz in 60 s (see ${join(o.dir, 'daemon.log')})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { daemonUrl, serverNs: n.serverNs, clientNs: n.clientNs, endpoint: `${TUNNEL_SERVER_IP}:${TUNNEL_WG_PORT}`, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
