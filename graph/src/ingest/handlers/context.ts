// What every event handler works with: the state rows loaded for the batch,
// the effects it accumulates, and one EventContext per event holding the
// event's chain position and the helpers that apply the ordering rules
// (see graph/README.md "Idempotency and ordering"):
// - sessions merge order-independently: the program only lets claimed,
//   refunded, bytes_used and last_tick grow, remaining_balance shrink and the
//   state move forward, so each event's values are merged with max/min/rank
//   (a settled session's account is gone, so chain cannot repair it later);
// - other absolute facts carried by an event (node active_sessions, stake,
//   reputation, config) are applied only when the event is not older than the
//   row (program clock, then slot): `fresh`;
// - additive facts (counters the events do not carry: total_sessions, uptime,
//   earnings, fees, rating_sum) are added once per event, whatever the order,
//   because each event is reduced exactly once (events table unique key);
// - an event older than its row, or one about an account the database does
//   not have yet, marks the account for a targeted reconciliation from chain.
import type { DvpnEvent, EventName } from '@dvpn/sdk';
import type { PublicKey } from '@solana/web3.js';
import type { BusMessage, SessionStateName } from '../../bus.js';
import {
  SOL_MINT,
  isoFromSeconds,
  type ConfigRow,
  type DisputeRow,
  type NodeRow,
  type ProviderRow,
  type SessionRow,
} from '../../store/rows.js';
import { nodeCapacityChange, sessionChange } from '../changes.js';
import { b58, eventDataToJson, eventSubjects, type Subjects } from '../decode.js';

export interface NewEvent {
  /** events.id given by the database. */
  id: bigint;
  signature: string;
  slot: bigint;
  ixIndex: number;
  eventIndex: number;
  event: DvpnEvent;
}

export interface State {
  config: Map<string, ConfigRow>;
  providers: Map<string, ProviderRow>;
  nodes: Map<string, NodeRow>;
  sessions: Map<string, SessionRow>;
  disputes: Map<string, DisputeRow>;
}

export type ClaimKind = 'CHUNK' | 'CLOSE' | 'PAYOUT' | 'RESOLUTION';
export interface ClaimRow {
  signature: string;
  slot: bigint;
  ixIndex: number;
  eventIndex: number;
  kind: ClaimKind;
  session: string;
  sessionGeneration: number;
  node: string;
  provider: string;
  user: string | null;
  paymentMint: string;
  tick: bigint | null;
  bytesUsed: bigint | null;
  amount: bigint;
  providerAmount: bigint;
  fee: bigint;
  refund: bigint;
  timestamp: bigint;
}

export type StakeKind = 'STAKE' | 'REQUEST_UNSTAKE' | 'WITHDRAW' | 'SLASH';
export interface StakeChangeRow {
  signature: string;
  slot: bigint;
  ixIndex: number;
  eventIndex: number;
  provider: string;
  kind: StakeKind;
  amount: bigint;
  stakeLamports: bigint;
  unstakingLamports: bigint;
  unstakeAt: bigint | null;
  session: string | null;
  timestamp: bigint;
}

export interface RatingRow {
  session: string;
  sessionGeneration: number;
  provider: string;
  user: string;
  rating: number;
  reputationScore: number;
  ratingCount: bigint;
  timestamp: bigint;
  signature: string;
}

export interface Effects {
  dirty: {
    config: Set<string>;
    providers: Set<string>;
    nodes: Set<string>;
    sessions: Set<string>;
    disputes: Set<string>;
  };
  claims: ClaimRow[];
  stakeChanges: StakeChangeRow[];
  ratings: RatingRow[];
  /** provider -> reputation to copy onto all its nodes. */
  reputation: Map<string, number>;
  /**
   * Rows that a newer opening of the same address replaced in the state maps
   * during this batch (written along with the dirty ones).
   */
  replaced: { sessions: SessionRow[]; disputes: DisputeRow[] };
  /** After-commit bus messages, in order. */
  messages: BusMessage[];
  /** Accounts whose row may be stale (late or orphan events): reconcile them from chain. */
  reconcile: Set<string>;
}

export function emptyEffects(): Effects {
  return {
    dirty: { config: new Set(), providers: new Set(), nodes: new Set(), sessions: new Set(), disputes: new Set() },
    claims: [],
    stakeChanges: [],
    ratings: [],
    reputation: new Map(),
    replaced: { sessions: [], disputes: [] },
    messages: [],
    reconcile: new Set(),
  };
}

