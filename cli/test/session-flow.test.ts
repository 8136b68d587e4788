// The user side of `dvpn` (and the provider's claims), run as a child process
// against the harness chain: SOL and USDC time sessions, a usage session with
// its locally stored hash chain, disputes, ratings, and program errors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKey, type Keypair } from '@solana/web3.js';
import { createCloseAccountInstruction } from '@solana/spl-token';
import { ACCOUNT_SIZES, SessionState, createHashChain, fetchNextSessionId, fetchNode, fetchProvider, fetchSession, findSessionPda, findSessionVaultPda } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { USDC, earned, rentFor, split } from '../../tests/harness/fixtures.js';
import { createProviderWithNode, initConfig, openTimeSession, type CliConfigCtx, type CliNodeCtx } from './fixtures.js';
import { cliEnv, type CliEnv } from './helpers.js';

const FEE_BPS = 250;
const PRICE = 1_000_000n; // 0.001 SOL per minute
const PRICE_TOKEN = 50_000n; // 0.05 USDC per minute
const TICK_PRICE = 10_000n; // 0.00001 SOL per usage tick

let chain: Chain;
let cli: CliEnv;
let cfg: CliConfigCtx;
let node: CliNodeCtx;
let user: Keypair;
let provider: Keypair;
let userHome: string;
let providerHome: string;
let sessionRent: bigint;

type Json = Record<string, unknown>;

beforeAll(async () => {
  chain = await startChain();
  cli = cliEnv(chain);
  cfg = await initConfig(chain, { protocolFeeBps: FEE_BPS, settleWindowSeconds: 600n });
  node = await createProviderWithNode(chain, { pricePerMinute: PRICE, pricePerMinuteToken: PRICE_TOKEN, pricePerTick: TICK_PRICE, maxCapacity: 10 });
  provider = node.owner.authority;
  user = await chain.fundedKeypair(10);
  await chain.fundTokens(user.publicKey, 100n * USDC);
  userHome = join(cli.dir, 'user-home');
  providerHome = join(cli.dir, 'provider-home');
  sessionRent = await rentFor(chain, ACCOUNT_SIZES.Session);
});
afterAll(() => {
  cli?.cleanup();
  chain?.close();
});

const asUser = { get keypair() { return user; }, get home() { return userHome; } };
const asProvider = { get keypair() { return provider; }, get home() { return providerHome; } };

