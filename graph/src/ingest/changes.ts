// The fields of the bus's change payloads built from rows, shared by the event
// handlers and reconciliation (live and repaired changes look the same to a
// subscriber).
import type { ChangeOrigin, NodeCapacityChange, SessionChange, SessionStateName } from '../bus.js';
import type { NodeRow, SessionRow } from '../store/rows.js';

// Built as one object literal with every property spelled out: spreading the
// origin and the fields into a new object ({ ...a, ...b }) cost ~10x more per
// message, and there are ~1.5 of these per event ingested.

/** A session change message, as subscribers see them (live and repaired alike). */
export function sessionChange(o: ChangeOrigin, s: SessionRow, previousState: SessionStateName | null): SessionChange {
  return {
    cause: o.cause,
    signature: o.signature,
    slot: o.slot,
    timestamp: o.timestamp,
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

/** A node capacity message. */
export function nodeCapacityChange(o: ChangeOrigin, n: NodeRow): NodeCapacityChange {
  return {
    cause: o.cause,
    signature: o.signature,
    slot: o.slot,
    timestamp: o.timestamp,
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
