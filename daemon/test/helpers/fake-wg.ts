// An in-memory WireGuard for in-process daemon tests: records every call,
// keeps peers and their counters, can be told to fail.
import type { WgDriver, WgDump } from '../../src/wireguard/wg.js';
import { assertIpv4, assertWgKey } from '../../src/wireguard/keys.js';

export class FakeWg implements WgDriver {
  readonly calls: Array<{ op: string; args: string[] }> = [];
  readonly peers = new Map<string, { address: string; rx: bigint; tx: bigint; handshake: number }>();
  failSet = false;
  /** Removals of these keys are recorded at once and applied when the promise resolves (a `wg` call in progress). */
  readonly holdRemove = new Map<string, Promise<void>>();

  constructor(
    private readonly key: string,
    readonly iface = 'fakewg0',
  ) {}

  async publicKey(): Promise<string> {
    return this.key;
  }

  async dump(): Promise<WgDump> {
    return {
      publicKey: this.key,
      listenPort: 51820,
      peers: [...this.peers].map(([publicKey, p]) => ({
        publicKey,
        endpoint: null,
        allowedIps: [`${p.address}/32`],
        latestHandshake: p.handshake,
        rxBytes: p.rx,
        txBytes: p.tx,
      })),
    };
  }

  async setPeer(publicKey: string, address: string): Promise<void> {
    // The real driver validates the same way before exec.
    assertWgKey(publicKey);
    assertIpv4(address);
    this.calls.push({ op: 'set', args: [publicKey, address] });
    if (this.failSet) throw new Error('wg set failed (fake)');
    const existing = this.peers.get(publicKey);
    this.peers.set(publicKey, existing ? { ...existing, address } : { address, rx: 0n, tx: 0n, handshake: 0 });
  }

  async removePeer(publicKey: string): Promise<void> {
    assertWgKey(publicKey);
    this.calls.push({ op: 'remove', args: [publicKey] });
    const hold = this.holdRemove.get(publicKey);
    if (hold) await hold;
    this.peers.delete(publicKey);
  }

  async configure(): Promise<void> {
    this.calls.push({ op: 'configure', args: [] });
  }

  /** Simulates traffic on a peer. */
  traffic(publicKey: string, rx: bigint, tx: bigint): void {
    const p = this.peers.get(publicKey);
    if (!p) throw new Error(`no peer ${publicKey}`);
    p.rx += rx;
    p.tx += tx;
    p.handshake = Math.floor(Date.now() / 1000);
  }
}
