// Disputes: raised (frees the node's slot at once) and resolved (a payment).
import { b58 } from '../decode.js';
import type { Handler } from './types.js';

export const DisputeRaised: Handler<'DisputeRaised'> = (ctx, d) => {
  const { state, fx } = ctx;
  const key = b58(d.session);
  const s = ctx.session(key);
  const n = ctx.node(b58(d.node));
  const p = ctx.provider(b58(d.provider));
  if (!state.disputes.has(key)) {
    state.disputes.set(key, {
      session: key,
      sessionGeneration: s?.generation ?? 0,
      node: b58(d.node),
      provider: b58(d.provider),
      raisedBy: b58(d.raisedBy),
      reason: d.reason,
      raisedAt: ctx.ts,
      raisedSignature: ctx.signature,
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
    if (n && ctx.fresh(n) && activeAfter !== undefined) n.activeSessions = activeAfter;
    if (n) ctx.capacityMsg(n);
    return;
  }
  const prev = s.state;
  ctx.merge(s, { state: 'DISPUTED' });
  if (activeAfter !== undefined) ctx.release(s, n, p, activeAfter);
  ctx.sessionMsg(s, prev);
  if (n) ctx.capacityMsg(n);
};

export const DisputeResolved: Handler<'DisputeResolved'> = (ctx, d) => {
  const { state, fx } = ctx;
  const key = b58(d.session);
  const s = ctx.session(key);
  const n = ctx.node(b58(d.node));
  const p = ctx.provider(b58(d.provider));
  ctx.earn(p, b58(d.paymentMint), d.providerAmount);
  ctx.claim('RESOLUTION', s, d, { refund: d.refund });
  const dispute = state.disputes.get(key);
  if (dispute) {
    dispute.resolved = true;
    dispute.resolver = b58(d.resolver);
    dispute.providerAmount = d.providerAmount;
    dispute.fee = d.fee;
    dispute.refund = d.refund;
    dispute.slashedLamports = d.slashed;
    dispute.resolvedAt = ctx.ts;
    dispute.resolvedSignature = ctx.signature;
    fx.dirty.disputes.add(key);
  } else {
    fx.reconcile.add(key);
  }
  ctx.endSession(s, n, p, d, (s) => {
    // The provider's share is paid and the rest refunded: nothing remains.
    ctx.merge(s, { claimed: s.escrowAmount - d.refund, refunded: d.refund, remaining: 0n, state: 'RESOLVED' });
  });
};
