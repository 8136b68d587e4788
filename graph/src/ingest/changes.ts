// The fields of the bus's change payloads built from rows, shared by the event
// handlers and reconciliation (live and repaired changes look the same to a
// subscriber).
import type { ChangeOrigin, NodeCapacityChange, SessionChange, SessionStateName } from '../bus.js';
import type { NodeRow, SessionRow } from '../store/rows.js';

/** The fields of a session change message, as subscribers see them (live and repaired alike). */
export function sessionChangeFields(s: SessionRow, previousState: SessionStateName | null): Omit<SessionChange, keyof ChangeOrigin> {
  return {
    session: s.pubkey,
    generation: s.generation,
    user: s.user,
    node: s.node,
    provider: s.provider,
    mode: s.mode,
    state: s.state,
    previousState,
    paymentMint: s.paymentMint,
    escrowAmount: s.escrowAmount.toString(),
    remainingBalance: s.remainingBalance.toString(),
    claimedAmount: s.claimedAmount.toString(),
    feeAmount: s.feeAmount.toString(),
    refundedAmount: s.refundedAmount.toString(),
    bytesUsed: s.bytesUsed.toString(),
    lastTick: s.lastTick.toString(),
    rated: s.rated,
  };
}

/** The fields of a node capacity message. */
export function nodeCapacityFields(n: NodeRow): Omit<NodeCapacityChange, keyof ChangeOrigin> {
  return {
    node: n.pubkey,
    provider: n.provider,
    region: n.region,
    maxCapacity: Number(n.maxCapacity),
    activeSessions: Number(n.activeSessions),
    freeCapacity: Number(n.maxCapacity - n.activeSessions),
    isActive: n.isActive,
    pricePerMinute: n.pricePerMinute.toString(),
    pricePerMinuteToken: n.pricePerMinuteToken.toString(),
  };
}
