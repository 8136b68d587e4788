// raise_dispute and resolve_dispute: frozen escrow, admin split, slashing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SIZES, SessionState, fetchNode, fetchProvider, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  SOL,
  USDC,
  claimChunkIx,
  claimPayoutIx,
  closeSessionIx,
  createProviderWithNode,
  eventOf,
  initConfig,
  lamportTracker,
  mustFetchSession,
  openTimeSession,
  openUsageSession,
  rentFor,
  settleAccounts,
  split,
  tokenTracker,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

const FEE_BPS = 500;
const SETTLE = 600n;
const PRICE = 2_000_000n;

let chain: Chain;
let cfg: ConfigCtx;
let sessionRent: bigint;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain, { protocolFeeBps: FEE_BPS, settleWindowSeconds: SETTLE, minProviderStake: 1n * SOL });
  sessionRent = await rentFor(chain, ACCOUNT_SIZES.Session);
});
afterAll(() => chain?.close());

const treasury = () => cfg.treasury.publicKey;
const b58 = (k: { toBase58(): string }) => k.toBase58();

function resolveIx(s: SessionCtx, providerAmount: bigint, slashLamports: bigint, admin = cfg.admin.publicKey) {
  return ix.resolveDispute({ admin, user: s.user.publicKey, ...settleAccounts(chain, s, treasury()), providerAmount, slashLamports });
}

