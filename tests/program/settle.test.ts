// close -> claim_payout and the settle window (docs/PROGRAM.md "Session states").
import { SessionState } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  accountIndex,
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  DEFAULT_PUBKEY,
  earned,
  eventOf,
  expectErr,
  expectOk,
  flows,
  openTime,
  openUsage,
  payoutIx,
  rentOf,
  replaceAccount,
  split,
  splitRunning,
  stateOf,
  track,
  type SessionFx,
} from './setup.js';

const FEE = 250;

describe.each([
  { currency: 'SOL', spl: false },
  { currency: 'USDC', spl: true },
])('claim_payout in $currency', ({ spl }) => {
  const rentBack = (s: SessionFx) => rentOf(s.w.env, 'Session') + (s.spl ? rentOf(s.w.env, 'TokenAccount') : 0n);
  const watched = (s: SessionFx) => [s.session, s.node.node, s.node.prov.provider, s.user.kp.publicKey, s.node.prov.authority.publicKey, s.w.treasury.publicKey, s.user.token, s.node.prov.token, s.w.treasuryToken, ...(s.vault ? [s.vault] : [])];

  it('the user closes a Closed session at once: no more money moves, every rent lamport comes back', () => {
    // given a time session the user closed after 5 of 10 minutes
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    expectOk(env.send(closeIx(s), [user.kp]));
    const closed = env.session(s.session);
    // when the user claims the payout right away
    const m = flows(s);
    const r = expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    // then only rent moves, to the user, and the accounts are gone
    m.check({ provider: 0n, fee: 0n, refund: 0n, rentToUser: rentBack(s) });
    expect(env.exists(s.session)).toBe(false);
    if (spl) expect(env.exists(s.vault!)).toBe(false);
    expect(env.node(node.node).activeSessions).toBe(0);
    const ev = eventOf(r, 'PayoutClaimed');
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expect(ev.caller.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.providerAmount).toBe(0n);
    expect(ev.fee).toBe(0n);
    expect(ev.refund).toBe(0n);
    expect(ev.claimedAmount).toBe(closed.claimedAmount);
    expect(ev.refundedAmount).toBe(closed.refundedAmount);
    expect(ev.nodeActiveSessions).toBe(0);
    expect(ev.timestamp).toBe(env.now());
  });

  it('anyone else settles a Closed session only after closed_at + settle window; rent still goes to the user', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(120);
    expectOk(env.send(closeIx(s), [user.kp]));
    const closedAt = env.now();
    const keeper = addUser(w);
    env.setTime(closedAt + w.cfg.settleWindowSeconds);
    const before = stateOf(env, watched(s));
    expectErr(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]), 'SettleWindowOpen');
    expect(stateOf(env, watched(s))).toBe(before);
    env.setTime(closedAt + w.cfg.settleWindowSeconds + 1n);
    const m = flows(s);
    const k = track(env, { keeper: keeper.kp.publicKey });
    expectOk(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]));
    m.check({ provider: 0n, fee: 0n, refund: 0n, rentToUser: rentBack(s) });
    expect(k().keeper).toBe(0n);
  });

  it('an Active time session settles after end + settle window: the provider gets the rest of the escrow', () => {
    // given a 10-minute session claimed through minute 4, never closed
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 240n);
    expectOk(env.send(claimIx(s, 240), [prov.authority]));
    const deadline = s.startTs + 600n + w.cfg.settleWindowSeconds;
    const keeper = addUser(w);
    // when someone asks at the deadline, it is too early (for the user too)
    env.setTime(deadline);
    expectErr(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]), 'SettleWindowOpen');
    expectErr(env.send(payoutIx(s, user.kp.publicKey), [user.kp]), 'SettleWindowOpen');
    // and one second later it settles
    env.setTime(deadline + 1n);
    const m = flows(s);
    const r = expectOk(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]));
    const pay = s.escrow - earned(s.escrow, 600n, 240n);
    const [net, fee] = splitRunning(earned(s.escrow, 600n, 240n), pay, FEE);
    m.check({ provider: net, fee, refund: 0n, rentToUser: rentBack(s) });
    expect(env.exists(s.session)).toBe(false);
    // the slot is released with the full duration as uptime
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(600n);
    expect(env.provider(prov.provider).totalUptimeSeconds).toBe(600n);
    const p = env.provider(prov.provider);
    const earnedNet = split(earned(s.escrow, 600n, 240n), FEE)[0] + net;
    expect(spl ? p.totalEarnedToken : p.totalEarnedLamports).toBe(earnedNet);
    const ev = eventOf(r, 'PayoutClaimed');
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.refund).toBe(0n);
    expect(ev.claimedAmount).toBe(s.escrow);
    expect(ev.refundedAmount).toBe(0n);
    expect(ev.nodeActiveSessions).toBe(0);
  });

  it('an Active usage session settles after end + settle window: everything unclaimed is refunded', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 10, tickAmount: 500n, maxTicks: 40 });
    expectOk(env.send(claimIx(s, 6), [prov.authority]));
    env.setTime(s.startTs + 600n + w.cfg.settleWindowSeconds + 1n);
    const m = flows(s);
    const r = expectOk(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]));
    m.check({ provider: 0n, fee: 0n, refund: 34n * 500n, rentToUser: rentBack(s) });
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(600n);
    const ev = eventOf(r, 'PayoutClaimed');
    expect(ev.refund).toBe(17_000n);
    expect(ev.claimedAmount).toBe(3_000n);
    expect(ev.refundedAmount).toBe(17_000n);
  });

  it('claims on an Active time session stop after end + settle window (ClaimWindowClosed)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    const deadline = s.startTs + 600n + w.cfg.settleWindowSeconds;
    env.setTime(deadline);
    expectOk(env.send(claimIx(s, 100), [prov.authority]));
    env.setTime(deadline + 1n);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 200), [prov.authority]), 'ClaimWindowClosed');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('a second payout finds the session gone (AlreadySettled)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(closeIx(s), [user.kp]));
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(payoutIx(s, user.kp.publicKey), [user.kp]), 'AlreadySettled');
    env.warp(10n * w.cfg.settleWindowSeconds);
    const keeper = addUser(w);
    expectErr(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]), 'AlreadySettled');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('refuses foreign accounts: user, provider authority, node, provider, treasury', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(closeIx(s), [user.kp]));
    const thief = addUser(w);
    const node2 = addNode(w, prov);
    const other = addProvider(w);
    const p = payoutIx(s, user.kp.publicKey);
    const at = (name: string) => accountIndex('claim_payout', name);
    const before = stateOf(env, [...watched(s), thief.kp.publicKey]);
    expectErr(env.send(replaceAccount(p, at('user'), thief.kp.publicKey), [user.kp]), 'InvalidPda');
    expectErr(env.send(replaceAccount(p, at('provider_authority'), thief.kp.publicKey), [user.kp]), 'InvalidPda');
    expectErr(env.send(replaceAccount(p, at('node'), node2.node), [user.kp]), 'InvalidPda');
    expectErr(env.send(replaceAccount(p, at('provider'), other.provider), [user.kp]), 'InvalidPda');
    expectErr(env.send(replaceAccount(p, at('treasury'), thief.kp.publicKey), [user.kp]), 'InvalidTreasury');
    if (spl) expectErr(env.send(replaceAccount(p, at('user_token'), thief.token), [user.kp]), 'InvalidTokenAccount');
    expect(stateOf(env, [...watched(s), thief.kp.publicKey])).toBe(before);
  });

  it('requires the caller signature (MissingSignature)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(closeIx(s), [user.kp]));
    expectErr(env.send(replaceAccount(payoutIx(s, user.kp.publicKey), 0, user.kp.publicKey, { isSigner: false })), 'MissingSignature');
    expect(env.session(s.session).state).toBe(SessionState.Closed);
  });
});