describe('a SOL time session through the CLI', () => {
  let session: string;

  it('session open --sol --minutes escrows price x minutes', async () => {
    const out = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--sol', '--minutes', '10'], asUser);
    const [pda] = findSessionPda(node.node, user.publicKey, 0n);
    session = pda.toBase58();
    expect(out.session).toBe(session);
    expect(out.sessionId).toBe('0');
    expect(out.mode).toBe('Time');
    expect(out.currency).toBe('SOL');
    expect(out.escrowAmount).toBe('10000000');
    expect(out.stateFile).toBeNull();
    expect((out.events as Json[]).map((e) => e.name)).toEqual(['SessionOpened']);

    const s = (await fetchSession(chain.connection, pda))!;
    expect(s.state).toBe(SessionState.Active);
    expect(s.escrowAmount).toBe(10n * PRICE);
    expect(await chain.lamports(pda)).toBe(sessionRent + 10n * PRICE);
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(1);
  });

  it('session show prints its state and its own terms (JSON and text)', async () => {
    const out = await cli.json<Json>(['session', 'show', session]);
    expect(out).toMatchObject({
      address: session,
      state: 'Active',
      mode: 'Time',
      currency: 'SOL',
      user: user.publicKey.toBase58(),
      node: node.node.toBase58(),
      provider: node.owner.provider.toBase58(),
      escrowAmount: '10000000',
      remainingBalance: '10000000',
      earnedNow: '0',
      settleWindowSeconds: '600',
      protocolFeeBps: FEE_BPS,
    });
    // The settle deadline is end + the session's own settle window.
    expect(BigInt(out.settleDeadline as string)).toBe(BigInt(out.endTs as string) + 600n);
    const text = await cli.run(['session', 'show', session]);
    expect(text.stdout).toMatch(/escrow\s+0\.01 SOL/);
    expect(text.stdout).toMatch(/settle deadline\s+\S+ \(settle window 600 s\)/);
    expect(text.stdout).toMatch(/state\s+Active/);
  });

  it('session list filters by user, node and provider', async () => {
    const mine = await cli.json<Json[]>(['session', 'list', '--mine'], asUser);
    expect(mine.map((s) => s.address)).toEqual([session]);
    expect((await cli.json<Json[]>(['session', 'list', '--node', node.node.toBase58()])).map((s) => s.address)).toEqual([session]);
    expect((await cli.json<Json[]>(['session', 'list', '--provider', provider.publicKey.toBase58()])).map((s) => s.address)).toEqual([session]);
    expect(await cli.json<Json[]>(['session', 'list', '--user', provider.publicKey.toBase58()])).toEqual([]);
  });

  it('the provider claims the elapsed time with session claim', async () => {
    await chain.warpSeconds(120);
    const before = await chain.lamports(cfg.treasury.publicKey);
    const out = await cli.json<Json>(['session', 'claim', session], asProvider);
    const pay = earned(10n * PRICE, 600n, 120n); // 2_000_000
    const { fee, provider: share } = split(pay, FEE_BPS);
    expect(out.tick).toBe('120');
    expect(out.amount).toBe(pay.toString());
    expect(out.providerAmount).toBe(share.toString());
    expect(out.fee).toBe(fee.toString());
    expect((await fetchSession(chain.connection, findSessionPda(node.node, user.publicKey, 0n)[0]))!.lastTick).toBe(120n);
    expect(await chain.lamports(cfg.treasury.publicKey)).toBe(before + fee);
  });

  it('session close refunds the unused time to the user', async () => {
    await chain.warpSeconds(60);
    const out = await cli.json<Json>(['session', 'close', session], asUser);
    const total = earned(10n * PRICE, 600n, 180n);
    expect(out.state).toBe('Closed');
    expect(out.refund).toBe((10n * PRICE - total).toString());
    expect(out.providerAmount).toBe(split(total - earned(10n * PRICE, 600n, 120n), FEE_BPS).provider.toString());
    const s = (await fetchSession(chain.connection, findSessionPda(node.node, user.publicKey, 0n)[0]))!;
    expect([s.state, s.refundedAmount, s.claimedAmount]).toEqual([SessionState.Closed, 10n * PRICE - total, total]);
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(0);
  });

  it('session rate updates the provider reputation', async () => {
    const out = await cli.json<Json>(['session', 'rate', session, '4'], asUser);
    expect(out.reputationScore).toBe(1500);
    expect((await fetchProvider(chain.connection, node.owner.provider))!.reputationScore).toBe(1500);
  });

  it('session payout closes the account and returns the rent', async () => {
    const out = await cli.json<Json>(['session', 'payout', session], asUser);
    expect(out.refund).toBe('0');
    expect(await chain.connection.getAccountInfo(findSessionPda(node.node, user.publicKey, 0n)[0])).toBeNull();
    const gone = await cli.run(['session', 'show', session]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not found');
    // A second payout is a program error: the account is gone.
    const again = await cli.run(['session', 'payout', session], asUser);
    expect(again.code).toBe(1);
  });
});

describe('a USDC time session through the CLI', () => {
  it('session open --usdc escrows tokens in the session vault; close refunds tokens', async () => {
    const tokensBefore = await chain.tokenBalance(user.publicKey);
    const out = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--usdc', '--minutes', '4'], asUser);
    // Session 0 was settled and closed, yet its id is not reused: the id is the user's next session id.
    expect(out.sessionId).toBe('1');
    const [pda] = findSessionPda(node.node, user.publicKey, 1n);
    expect(out.session).toBe(pda.toBase58());
    expect(out.currency).toBe('USDC');
    expect(out.escrowAmount).toBe((4n * PRICE_TOKEN).toString());
    const [vault] = findSessionVaultPda(pda);
    expect(await chain.tokenAccountAmount(vault)).toBe(4n * PRICE_TOKEN);
    expect(await chain.tokenBalance(user.publicKey)).toBe(tokensBefore - 4n * PRICE_TOKEN);
    const s = (await fetchSession(chain.connection, pda))!;
    expect(s.paymentMint.toBase58()).toBe(chain.mint.toBase58());

    const shown = await cli.run(['session', 'show', pda.toBase58()]);
    expect(shown.stdout).toMatch(/escrow\s+0\.2 USDC/);

    await chain.warpSeconds(60);
    const closed = await cli.json<Json>(['session', 'close', pda.toBase58()], asUser);
    const total = earned(4n * PRICE_TOKEN, 240n, 60n);
    expect(closed.refund).toBe((4n * PRICE_TOKEN - total).toString());
    expect(await chain.tokenBalance(user.publicKey)).toBe(tokensBefore - total);
    expect(await chain.tokenBalance(provider.publicKey)).toBe(split(total, FEE_BPS).provider);
    await cli.json(['session', 'payout', pda.toBase58()], asUser);
    expect(await chain.connection.getAccountInfo(vault)).toBeNull();
  });
});

describe('a usage session through the CLI', () => {
  let session: string;
  let stateFile: string;

  it("session open --usage pays the node's price per tick, stores the hash-chain secret locally (0600) and commits its root", async () => {
    const out = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--sol', '--usage', '--ticks', '50', '--minutes', '30'], asUser);
    expect(out.tickAmount).toBe(TICK_PRICE.toString());
    session = out.session as string;
    stateFile = out.stateFile as string;
    expect(out.mode).toBe('Usage');
    expect(out.escrowAmount).toBe((50n * 10_000n).toString());
    expect(stateFile).toBe(join(userHome, 'sessions', `${session}.json`));
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { seed: string; root: string; maxTicks: string };
    expect(state.maxTicks).toBe('50');
    const hashChain = createHashChain(50, Buffer.from(state.seed, 'hex'));
    expect(Buffer.from(hashChain.root).toString('hex')).toBe(state.root);
    const s = (await fetchSession(chain.connection, new PublicKey(session)))!;
    expect(Buffer.from(s.hashChainRoot).toString('hex')).toBe(state.root);
    expect([s.tickAmount, s.maxTicks]).toEqual([10_000n, 50n]);
  });

  it('session tick prints the preimage for a tick; the provider claims with it (no local secret needed)', async () => {
    const tick = await cli.json<Json>(['session', 'tick', session, '10'], asUser);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { seed: string };
    const expected = Buffer.from(createHashChain(50, Buffer.from(state.seed, 'hex')).preimage(10)).toString('hex');
    expect(tick.preimage).toBe(expected);

    expect(existsSync(join(providerHome, 'sessions', `${session}.json`))).toBe(false);
    const out = await cli.json<Json>(['session', 'claim', session, '--tick', '10', '--preimage', tick.preimage as string, '--bytes-used', '1048576'], asProvider);
    expect(out.amount).toBe((10n * 10_000n).toString());
    const s = (await fetchSession(chain.connection, new PublicKey(session)))!;
    expect(s.lastTick).toBe(10n);
    expect(s.bytesUsed).toBe(1_048_576n);
    expect(Buffer.from(s.lastProofHash).toString('hex')).toBe(expected);
  });

  it('session claim uses the stored secret when it runs where the secret is (same DVPN_HOME)', async () => {
    const out = await cli.json<Json>(['session', 'claim', session, '--tick', '25'], { keypair: provider, home: userHome });
    expect(out.amount).toBe((15n * 10_000n).toString());
    expect((await fetchSession(chain.connection, new PublicKey(session)))!.lastTick).toBe(25n);
  });

  it('without a preimage or the secret the claim is refused before sending', async () => {
    const res = await cli.run(['session', 'claim', session, '--tick', '30'], asProvider);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no preimage');
  });

  it('a wrong preimage is refused by the program with InvalidPreimage', async () => {
    const res = await cli.run(['session', 'claim', session, '--tick', '30', '--preimage', '00'.repeat(32)], asProvider);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('Error: InvalidPreimage — Preimage does not hash to the last proof');
  });

  it('the user disputes it: the slot is freed and the lock recorded; revealed ticks stay claimable', async () => {
    const activeBefore = (await fetchNode(chain.connection, node.node))!.activeSessions;
    const stake = (await fetchProvider(chain.connection, node.owner.provider))!.stakeLamports;
    const d = await cli.json<Json>(['session', 'dispute', session, '--reason', '2'], asUser);
    expect(d.reason).toBe(2);
    const s = (await fetchSession(chain.connection, new PublicKey(session)))!;
    expect(s.state).toBe(SessionState.Disputed);
    // A disputed session gets no more service: its node slot is free at once.
    expect((await fetchNode(chain.connection, node.node))!.activeSessions).toBe(activeBefore - 1);
    const lock = (stake * BigInt(cfg.maxSlashBps)) / 10_000n;
    const shown = await cli.json<Json>(['session', 'show', session]);
    expect(BigInt(shown.disputeDeadline as string)).toBe(BigInt(shown.disputeTs as string) + 7n * 86_400n);
    expect(shown.disputeLock).toBe(lock.toString());
    const text = await cli.run(['session', 'show', session]);
    expect(text.stdout).toMatch(/dispute lock\s+0\.25 SOL of the provider stake/);
    const p = await cli.json<Json>(['provider', 'show'], asProvider);
    expect([p.openDisputes, p.lockedLamports]).toEqual([1, lock.toString()]);
    // Ticks the user revealed before disputing may still be claimed.
    const claimed = await cli.json<Json>(['session', 'claim', session, '--tick', '30'], { keypair: provider, home: userHome });
    expect(claimed.amount).toBe((5n * TICK_PRICE).toString());
    expect((await fetchSession(chain.connection, new PublicKey(session)))!.remainingBalance).toBe(200_000n);
  });

  it('during the dispute the provider may unbond its stake, but withdraw keeps back what the dispute could slash', async () => {
    const stake = (await fetchProvider(chain.connection, node.owner.provider))!.stakeLamports;
    const lock = (await fetchSession(chain.connection, new PublicKey(session)))!.disputeLock;
    expect(lock).toBe((stake * BigInt(cfg.maxSlashBps)) / 10_000n);
    const unstake = await cli.run(['provider', 'unstake', (Number(stake) / 1e9).toString(), '--json'], asProvider);
    expect(unstake.code).toBe(0);
    expect(unstake.stderr).toContain('below the minimum provider stake'); // the nodes stop being bookable
    expect(JSON.parse(unstake.stdout)).toMatchObject({ kind: 'RequestUnstake', stakeLamports: '0', unstakingLamports: stake.toString() });
    const early = await cli.run(['provider', 'withdraw'], asProvider);
    expect(early.stderr.trim()).toBe('Error: UnbondingNotElapsed — Unbonding period has not elapsed');

    await chain.warpSeconds(Number(cfg.unbondingSeconds) + 1);
    const before = BigInt(await chain.connection.getBalance(provider.publicKey));
    const w = await cli.json<Json>(['provider', 'withdraw'], asProvider);
    expect([w.amount, w.unstakingLamports]).toEqual([(stake - lock).toString(), lock.toString()]);
    // the unlocked part, less the transaction fee the CLI signer paid
    const gained = BigInt(await chain.connection.getBalance(provider.publicKey)) - before;
    expect(gained).toBeGreaterThan(stake - lock - 100_000n);
    expect(gained).toBeLessThanOrEqual(stake - lock);
    const again = await cli.run(['provider', 'withdraw'], asProvider);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('Error: StakeLockedByDispute — Stake that open disputes could slash cannot be withdrawn');
    expect((await fetchProvider(chain.connection, node.owner.provider))!.unstakingLamports).toBe(lock);
  });

  it('the admin resolves it, slashing from the unbonding stake; then the rest of the stake comes out', async () => {
    const lock = (await fetchSession(chain.connection, new PublicKey(session)))!.disputeLock;
    const notAdmin = await cli.run(['session', 'resolve', session, '--provider-amount', '0.0001'], asUser);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr.trim()).toBe('Error: Unauthorized — Signer is not the authority for this account');
    // All the provider has left is the locked 0.25 SOL that withdraw kept back.
    const tooMuch = await cli.run(['session', 'resolve', session, '--provider-amount', '0', '--slash', '0.26'], { keypair: cfg.admin });
    expect(tooMuch.stderr.trim()).toBe('Error: SlashExceedsStake — Slash is larger than the provider stake');
    const treasuryBefore = BigInt(await chain.connection.getBalance(cfg.treasury.publicKey));
    const r = await cli.json<Json>(['session', 'resolve', session, '--provider-amount', '0.0001', '--slash', '0.1'], { keypair: cfg.admin });
    const { fee, provider: share } = split(100_000n, FEE_BPS);
    expect([r.providerAmount, r.fee, r.refund, r.slashed]).toEqual([share.toString(), fee.toString(), (200_000n - 100_000n).toString(), '100000000']);
    expect(BigInt(await chain.connection.getBalance(cfg.treasury.publicKey)) - treasuryBefore).toBe(100_000_000n + fee);
    expect((await fetchSession(chain.connection, new PublicKey(session)))!.state).toBe(SessionState.Resolved);
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect([p.openDisputes, p.lockedLamports, p.unstakingLamports]).toEqual([0, 0n, lock - 100_000_000n]);

    const w = await cli.json<Json>(['provider', 'withdraw'], asProvider);
    expect([w.amount, w.unstakingLamports]).toEqual([(lock - 100_000_000n).toString(), '0']);
    // Payout by the user settles and removes the local secret.
    await cli.json(['session', 'payout', session], asUser);
    expect(existsSync(stateFile)).toBe(false);
    // Stake again so the node is bookable for the rest of the file.
    await cli.json(['provider', 'stake', '1'], asProvider);
  });
});