describe('a disputed SOL time session', () => {
  let node: NodeCtx;
  let s: SessionCtx;
  let start: bigint;
  const escrow = PRICE * 10n;

  beforeAll(async () => {
    node = await createProviderWithNode(chain, { pricePerMinute: PRICE }, { stake: 3n * SOL });
    s = await openTimeSession(chain, node, 10);
    start = (await mustFetchSession(chain, s.session)).startTs;
  });

  it('only the user or the provider may raise a dispute', async () => {
    const stranger = await chain.fundedKeypair(1);
    await chain.expectError(
      ix.raiseDispute({ signer: stranger.publicKey, provider: node.owner.provider, node: node.node, session: s.session, reason: 1 }),
      [stranger],
      'NotSessionParty',
    );
  });

  it('raise_dispute by the user freezes the session and emits DisputeRaised', async () => {
    await chain.setTime(start + 60n);
    const res = await chain.send(ix.raiseDispute({ signer: s.user.publicKey, provider: node.owner.provider, node: node.node, session: s.session, reason: 7 }), [s.user]);
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.state).toBe(SessionState.Disputed);
    expect(b58(acc.disputedBy)).toBe(b58(s.user.publicKey));
    expect(acc.disputeReason).toBe(7);
    expect(acc.disputeTs).toBe(start + 60n);
    const ev = eventOf(res, 'DisputeRaised');
    expect(b58(ev.session)).toBe(b58(s.session));
    expect(b58(ev.node)).toBe(b58(node.node));
    expect(b58(ev.provider)).toBe(b58(node.owner.provider));
    expect(b58(ev.raisedBy)).toBe(b58(s.user.publicKey));
    // Raising the dispute frees the node's slot (the session no longer occupies it).
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(0);
    expect(ev.reason).toBe(7);
    expect(ev.timestamp).toBe(start + 60n);
  });

  it('while disputed close_session is refused with SessionDisputed (docs/PROGRAM.md: a Disputed session is frozen)', async () => {
    await chain.expectError(closeSessionIx(chain, s, treasury()), [s.user], 'SessionDisputed');
    expect((await mustFetchSession(chain, s.session)).state).toBe(SessionState.Disputed);
  });

  it('while disputed the provider cannot claim (escrow frozen) and nobody can settle before the dispute window ends', async () => {
    await chain.expectError(claimChunkIx(chain, s, treasury(), 60n), [node.owner.authority], 'SessionDisputed');
    // Past the settle deadline, but the dispute window (Config.dispute_window_seconds from the dispute) is still open.
    await chain.setTime(start + 600n + SETTLE + 10n);
    await chain.expectError(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user], 'DisputeWindowOpen');
    expect(await chain.lamports(s.session)).toBe(sessionRent + escrow);
  });

  it('resolve_dispute is for the Config admin only, within the remaining escrow', async () => {
    const stranger = await chain.fundedKeypair(1);
    await chain.expectError(resolveIx(s, 0n, 0n, stranger.publicKey), [stranger], 'Unauthorized');
    await chain.expectError(resolveIx(s, escrow + 1n, 0n), [cfg.admin], 'ResolutionExceedsEscrow');
    await chain.expectError(resolveIx(s, 0n, 3n * SOL + 1n), [cfg.admin], 'SlashExceedsStake');
    // One dispute slashes at most Config.max_slash_bps (25 %) of the stake.
    await chain.expectError(resolveIx(s, 0n, (3n * SOL * 2_500n) / 10_000n + 1n), [cfg.admin], 'SlashExceedsCap');
  });

  it('resolve_dispute splits the escrow and slashes stake to the treasury (the slot was freed at raise)', async () => {
    const providerAmount = 3_333_333n;
    const slash = SOL / 2n;
    const nodeBefore = (await fetchNode(chain.connection, node.node))!;
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    const d = await lamportTracker(chain, {
      user: s.user.publicKey,
      provider: node.owner.authority.publicKey,
      treasury: treasury(),
      session: s.session,
      vault: node.owner.stakeVault,
      admin: cfg.admin.publicKey,
    });
    const res = await chain.send(resolveIx(s, providerAmount, slash), [cfg.admin]);
    const { fee, provider } = split(providerAmount, FEE_BPS);
    const refund = escrow - providerAmount;
    expect(await d()).toEqual({
      user: refund,
      provider,
      treasury: fee + slash,
      session: -escrow,
      vault: -slash,
      admin: 0n,
    });
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.state).toBe(SessionState.Resolved);
    expect([acc.claimedAmount, acc.feeAmount, acc.refundedAmount, acc.remainingBalance]).toEqual([providerAmount, fee, refund, 0n]);
    expect(acc.capacityReleased).toBe(true);
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.stakeLamports).toBe(provBefore.stakeLamports - slash);
    expect(p.slashedLamports).toBe(provBefore.slashedLamports + slash);
    expect(p.totalEarnedLamports).toBe(provBefore.totalEarnedLamports + provider);
    const n = (await fetchNode(chain.connection, node.node))!;
    expect(n.activeSessions).toBe(nodeBefore.activeSessions);

    const ev = eventOf(res, 'DisputeResolved');
    expect(b58(ev.resolver)).toBe(b58(cfg.admin.publicKey));
    expect([ev.providerAmount, ev.fee, ev.refund, ev.slashed]).toEqual([provider, fee, refund, slash]);
    expect(ev.nodeActiveSessions).toBe(n.activeSessions);
    const sl = eventOf(res, 'Slashed');
    expect(b58(sl.provider)).toBe(b58(node.owner.provider));
    expect(b58(sl.session)).toBe(b58(s.session));
    expect([sl.amount, sl.stakeLamports, sl.unstakingLamports]).toEqual([slash, p.stakeLamports, p.unstakingLamports]);
  });

  it('a resolved session is not disputed any more and the user settles it at once', async () => {
    await chain.expectError(resolveIx(s, 0n, 0n), [cfg.admin], 'NotDisputed');
    const d = await lamportTracker(chain, { user: s.user.publicKey, provider: node.owner.authority.publicKey });
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user]);
    expect(await d()).toEqual({ user: sessionRent, provider: 0n });
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();
    expect([eventOf(res, 'PayoutClaimed').providerAmount, eventOf(res, 'PayoutClaimed').refund]).toEqual([0n, 0n]);
  });
});

