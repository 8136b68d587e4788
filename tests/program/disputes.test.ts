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
  earned,
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
])('disputes in $currency', ({ spl }) => {
  const watched = (s: SessionFx) => [s.session, s.node.node, s.node.prov.provider, s.node.prov.stakeVault, s.user.kp.publicKey, s.node.prov.authority.publicKey, s.w.treasury.publicKey, s.user.token, s.node.prov.token, s.w.treasuryToken, ...(s.vault ? [s.vault] : [])];

  it('the user freezes an Active session: state Disputed, who / why / when recorded, slot freed, stake locked', () => {
    const { w, env, prov, node, user } = createMarket();
    // a provider with 3 SOL staked, 1 SOL of it unbonding (still slashable)
    expectOk(env.send(ix.stakeProvider({ authority: prov.authority.publicKey, amount: 2n * SOL }), [prov.authority]));
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: 1n * SOL }), [prov.authority]));
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expect(env.node(node.node).activeSessions).toBe(1);
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
    // the disputed session gets no more service: its node slot is free at once, uptime booked to the dispute
    expect(a.capacityReleased).toBe(true);
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(100n);
    expect(env.provider(prov.provider).totalUptimeSeconds).toBe(100n);
    // what this dispute may slash is fixed now: max_slash_bps of active + unstaking stake, locked on the provider
    const lock = (3n * SOL * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    expect(a.disputeLock).toBe(lock);
    expect(env.provider(prov.provider).lockedLamports).toBe(lock);
    const ev = eventOf(r, 'DisputeRaised');
    expect(ev.nodeActiveSessions).toBe(0);
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

  it('a Closed session cannot be disputed (SessionNotActive), nor one past its settle deadline (DisputeTooLate)', () => {
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
    expectErr(r, 'DisputeTooLate');
    expect(stateOf(env, watched(late))).toBe(before);
  });

  it('a Disputed session is frozen for its dispute window: no claim, no close (SessionDisputed), no payout (DisputeWindowOpen), no second dispute', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const disputeTs = env.now();
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 100), [prov.authority]), 'SessionDisputed');
    expectErr(env.send(closeIx(s), [user.kp]), 'SessionDisputed');
    expectErr(env.send(disputeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionDisputed');
    expectErr(env.send(payoutIx(s, user.kp.publicKey), [user.kp]), 'DisputeWindowOpen');
    // even long after the settle deadline, up to the end of the dispute window
    env.warp(600n + 10n * w.cfg.settleWindowSeconds);
    expectErr(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]), 'DisputeWindowOpen');
    env.setTime(disputeTs + w.cfg.disputeWindowSeconds);
    expectErr(env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]), 'DisputeWindowOpen');
    expectErr(env.send(claimIx(s, 100), [prov.authority]), 'SessionDisputed');
    expectErr(env.send(closeIx(s), [user.kp]), 'SessionDisputed');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('a Disputed usage session still pays valid preimages until its settle deadline, then ClaimWindowClosed', () => {
    // given a usage session with 2 ticks claimed, disputed by the user
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 10, maxTicks: 20 });
    expectOk(env.send(claimIx(s, 2), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    // when the provider claims the ticks the user revealed, they are paid (the dispute does not void them)
    const m = flows(s);
    const claimed = env.session(s.session).claimedAmount;
    expectOk(env.send(claimIx(s, 5), [prov.authority]));
    const [net, fee] = splitRunning(claimed, 3n * s.tickAmount, FEE);
    m.check({ provider: net, fee, refund: 0n });
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Disputed);
    expect(a.lastTick).toBe(5n);
    expectSessionBacked(s);
    // a wrong preimage is still refused
    expectErr(env.send(claimIx(s, 6, { preimage: new Uint8Array(32).fill(9) }), [prov.authority]), 'InvalidPreimage');
    // up to the settle deadline, not after
    env.setTime(s.startTs + 600n + w.cfg.settleWindowSeconds);
    expectOk(env.send(claimIx(s, 6), [prov.authority]));
    env.warp(1);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 7), [prov.authority]), 'ClaimWindowClosed');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('a dispute nobody resolves in its window is settled by anyone by the default rule', () => {
    // given a 10-minute time session disputed at second 300, never resolved
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 300n);
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    expect(env.provider(prov.provider).openDisputes).toBe(1);
    const lock = env.session(s.session).disputeLock;
    expect(lock).toBeGreaterThan(0n);
    expect(env.provider(prov.provider).lockedLamports).toBe(lock);
    // when a stranger settles it one second after the dispute window
    env.setTime(s.startTs + 300n + w.cfg.disputeWindowSeconds + 1n);
    const keeper = addUser(w);
    const m = flows(s);
    const r = expectOk(env.send(payoutIx(s, keeper.kp.publicKey), [keeper.kp]));
    // then the provider is paid the time served up to the dispute, the user gets the rest and the rent
    const pay = earned(s.escrow, 600n, 300n);
    const [net, fee] = split(pay, FEE);
    m.check({ provider: net, fee, refund: s.escrow - pay, rentToUser: rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : 0n) });
    expect(env.exists(s.session)).toBe(false);
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.provider(prov.provider).openDisputes).toBe(0);
    // and the stake the dispute locked is free again, none of it slashed
    expect(env.provider(prov.provider).lockedLamports).toBe(0n);
    expect(env.provider(prov.provider).stakeLamports).toBe(w.cfg.minProviderStake);
    const ev = eventOf(r, 'DisputeResolved');
    expect(ev.resolver.toBase58()).toBe(keeper.kp.publicKey.toBase58());
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.refund).toBe(s.escrow - pay);
    expect(ev.slashed).toBe(0n);
  });

  it('stake under an open dispute: unstaking is allowed, but its dispute_lock cannot leave (StakeLockedByDispute) until it is resolved', () => {
    // given a provider with 3 SOL, 1 SOL of it unbonding, and a session disputed against it
    const { w, env, prov, node, user } = createMarket();
    const auth = prov.authority;
    expectOk(env.send(ix.stakeProvider({ authority: auth.publicKey, amount: 2n * SOL }), [auth]));
    expectOk(env.send(ix.requestUnstake({ authority: auth.publicKey, amount: 1n * SOL }), [auth]));
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, prov.authority.publicKey), [prov.authority]));
    expect(env.provider(prov.provider).openDisputes).toBe(1);
    const lock = (3n * SOL * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    expect(env.session(s.session).disputeLock).toBe(lock);
    expect(env.provider(prov.provider).lockedLamports).toBe(lock);
    // when it requests to unstake everything else (unbonding stake stays slashable, so that is allowed)
    expectOk(env.send(ix.requestUnstake({ authority: auth.publicKey, amount: 2n * SOL }), [auth]));
    const p0 = env.provider(prov.provider);
    expect(p0.stakeLamports).toBe(0n);
    expect(p0.unstakingLamports).toBe(3n * SOL);
    // then after the unbonding period it may withdraw all but the dispute_lock
    env.warp(w.cfg.unbondingSeconds + 1n);
    const d0 = track(env, { authority: auth.publicKey, vault: prov.stakeVault });
    expectOk(env.send(ix.withdrawStake({ authority: auth.publicKey }), [auth]));
    expect(d0()).toEqual({ authority: 3n * SOL - lock, vault: -(3n * SOL - lock) });
    expect(env.provider(prov.provider).unstakingLamports).toBe(lock);
    // and the locked rest cannot leave while the dispute is open
    const before = stateOf(env, [prov.provider, prov.stakeVault, auth.publicKey]);
    expectErr(env.send(ix.withdrawStake({ authority: auth.publicKey }), [auth]), 'StakeLockedByDispute');
    expect(stateOf(env, [prov.provider, prov.stakeVault, auth.publicKey])).toBe(before);
    // once the admin resolved it (slashing part of the lock), the lock is released and the rest can go
    const slash = lock / 2n;
    expectOk(env.send(resolveIx(s, 0n, slash), [w.admin]));
    const p1 = env.provider(prov.provider);
    expect(p1.openDisputes).toBe(0);
    expect(p1.lockedLamports).toBe(0n);
    expect(p1.unstakingLamports).toBe(lock - slash);
    const d = track(env, { authority: auth.publicKey });
    expectOk(env.send(ix.withdrawStake({ authority: auth.publicKey }), [auth]));
    expect(d().authority).toBe(lock - slash);
    expectErr(env.send(ix.withdrawStake({ authority: auth.publicKey }), [auth]), 'NothingToWithdraw');
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
    const [net, fee] = splitRunning(before.claimedAmount, providerAmount, FEE);
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
    // given a provider with 5 SOL staked, 4 of them unbonding (cap: 25% of 5 SOL = 1.25 SOL)
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(ix.stakeProvider({ authority: prov.authority.publicKey, amount: 4n * SOL }), [prov.authority]));
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: 4n * SOL }), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const d = track(env, { treasury: w.treasury.publicKey, vault: prov.stakeVault });
    // when the admin refunds all and slashes 1.2 SOL
    const slash = 1_200_000_000n;
    const r = expectOk(env.send(resolveIx(s, 0n, slash), [w.admin]));
    // then 1 SOL of active stake and 0.2 SOL of unstaking went to the treasury
    const p = env.provider(prov.provider);
    expect(p.stakeLamports).toBe(0n);
    expect(p.unstakingLamports).toBe(3_800_000_000n);
    expect(p.slashedLamports).toBe(slash);
    expect(d()).toEqual({ treasury: slash, vault: -slash });
    expect(env.lamports(prov.stakeVault)).toBe(rentOf(env, 'StakeVault') + p.stakeLamports + p.unstakingLamports);
    expect(eventOf(r, 'DisputeResolved').slashed).toBe(slash);
    const ev = eventOf(r, 'Slashed');
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.amount).toBe(slash);
    expect(ev.stakeLamports).toBe(0n);
    expect(ev.unstakingLamports).toBe(3_800_000_000n);
    expect(ev.timestamp).toBe(env.now());
  });

  it('refuses a slash larger than active + unstaking stake (SlashExceedsStake), then one above max_slash_bps of it (SlashExceedsCap)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const stake = env.provider(prov.provider).stakeLamports;
    const cap = (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    const before = stateOf(env, watched(s));
    // the stake check comes first
    expectErr(env.send(resolveIx(s, 0n, stake + 1n), [w.admin]), 'SlashExceedsStake');
    // the whole stake, or one lamport over the cap, exceeds the per-dispute cap
    expectErr(env.send(resolveIx(s, 0n, stake), [w.admin]), 'SlashExceedsCap');
    expectErr(env.send(resolveIx(s, 0n, cap + 1n), [w.admin]), 'SlashExceedsCap');
    expect(stateOf(env, watched(s))).toBe(before);
    // the cap itself is allowed
    expectOk(env.send(resolveIx(s, 0n, cap), [w.admin]));
    expect(env.provider(prov.provider).stakeLamports).toBe(stake - cap);
    expect(env.provider(prov.provider).slashedLamports).toBe(cap);
  });

  it('the slash cap is fixed when the dispute is raised: stake added later does not raise it (SlashExceedsCap)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const lock = env.session(s.session).disputeLock;
    expect(lock).toBe((w.cfg.minProviderStake * BigInt(w.cfg.maxSlashBps)) / 10_000n);
    // the provider stakes 9 SOL more after the dispute
    expectOk(env.send(ix.stakeProvider({ authority: prov.authority.publicKey, amount: 9n * SOL }), [prov.authority]));
    expect(env.session(s.session).disputeLock).toBe(lock);
    expectErr(env.send(resolveIx(s, 0n, lock + 1n), [w.admin]), 'SlashExceedsCap');
    expectOk(env.send(resolveIx(s, 0n, lock), [w.admin]));
    const p = env.provider(prov.provider);
    expect(p.slashedLamports).toBe(lock);
    expect(p.lockedLamports).toBe(0n);
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
    const claimed = env.session(s.session).claimedAmount;
    expectOk(env.send(resolveIx(s, remaining, 0n), [w.admin]));
    const [net, fee] = splitRunning(claimed, remaining, FEE);
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
    const res = resolveIx(s, 0n, SOL / 4n); // within the 25% cap of the 1 SOL stake
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
    const [net, fee] = splitRunning(400n, 1_000n, FEE);
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
