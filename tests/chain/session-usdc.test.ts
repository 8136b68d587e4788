// Sessions paid in the Config token (USDC, 6 decimals): the escrow sits in a
// token vault owned by the Session PDA; payouts, fees and refunds move tokens.
import { ACCOUNT_SIZE as TOKEN_ACCOUNT_SIZE, getAccount } from '@solana/spl-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SIZES,
  SessionMode,
  SessionState,
  fetchProvider,
  findSessionPda,
  findSessionVaultPda,
  ix,
} from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  USDC,
  claimChunkIx,
  claimPayoutIx,
  closeSessionIx,
  createProviderWithNode,
  earned,
  eventOf,
  initConfig,
  lamportTracker,
  mustFetchSession,
  nextSessionId,
  openTimeSession,
  openUsageSession,
  rentFor,
  split,
  tokenTracker,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

const FEE_BPS = 250;
const SETTLE = 600n;
const PRICE_TOKEN = 50_001n; // 0.050001 USDC per minute

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;
let userStateRent: bigint;
let sessionRent: bigint;
let vaultRent: bigint;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain, { protocolFeeBps: FEE_BPS, settleWindowSeconds: SETTLE });
  node = await createProviderWithNode(chain, { pricePerMinuteToken: PRICE_TOKEN, maxCapacity: 8 });
  userStateRent = await rentFor(chain, ACCOUNT_SIZES.UserState);
  sessionRent = await rentFor(chain, ACCOUNT_SIZES.Session);
  vaultRent = await rentFor(chain, TOKEN_ACCOUNT_SIZE);
});
afterAll(() => chain?.close());

const treasury = () => cfg.treasury.publicKey;