describe('more dispute paths', () => {
  it('resolve_dispute on an active session: NotDisputed', async () => {
    const node = await createProviderWithNode(chain, { pricePerMinute: PRICE });
    const s = await openTimeSession(chain, node, 5);
    await chain.expectError(resolveIx(s, 0n, 0n), [cfg.admin], 'NotDisputed');
  });

  it('the provider disputes a Closing usage session; a slash takes active stake first, then unstaking; no Slashed event without a slash', async () => {
    const node = await createProviderWithNode(chain, { pricePerMinute: PRICE }, { stake: 4n * SOL });
    const who = node.owner.authority;
    await chain.send(ix.requestUnstake({ authority: who.publicKey, amount: 3n * SOL + SOL / 2n }), [who]);
    // stake 0.5 SOL active, 3.5 SOL unstaking
    const s = await openUsageSession(chain, node, { maxTicks: 10, durationMinutes: 5 }).catch((e: unknown) => e);
    // Below min stake now: opening is refused; stake back up to open.
    expect((s as { errorName?: string }).errorName).toBe('InsufficientStake');
    await chain.send(ix.stakeProvider({ authority: who.publicKey, amount: SOL / 2n }), [who]);
    const s2 = await openUsageSession(chain, node, { maxTicks: 10, durationMinutes: 5 });
    expect(s2.nodeCtx.pricePerTick).toBe(1_000n);
    await chain.send(claimChunkIx(chain, s2, treasury(), 2n), [who]);
    await chain.send(closeSessionIx(chain, s2, treasury()), [s2.user]);
    // Moved out before any dispute: active 0.2 SOL, unstaking 4.3 SOL.
    await chain.send(ix.requestUnstake({ authority: who.publicKey, amount: SOL - SOL / 5n }), [who]);
    const res = await chain.send(
      ix.raiseDispute({ signer: who.publicKey, provider: node.owner.provider, node: node.node, session: s2.session, reason: 2 }),
      [who],
    );
    expect(b58(eventOf(res, 'DisputeRaised').raisedBy)).toBe(b58(who.publicKey));
    expect((await mustFetchSession(chain, s2.session)).state).toBe(SessionState.Disputed);
    // Unbonding elapsed: a withdrawal keeps back what the open dispute could still slash
    // (the cap, 25 % of 4.5 SOL = 1.125 SOL, less the 0.2 SOL active stake).
    const cap = (9n * SOL) / 2n / 4n;
    const keep = cap - SOL / 5n;
    await chain.warpSeconds(Number(cfg.unbondingSeconds) + 1);
    const w = await lamportTracker(chain, { vault: node.owner.stakeVault });
    await chain.send(ix.withdrawStake({ authority: who.publicKey }), [who]);
    expect(await w()).toEqual({ vault: -(4n * SOL + (3n * SOL) / 10n - keep) });
    expect((await fetchProvider(chain.connection, node.owner.provider))!.unstakingLamports).toBe(keep);
    await chain.expectError(ix.withdrawStake({ authority: who.publicKey }), [who], 'StakeLockedByDispute');

    // Slash 0.5 SOL: 0.2 from active, 0.3 from unstaking.
    const slash = SOL / 2n;
    const d = await lamportTracker(chain, { user: s2.user.publicKey, treasury: treasury(), vault: node.owner.stakeVault });
    const r = await chain.send(resolveIx(s2, 0n, slash), [cfg.admin]);
    expect(await d()).toEqual({ user: 8n * 1_000n, treasury: slash, vault: -slash });
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.stakeLamports).toBe(0n);
    expect(p.unstakingLamports).toBe(keep - (3n * SOL) / 10n);
    expect(eventOf(r, 'Slashed').amount).toBe(slash);

    // A resolution without slash emits no Slashed event.
    const s3 = await (async () => {
      await chain.send(ix.stakeProvider({ authority: node.owner.authority.publicKey, amount: SOL }), [node.owner.authority]);
      return openTimeSession(chain, node, 1);
    })();
    await chain.send(ix.raiseDispute({ signer: s3.user.publicKey, provider: node.owner.provider, node: node.node, session: s3.session, reason: 0 }), [s3.user]);
    const r3 = await chain.send(resolveIx(s3, PRICE, 0n), [cfg.admin]);
    expect(r3.events.map((e) => e.name)).toEqual(['DisputeResolved']);
  });

  it('a USDC dispute splits tokens', async () => {
    const node = await createProviderWithNode(chain, { pricePerMinuteToken: 100_000n });
    const s = await openTimeSession(chain, node, 4, { spl: true, userTokens: 10n * USDC });
    await chain.send(ix.raiseDispute({ signer: s.user.publicKey, provider: node.owner.provider, node: node.node, session: s.session, reason: 1 }), [s.user]);
    const t = await tokenTracker(chain, {
      user: s.userToken!,
      provider: chain.ata(node.owner.authority.publicKey),
      treasury: cfg.treasuryToken,
      vault: s.vault!,
    });
    await chain.send(resolveIx(s, 150_000n, 0n), [cfg.admin]);
    const { fee, provider } = split(150_000n, FEE_BPS);
    expect(await t()).toEqual({ user: 400_000n - 150_000n, provider, treasury: fee, vault: -400_000n });
    await chain.send(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user]);
    expect(await chain.connection.getAccountInfo(s.vault!)).toBeNull();
  });
});