/**
 * Chain order of an event relative to the last one applied to a row: the
 * program Clock time first, then the slot. (On a real cluster both grow
 * together; the embedded runtime's time travel can renumber slots backwards
 * while its clock only moves forward, see graph/README.md.)
 */
export function isOlder(ts: bigint, slot: bigint, row: { updatedAt: bigint; lastSlot: bigint }): boolean {
  return ts < row.updatedAt || (ts === row.updatedAt && slot < row.lastSlot);
}

/** Session states in the order the program moves through them (Closed and Disputed never both happen). */
const STATE_RANK: Record<SessionStateName, number> = { ACTIVE: 0, CLOSING: 1, CLOSED: 2, DISPUTED: 2, RESOLVED: 3, SETTLED: 4 };

export const min = (a: bigint, b: bigint) => (a < b ? a : b);
export const max = (a: bigint, b: bigint) => (a > b ? a : b);

type Tracked = { lastSlot: bigint; lastSignature: string; updatedAt: bigint };

/** The fields every payment event carries (claim rows are built from them). */
interface Payment {
  providerAmount: bigint;
  fee: bigint;
  paymentMint: PublicKey;
}

/** One event being applied: its chain position and the helpers handlers share. */
export class EventContext {
  readonly name: EventName;
  readonly signature: string;
  readonly slot: bigint;
  /** The program Clock time the event carries. */
  readonly ts: bigint;
  readonly subjects: Subjects;
  private readonly origin: { cause: EventName; signature: string; slot: number; timestamp: string };

  constructor(
    readonly state: State,
    readonly fx: Effects,
    readonly ne: NewEvent,
  ) {
    this.name = ne.event.name;
    this.signature = ne.signature;
    this.slot = ne.slot;
    this.ts = (ne.event.data as { timestamp: bigint }).timestamp;
    this.origin = { cause: this.name, signature: ne.signature, slot: Number(ne.slot), timestamp: isoFromSeconds(this.ts) };
    this.subjects = eventSubjects(ne.event);
  }

  /** The feed message of the event itself (every event has one, first). */
  eventMessage(): void {
    this.fx.messages.push({
      topic: 'event',
      payload: {
        id: this.ne.id.toString(),
        name: this.name,
        signature: this.signature,
        slot: Number(this.slot),
        ixIndex: this.ne.ixIndex,
        eventIndex: this.ne.eventIndex,
        timestamp: this.origin.timestamp,
        session: this.subjects.session,
        node: this.subjects.node,
        provider: this.subjects.provider,
        user: this.subjects.user,
        data: eventDataToJson(this.ne.event.data as Record<string, unknown>),
      },
    });
  }

  /** True when the event may set the row's absolute fields (not older than the row); moves the row's bookkeeping. */
  fresh(row: Tracked & { pubkey: string }): boolean {
    if (isOlder(this.ts, this.slot, row)) {
      this.fx.reconcile.add(row.pubkey);
      return false;
    }
    row.lastSlot = this.slot;
    row.lastSignature = this.signature;
    row.updatedAt = this.ts;
    return true;
  }

  /** Moves a row's last-change bookkeeping forward (never back). */
  touch(row: Tracked): void {
    if (isOlder(this.ts, this.slot, row)) return;
    row.lastSlot = this.slot;
    row.lastSignature = this.signature;
    row.updatedAt = this.ts;
  }

  /** The provider's row, marked dirty; absent ones are flagged for reconciliation. */
  provider(key: string | null): ProviderRow | undefined {
    return this.lookup(this.state.providers, this.fx.dirty.providers, key);
  }

  node(key: string | null): NodeRow | undefined {
    return this.lookup(this.state.nodes, this.fx.dirty.nodes, key);
  }

  session(key: string | null): SessionRow | undefined {
    return this.lookup(this.state.sessions, this.fx.dirty.sessions, key);
  }

  private lookup<T>(rows: Map<string, T>, dirty: Set<string>, key: string | null): T | undefined {
    if (!key) return undefined;
    const row = rows.get(key);
    if (!row) this.fx.reconcile.add(key);
    else dirty.add(key);
    return row;
  }

