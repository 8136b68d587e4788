// A session's record as the daemon keeps it, made from the chain's account, and
// the rule that says when the chain's view of a session ends its service.
import { PublicKey } from '@solana/web3.js';
import { SessionMode, SessionState, type SessionAccount } from '@dvpn/sdk';
import type { SessionLookup } from '../chain/client.js';
import type { SessionRecord } from '../state/types.js';

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
export const stateName = (s: number) => SessionState[s] ?? String(s);

export function newRecord(address: string, s: SessionAccount, nowMs: number): SessionRecord {
  return {
    session: address,
    user: s.user.toBase58(),
    mode: s.mode === SessionMode.Usage ? 'usage' : 'time',
    paymentMint: s.paymentMint.equals(PublicKey.default) ? null : s.paymentMint.toBase58(),
    startTs: s.startTs,
    endTs: s.endTs,
    maxTicks: s.maxTicks,
    tickAmount: s.tickAmount,
    escrow: s.escrowAmount,
    authAt: nowMs,
    peer: null,
    peerRemoved: null,
    servedSince: null,
    baseTick: s.lastTick,
    latestTick: s.lastTick,
    latestPreimage: hex(s.lastProofHash),
    lastTickAt: null,
    bytesRx: 0n,
    bytesTx: 0n,
    meterRx: 0n,
    meterTx: 0n,
    chainTick: s.lastTick,
    lastClaimAt: null,
    claims: [],
    pending: null,
    phase: 'active',
    endReason: null,
    chunkClaimsDone: false,
    programErrors: 0,
    settledAt: null,
  };
}

/** Why a session (as read on chain) may not be served, or null when it may. */
export function endReasonOf(lookup: SessionLookup, now: bigint): string | null {
  if (lookup.kind === 'missing') return 'settled';
  if (lookup.kind === 'foreign') return 'not_a_session';
  const s = lookup.account;
  if (s.state !== SessionState.Active) return stateName(s.state).toLowerCase();
  if (now >= s.endTs) return 'expired';
  return null;
}
