// Usage sessions (hash-chain billing) in SOL and in USDC (docs/PROGRAM.md "Amounts", "Session states").
import { createHashChain, findUserStatePda, ix, SessionMode, SessionState } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  DEFAULT_PUBKEY,
  eventOf,
  expectErr,
  expectOk,
  expectSessionBacked,
  flows,
  nextSessionId,
  openIx,
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
])('usage session in $currency', ({ spl }) => {
  const watched = (s: SessionFx) => [s.session, s.node.node, s.node.prov.provider, s.user.kp.publicKey, s.node.prov.authority.publicKey, s.w.treasury.publicKey, s.user.token, s.node.prov.token, s.w.treasuryToken, ...(s.vault ? [s.vault] : [])];

  it('open escrows tick_amount x max_ticks and commits the chain root', () => {
    // given a 100-tick hash chain at 1_000 units a tick
    const { w, env, node, user } = createMarket();
    const chain = createHashChain(100);
    const d = track(env, { user: user.kp.publicKey, userToken: user.token, userState: findUserStatePda(user.kp.publicKey)[0] });
    // when the user opens a usage session of at most 30 minutes (its first: it creates its UserState too)
    const s = openUsage(w, user, node, { spl, minutes: 30, tickAmount: 1_000n, chain });
    // then the escrow is 100_000 and the chain root is both root and last proof
    const escrow = 100_000n;
    expect(s.escrow).toBe(escrow);
    const rentS = rentOf(env, 'Session');
    const rentV = rentOf(env, 'TokenAccount');
    const rentU = rentOf(env, 'UserState');
    if (spl) {
      expect(d()).toEqual({ user: -(rentS + rentV + rentU), userToken: 0n, userState: rentU });
      expect(d.token().userToken).toBe(-escrow);
    } else {
      expect(d()).toEqual({ user: -(rentS + escrow + rentU), userToken: 0n, userState: rentU });
    }
    expect(nextSessionId(w, user)).toBe(1n);
    const a = env.session(s.session);
    expect(a.mode).toBe(SessionMode.Usage);
    expect(a.state).toBe(SessionState.Active);
    expect(a.escrowAmount).toBe(escrow);
    expect(a.remainingBalance).toBe(escrow);
    expect(a.tickAmount).toBe(1_000n);
    expect(a.maxTicks).toBe(100n);
    expect(a.hashChainRoot).toEqual(chain.root);
    expect(a.lastProofHash).toEqual(chain.root);
    expect(a.lastTick).toBe(0n);
    expect(a.startTs).toBe(s.startTs);
    expect(a.endTs).toBe(s.startTs + 1800n);
    expect(a.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
    expectSessionBacked(s);
    const ev = eventOf(s.opened, 'SessionOpened');
    expect(ev.mode).toBe(SessionMode.Usage);
    expect(ev.escrowAmount).toBe(escrow);
    expect(ev.tickAmount).toBe(1_000n);
    expect(ev.maxTicks).toBe(100n);
    expect(ev.hashChainRoot).toEqual(chain.root);
    expect(ev.startTs).toBe(s.startTs);
    expect(ev.endTs).toBe(s.startTs + 1800n);
    expect(ev.paymentMint.toBase58()).toBe((spl ? w.usdc.mint : DEFAULT_PUBKEY).toBase58());
  });

  it('claim_chunk pays (tick - last_tick) x tick_amount for a valid preimage and stores it', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, tickAmount: 1_000n, maxTicks: 100 });
    env.warp(60);
    // when the provider reveals w_5
    const m = flows(s);
    const r = expectOk(env.send(claimIx(s, 5, { bytesUsed: 10_000n }), [prov.authority]));
    // then 5 ticks are paid, less the fee
    const [net, fee] = split(5_000n, FEE);
    m.check({ provider: net, fee, refund: 0n });
    let a = env.session(s.session);
    expect(a.lastTick).toBe(5n);
    expect(a.lastProofHash).toEqual(s.chain!.preimage(5));
    expect(a.claimedAmount).toBe(5_000n);
    expect(a.feeAmount).toBe(fee);
    expect(a.remainingBalance).toBe(95_000n);
    expect(a.bytesUsed).toBe(10_000n);
    expectSessionBacked(s);
    const ev = eventOf(r, 'ChunkClaimed');
    expect(ev.tick).toBe(5n);
    expect(ev.amount).toBe(5_000n);
    expect(ev.providerAmount).toBe(net);
    expect(ev.fee).toBe(fee);
    expect(ev.claimedAmount).toBe(5_000n);
    expect(ev.remainingBalance).toBe(95_000n);
    expect(ev.bytesUsed).toBe(10_000n);
    // and w_12 then pays the 7 ticks in between
    const m2 = flows(s);
    expectOk(env.send(claimIx(s, 12, { bytesUsed: 20_000n }), [prov.authority]));
    const [net2, fee2] = splitRunning(5_000n, 7_000n, FEE);
    m2.check({ provider: net2, fee: fee2, refund: 0n });
    a = env.session(s.session);
    expect(a.lastTick).toBe(12n);
    expect(a.lastProofHash).toEqual(s.chain!.preimage(12));
    const p = env.provider(prov.provider);
    expect(spl ? p.totalEarnedToken : p.totalEarnedLamports).toBe(net + net2);
    expectSessionBacked(s);
  });

  it('the whole chain pays exactly the escrow', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, tickAmount: 777n, maxTicks: 10 });
    const m = flows(s);
    let fees = 0n;
    for (const [from, to] of [[0, 1], [1, 4], [4, 10]]) {
      const r = expectOk(env.send(claimIx(s, to), [prov.authority]));
      // each claim's fee is what the running total owes beyond the fees already paid
      const fee = splitRunning(BigInt(from) * 777n, BigInt(to - from) * 777n, FEE)[1];
      expect(eventOf(r, 'ChunkClaimed').fee).toBe(fee);
      fees += fee;
    }
    // so the whole chain pays exactly the fee on the whole escrow, not the sum of per-claim floors
    expect(fees).toBe(split(s.escrow, FEE)[1]);
    m.check({ provider: s.escrow - fees, fee: fees, refund: 0n });
    expect(env.session(s.session).remainingBalance).toBe(0n);
  });

  it('refuses a wrong preimage (InvalidPreimage) and changes nothing', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 50 });
    expectOk(env.send(claimIx(s, 5), [prov.authority]));
    const before = stateOf(env, watched(s));
    // random bytes
    expectErr(env.send(claimIx(s, 6, { preimage: new Uint8Array(32).fill(1) }), [prov.authority]), 'InvalidPreimage');
    // a real chain element for another tick (w_7 presented as tick 6)
    expectErr(env.send(claimIx(s, 6, { preimage: s.chain!.preimage(7) }), [prov.authority]), 'InvalidPreimage');
    // a stale element (w_4, already behind the last proof) presented as a new tick
    expectErr(env.send(claimIx(s, 6, { preimage: s.chain!.preimage(4) }), [prov.authority]), 'InvalidPreimage');
    // the element of another session's chain
    const other = createHashChain(50);
    expectErr(env.send(claimIx(s, 6, { preimage: other.preimage(6) }), [prov.authority]), 'InvalidPreimage');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('refuses replaying a revealed preimage or a tick not after last_tick (StaleClaim)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 50 });
    expectOk(env.send(claimIx(s, 5), [prov.authority]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 5), [prov.authority]), 'StaleClaim');
    expectErr(env.send(claimIx(s, 3), [prov.authority]), 'StaleClaim');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('refuses a tick beyond max_ticks (TickBeyondChain)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 10 });
    // w_10 hashed once is a valid "w_11" shape: the chain length still caps it
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 11, { preimage: new Uint8Array(32).fill(3) }), [prov.authority]), 'TickBeyondChain');
    expect(stateOf(env, watched(s))).toBe(before);
    expectOk(env.send(claimIx(s, 10), [prov.authority]));
  });

  it('verifies at most 512 ticks per claim (TooManyTicks)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, tickAmount: 10n, maxTicks: 1100 });
    expectErr(env.send(claimIx(s, 513), [prov.authority]), 'TooManyTicks');
    expectOk(env.send(claimIx(s, 512), [prov.authority]));
    expectErr(env.send(claimIx(s, 1025), [prov.authority]), 'TooManyTicks');
    expectOk(env.send(claimIx(s, 1024), [prov.authority]));
    expect(env.session(s.session).claimedAmount).toBe(10_240n);
  });

  it('refuses a bytes_used lower than the recorded one (BytesUsedDecreased)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 50 });
    expectOk(env.send(claimIx(s, 1, { bytesUsed: 500n }), [prov.authority]));
    expectErr(env.send(claimIx(s, 2, { bytesUsed: 499n }), [prov.authority]), 'BytesUsedDecreased');
  });

  it('keeps accepting claims after end_ts until end_ts + settle window', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 10, maxTicks: 50 });
    const deadline = s.startTs + 600n + w.cfg.settleWindowSeconds;
    env.setTime(s.startTs + 601n);
    expectOk(env.send(claimIx(s, 3), [prov.authority]));
    env.setTime(deadline);
    expectOk(env.send(claimIx(s, 4), [prov.authority]));
    env.setTime(deadline + 1n);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 5), [prov.authority]), 'ClaimWindowClosed');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('close_session moves no funds: state Closing, closed_at = now, slot released', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 50 });
    expectOk(env.send(claimIx(s, 2), [prov.authority]));
    env.warp(400);
    const m = flows(s);
    const r = expectOk(env.send(closeIx(s), [user.kp]));
    m.check({ provider: 0n, fee: 0n, refund: 0n });
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Closing);
    expect(a.closedAt).toBe(env.now());
    expect(a.remainingBalance).toBe(s.escrow - 2n * s.tickAmount);
    expect(a.capacityReleased).toBe(true);
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(env.node(node.node).totalUptimeSeconds).toBe(400n);
    expect(env.provider(prov.provider).totalUptimeSeconds).toBe(400n);
    const ev = eventOf(r, 'SessionClosed');
    expect(ev.state).toBe(SessionState.Closing);
    expect(ev.providerAmount).toBe(0n);
    expect(ev.fee).toBe(0n);
    expect(ev.refund).toBe(0n);
    expect(ev.remainingBalance).toBe(a.remainingBalance);
    expect(ev.nodeActiveSessions).toBe(0);
    // a Closing session cannot be closed again
    expectErr(env.send(closeIx(s), [user.kp]), 'SessionNotActive');
  });

  it('a Closing session accepts claims until closed_at + settle window, then refunds the rest on payout', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, tickAmount: 1_000n, maxTicks: 50 });
    env.warp(300);
    expectOk(env.send(closeIx(s), [user.kp]));
    const closedAt = env.now();
    // the provider still claims what it served
    env.setTime(closedAt + w.cfg.settleWindowSeconds);
    expectOk(env.send(claimIx(s, 8), [prov.authority]));
    env.setTime(closedAt + w.cfg.settleWindowSeconds + 1n);
    expectErr(env.send(claimIx(s, 9), [prov.authority]), 'ClaimWindowClosed');
    // then anyone settles: the user gets the 42 unused ticks and both rents
    const stranger = addUser(w);
    const m = flows(s);
    const r = expectOk(env.send(payoutIx(s, stranger.kp.publicKey), [stranger.kp]));
    const rent = rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : 0n);
    m.check({ provider: 0n, fee: 0n, refund: 42_000n, rentToUser: rent });
    expect(env.exists(s.session)).toBe(false);
    if (spl) expect(env.exists(s.vault!)).toBe(false);
    // the slot was released at close, not twice
    expect(env.node(node.node).activeSessions).toBe(0);
    const ev = eventOf(r, 'PayoutClaimed');
    expect(ev.refund).toBe(42_000n);
    expect(ev.claimedAmount).toBe(8_000n);
    expect(ev.refundedAmount).toBe(42_000n);
    expect(ev.caller.toBase58()).toBe(stranger.kp.publicKey.toBase58());
  });

  it('claim refuses a stranger (Unauthorized) and another provider (InvalidPda)', () => {
    const { w, env, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30, maxTicks: 50 });
    const stranger = addUser(w);
    const other = addProvider(w);
    const before = stateOf(env, watched(s));
    expectErr(env.send(claimIx(s, 3, { signer: stranger.kp }), [stranger.kp]), 'Unauthorized');
    expectErr(env.send(replaceAccount(claimIx(s, 3, { signer: other.authority }), 2, other.provider), [other.authority]), 'InvalidPda');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it("open refuses the node's price_per_tick x max_ticks overflowing u64 (ArithmeticOverflow)", () => {
    const huge = 1n << 63n;
    const { w, env, node, user } = createMarket({}, { pricePerTick: huge, pricePerTickToken: huge });
    const { instruction } = openIx(w, user, node, SessionMode.Usage, { sessionId: 0n, spl, chain: createHashChain(2) });
    expectErr(env.send(instruction, [user.kp]), 'ArithmeticOverflow');
    expect(env.node(node.node).activeSessions).toBe(0);
  });

  it.each([
    ['max_ticks 0', { maxTicks: 0n }, 'InvalidSessionParams'],
    ['tick_amount 0 (not the node price)', { tickAmount: 0n }, 'PriceMismatch'],
    ['tick_amount below the node price', { tickAmount: 999n }, 'PriceMismatch'],
    ['tick_amount above the node price', { tickAmount: 1_001n }, 'PriceMismatch'],
    ['duration 0', { durationMinutes: 0 }, 'InvalidSessionParams'],
    ['a duration over 30 days', { durationMinutes: 30 * 24 * 60 + 1 }, 'SessionTooLong'],
  ])('open refuses %s (%s)', (_, over, error) => {
    // given a node at 1_000 a tick (both currencies)
    const { w, env, node, user } = createMarket();
    const { base } = openIx(w, user, node, SessionMode.Usage, { sessionId: 0n, spl, chain: createHashChain(5) });
    expect(base.tickAmount).toBe(1_000n);
    const args = { ...base, ...over };
    const instruction = spl ? ix.openSessionSpl({ ...args, tokenMint: w.usdc.mint, userToken: user.token }) : ix.openSession(args);
    expectErr(env.send(instruction, [user.kp]), error);
    expect(env.node(node.node).activeSessions).toBe(0);
  });

  it('open takes a usage session of exactly 30 days, at the node price', () => {
    const { w, env, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 30 * 24 * 60, maxTicks: 5 });
    expect(env.session(s.session).endTs).toBe(s.startTs + 30n * 24n * 3600n);
    expect(env.session(s.session).tickAmount).toBe(spl ? node.pricePerTickToken : node.pricePerTick);
  });

  it('a price change between quote and open is refused (PriceMismatch); the new price opens', () => {
    const { w, env, prov, node, user } = createMarket();
    const quoted = openIx(w, user, node, SessionMode.Usage, { sessionId: 0n, spl, maxTicks: 5 }).instruction;
    const update = spl ? { pricePerTickToken: 2_000n } : { pricePerTick: 2_000n };
    expectOk(env.send(ix.updateNode({ authority: prov.authority.publicKey, node: node.node, ...update }), [prov.authority]));
    expectErr(env.send(quoted, [user.kp]), 'PriceMismatch');
    const s = openUsage(w, user, node, { spl, tickAmount: 2_000n, maxTicks: 5 });
    expect(s.escrow).toBe(10_000n);
    expect(env.session(s.session).escrowAmount).toBe(10_000n);
  });

  it('the provider evicts a usage session idle for idle_timeout_seconds; not before, and a stranger never (NotSessionParty)', () => {
    // given a usage session that got one claim at t = 100
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { spl, minutes: 24 * 60, maxTicks: 50 });
    env.setTime(s.startTs + 100n);
    expectOk(env.send(claimIx(s, 2), [prov.authority]));
    expect(env.session(s.session).lastActivityTs).toBe(s.startTs + 100n);
    const stranger = addUser(w);
    const idle = w.cfg.idleTimeoutSeconds;
    // when the provider tries to evict it at the idle timeout (counted from the last claim), it is refused
    env.setTime(s.startTs + 100n + idle);
    const before = stateOf(env, watched(s));
    expectErr(env.send(closeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
    // and a stranger may never close it
    env.setTime(s.startTs + 100n + idle + 1n);
    expectErr(env.send(closeIx(s, stranger.kp.publicKey), [stranger.kp]), 'NotSessionParty');
    expect(stateOf(env, watched(s))).toBe(before);
    // then one second past the timeout the provider evicts it: Closing, slot freed, no funds moved
    const m = flows(s);
    const r = expectOk(env.send(closeIx(s, prov.authority.publicKey), [prov.authority]));
    m.check({ provider: 0n, fee: 0n, refund: 0n });
    expect(env.session(s.session).state).toBe(SessionState.Closing);
    expect(env.node(node.node).activeSessions).toBe(0);
    expect(eventOf(r, 'SessionClosed').state).toBe(SessionState.Closing);
    // and the user gets the unused escrow back at payout
    env.warp(w.cfg.settleWindowSeconds + 1n);
    const m2 = flows(s);
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    m2.check({ provider: 0n, fee: 0n, refund: s.escrow - 2n * s.tickAmount, rentToUser: rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : 0n) });
  });
});