describe('a 6-minute USDC time session', () => {
  let s: SessionCtx;
  let start: bigint;
  const escrow = PRICE_TOKEN * 6n; // 300_006
  const duration = 360n;
  let firstPaid: bigint;

  it('open_session_spl moves price_per_minute_token x minutes into a vault owned by the Session', async () => {
    const user = await chain.fundedKeypair(10);
    const userToken = await chain.fundTokens(user.publicKey, 1_000n * USDC);
    const lamportsBefore = await chain.lamports(user.publicKey);
    s = await openTimeSession(chain, node, 6, { user, spl: true, userTokens: 0n });
    start = await chain.now();

    expect(await chain.tokenAccountAmount(userToken)).toBe(1_000n * USDC - escrow);
    const [vault] = findSessionVaultPda(s.session);
    expect(s.vault?.equals(vault)).toBe(true);
    const vaultAcc = await getAccount(chain.connection, vault);
    expect(vaultAcc.amount).toBe(escrow);
    expect(vaultAcc.mint.equals(chain.mint)).toBe(true);
    expect(vaultAcc.owner.equals(s.session)).toBe(true);
    // The user pays both rents; no SOL escrow.
    expect(await chain.lamports(user.publicKey)).toBe(lamportsBefore - sessionRent - vaultRent - userStateRent); // a user's first session also creates its UserState (the next session id)
    expect(await chain.lamports(s.session)).toBe(sessionRent);

    const acc = await mustFetchSession(chain, s.session);
    expect(acc.paymentMint.equals(chain.mint)).toBe(true);
    expect(acc.vault.equals(vault)).toBe(true);
    expect(acc.mode).toBe(SessionMode.Time);
    expect([acc.escrowAmount, acc.remainingBalance]).toEqual([escrow, escrow]);
    expect(acc.endTs).toBe(start + duration);

    const ev = eventOf(s.result, 'SessionOpened');
    expect(ev.paymentMint.equals(chain.mint)).toBe(true);
    expect(ev.escrowAmount).toBe(escrow);
  });

  it('claim_chunk pays tokens: provider share to the provider token account, fee to the treasury token account', async () => {
    await chain.setTime(start + 120n);
    const t = await tokenTracker(chain, {
      provider: chain.ata(node.owner.authority.publicKey),
      treasury: cfg.treasuryToken,
      vault: s.vault!,
      user: s.userToken!,
    });
    const l = await lamportTracker(chain, { provider: node.owner.authority.publicKey, treasury: treasury() });
    const provBefore = (await fetchProvider(chain.connection, node.owner.provider))!;
    const res = await chain.send(claimChunkIx(chain, s, treasury(), 120n), [node.owner.authority]);
    const pay = earned(escrow, duration, 120n);
    expect(pay).toBe(100_002n);
    const { fee, provider } = split(pay, FEE_BPS);
    expect(await t()).toEqual({ provider, treasury: fee, vault: -pay, user: 0n });
    expect(await l()).toEqual({ provider: 0n, treasury: 0n });
    firstPaid = pay;
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.totalEarnedToken).toBe(provBefore.totalEarnedToken + provider);
    expect(p.totalEarnedLamports).toBe(provBefore.totalEarnedLamports);
    const ev = eventOf(res, 'ChunkClaimed');
    expect(ev.paymentMint.equals(chain.mint)).toBe(true);
    expect([ev.amount, ev.providerAmount, ev.fee, ev.remainingBalance]).toEqual([pay, provider, fee, escrow - pay]);
  });

  it('claim_chunk refuses token accounts that do not belong to the provider or the treasury', async () => {
    const base = {
      authority: node.owner.authority.publicKey,
      provider: node.owner.provider,
      session: s.session,
      treasury: treasury(),
      tick: 130n,
    };
    await chain.setTime(start + 130n);
    // provider_token owned by the user
    await chain.expectError(
      ix.claimChunk({ ...base, spl: { vault: s.vault!, providerToken: s.userToken!, treasuryToken: cfg.treasuryToken } }),
      [node.owner.authority],
      'InvalidTokenAccount',
    );
    // treasury_token owned by the provider
    await chain.expectError(
      ix.claimChunk({ ...base, spl: { vault: s.vault!, providerToken: chain.ata(node.owner.authority.publicKey), treasuryToken: chain.ata(node.owner.authority.publicKey) } }),
      [node.owner.authority],
      'InvalidTokenAccount',
    );
    // a provider token account of another mint
    const otherMint = await chain.createMint(6);
    const wrongMint = await chain.createAta(node.owner.authority.publicKey, otherMint);
    await chain.expectError(
      ix.claimChunk({ ...base, spl: { vault: s.vault!, providerToken: wrongMint, treasuryToken: cfg.treasuryToken } }),
      [node.owner.authority],
      'InvalidTokenAccount',
    );
    expect((await mustFetchSession(chain, s.session)).lastTick).toBe(120n);
  });

  it('close_session pays the elapsed part in tokens and refunds the rest to the user token account', async () => {
    await chain.setTime(start + 200n);
    const t = await tokenTracker(chain, {
      provider: chain.ata(node.owner.authority.publicKey),
      treasury: cfg.treasuryToken,
      vault: s.vault!,
      user: s.userToken!,
    });
    const res = await chain.send(closeSessionIx(chain, s, treasury()), [s.user]);
    const total = earned(escrow, duration, 200n);
    expect(total).toBe(166_670n);
    const pay = total - firstPaid;
    const { fee, provider } = split(pay, FEE_BPS);
    const refund = escrow - total;
    expect(await t()).toEqual({ provider, treasury: fee, vault: -(pay + refund), user: refund });
    const acc = await mustFetchSession(chain, s.session);
    expect([acc.state, acc.claimedAmount, acc.refundedAmount, acc.remainingBalance]).toEqual([SessionState.Closed, total, refund, 0n]);
    const ev = eventOf(res, 'SessionClosed');
    expect([ev.providerAmount, ev.fee, ev.refund]).toEqual([provider, fee, refund]);
  });

  it('claim_payout by the user closes the vault and the Session, both rents to the user', async () => {
    const l = await lamportTracker(chain, { user: s.user.publicKey });
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), s.user.publicKey), [s.user]);
    expect(await l()).toEqual({ user: sessionRent + vaultRent });
    expect(await chain.connection.getAccountInfo(s.vault!)).toBeNull();
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();
    const ev = eventOf(res, 'PayoutClaimed');
    expect(ev.paymentMint.equals(chain.mint)).toBe(true);
    expect([ev.providerAmount, ev.fee, ev.refund]).toEqual([0n, 0n, 0n]);
  });
});

