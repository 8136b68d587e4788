// The no-tunnel mode (DVPN_TUNNEL=none): a WireGuard driver that carries no
// traffic. Everything else runs for real — signatures, session reads, the key
// and capacity rules, the address pool, usage ticks, claims — so a provider can
// try the daemon without root or a WireGuard interface, and `make dev` can run
// one. Peers live in memory; metering reads zero bytes. /node and /healthz say
// `tunnel: "none"` so no client mistakes it for a VPN.
import { assertIpv4, assertWgKey } from './keys.js';
import type { WgDriver, WgDump } from './wg.js';

export class NoTunnelWg implements WgDriver {
  readonly iface = 'no-tunnel';
  private readonly peers = new Map<string, string>();
  private key: string | null = null;

  /** The server key to announce: the node's key on chain (there is no interface to read it from). */
  announce(publicKey: string): void {
    this.key = assertWgKey(publicKey, 'node WireGuard key');
  }

  async publicKey(): Promise<string> {
    if (!this.key) throw new Error('no-tunnel driver: the node key was not announced');
    return this.key;
  }

  async dump(): Promise<WgDump> {
    return {
      publicKey: await this.publicKey(),
      listenPort: 0,
      peers: [...this.peers].map(([publicKey, address]) => ({
        publicKey,
        endpoint: null,
        allowedIps: [`${address}/32`],
        latestHandshake: 0,
        rxBytes: 0n,
        txBytes: 0n,
      })),
    };
  }

  async setPeer(publicKey: string, address: string): Promise<void> {
    this.peers.set(assertWgKey(publicKey), assertIpv4(address));
  }

  async removePeer(publicKey: string): Promise<void> {
    this.peers.delete(assertWgKey(publicKey));
  }

  async configure(): Promise<void> {
    throw new Error('no-tunnel mode has no interface to configure (unset DVPN_WG_CONFIGURE or DVPN_TUNNEL=none)');
  }
}
