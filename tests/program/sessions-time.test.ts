// Time sessions paid in SOL and in USDC: open, claim_chunk, close_session
// (docs/PROGRAM.md "Amounts", "Session states", "Optional accounts").
import { Keypair, PublicKey } from '@solana/web3.js';
import { buildInstruction, decodeUserState, DVPN_PROGRAM_ID, findSessionPda, findSessionVaultPda, findUserStatePda, ix, SessionMode, SessionState } from '@dvpn/sdk';
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
  expectPdaRejected,
  expectSessionBacked,
  flows,
  nextSessionId,
  openIx,
  openTime,
  payoutIx,
  rentOf,
  replaceAccount,
  SOL,
  split,
  splitRunning,
  stateOf,
  track,
  type SessionFx,
} from './setup.js';

const FEE = 250; // DEFAULT_CONFIG.protocolFeeBps

describe.each([
  { currency: 'SOL', spl: false },
  { currency: 'USDC', spl: true },
])('time session in $currency', ({ spl }) => {
  const watched = (s: SessionFx) => [s.session, s.node.node, s.node.prov.provider, s.user.kp.publicKey, s.node.prov.authority.publicKey, s.w.treasury.publicKey, s.user.token, s.node.prov.token, s.w.treasuryToken, ...(s.vault ? [s.vault] : [])];

  it('open_session escrows price x minutes, takes a node slot and records every field', () => {
    // given a node at 1_000_000 lamports / 10_000 USDC units per minute
    const { w, env, prov, node, user } = createMarket();
    const sessionId = 0n;
    const [session, bump] = findSessionPda(node.node, user.kp.publicKey, sessionId);
    const [vault, vaultBump] = findSessionVaultPda(session);
    const [userState, userStateBump] = findUserStatePda(user.kp.publicKey);
    expect(env.exists(userState)).toBe(false);
    const d = track(env, { user: user.kp.publicKey, userToken: user.token, session, vault, userState });
    const t0 = env.now();

    // when the user opens a 60-minute time session
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId, spl, minutes: 60 });
    const r = expectOk(env.send(instruction, [user.kp]));

    // then the escrow is price x minutes, held by the session (SOL) or its vault (USDC)
    const escrow = (spl ? node.pricePerMinuteToken : node.pricePerMinute) * 60n;
    const rentS = rentOf(env, 'Session');
    const rentV = rentOf(env, 'TokenAccount');
    // the user's first open also creates its UserState (the session counter), at the user's cost
    const rentU = rentOf(env, 'UserState');
    expect(rentU).toBe(1_280_640n);
    if (spl) {
      expect(d()).toEqual({ user: -(rentS + rentV + rentU), userToken: 0n, session: rentS, vault: rentV, userState: rentU });
      expect(d.token()).toEqual({ user: 0n, userToken: -escrow, session: 0n, vault: escrow, userState: 0n });
      const v = env.tokenAccountInfo(vault);
      expect(v.owner.toBase58()).toBe(session.toBase58());
      expect(v.mint.toBase58()).toBe(w.usdc.mint.toBase58());
    } else {
      expect(d()).toEqual({ user: -(rentS + escrow + rentU), userToken: 0n, session: rentS + escrow, vault: 0n, userState: rentU });
      expect(env.exists(vault)).toBe(false);
    }
    const us = env.raw(userState)!;
    expect(us.owner.toBase58()).toBe(DVPN_PROGRAM_ID.toBase58());
    expect(us.data.length).toBe(56);
    const u = decodeUserState(us.data);
    expect(u.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(u.nextSessionId).toBe(1n);
    expect(u.bump).toBe(userStateBump);
    const a = env.session(session);
    expect(a.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(a.node.toBase58()).toBe(node.node.toBase58());
    expect(a.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(a.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expect(a.vault.toBase58()).toBe((spl ? vault : DEFAULT_PUBKEY).toBase58());
    expect(a.disputedBy.toBase58()).toBe(DEFAULT_PUBKEY.toBase58());
    expect(a.sessionId).toBe(sessionId);
    expect(a.startTs).toBe(t0);
    expect(a.endTs).toBe(t0 + 3600n);
    expect(a.closedAt).toBe(0n);
    expect(a.disputeTs).toBe(0n);
    expect(a.escrowAmount).toBe(escrow);
    expect(a.remainingBalance).toBe(escrow);
    expect(a.claimedAmount).toBe(0n);
    expect(a.feeAmount).toBe(0n);
    expect(a.refundedAmount).toBe(0n);
    expect(a.bytesUsed).toBe(0n);
    expect(a.lastTick).toBe(0n);
    expect(a.mode).toBe(SessionMode.Time);
    expect(a.state).toBe(SessionState.Active);
    expect(a.rated).toBe(false);
    expect(a.capacityReleased).toBe(false);
    expect(a.bump).toBe(bump);
    if (spl) expect(a.vaultBump).toBe(vaultBump);
    // and the Config terms in force are the session's for its whole life
    expect(a.protocolFeeBps).toBe(w.cfg.protocolFeeBps);
    expect(a.settleWindowSeconds).toBe(w.cfg.settleWindowSeconds);
    expect(a.disputeWindowSeconds).toBe(w.cfg.disputeWindowSeconds);
    expect(a.idleTimeoutSeconds).toBe(w.cfg.idleTimeoutSeconds);
    expect(a.lastActivityTs).toBe(t0);
    expect(a.tickAmount).toBe(0n); // time sessions price by the minute: the escrow says it all
    expect(a.disputeLock).toBe(0n);
    expect(env.raw(session)!.data.length).toBe(432);
    // and the node / provider count it
    expect(env.node(node.node).activeSessions).toBe(1);
    expect(env.node(node.node).totalSessions).toBe(1n);
    expect(env.provider(prov.provider).totalSessions).toBe(1n);
    const ev = eventOf(r, 'SessionOpened');
    expect(ev.session.toBase58()).toBe(session.toBase58());
    expect(ev.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.sessionId).toBe(sessionId);
    expect(ev.mode).toBe(SessionMode.Time);
    expect(ev.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expect(ev.escrowAmount).toBe(escrow);
    expect(ev.startTs).toBe(t0);
    expect(ev.endTs).toBe(t0 + 3600n);
    expect(ev.nodeActiveSessions).toBe(1);
    expect(ev.timestamp).toBe(t0);

    // and a later open by the same user pays escrow and rents again, but not the UserState
    const d2 = track(env, { user: user.kp.publicKey, userState });
    const s2 = openTime(w, user, node, { spl, minutes: 60 });
    expect(s2.sessionId).toBe(1n);
    expect(d2()).toEqual({ user: -(rentS + (spl ? rentV : escrow)), userState: 0n });
    expect(decodeUserState(env.raw(userState)!.data).nextSessionId).toBe(2n);
  });

  it('claim_chunk pays earned(tick) - earned(last_tick), less the fee, and emits ChunkClaimed', () => {
    // given a 60-minute session
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 60 });
    const dur = 3600n;

    // when 10 minutes have passed and the provider claims through second 600
    env.warp(600);
    const m = flows(s);
    const r = expectOk(env.send(claimIx(s, 600, { bytesUsed: 5_000n }), [prov.authority]));

    // then it receives escrow*600/3600 less the 2.5% fee, the treasury the fee
    const pay = earned(s.escrow, dur, 600n);
    const [net, fee] = split(pay, FEE);
    m.check({ provider: net, fee, refund: 0n });
    const a = env.session(s.session);
    expect(a.lastTick).toBe(600n);
    expect(a.claimedAmount).toBe(pay);
    expect(a.feeAmount).toBe(fee);
    expect(a.remainingBalance).toBe(s.escrow - pay);
    expect(a.bytesUsed).toBe(5_000n);
    expect(a.state).toBe(SessionState.Active);
    expectSessionBacked(s);
    const p = env.provider(prov.provider);
    expect(spl ? p.totalEarnedToken : p.totalEarnedLamports).toBe(net);
    expect(spl ? p.totalEarnedLamports : p.totalEarnedToken).toBe(0n);
    const ev = eventOf(r, 'ChunkClaimed');
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expect(ev.tick).toBe(600n);
    expect(ev.amount).toBe(pay);
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.claimedAmount).toBe(pay);
    expect(ev.remainingBalance).toBe(s.escrow - pay);
    expect(ev.bytesUsed).toBe(5_000n);
    expect(ev.timestamp).toBe(env.now());

    // and a second claim through second 1500 pays only the difference
    env.warp(900);
    const m2 = flows(s);
    expectOk(env.send(claimIx(s, 1500, { bytesUsed: 5_000n }), [prov.authority]));
    const pay2 = earned(s.escrow, dur, 1500n) - earned(s.escrow, dur, 600n);
    // (the fee is on the running total, not on each claim)
    const [net2, fee2] = splitRunning(pay, pay2, FEE);
    m2.check({ provider: net2, fee: fee2, refund: 0n });
    expect(env.session(s.session).claimedAmount).toBe(pay + pay2);
    expect(env.session(s.session).feeAmount).toBe(fee + fee2);
    expectSessionBacked(s);
  });

  it('floors every claim yet pays exactly the escrow over the full duration', () => {
    // given an odd price so escrow * t / duration is rarely whole
    const { w, env, prov, node, user } = createMarket({}, { pricePerMinute: 1_000_003n, pricePerMinuteToken: 10_007n });
    const s = openTime(w, user, node, { spl, minutes: 7 });
    const dur = 420n;
    let last = 0n;
    let paid = 0n;
    let fees = 0n;
    const m = flows(s);
    // when the provider claims at uneven ticks up to the end
    for (const t of [1n, 2n, 3n, 59n, 60n, 61n, 200n, 419n, 420n]) {
      env.setTime(s.startTs + t);
      expectOk(env.send(claimIx(s, t), [prov.authority]));
      const pay = earned(s.escrow, dur, t) - earned(s.escrow, dur, last);
      fees += splitRunning(paid, pay, FEE)[1];
      paid += pay;
      last = t;
      expect(env.session(s.session).claimedAmount).toBe(paid);
      // the fee so far is always the floor of the fee on the running total
      expect(env.session(s.session).feeAmount).toBe(split(paid, FEE)[1]);
      expectSessionBacked(s);
    }
    // then the whole escrow went out, the fee being exactly the fee on the escrow (no per-claim rounding loss)
    expect(paid).toBe(s.escrow);
    expect(fees).toBe(split(s.escrow, FEE)[1]);
    m.check({ provider: s.escrow - fees, fee: fees, refund: 0n });
    expect(env.session(s.session).remainingBalance).toBe(0n);
    expect(env.session(s.session).feeAmount).toBe(fees);
  });

  it('refuses a tick beyond the elapsed time or the duration (ClaimBeyondElapsed)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 100n);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 101), [prov.authority]), 'ClaimBeyondElapsed');
    expect(stateOf(env, watched(s))).toBe(before);
    expectOk(env.send(claimIx(s, 100), [prov.authority]));
    // after the end, the duration caps the tick
    env.setTime(s.startTs + 700n);
    expectErr(env.send(claimIx(s, 601), [prov.authority]), 'ClaimBeyondElapsed');
    expectOk(env.send(claimIx(s, 600), [prov.authority]));
    expect(env.session(s.session).remainingBalance).toBe(0n);
  });

  it('refuses a tick that is not after last_tick (StaleClaim)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 300n);
    expectOk(env.send(claimIx(s, 200), [prov.authority]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 200), [prov.authority]), 'StaleClaim');
    expectErr(env.send(claimIx(s, 150), [prov.authority]), 'StaleClaim');
    expect(stateOf(env, watched(s))).toBe(before);
    // tick 0 on a fresh session is not after last_tick 0 either
    const s2 = openTime(w, user, node, { spl, minutes: 10 });
    expectErr(env.send(claimIx(s2, 0), [prov.authority]), 'StaleClaim');
  });

  it('refuses a bytes_used lower than the recorded one (BytesUsedDecreased)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.setTime(s.startTs + 300n);
    expectOk(env.send(claimIx(s, 100, { bytesUsed: 1_000n }), [prov.authority]));
    expectErr(env.send(claimIx(s, 200, { bytesUsed: 999n }), [prov.authority]), 'BytesUsedDecreased');
    expectOk(env.send(claimIx(s, 200, { bytesUsed: 1_000n }), [prov.authority]));
    expect(env.session(s.session).bytesUsed).toBe(1_000n);
  });

  it("refuses a stranger signing with the session's Provider (Unauthorized)", () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    const stranger = env.wallet(SOL);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 100, { signer: stranger }), [stranger]), 'Unauthorized');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it("refuses another provider claiming on this session with its own Provider (InvalidPda)", () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    const other = addProvider(w);
    env.warp(300);
    const bad = replaceAccount(claimIx(s, 100, { signer: other.authority }), accountIndex('claim_chunk', 'provider'), other.provider);
    const before = stateOf(env, [...watched(s), other.provider]);
    expectErr(env.send(bad, [other.authority]), 'InvalidPda');
    expect(stateOf(env, [...watched(s), other.provider])).toBe(before);
  });

  it('refuses a treasury other than the Config one (InvalidTreasury)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    const fake = env.wallet(SOL).publicKey;
    expectErr(env.send(replaceAccount(claimIx(s, 100), accountIndex('claim_chunk', 'treasury'), fake), [prov.authority]), 'InvalidTreasury');
  });

  it('requires the provider authority signature (MissingSignature)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(300);
    const unsigned = replaceAccount(claimIx(s, 100), 0, prov.authority.publicKey, { isSigner: false });
    expectErr(env.send(unsigned), 'MissingSignature');
  });

  it('close_session pays the elapsed time, refunds the rest, frees the slot (state Closed)', () => {
    // given a 60-minute session claimed through minute 10
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 60 });
    env.setTime(s.startTs + 600n);
    expectOk(env.send(claimIx(s, 600), [prov.authority]));
    const dur = 3600n;

    // when the user closes it at minute 20
    env.setTime(s.startTs + 1200n);
    const m = flows(s);
    const r = expectOk(env.send(closeIx(s), [user.kp]));

    // then the provider gets minutes 10..20, the user the unused 40 minutes
    const pay = earned(s.escrow, dur, 1200n) - earned(s.escrow, dur, 600n);
    const [net, fee] = splitRunning(earned(s.escrow, dur, 600n), pay, FEE);
    const refund = s.escrow - earned(s.escrow, dur, 1200n);
    m.check({ provider: net, fee, refund });
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Closed);
    expect(a.lastTick).toBe(1200n);
    expect(a.closedAt).toBe(env.now());
    expect(a.remainingBalance).toBe(0n);
    expect(a.claimedAmount).toBe(earned(s.escrow, dur, 1200n));
    expect(a.refundedAmount).toBe(refund);
    expect(a.capacityReleased).toBe(true);
    expectSessionBacked(s);
    // and the slot and uptime are accounted
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(1200n);
    expect(env.provider(prov.provider).totalUptimeSeconds).toBe(1200n);
    const ev = eventOf(r, 'SessionClosed');
    expect(ev.session.toBase58()).toBe(s.session.toBase58());
    expect(ev.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.node.toBase58()).toBe(node.node.toBase58());
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expect(ev.state).toBe(SessionState.Closed);
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.refund).toBe(refund);
    expect(ev.remainingBalance).toBe(0n);
    expect(ev.nodeActiveSessions).toBe(0);
    expect(ev.timestamp).toBe(env.now());
  });

  it('close_session after the end pays the whole duration and refunds nothing', () => {
    const { w, env, node, user, prov } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 5 });
    env.setTime(s.startTs + 1000n);
    const m = flows(s);
    expectOk(env.send(closeIx(s), [user.kp]));
    const [net, fee] = split(s.escrow, FEE);
    m.check({ provider: net, fee, refund: 0n });
    expect(env.session(s.session).lastTick).toBe(300n);
    expect(env.node(node.node).totalUptimeSeconds).toBe(300n);
    expect(env.provider(prov.provider).totalUptimeSeconds).toBe(300n);
  });

  it('close_session at once refunds everything', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 5 });
    const m = flows(s);
    expectOk(env.send(closeIx(s), [user.kp]));
    m.check({ provider: 0n, fee: 0n, refund: s.escrow });
    expect(env.session(s.session).lastTick).toBe(0n);
  });

  it('only the session user may close (NotSessionParty) and only once (SessionNotActive)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(120);
    const other = addUser(w);
    const before = stateOf(env, watched(s));
    expectErr(env.send(closeIx(s, other.kp.publicKey), [other.kp]), 'NotSessionParty');
    // the provider cannot close it for the user either: it may only evict idle usage sessions,
    // and a time session is never idle, however long nothing was claimed
    expectErr(env.send(closeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
    env.warp(w.cfg.idleTimeoutSeconds + 1n);
    expectErr(env.send(closeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
    expect(stateOf(env, watched(s))).toBe(before);
    expectOk(env.send(closeIx(s), [user.kp]));
    const after = stateOf(env, watched(s));
    expectErr(env.send(closeIx(s), [user.kp]), 'SessionNotActive');
    // and a Closed session takes no claim
    expectErr(env.send(claimIx(s, 60), [prov.authority]), 'SessionNotActive');
    expect(stateOf(env, watched(s))).toBe(after);
  });

  it('close_session refuses foreign accounts: another node, provider authority or treasury', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    const node2 = addNode(w, prov); // same provider, other node
    const otherProv = addProvider(w);
    env.warp(120);
    const before = stateOf(env, [...watched(s), node2.node]);
    const close = closeIx(s);
    expectErr(env.send(replaceAccount(close, accountIndex('close_session', 'node'), node2.node), [user.kp]), 'InvalidPda');
    expectErr(env.send(replaceAccount(close, accountIndex('close_session', 'provider'), otherProv.provider), [user.kp]), 'InvalidPda');
    expectErr(
      env.send(replaceAccount(close, accountIndex('close_session', 'provider_authority'), otherProv.authority.publicKey), [user.kp]),
      'InvalidPda',
    );
    expectErr(env.send(replaceAccount(close, accountIndex('close_session', 'treasury'), user.kp.publicKey), [user.kp]), 'InvalidTreasury');
    expect(stateOf(env, [...watched(s), node2.node])).toBe(before);
  });

  it("refuses another user's session opened on the same node (NotSessionParty)", () => {
    const { w, env, node, user } = createMarket();
    const mine = openTime(w, user, node, { spl, minutes: 10 });
    const other = addUser(w);
    const theirs = openTime(w, other, node, { spl, minutes: 10 });
    // the user names its own wallet but the other user's session
    const bad = replaceAccount(closeIx(mine), accountIndex('close_session', 'session'), theirs.session);
    const before = stateOf(env, watched(theirs));
    expectErr(env.send(bad, [user.kp]), 'NotSessionParty');
    expect(stateOf(env, watched(theirs))).toBe(before);
  });

  it('open refuses a Provider that does not own the node (InvalidPda)', () => {
    const { w, env, node, user } = createMarket();
    const other = addProvider(w);
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl });
    const bad = replaceAccount(instruction, accountIndex(spl ? 'open_session_spl' : 'open_session', 'provider'), other.provider);
    expectErr(env.send(bad, [user.kp]), 'InvalidPda');
    expect(env.node(node.node).activeSessions).toBe(0);
  });

  it("open refuses a session address derived for another user (runtime seed check)", () => {
    const { w, env, node, user } = createMarket();
    const other = Keypair.generate().publicKey;
    const [foreign] = findSessionPda(node.node, other, 0n);
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl });
    expectPdaRejected(env.send(replaceAccount(instruction, accountIndex(spl ? 'open_session_spl' : 'open_session', 'session'), foreign), [user.kp]));
    expect(env.exists(foreign)).toBe(false);
    expect(env.node(node.node).activeSessions).toBe(0);
  });

  it("open refuses any id but the user's next one (InvalidSessionId): an id in use, a gap, a settled id", () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl, minutes: 10 });
    const before = stateOf(env, watched(s));
    // an id already in use
    const again = openIx(w, user, node, SessionMode.Time, { sessionId: s.sessionId, spl, minutes: 20 }).instruction;
    expectErr(env.send(again, [user.kp]), 'InvalidSessionId');
    // an id skipping ahead
    const gap = openIx(w, user, node, SessionMode.Time, { sessionId: s.sessionId + 2n, spl, minutes: 20 }).instruction;
    expectErr(env.send(gap, [user.kp]), 'InvalidSessionId');
    expect(stateOf(env, watched(s))).toBe(before);
    // once the session is closed and its account settled away, its id still never comes back
    expectOk(env.send(closeIx(s), [user.kp]));
    env.warp(w.cfg.settleWindowSeconds + 1n);
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    expect(env.exists(s.session)).toBe(false);
    expectErr(env.send(again, [user.kp]), 'InvalidSessionId');
    expect(env.exists(s.session)).toBe(false);
    // and the next session gets a new address
    const next = openTime(w, user, node, { spl, minutes: 10 });
    expect(next.sessionId).toBe(s.sessionId + 1n);
    expect(next.session.equals(s.session)).toBe(false);
    // ids are per user: another user starts at 0 on the same node, and leaves this user's counter alone
    const other = addUser(w);
    expectErr(env.send(openIx(w, other, node, SessionMode.Time, { sessionId: 2n, spl }).instruction, [other.kp]), 'InvalidSessionId');
    const theirs = openTime(w, other, node, { spl, minutes: 10 });
    expect(theirs.sessionId).toBe(0n);
    expect(nextSessionId(w, user)).toBe(2n);
    // and the user's counter runs across nodes: its next open elsewhere takes the next id
    const node2 = addNode(w, node.prov);
    expectErr(env.send(openIx(w, user, node2, SessionMode.Time, { sessionId: 0n, spl }).instruction, [user.kp]), 'InvalidSessionId');
    expect(openTime(w, user, node2, { spl, minutes: 10 }).sessionId).toBe(2n);
  });

  it('open requires the user signature (MissingSignature)', () => {
    const { w, env, node, user } = createMarket();
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl });
    expectErr(env.send(replaceAccount(instruction, 0, user.kp.publicKey, { isSigner: false })), 'MissingSignature');
  });

  it('open refuses a zero duration', () => {
    const { w, env, node, user } = createMarket();
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl, minutes: 0 });
    const r = env.send(instruction, [user.kp]);
    expect(r.ok).toBe(false);
    expect(['InvalidSessionParams', 'ZeroAmount']).toContain(r.error?.name);
    expect(env.node(node.node).activeSessions).toBe(0);
  });

  it('open takes 366 days and refuses one minute more (SessionTooLong)', () => {
    const { w, env, node, user } = createMarket({}, { pricePerMinute: 1n, pricePerMinuteToken: 1n });
    const max = 366 * 24 * 60;
    const tooLong = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl, minutes: max + 1 }).instruction;
    expectErr(env.send(tooLong, [user.kp]), 'SessionTooLong');
    expect(env.node(node.node).activeSessions).toBe(0);
    const s = openTime(w, user, node, { spl, minutes: max });
    expect(env.session(s.session).endTs).toBe(s.startTs + BigInt(max) * 60n);
  });

  it('open takes exactly the node price_per_minute as tick_amount, nothing else, not even 0 (PriceMismatch)', () => {
    const { w, env, node, user } = createMarket();
    const price = spl ? node.pricePerMinuteToken : node.pricePerMinute;
    const withTick = (tickAmount: bigint) => {
      const { base } = openIx(w, user, node, SessionMode.Time, { sessionId: nextSessionId(w, user), spl, minutes: 5 });
      const args = { ...base, tickAmount };
      return spl ? ix.openSessionSpl({ ...args, tokenMint: w.usdc.mint, userToken: user.token }) : ix.openSession(args);
    };
    expectErr(env.send(withTick(price - 1n), [user.kp]), 'PriceMismatch');
    expectErr(env.send(withTick(price + 1n), [user.kp]), 'PriceMismatch');
    expectErr(env.send(withTick(0n), [user.kp]), 'PriceMismatch');
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(nextSessionId(w, user)).toBe(0n);
    expectOk(env.send(withTick(price), [user.kp]));
    expect(env.node(node.node).activeSessions).toBe(1);
    // a price change by the provider: the old price is refused, the new one taken
    const update = spl ? { pricePerMinuteToken: price * 2n } : { pricePerMinute: price * 2n };
    expectOk(env.send(ix.updateNode({ authority: node.prov.authority.publicKey, node: node.node, ...update }), [node.prov.authority]));
    expectErr(env.send(withTick(price), [user.kp]), 'PriceMismatch');
    expectOk(env.send(withTick(price * 2n), [user.kp]));
    expect(env.node(node.node).activeSessions).toBe(2);
  });

  it('open refuses price x minutes overflowing u64 (ArithmeticOverflow)', () => {
    const huge = 1n << 63n;
    const { w, env, node, user } = createMarket({}, { pricePerMinute: huge, pricePerMinuteToken: huge });
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl, minutes: 2 });
    expectErr(env.send(instruction, [user.kp]), 'ArithmeticOverflow');
    expect(env.node(node.node).activeSessions).toBe(0);
  });
});

