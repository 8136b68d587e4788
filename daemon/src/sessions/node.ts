// The Node this daemon serves: its account on chain (refreshed by the
// lifecycle loop), the WireGuard server key and the endpoint announced.
import type { PublicKey } from '@solana/web3.js';
import type { NodeAccount } from '@dvpn/sdk';

export interface NodeState {
  address: PublicKey;
  /** Provider PDA. */
  provider: PublicKey;
  account: NodeAccount;
  /** The interface's public key (base64). */
  serverPublicKey: string;
  /** host:port announced in client configs. */
  endpoint: string;
  refreshedAt: number;
  /** URL clients can reach through the tunnel to check it serves (null when the API is not reachable there). */
  probeUrl: string | null;
  /** Lamports of the provider authority (pays claim fees), as last read; null before the first read. */
  authorityLamports: number | null;
}