describe('errors', () => {
  it('session open on a full node prints NodeFull and exits non-zero', async () => {
    const nextId = await fetchNextSessionId(chain.connection, user.publicKey);
    const small = await createProviderWithNode(chain, { maxCapacity: 1 });
    await openTimeSession(chain, small, 5);
    const res = await cli.run(['session', 'open', '--node', small.node.toBase58(), '--sol', '--minutes', '5'], asUser);
    expect(res.code).toBe(1);
    // Refused before paying, naming the limit.
    expect(res.stderr.trim()).toBe(`Error: NodeFull — node ${small.node.toBase58()} is at its capacity limit: 1 of 1 sessions active`);
    expect(res.stdout).toBe('');
    const json = await cli.run(['session', 'open', '--node', small.node.toBase58(), '--sol', '--minutes', '5', '--json'], asUser);
    expect(JSON.parse(json.stdout).error).toMatchObject({ name: 'NodeFull', code: 6022, msg: 'Node has no free capacity' });
    // No session and no secret left behind.
    expect(await chain.connection.getAccountInfo(findSessionPda(small.node, user.publicKey, nextId)[0])).toBeNull();
  });

  it('a failed usage open leaves no secret file behind', async () => {
    const nextId = await fetchNextSessionId(chain.connection, user.publicKey);
    const small = await createProviderWithNode(chain, { maxCapacity: 1 });
    await openTimeSession(chain, small, 5);
    const res = await cli.run(
      ['session', 'open', '--node', small.node.toBase58(), '--sol', '--usage', '--ticks', '5', '--minutes', '5'],
      asUser,
    );
    expect(res.stderr.trim()).toBe(`Error: NodeFull — node ${small.node.toBase58()} is at its capacity limit: 1 of 1 sessions active`);
    const [pda] = findSessionPda(small.node, user.publicKey, nextId);
    expect(existsSync(join(userHome, 'sessions', `${pda.toBase58()}.json`))).toBe(false);
  });

  it('a session longer than the program allows is refused before sending, naming the limit', async () => {
    const before = (await fetchNode(chain.connection, node.node))!.totalSessions;
    const time = await cli.run(['session', 'open', '--node', node.node.toBase58(), '--sol', '--minutes', '99999999'], asUser);
    expect(time.code).toBe(1);
    expect(time.stderr.trim()).toBe(
      'Error: SessionTooLong — --minutes 99999999 is above the limit for time sessions: at most 527040 minutes (366 days)',
    );
    const usage = await cli.run(['session', 'open', '--node', node.node.toBase58(), '--sol', '--usage', '--ticks', '5', '--minutes', '43201'], asUser);
    expect(usage.stderr.trim()).toBe('Error: SessionTooLong — --minutes 43201 is above the limit for usage sessions: at most 43200 minutes (30 days)');
    const viaConnect = await cli.run(['connect', node.node.toBase58(), '--new', '--sol', '--minutes', '99999999'], asUser);
    expect(viaConnect.stderr).toContain('Error: SessionTooLong');
    expect((await fetchNode(chain.connection, node.node))!.totalSessions).toBe(before);
  });

  it("a usage --tick-amount other than the node's price is refused (PriceMismatch) and leaves no secret", async () => {
    const res = await cli.run(
      ['session', 'open', '--node', node.node.toBase58(), '--sol', '--usage', '--ticks', '5', '--tick-amount', '0.00002', '--minutes', '5'],
      asUser,
    );
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      "Error: PriceMismatch — --tick-amount 0.00002 SOL is not the node's price per tick (0.00001 SOL); omit --tick-amount to pay the node's price",
    );
    const id = await fetchNextSessionId(chain.connection, user.publicKey);
    expect(existsSync(join(userHome, 'sessions', `${findSessionPda(node.node, user.publicKey, id)[0].toBase58()}.json`))).toBe(false);
    // The matching price is accepted.
    const ok = await cli.json<Json>(
      ['session', 'open', '--node', node.node.toBase58(), '--sol', '--usage', '--ticks', '5', '--tick-amount', '0.00001', '--minutes', '5'],
      asUser,
    );
    expect(ok.sessionId).toBe(id.toString());
    expect(ok.escrowAmount).toBe((5n * TICK_PRICE).toString());
  });

  it('a node without a token price per tick refuses token usage sessions before sending', async () => {
    const solOnly = await createProviderWithNode(chain, { pricePerTickToken: 0n });
    const res = await cli.run(['session', 'open', '--node', solOnly.node.toBase58(), '--usdc', '--usage', '--ticks', '5', '--minutes', '5'], asUser);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('the node offers no usage sessions paid in USDC');
  });

  it('bad input is refused before anything is sent', async () => {
    const noPay = await cli.run(['session', 'open', '--node', node.node.toBase58(), '--minutes', '5'], asUser);
    expect(noPay.code).toBe(1);
    expect(noPay.stderr).toContain('--sol or --usdc');
    const both = await cli.run(['session', 'open', '--node', node.node.toBase58(), '--sol', '--usdc', '--minutes', '5'], asUser);
    expect(both.code).not.toBe(0);
    const noKey = await cli.run(['provider', 'show'], { env: { HOME: join(cli.dir, 'empty-home') } });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('no keypair');
    const missing = await cli.run(['provider', 'show', '--keypair', join(cli.dir, 'nope.json')]);
    expect(missing.stderr).toContain('keypair file not found');
    const decimals = await cli.run(['provider', 'stake', '0.0000000001'], asProvider);
    expect(decimals.stderr).toContain('more than 9 decimals');
  });
});

