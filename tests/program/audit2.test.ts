// Second outside audit of the built program: the newest mechanisms (per-user
// UserState counter, dispute locks, slots freed by a dispute, claims on a
// Disputed usage session, the expired-dispute default settlement). Each test
// performs an attack that hostile.test.ts does not, and asserts the SAFE
// outcome, so a test here fails only while the hole is open.
import { PublicKey } from '@solana/web3.js';
import { findUserStatePda, ix } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import { donateLamports } from './hostile-helpers.js';
import {
  accountIndex,
  addProvider,
  addNode,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  disputeIx,
  expectErr,
  expectOk,
  expectSessionBacked,
  flows,
  nextSessionId,
  openIx,
  openTime,
  openUsage,
  payoutIx,
  rentOf,
  replaceAccount,
  resolveIx,
  SessionMode,
  SessionState,
  SOL,
  split,
  splitRunning,
  type World,
} from './setup.js';

const capOf = (w: World, stake: bigint) => (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;

// ---------------------------------------------------------------------------
describe('A. the per-user session counter (UserState) cannot be poisoned', () => {
  for (const spl of [false, true]) {
    it(`${spl ? 'USDC' : 'SOL'}: a stranger pre-funds the victim's UserState address (the least a transfer can, then more than its rent): the first open still works and the victim pays only the top-up`, () => {
      for (const big of [false, true]) {
        const { w, env, node } = createMarket();
        // the least a transfer can leave at a new address (rent of 0 bytes), or far more than the UserState's rent
        const donation = big ? 5n * SOL : env.rent(0);
        const victim = addUser(w);
        const [userState] = findUserStatePda(victim.kp.publicKey);
        donateLamports(env, userState, donation);
        const before = env.lamports(victim.kp.publicKey);
        // (id 0 given: the harness's counter reader cannot decode the donated, empty account)
        const s = openTime(w, victim, node, { spl, minutes: 1, sessionId: 0n });
        expect(nextSessionId(w, victim)).toBe(1n);
        // the UserState is the program's (same owner as the Session it made)
        expect(env.raw(userState)!.owner.toBase58()).toBe(env.raw(s.session)!.owner.toBase58());
        const rent = rentOf(env, 'UserState');
        const topUp = donation >= rent ? 0n : rent - donation;
        const spent = before - env.lamports(victim.kp.publicKey);
        const sessionCost = rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : s.escrow);
        expect(spent).toBe(sessionCost + topUp);
        // the victim's second open continues the counter
        openTime(w, victim, node, { spl, minutes: 1 });
        expect(nextSessionId(w, victim)).toBe(2n);
      }
    });
  }

  it("a stranger cannot open with the victim's UserState (nor advance it), and cannot create one at a stranger-chosen address", () => {
    const { w, env, node } = createMarket();
    const victim = addUser(w);
    openTime(w, victim, node, { minutes: 1 });
    const [victimState] = findUserStatePda(victim.kp.publicKey);
    const attacker = addUser(w);
    const slot = accountIndex('open_session', 'user_state');
    // the victim's counter, at the victim's id and at 0
    for (const id of [1n, 0n]) {
      const { instruction } = openIx(w, attacker, node, SessionMode.Time, { sessionId: id, minutes: 1 });
      expectErr(env.send(replaceAccount(instruction, slot, victimState), [attacker.kp]), 'InvalidPda');
    }
    expect(nextSessionId(w, victim)).toBe(1n);
    // a fresh system account in place of the attacker's own UserState
    const fake = env.keypair('fake-user-state');
    const { instruction } = openIx(w, attacker, node, SessionMode.Time, { sessionId: 0n, minutes: 1 });
    const r = env.send(replaceAccount(instruction, slot, fake.publicKey), [attacker.kp]);
    expect(r.ok).toBe(false);
    expect(env.exists(fake.publicKey)).toBe(false);
    // the victim's next open is unaffected
    openTime(w, victim, node, { minutes: 1 });
    expect(nextSessionId(w, victim)).toBe(2n);
  });
});