describe('USDC-only account checks', () => {
  const market = () => createMarket();

  it('open_session_spl refuses a mint other than the Config mint (InvalidMint)', () => {
    const { w, env, node, user } = market();
    const fakeUsdc = env.createMint(6);
    const fakeToken = env.createTokenAccount(fakeUsdc, user.kp.publicKey, 1_000_000_000n);
    const { instruction } = openIx(w, { ...user, token: fakeToken }, node, SessionMode.Time, { sessionId: 0n, spl: true });
    const bad = replaceAccount(instruction, accountIndex('open_session_spl', 'token_mint'), fakeUsdc.mint);
    expectErr(env.send(bad, [user.kp]), 'InvalidMint');
    expect(env.tokenBalance(fakeToken)).toBe(1_000_000_000n);
  });

  it('open_session_spl refuses a user token account of another mint (InvalidTokenAccount)', () => {
    const { w, env, node, user } = market();
    const fakeUsdc = env.createMint(6);
    const fakeToken = env.createTokenAccount(fakeUsdc, user.kp.publicKey, 1_000_000_000n);
    const { instruction } = openIx(w, { ...user, token: fakeToken }, node, SessionMode.Time, { sessionId: 0n, spl: true });
    expectErr(env.send(instruction, [user.kp]), 'InvalidTokenAccount');
  });

  it("open_session_spl refuses paying from someone else's token account (InvalidTokenAccount)", () => {
    const { w, env, node, user } = market();
    const victim = addUser(w);
    const { instruction } = openIx(w, { ...user, token: victim.token }, node, SessionMode.Time, { sessionId: 0n, spl: true });
    const before = env.tokenBalance(victim.token);
    expectErr(env.send(instruction, [user.kp]), 'InvalidTokenAccount');
    expect(env.tokenBalance(victim.token)).toBe(before);
  });

  it('open_session_spl refuses a vault address that is not the PDA (runtime seed check)', () => {
    const { w, env, node, user } = market();
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl: true });
    const fake = Keypair.generate().publicKey;
    expectPdaRejected(env.send(replaceAccount(instruction, accountIndex('open_session_spl', 'vault'), fake), [user.kp]));
    expect(env.exists(fake)).toBe(false);
  });

  it('open_session_spl refuses a fake token program (InvalidProgram)', () => {
    const { w, env, node, user } = market();
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl: true });
    const fake = Keypair.generate().publicKey;
    expectErr(env.send(replaceAccount(instruction, accountIndex('open_session_spl', 'token_program'), fake), [user.kp]), 'InvalidProgram');
  });

  it('claim_chunk refuses provider / treasury token accounts of the wrong owner or mint (InvalidTokenAccount)', () => {
    const { w, env, prov, node, user } = market();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    env.warp(300);
    const stranger = addUser(w);
    const fake = env.createMint(6);
    const wrongMintProv = env.createTokenAccount(fake, prov.authority.publicKey);
    const wrongMintTreasury = env.createTokenAccount(fake, w.treasury.publicKey);
    const claim = claimIx(s, 100);
    const pt = accountIndex('claim_chunk', 'provider_token');
    const tt = accountIndex('claim_chunk', 'treasury_token');
    const before = stateOf(env, [s.session, s.vault!, prov.token, w.treasuryToken, stranger.token]);
    expectErr(env.send(replaceAccount(claim, pt, stranger.token), [prov.authority]), 'InvalidTokenAccount');
    expectErr(env.send(replaceAccount(claim, pt, wrongMintProv), [prov.authority]), 'InvalidTokenAccount');
    expectErr(env.send(replaceAccount(claim, tt, stranger.token), [prov.authority]), 'InvalidTokenAccount');
    expectErr(env.send(replaceAccount(claim, tt, wrongMintTreasury), [prov.authority]), 'InvalidTokenAccount');
    expect(stateOf(env, [s.session, s.vault!, prov.token, w.treasuryToken, stranger.token])).toBe(before);
  });

  it('claim_chunk refuses a look-alike token account not owned by the classic Token program (InvalidTokenAccount)', () => {
    // given a byte-for-byte copy of the provider's token account, owned by Token-2022
    const { w, env, prov, node, user } = market();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    env.warp(300);
    const real = env.raw(prov.token)!;
    const fake = Keypair.generate().publicKey;
    env.setRaw(fake, { lamports: real.lamports, data: real.data, owner: new PublicKey('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb') });
    const before = stateOf(env, [s.session, s.vault!, prov.token]);
    expectErr(env.send(replaceAccount(claimIx(s, 100), accountIndex('claim_chunk', 'provider_token'), fake), [prov.authority]), 'InvalidTokenAccount');
    expect(stateOf(env, [s.session, s.vault!, prov.token])).toBe(before);
  });

  it("claim_chunk refuses another session's vault", () => {
    const { w, env, prov, node, user } = market();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    const other = openTime(w, user, node, { spl: true, minutes: 10 });
    env.warp(300);
    const bad = replaceAccount(claimIx(s, 100), accountIndex('claim_chunk', 'vault'), other.vault!);
    const before = stateOf(env, [s.session, s.vault!, other.session, other.vault!, prov.token]);
    const r = env.send(bad, [prov.authority]);
    expect(r.ok).toBe(false);
    expect(['InvalidPda', 'InvalidTokenAccount']).toContain(r.error?.name);
    expect(stateOf(env, [s.session, s.vault!, other.session, other.vault!, prov.token])).toBe(before);
  });

  it("close_session refuses a refund to someone else's token account (InvalidTokenAccount)", () => {
    const { w, env, node, user } = market();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    const thief = addUser(w);
    const bad = replaceAccount(closeIx(s), accountIndex('close_session', 'user_token'), thief.token);
    const before = stateOf(env, [s.session, s.vault!, thief.token]);
    expectErr(env.send(bad, [user.kp]), 'InvalidTokenAccount');
    expect(stateOf(env, [s.session, s.vault!, thief.token])).toBe(before);
  });

  it('a USDC session with its token accounts left out (program id) fails and moves nothing', () => {
    const { w, env, prov, node, user } = market();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    env.warp(300);
    const asSol = buildInstruction('claim_chunk', { tick: 100n, preimage: new Uint8Array(32), bytesUsed: 0n }, {
      authority: prov.authority.publicKey,
      provider: prov.provider,
      session: s.session,
      treasury: w.treasury.publicKey,
    });
    const before = stateOf(env, [s.session, s.vault!, prov.token, prov.authority.publicKey, w.treasury.publicKey]);
    const r = env.send(asSol, [prov.authority]);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBeGreaterThanOrEqual(6000);
    expect(stateOf(env, [s.session, s.vault!, prov.token, prov.authority.publicKey, w.treasury.publicKey])).toBe(before);
  });
});
