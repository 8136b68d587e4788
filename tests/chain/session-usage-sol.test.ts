// Usage (hash-chain) sessions paid in SOL: ticks proven by preimages,
// close -> Closing, claims during the settle window, payout refunds the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SIZES, SessionMode, SessionState, fetchNode, fetchProvider, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  claimChunkIx,
  claimPayoutIx,
  closeSessionIx,
  createProviderWithNode,
  eventOf,
  initConfig,
  lamportTracker,
  mustFetchSession,
  nextSessionId,
  openUsageSession,
  rentFor,
  split,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

const FEE_BPS = 300;
const SETTLE = 900n;
const TICK = 10_007n; // lamports per tick
const MAX_TICKS = 600;
const MINUTES = 30;

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;
let userStateRent: bigint;
let sessionRent: bigint;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain, { protocolFeeBps: FEE_BPS, settleWindowSeconds: SETTLE });
  node = await createProviderWithNode(chain, { maxCapacity: 5 });
  userStateRent = await rentFor(chain, ACCOUNT_SIZES.UserState);
  sessionRent = await rentFor(chain, ACCOUNT_SIZES.Session);
});
afterAll(() => chain?.close());

const treasury = () => cfg.treasury.publicKey;

describe('a SOL usage session', () => {
  let s: SessionCtx;
  let start: bigint;
  const escrow = TICK * BigInt(MAX_TICKS);
  let claimed = 0n;
  let fees = 0n;

  it('open_session escrows tick_amount x max_ticks and commits the chain root', async () => {
    const user = await chain.fundedKeypair(10);
    const before = await chain.lamports(user.publicKey);
    s = await openUsageSession(chain, node, { maxTicks: MAX_TICKS, tickAmount: TICK, durationMinutes: MINUTES }, { user });
    start = await chain.now();
    expect(await chain.lamports(user.publicKey)).toBe(before - escrow - sessionRent - userStateRent); // a user's first session also creates its UserState (the next session id)
    expect(await chain.lamports(s.session)).toBe(sessionRent + escrow);

    const acc = await mustFetchSession(chain, s.session);
    expect(acc.mode).toBe(SessionMode.Usage);
    expect(acc.state).toBe(SessionState.Active);
    expect(acc.escrowAmount).toBe(escrow);
    expect(acc.remainingBalance).toBe(escrow);
    expect(acc.tickAmount).toBe(TICK);
    expect(acc.maxTicks).toBe(BigInt(MAX_TICKS));
    expect([...acc.hashChainRoot]).toEqual([...s.hashChain!.root]);
    expect([...acc.lastProofHash]).toEqual([...s.hashChain!.root]);
    expect(acc.endTs).toBe(start + BigInt(MINUTES) * 60n);

    const ev = eventOf(s.result, 'SessionOpened');
    expect(ev.mode).toBe(SessionMode.Usage);
    expect([ev.escrowAmount, ev.tickAmount, ev.maxTicks]).toEqual([escrow, TICK, BigInt(MAX_TICKS)]);
    expect([...ev.hashChainRoot]).toEqual([...s.hashChain!.root]);
    expect(ev.endTs).toBe(start + BigInt(MINUTES) * 60n);
  });

  it('claim_chunk for tick 1 with w_1 pays one tick', async () => {
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session });
    const res = await chain.send(claimChunkIx(chain, s, treasury(), 1n, { bytesUsed: 4_096n }), [node.owner.authority]);
    const { fee, provider } = split(TICK, FEE_BPS);
    expect(await d()).toEqual({ provider, treasury: fee, session: -TICK });
    claimed += TICK;
    fees += fee;
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.lastTick).toBe(1n);
    expect([...acc.lastProofHash]).toEqual([...s.hashChain!.preimage(1)]);
    const ev = eventOf(res, 'ChunkClaimed');
    expect([ev.tick, ev.amount, ev.providerAmount, ev.fee, ev.claimedAmount, ev.remainingBalance, ev.bytesUsed]).toEqual([
      1n,
      TICK,
      provider,
      fee,
      TICK,
      escrow - TICK,
      4_096n,
    ]);
  });

  it('claims several ticks at once: (tick - last_tick) x tick_amount', async () => {
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury() });
    await chain.send(claimChunkIx(chain, s, treasury(), 37n, { bytesUsed: 100_000n }), [node.owner.authority]);
    const pay = 36n * TICK;
    const { fee, provider } = split(pay, FEE_BPS);
    expect(await d()).toEqual({ provider, treasury: fee });
    claimed += pay;
    fees += fee;
    const acc = await mustFetchSession(chain, s.session);
    expect([acc.lastTick, acc.claimedAmount, acc.feeAmount, acc.remainingBalance]).toEqual([37n, claimed, fees, escrow - claimed]);
  });

  it('refuses a wrong preimage, a stale tick, more than 512 ticks and a tick beyond the chain', async () => {
    const auth = [node.owner.authority];
    // w_38 presented as tick 39 does not hash to the last proof in 2 steps.
    await chain.expectError(claimChunkIx(chain, s, treasury(), 39n, { preimage: s.hashChain!.preimage(38), bytesUsed: 100_000n }), auth, 'InvalidPreimage');
    await chain.expectError(claimChunkIx(chain, s, treasury(), 40n, { preimage: new Uint8Array(32), bytesUsed: 100_000n }), auth, 'InvalidPreimage');
    await chain.expectError(claimChunkIx(chain, s, treasury(), 37n, { bytesUsed: 100_000n }), auth, 'StaleClaim');
    await chain.expectError(claimChunkIx(chain, s, treasury(), 37n + 513n, { bytesUsed: 100_000n }), auth, 'TooManyTicks');
    await chain.expectError(claimChunkIx(chain, s, treasury(), 38n, { bytesUsed: 99_999n }), auth, 'BytesUsedDecreased');
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.lastTick).toBe(37n);
    expect(acc.claimedAmount).toBe(claimed);
  });

  it('exactly 512 ticks in one claim is allowed', async () => {
    await chain.send(claimChunkIx(chain, s, treasury(), 37n + 512n, { bytesUsed: 200_000n }), [node.owner.authority], { computeUnitLimit: 1_400_000 });
    claimed += 512n * TICK;
    fees += split(512n * TICK, FEE_BPS).fee;
    expect((await mustFetchSession(chain, s.session)).lastTick).toBe(549n);
    // Now a tick past max_ticks is within 512 of the last one: only the chain length refuses it
    // (checked before the preimage, which cannot exist for tick 601).
    await chain.expectError(
      claimChunkIx(chain, s, treasury(), BigInt(MAX_TICKS) + 1n, { preimage: new Uint8Array(32), bytesUsed: 200_000n }),
      [node.owner.authority],
      'TickBeyondChain',
    );
  });

  it('close_session moves it to Closing without moving funds and releases the slot', async () => {
    await chain.setTime(start + 400n);
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    const d = await lamportTracker(chain, { user: s.user.publicKey, provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session });
    const res = await chain.send(closeSessionIx(chain, s, treasury()), [s.user]);
    expect(await d()).toEqual({ user: 0n, provider: 0n, treasury: 0n, session: 0n });
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.state).toBe(SessionState.Closing);
    expect(acc.closedAt).toBe(start + 400n);
    expect(acc.remainingBalance).toBe(escrow - claimed);
    expect(acc.capacityReleased).toBe(true);
    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions - 1);
    expect(n.totalUptimeSeconds).toBe(nodeBefore.totalUptimeSeconds + 400n);
    expect((await fetchProvider(chain.connection, node.owner.provider))!.totalUptimeSeconds).toBe(provBefore.totalUptimeSeconds + 400n);
    const ev = eventOf(res, 'SessionClosed');
    expect(ev.state).toBe(SessionState.Closing);
    expect([ev.providerAmount, ev.fee, ev.refund, ev.remainingBalance]).toEqual([0n, 0n, 0n, escrow - claimed]);
    expect(ev.nodeActiveSessions).toBe(n.activeSessions);

    await chain.expectError(closeSessionIx(chain, s, treasury()), [s.user], 'SessionNotActive');
  });

  it('the provider may still claim during the settle window after close', async () => {
    await chain.setTime(start + 400n + SETTLE); // closed_at + settle window: last second allowed
    const d = await lamportTracker(chain, { provider: node.owner.authority.publicKey });
    await chain.send(claimChunkIx(chain, s, treasury(), 560n, { bytesUsed: 200_000n }), [node.owner.authority]);
    expect(await d()).toEqual({ provider: split(11n * TICK, FEE_BPS).provider });
    claimed += 11n * TICK;
    fees += split(11n * TICK, FEE_BPS).fee;
    // Settling is not yet possible for the user either: a Closing session waits for the deadline.
    await chain.expectError(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user], 'SettleWindowOpen');
  });

  it('after the settle deadline: no more claims; the payout refunds the unclaimed ticks and closes the account', async () => {
    await chain.warpSeconds(1);
    await chain.expectError(claimChunkIx(chain, s, treasury(), 561n, { bytesUsed: 200_000n }), [node.owner.authority], 'ClaimWindowClosed');
    const d = await lamportTracker(chain, { user: s.user.publicKey, provider: node.owner.authority.publicKey, treasury: treasury(), session: s.session });
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user]);
    const refund = escrow - claimed;
    expect(refund).toBe(BigInt(MAX_TICKS - 560) * TICK);
    expect(await d()).toEqual({ user: refund + sessionRent, provider: 0n, treasury: 0n, session: -(refund + sessionRent) });
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();
    // The slot was released at close; not twice.
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(nodeBefore.activeSessions);
    const ev = eventOf(res, 'PayoutClaimed');
    expect([ev.providerAmount, ev.fee, ev.refund, ev.claimedAmount, ev.refundedAmount]).toEqual([0n, 0n, refund, claimed, refund]);
  });
});

