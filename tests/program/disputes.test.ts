// raise_dispute / resolve_dispute and slashing (docs/PROGRAM.md "Session states").
import { ix, SessionState } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  accountIndex,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  disputeIx,
  eventOf,
  expectErr,
  expectOk,
  expectSessionBacked,
  flows,
  openTime,
  openUsage,
  payoutIx,
  rentOf,
  replaceAccount,
  resolveIx,
  SOL,
  split,
  stateOf,
  track,
  type SessionFx,
} from './setup.js';

const FEE = 250;

describe.each([
  { currency: 'SOL', spl: false },
  { currency: 'USDC', spl: true },
])('disputes in $currency', ({ spl }) => {
  const watched = (s: SessionFx) => [s.session, s.node.node, s.node.prov.provider, s.node.prov.stakeVault, s.user.kp.publicKey, s.node.prov.authority.publicKey, s.w.treasury.publicKey, s.user.token, s.node.prov.token, s.w.treasuryToken, ...(s.vault ? [s.vault] : [])];

  it('the user freezes an Active session: state Disputed, who / why / when recorded, slot kept', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(100);
    const m = flows(s);
    const r = expectOk(env.send(disputeIx(s, user.kp.publicKey, 7), [user.kp]));
    m.check({ provider: 0n, fee: 0n, refund: 0n });
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Disputed);
    expect(a.disputedBy.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(a.disputeReason).toBe(7);
    expect(a.disputeTs).toBe(env.now());
    expect(a.remainingBalance).toBe(s.escrow);
    expect(env.node(node.node).activeSessions).toBe(1);
    const ev = eventOf(r, 'DisputeRaised');
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.raisedBy.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.reason).toBe(7);
    expect(ev.timestamp).toBe(env.now());
  });

  it('the provider authority may dispute too, also a Closing usage session', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 10, maxTicks: 20 });
    expectOk(env.send(closeIx(s), [user.kp]));
    expectOk(env.send(disputeIx(s, prov.authority.publicKey, 2), [prov.authority]));
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Disputed);
    expect(a.disputedBy.toBase58()).toBe(prov.authority.publicKey.toBase58());
  });

  it('a stranger cannot dispute (NotSessionParty)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    const stranger = addUser(w);
    const before = stateOf(env, watched(s));
    expectErr(env.send(disputeIx(s, stranger.kp.publicKey), [stranger.kp]), 'NotSessionParty');
    // nor another provider's authority with its own Provider account
    const other = addProvider(w);
    const bad = replaceAccount(disputeIx(s, other.authority.publicKey), accountIndex('raise_dispute', 'provider'), other.provider);
    const r = env.send(bad, [other.authority]);
    expect(r.ok).toBe(false);
    expect(['InvalidPda', 'NotSessionParty']).toContain(r.error?.name);
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('a Closed session cannot be disputed (SessionNotActive), nor one past its settle deadline', () => {
    const { w, env, node, user } = createMarket();
    const closed = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(closeIx(closed), [user.kp]));
    expectErr(env.send(disputeIx(closed, user.kp.publicKey), [user.kp]), 'SessionNotActive');

    const late = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(late.startTs + 600n + w.cfg.settleWindowSeconds);
    expectOk(env.simulate(disputeIx(late, user.kp.publicKey), [user.kp]));
    env.setTime(late.startTs + 600n + w.cfg.settleWindowSeconds + 1n);
    const before = stateOf(env, watched(late));
    const r = env.send(disputeIx(late, user.kp.publicKey), [user.kp]);
    expectErr(r, 'ClaimWindowClosed');
    expect(stateOf(env, watched(late))).toBe(before);
  });

  it('a Disputed session is frozen: no claim, no close, no payout (SessionDisputed), no second dispute', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 100), [prov.authority]), 'SessionDisputed');
    expectErr(env.send(closeIx(s), [user.kp]), 'SessionDisputed');
    expectErr(env.send(disputeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionDisputed');
    expectErr(env.send(payoutIx(s, user.kp.publicKey), [user.kp]), 'SessionDisputed');
    // even long after the settle deadline
    env.warp(600n + 10n * w.cfg.settleWindowSeconds);
    expectErr(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]), 'SessionDisputed');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('the admin splits the remaining escrow: provider_amount less the fee to the provider, the rest back', () => {
    // given a session claimed through minute 2 and disputed at minute 5
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 120n);
    expectOk(env.send(claimIx(s, 120), [prov.authority]));
    env.setTime(s.startTs + 300n);
    expectOk(env.send(disputeIx(s, user.kp.publicKey, 3), [user.kp]));
    const before = env.session(s.session);
    const earnedBefore = env.provider(prov.provider);
    // when the admin awards the provider 1/3 of what is left
    const providerAmount = before.remainingBalance / 3n;
    const m = flows(s);
    const r = expectOk(env.send(resolveIx(s, providerAmount, 0n), [w.admin]));
    // then the money moves as awarded, to the unit
    const [net, fee] = split(providerAmount, FEE);
    const refund = before.remainingBalance - providerAmount;
    m.check({ provider: net, fee, refund });
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Resolved);
    expect(a.remainingBalance).toBe(0n);
    expect(a.claimedAmount).toBe(before.claimedAmount + providerAmount);
    expect(a.feeAmount).toBe(before.feeAmount + fee);
    expect(a.refundedAmount).toBe(refund);
    expect(a.capacityReleased).toBe(true);
    expectSessionBacked(s);
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(300n);
    const p = env.provider(prov.provider);
    expect(spl ? p.totalEarnedToken : p.totalEarnedLamports).toBe((spl ? earnedBefore.totalEarnedToken : earnedBefore.totalEarnedLamports) + net);
    expect(p.stakeLamports).toBe(earnedBefore.stakeLamports);
    const ev = eventOf(r, 'DisputeResolved');
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.resolver.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.refund).toBe(refund);
    expect(ev.slashed).toBe(0n);
    expect(ev.nodeActiveSessions).toBe(0);
    expect(ev.timestamp).toBe(env.now());
    expect(r.events.some((e) => e.name === 'Slashed')).toBe(false);

    // and the user may close the Resolved session at once, getting the rent
    const m2 = flows(s);
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    m2.check({ provider: 0n, fee: 0n, refund: 0n, rentToUser: rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : 0n) });
  });

  it('a Resolved session: others settle it only after the deadline; resolving twice fails (NotDisputed)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    expectOk(env.send(resolveIx(s, 0n, 0n), [w.admin]));
    expectErr(env.send(resolveIx(s, 0n, 0n), [w.admin]), 'NotDisputed');
    env.setTime(s.startTs + 600n + w.cfg.settleWindowSeconds);
    expectErr(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]), 'SettleWindowOpen');
    env.warp(1);
    expectOk(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]));
    expect(env.exists(s.session)).toBe(false);
  });

  it('slashes active stake first, then unstaking lamports, to the treasury (Slashed)', () => {
    // given a provider with 3 SOL staked, 2 of them unbonding
    const { w, env, prov, node, user } = createMarket();
    expectOk(env.send(ix.stakeProvider({ authority: prov.authority.publicKey, amount: 2n * SOL }), [prov.authority]));
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: 2n * SOL }), [prov.authority]));
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const d = track(env, { treasury: w.treasury.publicKey, vault: prov.stakeVault });
    // when the admin refunds all and slashes 1.5 SOL
    const slash = 1_500_000_000n;
    const r = expectOk(env.send(resolveIx(s, 0n, slash), [w.admin]));
    // then 1 SOL of active stake and 0.5 SOL of unstaking went to the treasury
    const p = env.provider(prov.provider);
    expect(p.stakeLamports).toBe(0n);
    expect(p.unstakingLamports).toBe(1_500_000_000n);
    expect(p.slashedLamports).toBe(slash);
    expect(d()).toEqual({ treasury: slash, vault: -slash });
    expect(env.lamports(prov.stakeVault)).toBe(rentOf(env, 'StakeVault') + p.stakeLamports + p.unstakingLamports);
    expect(eventOf(r, 'DisputeResolved').slashed).toBe(slash);
    const ev = eventOf(r, 'Slashed');
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.amount).toBe(slash);
    expect(ev.stakeLamports).toBe(0n);
    expect(ev.unstakingLamports).toBe(1_500_000_000n);
    expect(ev.timestamp).toBe(env.now());
  });

  it('refuses a slash larger than active + unstaking stake (SlashExceedsStake)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const stake = env.provider(prov.provider).stakeLamports;
    const before = stateOf(env, watched(s));
    expectErr(env.send(resolveIx(s, 0n, stake + 1n), [w.admin]), 'SlashExceedsStake');
    expect(stateOf(env, watched(s))).toBe(before);
    expectOk(env.send(resolveIx(s, 0n, stake), [w.admin]));
    expect(env.provider(prov.provider).stakeLamports).toBe(0n);
  });

  it('refuses awarding more than the remaining escrow (ResolutionExceedsEscrow)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(60);
    expectOk(env.send(claimIx(s, 60), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const remaining = env.session(s.session).remainingBalance;
    const before = stateOf(env, watched(s));
    expectErr(env.send(resolveIx(s, remaining + 1n, 0n), [w.admin]), 'ResolutionExceedsEscrow');
    expect(stateOf(env, watched(s))).toBe(before);
    const m = flows(s);
    expectOk(env.send(resolveIx(s, remaining, 0n), [w.admin]));
    const [net, fee] = split(remaining, FEE);
    m.check({ provider: net, fee, refund: 0n });
  });

  it('only the Config admin resolves (Unauthorized), only a Disputed session (NotDisputed)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectErr(env.send(resolveIx(s, 0n, 0n), [w.admin]), 'NotDisputed');
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(resolveIx(s, 0n, 0n, user.kp.publicKey), [user.kp]), 'Unauthorized');
    expectErr(env.send(resolveIx(s, s.escrow, 0n, prov.authority.publicKey), [prov.authority]), 'Unauthorized');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it("refuses another provider's stake vault (InvalidPda) and other foreign accounts", () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const other = addProvider(w);
    const thief = addUser(w);
    const at = (name: string) => accountIndex('resolve_dispute', name);
    const res = resolveIx(s, 0n, SOL / 2n);
    const before = stateOf(env, [...watched(s), other.stakeVault]);
    expectErr(env.send(replaceAccount(res, at('stake_vault'), other.stakeVault), [w.admin]), 'InvalidPda');
    expectErr(env.send(replaceAccount(res, at('user'), thief.kp.publicKey), [w.admin]), 'InvalidPda');
    expectErr(env.send(replaceAccount(res, at('provider_authority'), thief.kp.publicKey), [w.admin]), 'InvalidPda');
    expectErr(env.send(replaceAccount(res, at('treasury'), thief.kp.publicKey), [w.admin]), 'InvalidTreasury');
    if (spl) expectErr(env.send(replaceAccount(res, at('user_token'), thief.token), [w.admin]), 'InvalidTokenAccount');
    expect(stateOf(env, [...watched(s), other.stakeVault])).toBe(before);
  });

  it('resolve requires the admin signature (MissingSignature)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    expectErr(env.send(replaceAccount(resolveIx(s, 0n, 0n), 0, w.admin.publicKey, { isSigner: false })), 'MissingSignature');
  });

  it('a disputed Closing usage session keeps its closed_at deadline after resolution', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 60, tickAmount: 100n, maxTicks: 30 });
    expectOk(env.send(claimIx(s, 4), [prov.authority]));
    env.warp(100);
    expectOk(env.send(closeIx(s), [user.kp]));
    const closedAt = env.now();
    expectOk(env.send(disputeIx(s, prov.authority.publicKey), [prov.authority]));
    const m = flows(s);
    expectOk(env.send(resolveIx(s, 1_000n, 0n), [w.admin]));
    const [net, fee] = split(1_000n, FEE);
    m.check({ provider: net, fee, refund: 2_600n - 1_000n });
    // the slot was released at close: resolution must not release it again
    expect(env.node(node.node).activeSessions).toBe(0);
    env.setTime(closedAt + w.cfg.settleWindowSeconds);
    const keeper = addUser(w);
    expectErr(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]), 'SettleWindowOpen');
    env.warp(1);
    expectOk(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]));
  });
});
