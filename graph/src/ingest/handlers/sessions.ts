// Session lifecycle: opened, usage chunks claimed, closed, paid out.
import { MODE_NAMES, STATE_NAMES, hex, type SessionRow } from '../../store/rows.js';
import { b58 } from '../decode.js';
import { max, min } from './context.js';
import type { Handler } from './types.js';

export const SessionOpened: Handler<'SessionOpened'> = (ctx, d) => {
  const { state, fx, ts, signature } = ctx;
  const key = b58(d.session);
  const n = ctx.node(b58(d.node));
  const p = ctx.provider(b58(d.provider));
  if (n) {
    n.totalSessions += 1n;
    if (ctx.fresh(n)) n.activeSessions = BigInt(d.nodeActiveSessions);
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
      lastSlot: ctx.slot,
      lastSignature: signature,
    };
    state.sessions.set(key, s);
    fx.dirty.sessions.add(key);
    ctx.sessionMsg(s, null);
  }
  if (n) ctx.capacityMsg(n);
};

export const ChunkClaimed: Handler<'ChunkClaimed'> = (ctx, d) => {
  const s = ctx.session(b58(d.session));
  const p = ctx.provider(b58(d.provider));
  ctx.earn(p, b58(d.paymentMint), d.providerAmount);
  ctx.claim('CHUNK', s, d, { tick: d.tick, bytesUsed: d.bytesUsed, amount: d.amount });
  if (!s) return;
  s.feeAmount += d.fee;
  const prev = s.state;
  ctx.merge(s, { claimed: d.claimedAmount, remaining: d.remainingBalance, bytes: d.bytesUsed, tick: d.tick });
  ctx.sessionMsg(s, prev);
};

export const SessionClosed: Handler<'SessionClosed'> = (ctx, d) => {
  const { ts } = ctx;
  const s = ctx.session(b58(d.session));
  const n = ctx.node(b58(d.node));
  const p = ctx.provider(b58(d.provider));
  ctx.earn(p, b58(d.paymentMint), d.providerAmount);
  ctx.claim('CLOSE', s, d, { refund: d.refund });
  ctx.endSession(s, n, p, d, (s) => {
    if (s.mode === 'TIME') {
      // Paid the elapsed time, refunded the rest: nothing remains.
      const elapsed = min(max(ts - s.startTs, 0n), s.endTs - s.startTs);
      ctx.merge(s, { claimed: s.escrowAmount - d.refund - d.remainingBalance, refunded: d.refund, tick: elapsed });
    }
    ctx.merge(s, { remaining: d.remainingBalance, state: STATE_NAMES[d.state] });
    if (s.closedAt === null) s.closedAt = ts;
  });
};

export const PayoutClaimed: Handler<'PayoutClaimed'> = (ctx, d) => {
  const s = ctx.session(b58(d.session));
  const n = ctx.node(b58(d.node));
  const p = ctx.provider(b58(d.provider));
  ctx.earn(p, b58(d.paymentMint), d.providerAmount);
  ctx.claim('PAYOUT', s, d, { refund: d.refund });
  ctx.endSession(s, n, p, d, (s) => {
    // A time session still Active at the crank is paid through its whole duration.
    if (s.mode === 'TIME' && d.providerAmount + d.fee > 0n) ctx.merge(s, { tick: s.endTs - s.startTs });
    ctx.merge(s, { claimed: d.claimedAmount, refunded: d.refundedAmount, remaining: 0n, state: 'SETTLED' });
    if (s.settledAt === null) s.settledAt = ctx.ts;
  });
};