describe('ratings cost something real', () => {
  it('a session that paid less than the Config minimum cannot rate (RatingNotEarned)', async () => {
    const opened = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--sol', '--minutes', '10'], asUser);
    const session = opened.session as string;
    await cli.json(['session', 'close', session], asUser); // closed at once: paid nothing
    const res = await cli.run(['session', 'rate', session, '1'], asUser);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'Error: RatingNotEarned — the session paid the provider 0 SOL, less than the 0.0001 SOL a rating needs (Config minimum)',
    );
    expect((await fetchSession(chain.connection, new PublicKey(session)))!.rated).toBe(false);
    await cli.json(['session', 'payout', session], asUser);
  });

  it('a provider cannot rate a session on its own node (SelfRating)', async () => {
    const opened = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--sol', '--minutes', '10'], asProvider);
    const session = opened.session as string;
    await chain.warpSeconds(300);
    await cli.json(['session', 'close', session], asProvider);
    const res = await cli.run(['session', 'rate', session, '5'], asProvider);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('Error: SelfRating — a provider cannot rate its own session');
    await cli.json(['session', 'payout', session], asProvider);
  });
});

describe('payout of a token session', () => {
  it("creates the user's missing token account (anyone may pay for it) and settles", async () => {
    const buyer = await chain.fundedKeypair(5);
    const userToken = await chain.fundTokens(buyer.publicKey, 4n * PRICE_TOKEN);
    const opened = await cli.json<Json>(['session', 'open', '--node', node.node.toBase58(), '--usdc', '--minutes', '4'], { keypair: buyer });
    const session = opened.session as string;
    // The buyer spent every token and closes the now empty account.
    await chain.send(createCloseAccountInstruction(userToken, buyer.publicKey, buyer.publicKey), [buyer]);
    expect(await chain.connection.getAccountInfo(userToken)).toBeNull();

    await chain.warpSeconds(240 + 600 + 1); // past end + the session's settle window
    const out = await cli.json<Json>(['session', 'payout', session], asProvider);
    expect(out.refund).toBe('0');
    expect(await chain.connection.getAccountInfo(new PublicKey(session))).toBeNull();
    expect(await chain.tokenAccountAmount(userToken)).toBe(0n);
  });
});
