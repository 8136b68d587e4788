// What the node daemon answers, as the daemon builds it and the CLI and the
// web app read it: one description, so a field cannot drift between them.
import type { WgClientConfig } from './wireguard.js';

/** The `payment` object of the daemon's answers (POST /session/auth, GET /session/:id). */
export interface PaymentView {
  mode: 'time' | 'usage';
  tickIntervalSeconds?: number;
  tickGraceSeconds?: number;
  bytesPerTick?: number;
  paidTick?: string;
  owedTick?: string;
  maxTicks?: string;
  tickAmount?: string;
  claimedTick: string;
}

/** A successful authentication, as the daemon's session manager returns it. */
export interface AuthResult {
  session: string;
  mode: 'time' | 'usage';
  clientPublicKey: string;
  expiresAt: string;
  wireguard: WgClientConfig;
  /** wg-quick file without the PrivateKey line (add `PrivateKey = ...` under [Interface]). */
  config: string;
  payment: PaymentView;
  /** GET this through the tunnel to check it serves (null when the node does not offer it). */
  probe: string | null;
}

/** The body of POST /session/auth: the result plus the node's tunnel kind ('none': a test node, no VPN). */
export interface AuthAnswer extends AuthResult {
  tunnel: 'wireguard' | 'none';
}

/** The body of POST /session/:id/ticks: where the usage session stands after the tick. */
export interface TickAnswer {
  session: string;
  paidTick: string;
  owedTick: string;
  claimedTick: string;
  /** false: the node removed the peer (the tunnel no longer serves). */
  peerActive: boolean;
  phase: 'active' | 'ended' | 'settled';
}
