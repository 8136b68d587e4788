// Settlement facts that the CLI, the daemon and the web app all need: the
// session's deadlines and the token accounts of a token session's settlement.
import { PublicKey } from '@solana/web3.js';
import { getAssociatedTokenAddressSync } from '@solana/spl-token';
import type { SessionAccount } from './accounts.js';
import { DVPN_PROGRAM_ID } from './constants.js';
import type { SplSettleAccounts } from './instructions.js';
import { findSessionVaultPda } from './pda.js';

/**
 * closed_at (or end_ts) + the session's own settle window (fixed at open): the
 * last moment claim_chunk and raise_dispute are accepted; after it anyone may settle.
 */
export function settleDeadline(s: Pick<SessionAccount, 'closedAt' | 'endTs' | 'settleWindowSeconds'>): bigint {
  return (s.closedAt > 0n ? s.closedAt : s.endTs) + s.settleWindowSeconds;
}

/** dispute_ts + the session's dispute window: after it anyone settles the dispute by the default rule. */
export function disputeDeadline(s: Pick<SessionAccount, 'disputeTs' | 'disputeWindowSeconds'>): bigint {
  return s.disputeTs + s.disputeWindowSeconds;
}

/**
 * The `spl` accounts of close_session / claim_payout / resolve_dispute (claim_chunk
 * takes all but `userToken`) for a token session: its vault and the associated
 * token accounts of the user, the provider authority and the treasury.
 * `vault`: the session's stored vault; absent or default, it is derived.
 */
export function splSettleAccounts(p: {
  session: PublicKey;
  mint: PublicKey;
  user: PublicKey;
  providerAuthority: PublicKey;
  treasury: PublicKey;
  vault?: PublicKey;
  programId?: PublicKey;
}): SplSettleAccounts {
  // allowOwnerOffCurve: the treasury (and a provider authority) may be a PDA.
  const ata = (owner: PublicKey) => getAssociatedTokenAddressSync(p.mint, owner, true);
  return {
    vault: p.vault && !p.vault.equals(PublicKey.default) ? p.vault : findSessionVaultPda(p.session, p.programId ?? DVPN_PROGRAM_ID)[0],
    userToken: ata(p.user),
    providerToken: ata(p.providerAuthority),
    treasuryToken: ata(p.treasury),
  };
}