// ---------------------------------------------------------------------------
describe('B. dispute locks: never withdrawable, never stuck', () => {
  it('locks end exactly once whichever way a dispute ends (admin resolve + payout, expiry default, Closing usage session resolved); afterwards all stake can leave', () => {
    const { w, env, prov, node, user } = createMarket();
    const stake = env.provider(prov.provider).stakeLamports;
    const a = openTime(w, user, node, { minutes: 10 });
    const b = openTime(w, user, node, { minutes: 10 });
    const c = openUsage(w, user, node, { maxTicks: 50 });
    expectOk(env.send(disputeIx(a, user.kp.publicKey), [user.kp]));
    expectOk(env.send(disputeIx(b, prov.authority.publicKey), [prov.authority]));
    expectOk(env.send(claimIx(c, 5n), [prov.authority]));
    expectOk(env.send(closeIx(c), [user.kp]));
    expect(env.session(c.session).state).toBe(SessionState.Closing);
    expectOk(env.send(disputeIx(c, user.kp.publicKey), [user.kp]));
    // a second dispute on a session is refused and locks nothing more
    expectErr(env.send(disputeIx(c, prov.authority.publicKey), [prov.authority]), 'SessionDisputed');
    let p = env.provider(prov.provider);
    expect(p.openDisputes).toBe(3);
    expect(p.lockedLamports).toBe(3n * capOf(w, stake));

    expectOk(env.send(resolveIx(a, 0n, 0n), [w.admin]));
    expectOk(env.send(payoutIx(a, user.kp.publicKey), [user.kp]));
    expectOk(env.send(resolveIx(c, 0n, 0n), [w.admin]));
    env.warp(w.cfg.disputeWindowSeconds + 1n);
    const stranger = env.wallet(SOL);
    expectOk(env.send(payoutIx(b, stranger.publicKey), [stranger]), 'stranger settles the expired dispute');
    env.warp(w.cfg.settleWindowSeconds + 1n);
    expectOk(env.send(payoutIx(c, user.kp.publicKey), [user.kp]));
    p = env.provider(prov.provider);
    expect(p.openDisputes).toBe(0);
    expect(p.lockedLamports).toBe(0n);
    expect(env.node(node.node).activeSessions).toBe(0);
    // nothing locked any more: the whole stake leaves after unbonding
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake }), [prov.authority]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    const before = env.lamports(prov.authority.publicKey);
    expectOk(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]));
    expect(env.lamports(prov.authority.publicKey) - before).toBe(stake);
  });

  it('a stranger settles an expired time dispute: exact default split (earned to the dispute, fee on it, rest + rent to the user), the caller gains nothing, the lock ends', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 10 });
    env.warp(120);
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    env.warp(w.cfg.disputeWindowSeconds + 1n);
    const stranger = env.wallet(SOL);
    const f = flows(s);
    const before = env.lamports(stranger.publicKey);
    expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
    const [net, fee] = split((s.escrow * 120n) / 600n, w.cfg.protocolFeeBps);
    f.check({ provider: net, fee, refund: s.escrow - net - fee, rentToUser: rentOf(env, 'Session') });
    expect(env.lamports(stranger.publicKey)).toBe(before);
    expect(env.provider(prov.provider).lockedLamports).toBe(0n);
  });

  it('stake split between active and unbonding under one dispute: the provider withdraws only what the lock does not need, and the admin can still slash the full cap', () => {
    const { w, env, prov, node, user } = createMarket();
    const stake = env.provider(prov.provider).stakeLamports;
    const cap = capOf(w, stake);
    const s = openTime(w, user, node, { minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    // keep only half the cap active, unbond the rest
    const active = cap / 2n;
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake - active }), [prov.authority]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    const before = env.lamports(prov.authority.publicKey);
    expectOk(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]));
    expect(env.lamports(prov.authority.publicKey) - before).toBe(stake - cap);
    // a second withdraw finds nothing it may take
    expectErr(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]), 'StakeLockedByDispute');
    // moving the remaining active part to unbonding does not free anything either
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: active }), [prov.authority]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    expectErr(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]), 'StakeLockedByDispute');
    const treasury0 = env.lamports(w.treasury.publicKey);
    expectOk(env.send(resolveIx(s, 0n, cap), [w.admin]));
    expect(env.lamports(w.treasury.publicKey) - treasury0).toBe(cap);
    const p = env.provider(prov.provider);
    expect(p.stakeLamports + p.unstakingLamports).toBe(0n);
    expect(p.lockedLamports).toBe(0n);
  });

  it('two disputes, stake fully unbonding: both can still slash their full cap, one after the other', () => {
    const { w, env, prov, node, user } = createMarket();
    const stake = env.provider(prov.provider).stakeLamports;
    const cap = capOf(w, stake);
    const a = openTime(w, user, node, { minutes: 10 });
    const b = openTime(w, user, node, { minutes: 10 });
    expectOk(env.send(disputeIx(a, user.kp.publicKey), [user.kp]));
    expectOk(env.send(disputeIx(b, user.kp.publicKey), [user.kp]));
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake }), [prov.authority]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    expectOk(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]));
    expect(env.provider(prov.provider).unstakingLamports).toBe(2n * cap);
    expectOk(env.send(resolveIx(a, 0n, cap), [w.admin]));
    expectOk(env.send(resolveIx(b, 0n, cap), [w.admin]));
    expect(env.provider(prov.provider).unstakingLamports).toBe(0n);
    // the stake vault still holds exactly its rent
    expect(env.lamports(prov.stakeVault)).toBe(rentOf(env, 'StakeVault'));
  });
});