describe('a USDC usage session', () => {
  it('claims ticks in tokens, closes to Closing, and the crank refunds the unclaimed tokens after the window', async () => {
    const tick = 12_345n;
    const s = await openUsageSession(chain, node, { maxTicks: 40, tickAmount: tick, durationMinutes: 10 }, { spl: true, userTokens: 100n * USDC });
    const start = (await mustFetchSession(chain, s.session)).startTs;
    expect(await chain.tokenAccountAmount(s.vault!)).toBe(40n * tick);
    expect(await chain.tokenAccountAmount(s.userToken!)).toBe(100n * USDC - 40n * tick);

    const t = await tokenTracker(chain, { provider: chain.ata(node.owner.authority.publicKey), treasury: cfg.treasuryToken, vault: s.vault! });
    await chain.send(claimChunkIx(chain, s, treasury(), 9n, { bytesUsed: 1n }), [node.owner.authority]);
    const { fee, provider } = split(9n * tick, FEE_BPS);
    expect(await t()).toEqual({ provider, treasury: fee, vault: -9n * tick });

    await chain.setTime(start + 30n);
    await chain.send(closeSessionIx(chain, s, treasury()), [s.user]);
    expect((await mustFetchSession(chain, s.session)).state).toBe(SessionState.Closing);
    expect(await chain.tokenAccountAmount(s.vault!)).toBe(31n * tick);

    await chain.setTime(start + 30n + SETTLE + 1n);
    const crank = await chain.fundedKeypair(1);
    const u = await tokenTracker(chain, { user: s.userToken!, provider: chain.ata(node.owner.authority.publicKey) });
    const l = await lamportTracker(chain, { user: s.user.publicKey, crank: crank.publicKey });
    const res = await chain.send(claimPayoutIx(chain, s, treasury(), crank.publicKey), [crank]);
    expect(await u()).toEqual({ user: 31n * tick, provider: 0n });
    expect(await l()).toEqual({ user: sessionRent + vaultRent, crank: 0n });
    expect(await chain.connection.getAccountInfo(s.vault!)).toBeNull();
    const ev = eventOf(res, 'PayoutClaimed');
    expect([ev.refund, ev.claimedAmount, ev.refundedAmount]).toEqual([31n * tick, 9n * tick, 31n * tick]);
  });
});

describe('token session gates', () => {
  it('TokenPaymentsDisabled on a node without a token price (time and usage)', async () => {
    const solOnly = await createProviderWithNode(chain, { pricePerMinuteToken: 0n, pricePerTickToken: 0n });
    const user = await chain.fundedKeypair(5);
    const userToken = await chain.fundTokens(user.publicKey, 10n * USDC);
    const base = { user: user.publicKey, provider: solOnly.owner.provider, node: solOnly.node, tokenMint: chain.mint, userToken, durationMinutes: 5 };
    await chain.expectError(ix.openSessionSpl({ ...base, sessionId: 0n, mode: SessionMode.Time, tickAmount: 0n }), [user], 'TokenPaymentsDisabled');
    await chain.expectError(
      ix.openSessionSpl({ ...base, sessionId: 0n, mode: SessionMode.Usage, tickAmount: 10n, maxTicks: 10n, hashChainRoot: new Uint8Array(32).fill(3) }),
      [user],
      'TokenPaymentsDisabled',
    );
    expect(await chain.tokenAccountAmount(userToken)).toBe(10n * USDC);
  });

  it('InvalidMint when paying with another mint than the Config token', async () => {
    const otherMint = await chain.createMint(6);
    const user = await chain.fundedKeypair(5);
    const userToken = await chain.fundTokens(user.publicKey, 10n * USDC, otherMint);
    const sessionId = await nextSessionId(chain, user.publicKey);
    await chain.expectError(
      ix.openSessionSpl({
        user: user.publicKey,
        provider: node.owner.provider,
        node: node.node,
        sessionId,
        mode: SessionMode.Time,
        durationMinutes: 5,
        tickAmount: node.pricePerMinuteToken,
        tokenMint: otherMint,
        userToken,
      }),
      [user],
      'InvalidMint',
    );
    const [session] = findSessionPda(node.node, user.publicKey, sessionId);
    expect(await chain.connection.getAccountInfo(session)).toBeNull();
  });

  it("refuses a user token account that is not the signer's", async () => {
    const user = await chain.fundedKeypair(5);
    const victim = await chain.fundedKeypair(1);
    const victimToken = await chain.fundTokens(victim.publicKey, 10n * USDC);
    const err = await chain.sendExpectingError(
      ix.openSessionSpl({
        user: user.publicKey,
        provider: node.owner.provider,
        node: node.node,
        sessionId: await nextSessionId(chain, user.publicKey),
        mode: SessionMode.Time,
        durationMinutes: 5,
        tickAmount: node.pricePerMinuteToken,
        tokenMint: chain.mint,
        userToken: victimToken,
      }),
      [user],
    );
    // Either the program's owner check (InvalidTokenAccount) or the token program's
    // authority check (OwnerMismatch, custom error 0x4) refuses it.
    expect(err.errorName === 'InvalidTokenAccount' || err.logs.some((l) => /custom program error: 0x4\b|owner does not match/i.test(l))).toBe(true);
    expect(await chain.tokenAccountAmount(victimToken)).toBe(10n * USDC);
  });
});
