// Processor core: applies new (never seen before) decoded events, in chain
// order, to the state rows loaded from the database, and says what to write
// and what to publish. Pure: no I/O, so the same code serves live ingestion,
// backfill and replay, and unit tests.
//
// Ordering rules (see graph/README.md "Idempotency and ordering"):
// - sessions merge order-independently: the program only lets claimed,
//   refunded, bytes_used and last_tick grow, remaining_balance shrink and the
//   state move forward, so each event's values are merged with max/min/rank
//   (a settled session's account is gone, so chain cannot repair it later);
// - other absolute facts carried by an event (node active_sessions, stake,
//   reputation, config) are applied only when the event is not older than the
//   row (program clock, then slot);
// - additive facts (counters the events do not carry: total_sessions, uptime,
//   earnings, fees, rating_sum) are added once per event, whatever the order,
//   because each event is reduced exactly once (events table unique key);
// - an event older than its row, or one about an account the database does
//   not have yet, marks the account for a targeted reconciliation from chain.
import { ratingWeight, type DvpnEvent } from '@dvpn/sdk';
import type { PublicKey } from '@solana/web3.js';
import type { BusMessage, ChangeOrigin, EventName, NodeCapacityChange, SessionChange, SessionStateName } from '../bus.js';
import {
  MODE_NAMES,
  SOL_MINT,
  STATE_NAMES,
  base64,
  configPubkey,
  hex,
  stakeVaultOf,
  type ConfigRow,
  type DisputeRow,
  type NodeRow,
  type ProviderRow,
  type SessionRow,
} from '../store/rows.js';
import { b58, eventDataToJson, eventSubjects } from './decode.js';


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

/** Accounts the events refer to, so the caller loads their rows first. */
export function referencedAccounts(events: readonly { event: DvpnEvent }[]): {
  providers: Set<string>;
  nodes: Set<string>;
  sessions: Set<string>;
  config: boolean;
} {
  const providers = new Set<string>();
  const nodes = new Set<string>();
  const sessions = new Set<string>();
  let config = false;
  for (const { event } of events) {
    // A rating's weight needs the config's rating minimums.
    if (event.name === 'ConfigUpdated' || event.name === 'ReputationUpdated') config = true;
    const s = eventSubjects(event);
    if (s.provider) providers.add(s.provider);
    if (s.node) nodes.add(s.node);
    if (s.session) sessions.add(s.session);
  }
  return { providers, nodes, sessions, config };
}

const iso = (seconds: bigint) => isoFromSeconds(seconds);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

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

const MAX_DATE_SECONDS = 8_640_000_000_000n; // JS Date range
let lastIsoIn: bigint | null = null;
let lastIsoOut = '';
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

export function isoFromSeconds(seconds: bigint): string {
  if (seconds === lastIsoIn) return lastIsoOut;
  const s = seconds > MAX_DATE_SECONDS ? MAX_DATE_SECONDS : seconds < -MAX_DATE_SECONDS ? -MAX_DATE_SECONDS : seconds;
  lastIsoOut = new Date(Number(s) * 1000).toISOString();
  lastIsoIn = seconds;
  return lastIsoOut;
}