// ---------------------------------------------------------------------------
describe('C. slots freed by a dispute are freed once', () => {
  it('close -> dispute -> claim -> resolve -> payout and dispute -> expired payout never release another session\'s slot', () => {
    const { w, env, prov, node, user } = createMarket({}, { maxCapacity: 3 });
    const other = addUser(w);
    const keep = openTime(w, other, node, { minutes: 600 });
    const u = openUsage(w, user, node, { maxTicks: 40 });
    const t = openTime(w, user, node, { minutes: 10 });
    expect(env.node(node.node).activeSessions).toBe(3);
    expectOk(env.send(closeIx(u), [user.kp]));
    expect(env.node(node.node).activeSessions).toBe(2);
    expectOk(env.send(disputeIx(u, prov.authority.publicKey), [prov.authority]));
    expectOk(env.send(disputeIx(t, user.kp.publicKey), [user.kp]));
    expect(env.node(node.node).activeSessions).toBe(1);
    expectOk(env.send(claimIx(u, 7n), [prov.authority]));
    expectOk(env.send(resolveIx(u, 0n, 0n), [w.admin]));
    expect(env.node(node.node).activeSessions).toBe(1);
    expectOk(env.send(payoutIx(u, user.kp.publicKey), [user.kp]));
    // close / dispute on the Disputed time session: refused, slot count unchanged
    expectErr(env.send(closeIx(t), [user.kp]), 'SessionDisputed');
    env.warp(w.cfg.disputeWindowSeconds + 1n);
    expectOk(env.send(payoutIx(t, user.kp.publicKey), [user.kp]));
    expect(env.node(node.node).activeSessions).toBe(1);
    // the untouched session still holds its slot and releases it exactly once
    expectOk(env.send(closeIx(keep), [other.kp]));
    expect(env.node(node.node).activeSessions).toBe(0);
    expectOk(env.send(payoutIx(keep, other.kp.publicKey), [other.kp]));
    expect(env.node(node.node).activeSessions).toBe(0);
  });
});

// ---------------------------------------------------------------------------
describe('D. claims on a Disputed usage session', () => {
  for (const spl of [false, true]) {
    it(`${spl ? 'USDC' : 'SOL'}: no over-claim, no claim after resolution or after the window; the resolution cannot exceed what is left`, () => {
      const { w, env, prov, node, user } = createMarket();
      const s = openUsage(w, user, node, { maxTicks: 100, spl });
      expectOk(env.send(claimIx(s, 10n), [prov.authority]));
      expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
      // a preimage of another chain, and beyond the chain: refused
      expectErr(env.send(claimIx(s, 20n, { preimage: new Uint8Array(32).fill(9) }), [prov.authority]), 'InvalidPreimage');
      expectErr(env.send(claimIx(s, 101n, { preimage: new Uint8Array(32) }), [prov.authority]), 'TickBeyondChain');
      // a stranger cannot claim even with the provider's Provider account
      const thief = addProvider(w);
      expectErr(env.send(claimIx(s, 20n, { signer: thief.authority }), [thief.authority]), 'Unauthorized');
      expectOk(env.send(claimIx(s, 60n), [prov.authority]));
      expectSessionBacked(s);
      const remaining = env.session(s.session).remainingBalance;
      expect(remaining).toBe(40n * s.tickAmount);
      expectErr(env.send(resolveIx(s, remaining + 1n, 0n), [w.admin]), 'ResolutionExceedsEscrow');
      const f = flows(s);
      expectOk(env.send(resolveIx(s, 10n * s.tickAmount, 0n), [w.admin]));
      const [net, fee] = splitRunning(60n * s.tickAmount, 10n * s.tickAmount, w.cfg.protocolFeeBps);
      f.check({ provider: net, fee, refund: 30n * s.tickAmount });
      // after resolution, valid preimages pay nothing more
      expectErr(env.send(claimIx(s, 80n), [prov.authority]), 'SessionNotActive');
      const a = env.session(s.session);
      expect(a.claimedAmount).toBe(70n * s.tickAmount);
      expect(a.feeAmount).toBe(split(a.claimedAmount, w.cfg.protocolFeeBps)[1]);
      expectSessionBacked(s);
    });
  }

  it('past the settle deadline a Disputed usage session takes no claim, and the expired default refunds the unclaimed ticks with exact fees', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { maxTicks: 100, minutes: 10 });
    expectOk(env.send(claimIx(s, 13n), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    expectOk(env.send(claimIx(s, 37n), [prov.authority]));
    env.warp(600n + w.cfg.settleWindowSeconds + 1n);
    expectErr(env.send(claimIx(s, 50n), [prov.authority]), 'ClaimWindowClosed');
    env.warp(w.cfg.disputeWindowSeconds);
    const f = flows(s);
    const stranger = env.wallet(SOL);
    expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
    f.check({ provider: 0n, fee: 0n, refund: 63n * s.tickAmount, rentToUser: rentOf(env, 'Session') });
    expect(env.provider(prov.provider).lockedLamports).toBe(0n);
    expect(env.provider(prov.provider).openDisputes).toBe(0);
  });
});

