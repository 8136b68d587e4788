// Time sessions paid in SOL: open_session, claim_chunk, close_session,
// claim_payout, with exact balances, decoded events and time travel for the
// end of the session and the settle window.
import { PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SIZES, DVPN_PROGRAM_ID, SessionMode, SessionState, fetchNode, fetchProvider, fetchSession } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  claimChunkIx,
  claimPayoutIx,
  closeSessionIx,
  createProvider,
  createProviderWithNode,
  earned,
  eventOf,
  initConfig,
  lamportTracker,
  mustFetchSession,
  openTimeSession,
  rentFor,
  split,
  splitRunning,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

const PRICE = 1_000_003n; // lamports per minute: odd, so every floor division matters
const FEE_BPS = 250;
const SETTLE = 600n;

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;
let userStateRent: bigint;
let sessionRent: bigint;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain, { protocolFeeBps: FEE_BPS, settleWindowSeconds: SETTLE });
  node = await createProviderWithNode(chain, { pricePerMinute: PRICE, maxCapacity: 10 });
  userStateRent = await rentFor(chain, ACCOUNT_SIZES.UserState);
  sessionRent = await rentFor(chain, ACCOUNT_SIZES.Session);
});
afterAll(() => chain?.close());

const treasury = () => cfg.treasury.publicKey;
const b58 = (k: PublicKey) => k.toBase58();