export function reduce(state: State, events: readonly NewEvent[]): Effects {
  const fx: Effects = {
    dirty: { config: new Set(), providers: new Set(), nodes: new Set(), sessions: new Set(), disputes: new Set() },
    claims: [],
    stakeChanges: [],
    ratings: [],
    reputation: new Map(),
    replaced: { sessions: [], disputes: [] },
    messages: [],
    reconcile: new Set(),
  };

  for (const ne of events) {
    const { event, slot, signature } = ne;
    const name = event.name as EventName;
    const ts = (event.data as { timestamp: bigint }).timestamp;
    const origin = { cause: name, signature, slot: Number(slot), timestamp: iso(ts) };
    const subjects = eventSubjects(event);

    fx.messages.push({
      topic: 'event',
      payload: {
        id: ne.id.toString(),
        name,
        signature,
        slot: Number(slot),
        ixIndex: ne.ixIndex,
        eventIndex: ne.eventIndex,
        timestamp: origin.timestamp,
        ...subjects,
        data: eventDataToJson(event.data as Record<string, unknown>),
      },
    });

    /** True when the event may set the row's absolute fields (not older than the row). */
    const fresh = (row: { lastSlot: bigint; lastSignature: string; updatedAt: bigint; pubkey: string }): boolean => {
      if (isOlder(ts, slot, row)) {
        fx.reconcile.add(row.pubkey);
        return false;
      }
      row.lastSlot = slot;
      row.lastSignature = signature;
      row.updatedAt = ts;
      return true;
    };
    const provider = (key: string | null): ProviderRow | undefined => {
      if (!key) return undefined;
      const row = state.providers.get(key);
      if (!row) fx.reconcile.add(key);
      else fx.dirty.providers.add(key);
      return row;
    };
    const node = (key: string | null): NodeRow | undefined => {
      if (!key) return undefined;
      const row = state.nodes.get(key);
      if (!row) fx.reconcile.add(key);
      else fx.dirty.nodes.add(key);
      return row;
    };
    const session = (key: string | null): SessionRow | undefined => {
      if (!key) return undefined;
      const row = state.sessions.get(key);
      if (!row) fx.reconcile.add(key);
      else fx.dirty.sessions.add(key);
      return row;
    };
    const sessionMsg = (s: SessionRow, previousState: SessionStateName | null) => {
      const payload: SessionChange = { ...origin, ...sessionChangeFields(s, previousState) };
      fx.messages.push({ topic: 'session', payload });
    };
    const capacityMsg = (n: NodeRow) => {
      const payload: NodeCapacityChange = {
        ...origin,
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
      fx.messages.push({ topic: 'nodeCapacity', payload });
    };
    const earn = (p: ProviderRow | undefined, mint: string, net: bigint) => {
      if (!p || net === 0n) return;
      if (mint === SOL_MINT) p.totalEarnedLamports += net;
      else p.totalEarnedToken += net;
    };
    /** release_slot: once per session, books min(now, end) - start seconds of uptime. */
    const release = (s: SessionRow, n: NodeRow | undefined, p: ProviderRow | undefined, activeAfter: bigint) => {
      if (n && fresh(n)) n.activeSessions = activeAfter;
      if (s.capacityReleased) {
        // Released by an event applied earlier: if that one came out of order,
        // the uptime it booked used the wrong clock. Let the chain say.
        // (A payout after a close, or a resolution after the raise, finds the slot released: that is the normal order.)
        if (name !== 'PayoutClaimed' && name !== 'DisputeResolved') {
          if (n) fx.reconcile.add(n.pubkey);
          if (p) fx.reconcile.add(p.pubkey);
        }
        return;
      }
      s.capacityReleased = true;
      const uptime = max(min(ts, s.endTs) - s.startTs, 0n);
      if (n) n.totalUptimeSeconds += uptime;
      if (p) p.totalUptimeSeconds += uptime;
    };
    /** Order-independent merges of a session's monotonic facts. */
    const merge = (
      s: SessionRow,
      v: { claimed?: bigint; remaining?: bigint; refunded?: bigint; bytes?: bigint; tick?: bigint; state?: SessionStateName },
    ) => {
      touch(s);
      if (v.claimed !== undefined) s.claimedAmount = max(s.claimedAmount, v.claimed);
      if (v.remaining !== undefined) s.remainingBalance = min(s.remainingBalance, v.remaining);
      if (v.refunded !== undefined) s.refundedAmount = max(s.refundedAmount, v.refunded);
      if (v.bytes !== undefined) s.bytesUsed = max(s.bytesUsed, v.bytes);
      if (v.tick !== undefined) s.lastTick = max(s.lastTick, v.tick);
      if (v.state !== undefined && STATE_RANK[v.state] > STATE_RANK[s.state]) s.state = v.state;
    };
    /** Moves a row's last-change bookkeeping forward (never back). */
    const touch = (row: { lastSlot: bigint; lastSignature: string; updatedAt: bigint }) => {
      if (isOlder(ts, slot, row)) return;
      row.lastSlot = slot;
      row.lastSignature = signature;
      row.updatedAt = ts;
    };
    const claim = (kind: ClaimKind, s: SessionRow | undefined, d: Record<string, unknown>, extra: Partial<ClaimRow>) => {
      const net = BigInt(d.providerAmount as bigint);
      const fee = BigInt(d.fee as bigint);
      fx.claims.push({
        signature,
        slot,
        ixIndex: ne.ixIndex,
        eventIndex: ne.eventIndex,
        kind,
        session: subjects.session!,
        sessionGeneration: s?.generation ?? 0,
        node: subjects.node ?? s?.node ?? '',
        provider: subjects.provider!,
        user: subjects.user ?? s?.user ?? null,
        paymentMint: b58(d.paymentMint as PublicKey),
        tick: null,
        bytesUsed: null,
        amount: net + fee,
        providerAmount: net,
        fee,
        refund: 0n,
        timestamp: ts,
        ...extra,
      });
    };

    switch (event.name) {
      case 'ConfigUpdated': {
        const d = event.data;
        const key = configPubkey();
        let row = state.config.get(key);
        if (!row) {
          row = {
            pubkey: key,
            admin: '',
            treasury: '',
            tokenMint: '',
            protocolFeeBps: 0,
            minProviderStake: 0n,
            unbondingSeconds: 0n,
            settleWindowSeconds: 0n,
            minRatingLamports: 0n,
            minRatingToken: 0n,
            updatedAt: ts,
            lastSlot: -1n,
            lastSignature: '',
          };
          state.config.set(key, row);
        }
        if (isOlder(ts, slot, row)) break;
        row.lastSlot = slot;
        row.lastSignature = signature;
        row.updatedAt = ts;
        row.admin = b58(d.admin);
        row.treasury = b58(d.treasury);
        row.tokenMint = b58(d.tokenMint);
        row.protocolFeeBps = d.protocolFeeBps;
        row.minProviderStake = d.minProviderStake;
        row.unbondingSeconds = d.unbondingSeconds;
        row.settleWindowSeconds = d.settleWindowSeconds;
        if (d.minRatingLamports !== undefined) row.minRatingLamports = d.minRatingLamports;
        if (d.minRatingToken !== undefined) row.minRatingToken = d.minRatingToken;
        fx.dirty.config.add(key);
        break;
      }

      case 'ProviderRegistered': {
        const d = event.data;
        const key = b58(d.provider);
        if (state.providers.has(key)) break;
        state.providers.set(key, {
          pubkey: key,
          authority: b58(d.authority),
          stakeVault: b58(d.stakeVault) || stakeVaultOf(key),
          nodeCount: 0n,
          stakeLamports: 0n,
          unstakingLamports: 0n,
          unstakeAt: null,
          slashedLamports: 0n,
          ratingSum: 0n,
          ratingCount: 0n,
          reputationScore: 1000,
          totalUptimeSeconds: 0n,
          totalSessions: 0n,
          totalEarnedLamports: 0n,
          totalEarnedToken: 0n,
          registeredAt: ts,
          updatedAt: ts,
          lastSlot: slot,
          lastSignature: signature,
        });
        fx.dirty.providers.add(key);
        break;
      }

      case 'NodeRegistered': {
        const d = event.data;
        const key = b58(d.node);
        const p = provider(b58(d.provider));
        if (p) p.nodeCount = max(p.nodeCount, d.nodeId + 1n);
        if (state.nodes.has(key)) break;
        const n: NodeRow = {
          pubkey: key,
          provider: b58(d.provider),
          nodeId: d.nodeId,
          endpoint: d.endpoint,
          region: d.region,
          pricePerMinute: d.pricePerMinute,
          pricePerMinuteToken: d.pricePerMinuteToken,
          pricePerTick: d.pricePerTick ?? 0n,
          pricePerTickToken: d.pricePerTickToken ?? 0n,
          wgServerPubkey: base64(d.wgServerPubkey),
          maxCapacity: BigInt(d.maxCapacity),
          activeSessions: 0n,
          isActive: true,
          providerReputation: p?.reputationScore ?? 1000,
          totalUptimeSeconds: 0n,
          totalSessions: 0n,
          createdAt: ts,
          updatedAt: ts,
          lastSlot: slot,
          lastSignature: signature,
        };
        state.nodes.set(key, n);
        fx.dirty.nodes.add(key);
        capacityMsg(n);
        break;
      }

      case 'NodeUpdated': {
        const d = event.data;
        const n = node(b58(d.node));
        if (!n || !fresh(n)) break;
        n.endpoint = d.endpoint;
        n.region = d.region;
        n.pricePerMinute = d.pricePerMinute;
        n.pricePerMinuteToken = d.pricePerMinuteToken;
        if (d.pricePerTick !== undefined) n.pricePerTick = d.pricePerTick;
        if (d.pricePerTickToken !== undefined) n.pricePerTickToken = d.pricePerTickToken;
        n.wgServerPubkey = base64(d.wgServerPubkey);
        n.maxCapacity = BigInt(d.maxCapacity);
        n.activeSessions = BigInt(d.activeSessions);
        n.isActive = d.isActive;
        capacityMsg(n);
        break;
      }

      case 'SessionOpened': {
        const d = event.data;
        const key = b58(d.session);
        const n = node(b58(d.node));
        const p = provider(b58(d.provider));
        if (n) {
          n.totalSessions += 1n;
          if (fresh(n)) n.activeSessions = BigInt(d.nodeActiveSessions);
        }
        if (p) p.totalSessions += 1n;
        // A closed address can be opened again: each opening is its own row,
        // (pubkey, generation). The same opening (same start time) seen again,
        // e.g. after reconciliation created its row from the account, only
        // gets its opening signature.
        const existing = state.sessions.get(key);
        if (existing && existing.startTs === d.startTs) {
          if (existing.openedSignature === '') {
            existing.openedSignature = signature;
            fx.dirty.sessions.add(key);
          }
        } else {
          if (existing) {
            if (d.startTs < existing.startTs) fx.reconcile.add(key); // an older opening delivered late
            if (fx.dirty.sessions.has(key)) fx.replaced.sessions.push(existing);
            const dispute = state.disputes.get(key);
            if (dispute && fx.dirty.disputes.has(key)) fx.replaced.disputes.push(dispute);
            state.disputes.delete(key);
          }
          const s: SessionRow = {
            pubkey: key,
            generation: existing ? existing.generation + 1 : 0,
            user: b58(d.user),
            node: b58(d.node),
            provider: b58(d.provider),
            sessionId: d.sessionId,
            mode: MODE_NAMES[d.mode],
            state: 'ACTIVE',
            paymentMint: b58(d.paymentMint),
            escrowAmount: d.escrowAmount,
            remainingBalance: d.escrowAmount,
            claimedAmount: 0n,
            feeAmount: 0n,
            refundedAmount: 0n,
            bytesUsed: 0n,
            lastTick: 0n,
            tickAmount: d.tickAmount,
            maxTicks: d.maxTicks,
            hashChainRoot: hex(d.hashChainRoot),
            startTs: d.startTs,
            endTs: d.endTs,
            closedAt: null,
            settledAt: null,
            capacityReleased: false,
            rated: false,
            openedSignature: signature,
            updatedAt: ts,
            lastSlot: slot,
            lastSignature: signature,
          };
          state.sessions.set(key, s);
          fx.dirty.sessions.add(key);
          sessionMsg(s, null);
        }
        if (n) capacityMsg(n);
        break;
      }

      case 'ChunkClaimed': {
        const d = event.data;
        const s = session(b58(d.session));
        const p = provider(b58(d.provider));
        earn(p, b58(d.paymentMint), d.providerAmount);
        claim('CHUNK', s, d as unknown as Record<string, unknown>, { tick: d.tick, bytesUsed: d.bytesUsed, amount: d.amount });
        if (!s) break;
        s.feeAmount += d.fee;
        const prev = s.state;
        merge(s, { claimed: d.claimedAmount, remaining: d.remainingBalance, bytes: d.bytesUsed, tick: d.tick });
        sessionMsg(s, prev);
        break;
      }

      case 'SessionClosed': {
        const d = event.data;
        const s = session(b58(d.session));
        const n = node(b58(d.node));
        const p = provider(b58(d.provider));
        earn(p, b58(d.paymentMint), d.providerAmount);
        claim('CLOSE', s, d as unknown as Record<string, unknown>, { refund: d.refund });
        if (!s) {
          if (n && fresh(n)) n.activeSessions = BigInt(d.nodeActiveSessions);
          if (n) capacityMsg(n);
          break;
        }
        const prev = s.state;
        s.feeAmount += d.fee;
        if (s.mode === 'TIME') {
          // Paid the elapsed time, refunded the rest: nothing remains.
          const elapsed = min(max(ts - s.startTs, 0n), s.endTs - s.startTs);
          merge(s, { claimed: s.escrowAmount - d.refund - d.remainingBalance, refunded: d.refund, tick: elapsed });
        }
        merge(s, { remaining: d.remainingBalance, state: STATE_NAMES[d.state] });
        if (s.closedAt === null) s.closedAt = ts;
        release(s, n, p, BigInt(d.nodeActiveSessions));
        sessionMsg(s, prev);
        if (n) capacityMsg(n);
        break;
      }

      case 'PayoutClaimed': {
        const d = event.data;
        const s = session(b58(d.session));
        const n = node(b58(d.node));
        const p = provider(b58(d.provider));
        earn(p, b58(d.paymentMint), d.providerAmount);
        claim('PAYOUT', s, d as unknown as Record<string, unknown>, { refund: d.refund });
        if (!s) {
          if (n && fresh(n)) n.activeSessions = BigInt(d.nodeActiveSessions);
          if (n) capacityMsg(n);
          break;
        }
        const prev = s.state;
        s.feeAmount += d.fee;
        // A time session still Active at the crank is paid through its whole duration.
        if (s.mode === 'TIME' && d.providerAmount + d.fee > 0n) merge(s, { tick: s.endTs - s.startTs });
        merge(s, { claimed: d.claimedAmount, refunded: d.refundedAmount, remaining: 0n, state: 'SETTLED' });
        if (s.settledAt === null) s.settledAt = ts;
        release(s, n, p, BigInt(d.nodeActiveSessions));
        sessionMsg(s, prev);
        if (n) capacityMsg(n);
        break;
      }

      case 'DisputeRaised': {
        const d = event.data;
        const key = b58(d.session);
        const s = session(key);
        const n = node(b58(d.node));
        const p = provider(b58(d.provider));
        if (!state.disputes.has(key)) {
          state.disputes.set(key, {
            session: key,
            sessionGeneration: s?.generation ?? 0,
            node: b58(d.node),
            provider: b58(d.provider),
            raisedBy: b58(d.raisedBy),
            reason: d.reason,
            raisedAt: ts,
            raisedSignature: signature,
            resolved: false,
            resolver: null,
            providerAmount: null,
            fee: null,
            refund: null,
            slashedLamports: null,
            resolvedAt: null,
            resolvedSignature: null,
          });
          fx.dirty.disputes.add(key);
        }
        // The program frees the node's slot at once (release_slot): the event
        // carries the node's active sessions after it.
        const activeAfter = d.nodeActiveSessions === undefined ? undefined : BigInt(d.nodeActiveSessions);
        if (!s) {
          if (n && fresh(n) && activeAfter !== undefined) n.activeSessions = activeAfter;
          if (n) capacityMsg(n);
          break;
        }
        const prev = s.state;
        merge(s, { state: 'DISPUTED' });
        if (activeAfter !== undefined) release(s, n, p, activeAfter);
        sessionMsg(s, prev);
        if (n) capacityMsg(n);
        break;
      }

      case 'DisputeResolved': {
        const d = event.data;
        const key = b58(d.session);
        const s = session(key);
        const n = node(b58(d.node));
        const p = provider(b58(d.provider));
        earn(p, b58(d.paymentMint), d.providerAmount);
        claim('RESOLUTION', s, d as unknown as Record<string, unknown>, { refund: d.refund });
        const dispute = state.disputes.get(key);
        if (dispute) {
          dispute.resolved = true;
          dispute.resolver = b58(d.resolver);
          dispute.providerAmount = d.providerAmount;
          dispute.fee = d.fee;
          dispute.refund = d.refund;
          dispute.slashedLamports = d.slashed;
          dispute.resolvedAt = ts;
          dispute.resolvedSignature = signature;
          fx.dirty.disputes.add(key);
        } else {
          fx.reconcile.add(key);
        }
        if (!s) {
          if (n && fresh(n)) n.activeSessions = BigInt(d.nodeActiveSessions);
          if (n) capacityMsg(n);
          break;
        }
        const prev = s.state;
        s.feeAmount += d.fee;
        // The provider's share is paid and the rest refunded: nothing remains.
        merge(s, { claimed: s.escrowAmount - d.refund, refunded: d.refund, remaining: 0n, state: 'RESOLVED' });
        release(s, n, p, BigInt(d.nodeActiveSessions));
        sessionMsg(s, prev);
        if (n) capacityMsg(n);
        break;
      }

      case 'ReputationUpdated': {
        const d = event.data;
        const p = provider(b58(d.provider));
        const s = session(b58(d.session));
        fx.ratings.push({
          session: b58(d.session),
          sessionGeneration: s?.generation ?? 0,
          provider: b58(d.provider),
          user: b58(d.user),
          rating: d.rating,
          reputationScore: d.reputationScore,
          ratingCount: BigInt(d.ratingCount),
          timestamp: ts,
          signature,
        });
        if (p) {
          // rating_sum adds rating x weight, weight = what the session had paid / the
          // config's minimum for its currency, at most 100 (update_reputation).
          const cfg = state.config.get(configPubkey());
          if (s && cfg) {
            const minimum = s.paymentMint === SOL_MINT ? cfg.minRatingLamports : cfg.minRatingToken;
            const weight = ratingWeight(s.claimedAmount, minimum);
            p.ratingSum += BigInt(d.rating) * weight;
          }
          // Without the session or the config the weight is unknown: let the chain say.
          else fx.reconcile.add(p.pubkey);
          if (fresh(p)) {
            p.reputationScore = d.reputationScore;
            p.ratingCount = BigInt(d.ratingCount);
            fx.reputation.set(p.pubkey, p.reputationScore);
            for (const n of state.nodes.values()) {
              if (n.provider === p.pubkey) n.providerReputation = p.reputationScore;
            }
          }
        }
        if (s) {
          touch(s);
          s.rated = true;
          sessionMsg(s, s.state);
        }
        break;
      }

      case 'StakeChanged': {
        const d = event.data;
        const kind = (['STAKE', 'REQUEST_UNSTAKE', 'WITHDRAW'] as const)[d.kind];
        const unstakeAt = d.unstakeAt === 0n ? null : d.unstakeAt;
        fx.stakeChanges.push({
          signature,
          slot,
          ixIndex: ne.ixIndex,
          eventIndex: ne.eventIndex,
          provider: b58(d.provider),
          kind,
          amount: d.amount,
          stakeLamports: d.stakeLamports,
          unstakingLamports: d.unstakingLamports,
          unstakeAt,
          session: null,
          timestamp: ts,
        });
        const p = provider(b58(d.provider));
        if (p && fresh(p)) {
          p.stakeLamports = d.stakeLamports;
          p.unstakingLamports = d.unstakingLamports;
          p.unstakeAt = unstakeAt;
        }
        break;
      }

      case 'Slashed': {
        const d = event.data;
        const p = provider(b58(d.provider));
        fx.stakeChanges.push({
          signature,
          slot,
          ixIndex: ne.ixIndex,
          eventIndex: ne.eventIndex,
          provider: b58(d.provider),
          kind: 'SLASH',
          amount: d.amount,
          stakeLamports: d.stakeLamports,
          unstakingLamports: d.unstakingLamports,
          unstakeAt: p?.unstakeAt ?? null,
          session: b58(d.session),
          timestamp: ts,
        });
        if (!p) break;
        p.slashedLamports += d.amount;
        if (fresh(p)) {
          p.stakeLamports = d.stakeLamports;
          p.unstakingLamports = d.unstakingLamports;
        }
        break;
      }
    }
  }
  return fx;
}