// ---------------------------------------------------------------------------
describe('E. expired default settlement, fees and forfeits', () => {
  it('an unfunded treasury during claims, funded at the expired default: the deferred fee is collected there, total fee = claimed * bps', () => {
    const { w, env, prov, node, user } = createMarket({ protocolFeeBps: 1000 });
    // a treasury wallet that cannot take small fees yet
    env.setRaw(w.treasury.publicKey, { lamports: 0n, data: new Uint8Array(0), owner: PublicKey.default });
    const s = openTime(w, user, node, { minutes: 10 });
    env.warp(30);
    expectOk(env.send(claimIx(s, 30n), [prov.authority]));
    expect(env.session(s.session).feeAmount).toBe(0n);
    env.warp(270);
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    env.airdrop(w.treasury.publicKey, SOL);
    env.warp(w.cfg.disputeWindowSeconds + 1n);
    const f = flows(s);
    const claimed0 = env.session(s.session).claimedAmount;
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    const total = (s.escrow * 300n) / 600n;
    const totalFee = split(total, 1000)[1];
    const gross = total - claimed0;
    f.check({ provider: gross - totalFee, fee: totalFee, refund: s.escrow - total, rentToUser: rentOf(env, 'Session') });
  });

  it('a second node of the same provider keeps its own slot count through the first node\'s disputes', () => {
    const { w, env, prov, node, user } = createMarket();
    const node2 = addNode(w, prov);
    const s1 = openTime(w, user, node, { minutes: 10 });
    const s2 = openTime(w, user, node2, { minutes: 10 });
    expectOk(env.send(disputeIx(s1, user.kp.publicKey), [user.kp]));
    // the dispute's node account must be the session's own
    const wrongNode = replaceAccount(disputeIx(s2, user.kp.publicKey), accountIndex('raise_dispute', 'node'), node.node);
    expectErr(env.send(wrongNode, [user.kp]), 'InvalidPda');
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node2.node).activeSessions).toBe(1);
    expectOk(env.send(disputeIx(s2, user.kp.publicKey), [user.kp]));
    expect(env.node(node2.node).activeSessions).toBe(0);
  });
});

describe('F. a short dispute window does not cut a usage provider\'s claim window', () => {
  it('the default settlement of a disputed usage session waits for the settle deadline too (SettleWindowOpen); revealed ticks stay claimable until then', () => {
    const { w, env, prov, node, user } = createMarket({ disputeWindowSeconds: 60n, settleWindowSeconds: 3_600n });
    const s = openUsage(w, user, node, { minutes: 60, maxTicks: 10 });
    expectOk(env.send(claimIx(s, 3n), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    env.warp(61);
    const stranger = env.wallet(SOL);
    expectErr(env.send(payoutIx(s, stranger.publicKey), [stranger]), 'SettleWindowOpen');
    // the provider still claims the ticks the user revealed
    expectOk(env.send(claimIx(s, 8n), [prov.authority]));
    env.warp(3_600n + 3_600n);
    expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
    expect(env.exists(s.session)).toBe(false);
    expect(env.provider(prov.provider).lockedLamports).toBe(0n);
  });
});