describe('a usage session that was never closed', () => {
  it('after end_ts + settle window anyone settles it: unclaimed ticks go back to the user, uptime counts to end_ts', async () => {
    const s = await openUsageSession(chain, node, { maxTicks: 20, tickAmount: TICK, durationMinutes: 2 });
    const start = (await mustFetchSession(chain, s.session)).startTs;
    await chain.send(claimChunkIx(chain, s, treasury(), 5n), [node.owner.authority]);
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    await chain.setTime(start + 120n + SETTLE + 1n);
    const crank = await chain.fundedKeypair(1);
    const d = await lamportTracker(chain, { user: s.user.publicKey, provider: node.owner.authority.publicKey, crank: crank.publicKey });
    await chain.send(claimPayoutIx(chain, s, treasury(), crank.publicKey), [crank]);
    expect(await d()).toEqual({ user: 15n * TICK + sessionRent, provider: 0n, crank: 0n });
    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions - 1);
    expect(n.totalUptimeSeconds).toBe(nodeBefore.totalUptimeSeconds + 120n);
  });

  it("a usage session must pay the node's price per tick, have ticks and last at most 30 days", async () => {
    const user = await chain.fundedKeypair(5);
    const sessionId = await nextSessionId(chain, user.publicKey);
    const price = (await fetchNode(chain.connection, node.node))!.pricePerTick;
    const base = { user: user.publicKey, provider: node.owner.provider, node: node.node, sessionId, mode: SessionMode.Usage, durationMinutes: 5, hashChainRoot: new Uint8Array(32).fill(1) };
    await chain.expectError(ix.openSession({ ...base, tickAmount: 0n, maxTicks: 10n }), [user], 'PriceMismatch');
    await chain.expectError(ix.openSession({ ...base, tickAmount: price - 1n, maxTicks: 10n }), [user], 'PriceMismatch');
    await chain.expectError(ix.openSession({ ...base, tickAmount: price, maxTicks: 0n }), [user], 'InvalidSessionParams');
    await chain.expectError(
      ix.openSession({ ...base, tickAmount: price, maxTicks: 10n, durationMinutes: 30 * 24 * 60 + 1 }),
      [user],
      'SessionTooLong',
    );
    expect(await chain.lamports(user.publicKey)).toBe(5_000_000_000n);
  });

  it('a node without a price per tick takes no usage sessions (ZeroAmount)', async () => {
    const timeOnly = await createProviderWithNode(chain, { pricePerTick: 0n });
    const user = await chain.fundedKeypair(5);
    await chain.expectError(
      ix.openSession({
        user: user.publicKey, provider: timeOnly.owner.provider, node: timeOnly.node, sessionId: 0n,
        mode: SessionMode.Usage, durationMinutes: 5, tickAmount: 0n, maxTicks: 10n, hashChainRoot: new Uint8Array(32).fill(1),
      }),
      [user],
      'ZeroAmount',
    );
  });
});