describe('a 7-minute SOL time session: open, claim, close early, payout', () => {
  let s: SessionCtx;
  const minutes = 7;
  const escrow = PRICE * 7n; // 7_000_021
  const duration = 420n;
  let start: bigint;
  let firstPaid: bigint;
  let firstFee: bigint;

  it('open_session escrows price x minutes in the Session account', async () => {
    const user = await chain.fundedKeypair(10);
    const userBefore = await chain.lamports(user.publicKey);
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    s = await openTimeSession(chain, node, minutes, { user });
    start = await chain.now();

    expect(await chain.lamports(user.publicKey)).toBe(userBefore - escrow - sessionRent - userStateRent); // a user's first session also creates its UserState (the next session id)
    const info = await chain.connection.getAccountInfo(s.session);
    expect(info?.owner.equals(DVPN_PROGRAM_ID)).toBe(true);
    expect(BigInt(info!.lamports)).toBe(sessionRent + escrow);

    const acc = await mustFetchSession(chain, s.session);
    expect(b58(acc.user)).toBe(b58(user.publicKey));
    expect(b58(acc.node)).toBe(b58(node.node));
    expect(b58(acc.provider)).toBe(b58(node.owner.provider));
    expect(acc.paymentMint.equals(PublicKey.default)).toBe(true);
    expect(acc.sessionId).toBe(s.sessionId);
    expect(acc.mode).toBe(SessionMode.Time);
    expect(acc.state).toBe(SessionState.Active);
    expect(acc.startTs).toBe(start);
    expect(acc.endTs).toBe(start + duration);
    expect(acc.closedAt).toBe(0n);
    expect(acc.escrowAmount).toBe(escrow);
    expect(acc.remainingBalance).toBe(escrow);
    expect([acc.claimedAmount, acc.feeAmount, acc.refundedAmount, acc.lastTick, acc.bytesUsed]).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect([acc.tickAmount, acc.maxTicks]).toEqual([0n, 0n]);
    expect(acc.rated).toBe(false);
    expect(acc.capacityReleased).toBe(false);

    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions + 1);
    expect(n.totalSessions).toBe(nodeBefore.totalSessions + 1n);
    expect((await fetchProvider(chain.connection, node.owner.provider))!.totalSessions).toBe(provBefore.totalSessions + 1n);

    const ev = eventOf(s.result, 'SessionOpened');
    expect(b58(ev.session)).toBe(b58(s.session));
    expect(b58(ev.user)).toBe(b58(user.publicKey));
    expect(b58(ev.node)).toBe(b58(node.node));
    expect(b58(ev.provider)).toBe(b58(node.owner.provider));
    expect(ev.sessionId).toBe(s.sessionId);
    expect(ev.mode).toBe(SessionMode.Time);
    expect(ev.paymentMint.equals(PublicKey.default)).toBe(true);
    expect(ev.escrowAmount).toBe(escrow);
    expect([ev.tickAmount, ev.maxTicks]).toEqual([0n, 0n]);
    expect(ev.startTs).toBe(start);
    expect(ev.endTs).toBe(start + duration);
    expect(ev.nodeActiveSessions).toBe(n.activeSessions);
    expect(ev.timestamp).toBe(start);
  });

  it('claim_chunk cannot claim beyond the elapsed time', async () => {
    await chain.setTime(start + 100n);
    await chain.expectError(claimChunkIx(chain, s, treasury(), 101n), [node.owner.authority], 'ClaimBeyondElapsed');
  });

  it('claim_chunk pays earned(tick) less the fee to the provider and the fee to the treasury', async () => {
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session, user: s.user.publicKey });
    const res = await chain.send(claimChunkIx(chain, s, treasury(), 100n, { bytesUsed: 1_000n }), [node.owner.authority]);
    const pay = earned(escrow, duration, 100n);
    expect(pay).toBe(1_666_671n); // 7_000_021 * 100 / 420, floored
    const { fee, provider } = split(pay, FEE_BPS);
    expect(await d()).toEqual({ provider, treasury: fee, session: -pay, user: 0n });
    firstPaid = pay;
    firstFee = fee;

    const acc = await mustFetchSession(chain, s.session);
    expect(acc.lastTick).toBe(100n);
    expect(acc.claimedAmount).toBe(pay);
    expect(acc.feeAmount).toBe(fee);
    expect(acc.remainingBalance).toBe(escrow - pay);
    expect(acc.bytesUsed).toBe(1_000n);
    expect(acc.state).toBe(SessionState.Active);
    expect((await fetchProvider(chain.connection, node.owner.provider))!.totalEarnedLamports).toBe(provider);

    const ev = eventOf(res, 'ChunkClaimed');
    expect(b58(ev.session)).toBe(b58(s.session));
    expect(b58(ev.node)).toBe(b58(node.node));
    expect(b58(ev.provider)).toBe(b58(node.owner.provider));
    expect(ev.paymentMint.equals(PublicKey.default)).toBe(true);
    expect([ev.tick, ev.amount, ev.providerAmount, ev.fee, ev.claimedAmount, ev.remainingBalance, ev.bytesUsed]).toEqual([
      100n,
      pay,
      provider,
      fee,
      pay,
      escrow - pay,
      1_000n,
    ]);
    expect(ev.timestamp).toBe(start + 100n);
  });

  it('claim_chunk refuses a tick that is not after the last one, lower bytes_used, and a stranger', async () => {
    await chain.expectError(claimChunkIx(chain, s, treasury(), 100n, { bytesUsed: 1_000n }), [node.owner.authority], 'StaleClaim');
    await chain.setTime(start + 150n);
    await chain.expectError(claimChunkIx(chain, s, treasury(), 150n, { bytesUsed: 999n }), [node.owner.authority], 'BytesUsedDecreased');
    const other = await createProvider(chain);
    const err = await chain.sendExpectingError(
      claimChunkIx(chain, s, treasury(), 150n, { authority: other.authority.publicKey, bytesUsed: 1_000n }),
      [other.authority],
    );
    expect(['Unauthorized', 'InvalidPda']).toContain(err.errorName);
    expect((await mustFetchSession(chain, s.session)).lastTick).toBe(100n);
  });

  it('close_session by the user at 250 s pays elapsed time, refunds the rest, releases the slot', async () => {
    await chain.setTime(start + 250n);
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session, user: s.user.publicKey });
    const res = await chain.send(closeSessionIx(chain, s, treasury()), [s.user]);

    const total = earned(escrow, duration, 250n);
    expect(total).toBe(4_166_679n);
    const pay = total - firstPaid; // 2_500_008
    const { fee, provider } = split(pay, FEE_BPS);
    const refund = escrow - total; // 2_833_342
    expect(await d()).toEqual({ provider, treasury: fee, session: -(pay + refund), user: refund });

    const acc = await mustFetchSession(chain, s.session);
    expect(acc.state).toBe(SessionState.Closed);
    expect(acc.lastTick).toBe(250n);
    expect(acc.closedAt).toBe(start + 250n);
    expect(acc.claimedAmount).toBe(total);
    expect(acc.feeAmount).toBe(firstFee + fee);
    expect(acc.refundedAmount).toBe(refund);
    expect(acc.remainingBalance).toBe(0n);
    expect(acc.capacityReleased).toBe(true);
    expect(acc.escrowAmount).toBe(acc.claimedAmount + acc.refundedAmount + acc.remainingBalance);
    expect(BigInt((await chain.connection.getAccountInfo(s.session))!.lamports)).toBe(sessionRent);

    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions - 1);
    expect(n.totalUptimeSeconds).toBe(nodeBefore.totalUptimeSeconds + 250n);
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.totalUptimeSeconds).toBe(provBefore.totalUptimeSeconds + 250n);
    expect(p.totalEarnedLamports).toBe(provBefore.totalEarnedLamports + provider);

    const ev = eventOf(res, 'SessionClosed');
    expect(b58(ev.session)).toBe(b58(s.session));
    expect(b58(ev.user)).toBe(b58(s.user.publicKey));
    expect(ev.state).toBe(SessionState.Closed);
    expect([ev.providerAmount, ev.fee, ev.refund, ev.remainingBalance]).toEqual([provider, fee, refund, 0n]);
    expect(ev.nodeActiveSessions).toBe(n.activeSessions);
    expect(ev.timestamp).toBe(start + 250n);
  });

  it('a closed session cannot be closed or claimed again', async () => {
    await chain.expectError(closeSessionIx(chain, s, treasury()), [s.user], 'SessionNotActive');
    await chain.setTime(start + 300n);
    const err = await chain.sendExpectingError(claimChunkIx(chain, s, treasury(), 300n, { bytesUsed: 1_000n }), [node.owner.authority]);
    expect(err.errorName).toBe('SessionNotActive');
  });

  it('claim_payout: a stranger must wait for the settle deadline, the user may settle at once', async () => {
    const stranger = await chain.fundedKeypair(1);
    await chain.expectError(claimPayoutIx(chain, s, treasury(), stranger.publicKey), [stranger], 'SettleWindowOpen');

    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session, user: s.user.publicKey });
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user]);
    // Funds were settled by close_session: only the rent comes back to the user.
    expect(await d()).toEqual({ provider: 0n, treasury: 0n, session: -sessionRent, user: sessionRent });
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();
    expect(await fetchSession(chain.connection, s.session)).toBeNull();
    // The slot was already released by close_session.
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(nodeBefore.activeSessions);

    const ev = eventOf(res, 'PayoutClaimed');
    expect(b58(ev.session)).toBe(b58(s.session));
    expect(b58(ev.caller)).toBe(b58(s.user.publicKey));
    expect([ev.providerAmount, ev.fee, ev.refund]).toEqual([0n, 0n, 0n]);
    expect(ev.claimedAmount).toBe(earned(escrow, duration, 250n));
    expect(ev.refundedAmount).toBe(escrow - earned(escrow, duration, 250n));
    expect(ev.nodeActiveSessions).toBe(nodeBefore.activeSessions);
  });

  it('a second payout finds the account gone: AlreadySettled', async () => {
    await chain.expectError(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user], 'AlreadySettled');
  });
});