  sessionMsg(s: SessionRow, previousState: SessionStateName | null): void {
    this.fx.messages.push({ topic: 'session', payload: sessionChange(this.origin, s, previousState) });
  }

  capacityMsg(n: NodeRow): void {
    this.fx.messages.push({ topic: 'nodeCapacity', payload: nodeCapacityChange(this.origin, n) });
  }

  /** Adds a provider's net earning in the payment's currency. */
  earn(p: ProviderRow | undefined, mint: string, net: bigint): void {
    if (!p || net === 0n) return;
    if (mint === SOL_MINT) p.totalEarnedLamports += net;
    else p.totalEarnedToken += net;
  }

  /** release_slot: once per session, books min(now, end) - start seconds of uptime. */
  release(s: SessionRow, n: NodeRow | undefined, p: ProviderRow | undefined, activeAfter: bigint): void {
    if (n && this.fresh(n)) n.activeSessions = activeAfter;
    if (s.capacityReleased) {
      // Released by an event applied earlier: if that one came out of order,
      // the uptime it booked used the wrong clock. Let the chain say.
      // (A payout after a close, or a resolution after the raise, finds the slot released: that is the normal order.)
      if (this.name !== 'PayoutClaimed' && this.name !== 'DisputeResolved') {
        if (n) this.fx.reconcile.add(n.pubkey);
        if (p) this.fx.reconcile.add(p.pubkey);
      }
      return;
    }
    s.capacityReleased = true;
    const uptime = max(min(this.ts, s.endTs) - s.startTs, 0n);
    if (n) n.totalUptimeSeconds += uptime;
    if (p) p.totalUptimeSeconds += uptime;
  }

  /**
   * A session ends (closed, paid out, resolved): its fee and final figures
   * (`settle`), its slot released, then its message and the node's. Without a
   * session row (not indexed yet) only the node's count and message.
   */
  endSession(
    s: SessionRow | undefined,
    n: NodeRow | undefined,
    p: ProviderRow | undefined,
    d: { fee: bigint; nodeActiveSessions: number | bigint },
    settle: (s: SessionRow) => void,
  ): void {
    if (s) {
      const prev = s.state;
      s.feeAmount += d.fee;
      settle(s);
      this.release(s, n, p, BigInt(d.nodeActiveSessions));
      this.sessionMsg(s, prev);
    } else if (n && this.fresh(n)) {
      n.activeSessions = BigInt(d.nodeActiveSessions);
    }
    if (n) this.capacityMsg(n);
  }

  /** Order-independent merges of a session's monotonic facts. */
  merge(
    s: SessionRow,
    v: { claimed?: bigint; remaining?: bigint; refunded?: bigint; bytes?: bigint; tick?: bigint; state?: SessionStateName },
  ): void {
    this.touch(s);
    if (v.claimed !== undefined) s.claimedAmount = max(s.claimedAmount, v.claimed);
    if (v.remaining !== undefined) s.remainingBalance = min(s.remainingBalance, v.remaining);
    if (v.refunded !== undefined) s.refundedAmount = max(s.refundedAmount, v.refunded);
    if (v.bytes !== undefined) s.bytesUsed = max(s.bytesUsed, v.bytes);
    if (v.tick !== undefined) s.lastTick = max(s.lastTick, v.tick);
    if (v.state !== undefined && STATE_RANK[v.state] > STATE_RANK[s.state]) s.state = v.state;
  }

  /** One claims row (a payment out of escrow); `extra` overrides the defaults. */
  claim(kind: ClaimKind, s: SessionRow | undefined, d: Payment, extra: Partial<ClaimRow>): void {
    const net = BigInt(d.providerAmount);
    const fee = BigInt(d.fee);
    this.fx.claims.push({
      signature: this.signature,
      slot: this.slot,
      ixIndex: this.ne.ixIndex,
      eventIndex: this.ne.eventIndex,
      kind,
      session: this.subjects.session!,
      sessionGeneration: s?.generation ?? 0,
      node: this.subjects.node ?? s?.node ?? '',
      provider: this.subjects.provider!,
      user: this.subjects.user ?? s?.user ?? null,
      paymentMint: b58(d.paymentMint),
      tick: null,
      bytesUsed: null,
      amount: net + fee,
      providerAmount: net,
      fee,
      refund: 0n,
      timestamp: this.ts,
      ...extra,
    });
  }
}