describe('closing at once and expiry', () => {
  it('close_session right after opening refunds the whole escrow, no fee', async () => {
    const s = await openTimeSession(chain, node, 3);
    const escrow = PRICE * 3n;
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), user: s.user.publicKey });
    const res = await chain.send(closeSessionIx(chain, s, treasury()), [s.user]);
    expect(await d()).toEqual({ provider: 0n, treasury: 0n, user: escrow });
    const ev = eventOf(res, 'SessionClosed');
    expect([ev.providerAmount, ev.fee, ev.refund]).toEqual([0n, 0n, escrow]);
    const acc = await mustFetchSession(chain, s.session);
    expect([acc.state, acc.refundedAmount, acc.claimedAmount, acc.lastTick]).toEqual([SessionState.Closed, escrow, 0n, 0n]);
  });

  it('after end_ts the provider still claims (clamped to the duration) until the settle deadline, then anyone cranks the payout', async () => {
    const s = await openTimeSession(chain, node, 5);
    const escrow = PRICE * 5n;
    const duration = 300n;
    const start = (await mustFetchSession(chain, s.session)).startTs;
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;

    await chain.setTime(start + 60n);
    await chain.send(claimChunkIx(chain, s, treasury(), 60n), [node.owner.authority]);

    // Long after the end, a claim is still limited to the duration.
    await chain.setTime(start + duration + 100n);
    await chain.expectError(claimChunkIx(chain, s, treasury(), duration + 1n), [node.owner.authority], 'ClaimBeyondElapsed');
    // update_reputation etc. aside, the session is still Active until someone settles it.
    expect((await mustFetchSession(chain, s.session)).state).toBe(SessionState.Active);

    // Before the deadline nobody can crank it.
    const stranger = await chain.fundedKeypair(1);
    await chain.expectError(claimPayoutIx(chain, s, treasury(), stranger.publicKey), [stranger], 'SettleWindowOpen');
    await chain.expectError(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user], 'SettleWindowOpen');

    // At the deadline itself a claim is still allowed (now <= end_ts + settle window)...
    await chain.setTime(start + duration + SETTLE);
    await chain.send(claimChunkIx(chain, s, treasury(), 200n), [node.owner.authority]);
    // ...and a payout is not (only after the deadline).
    await chain.expectError(claimPayoutIx(chain, s, treasury(), stranger.publicKey), [stranger], 'SettleWindowOpen');

    await chain.setTime(start + duration + SETTLE + 1n);
    await chain.expectError(claimChunkIx(chain, s, treasury(), duration), [node.owner.authority], 'ClaimWindowClosed');

    const d = await lamportTracker(chain, {
      provider: node.owner.authority.publicKey,
      treasury: treasury(),
      user: s.user.publicKey,
      stranger: stranger.publicKey,
      session: s.session,
    });
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), stranger.publicKey), [stranger]);
    const pay = escrow - earned(escrow, duration, 200n); // earned(duration) - earned(last_tick)
    // The fee is on the running total: what brings the session's fee to floor(escrow * bps).
    const { fee, provider } = splitRunning(earned(escrow, duration, 200n), pay, FEE_BPS);
    // All rent goes to the user; the whole escrow was earned, so no refund.
    expect(await d()).toEqual({ provider, treasury: fee, user: sessionRent, stranger: 0n, session: -(sessionRent + pay) });
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();

    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions - 1);
    expect(n.totalUptimeSeconds).toBe(nodeBefore.totalUptimeSeconds + duration); // min(now, end) - start
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.totalUptimeSeconds).toBe(provBefore.totalUptimeSeconds + duration);
    expect(p.totalEarnedLamports).toBe(provBefore.totalEarnedLamports + provider);

    const ev = eventOf(res, 'PayoutClaimed');
    expect(b58(ev.caller)).toBe(b58(stranger.publicKey));
    expect([ev.providerAmount, ev.fee, ev.refund]).toEqual([provider, fee, 0n]);
    expect([ev.claimedAmount, ev.refundedAmount]).toEqual([escrow, 0n]);
    expect(ev.nodeActiveSessions).toBe(n.activeSessions);
  });

  it('an expired session nobody claimed: the crank pays the provider the full escrow', async () => {
    const s = await openTimeSession(chain, node, 2);
    const escrow = PRICE * 2n;
    const start = (await mustFetchSession(chain, s.session)).startTs;
    await chain.setTime(start + 120n + SETTLE + 1n);
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), user: s.user.publicKey });
    const crank = await chain.fundedKeypair(1);
    await chain.send(claimPayoutIx(chain, s, treasury(), crank.publicKey), [crank]);
    const { fee, provider } = split(escrow, FEE_BPS);
    expect(await d()).toEqual({ provider, treasury: fee, user: sessionRent });
  });
});
