// An outside attacker against the built program, with HIS OWN accounts: a
// second Config, donations to vaults, non-canonical bumps, throwaway
// wallets, a provider rating itself, unstaking under a dispute, empty
// wallets. One describe per promise of issue 9 (each performs the attack and
// expects the named error or the safe outcome), then "new findings": exploits
// found by this audit, written as the safe behaviour, so they fail until fixed.
import { createCloseAccountInstruction } from '@solana/spl-token';
import { PublicKey } from '@solana/web3.js';
import {
  buildInstruction,
  findConfigPda,
  findNodePda,
  findProviderPda,
  findSessionPda,
  findSessionVaultPda,
  findStakeVaultPda,
  ix,
} from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import { donateLamports, donateTokens, forgeConfig, otherBump, setLamports, tokenHolder } from './hostile-helpers.js';
import {
  accountIndex,
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createBareWorld,
  createMarket,
  DEFAULT_CONFIG,
  disputeIx,
  eventOf,
  expectErr,
  expectOk,
  expectSessionBacked,
  flows,
  nextSessionId,
  openIx,
  openTime,
  openUsage,
  payoutIx,
  rateIx,
  rentOf,
  replaceAccount,
  resolveIx,
  SessionMode,
  SessionState,
  SOL,
  split,
  type SessionFx,
  type World,
} from './setup.js';

const CONFIG_VALUES = {
  protocolFeeBps: DEFAULT_CONFIG.protocolFeeBps,
  minProviderStake: DEFAULT_CONFIG.minProviderStake,
  unbondingSeconds: DEFAULT_CONFIG.unbondingSeconds,
  settleWindowSeconds: DEFAULT_CONFIG.settleWindowSeconds,
  disputeWindowSeconds: DEFAULT_CONFIG.disputeWindowSeconds,
  idleTimeoutSeconds: DEFAULT_CONFIG.idleTimeoutSeconds,
  minRatingLamports: DEFAULT_CONFIG.minRatingLamports,
  minRatingToken: DEFAULT_CONFIG.minRatingToken,
  maxSlashBps: DEFAULT_CONFIG.maxSlashBps,
};

/** Replaces the Config account of an instruction by `config`. */
const withConfig = (name: string, instruction: Parameters<typeof replaceAccount>[0], config: PublicKey) =>
  replaceAccount(instruction, accountIndex(name, 'config'), config);

/** A SOL time session that paid the provider `seconds` of its escrow (closed by the user). */
function paidTimeSession(w: World, s: SessionFx, seconds: number) {
  w.env.warp(seconds);
  expectOk(w.env.send(closeIx(s), [s.user.kp]), 'close_session');
}

// ---------------------------------------------------------------------------
describe('1. one canonical Config', () => {
  it('initialize_config refuses another bump of "config", and the canonical address with a wrong bump (InvalidConfig)', () => {
    const b = createBareWorld();
    const attacker = b.env.wallet(10n * SOL);
    const [foreign, bump] = otherBump([Buffer.from('config')]);
    const init = (config: PublicKey, configBump: number) =>
      buildInstruction(
        'initialize_config',
        { ...CONFIG_VALUES, protocolFeeBps: 0, minProviderStake: 0n, configBump },
        { admin: attacker.publicKey, config, treasury: attacker.publicKey, tokenMint: b.usdc.mint },
      );
    expectErr(b.env.send(init(foreign, bump), [attacker]), 'InvalidConfig');
    expect(b.env.exists(foreign)).toBe(false);
    const [canonical, canonicalBump] = findConfigPda();
    expectErr(b.env.send(init(canonical, bump), [attacker]), 'InvalidConfig');
    // Once the real Config exists nobody re-initialises it.
    expectOk(b.env.send(init(canonical, canonicalBump), [attacker]));
    const again = b.env.wallet(10n * SOL);
    expectErr(
      b.env.send(
        buildInstruction(
          'initialize_config',
          { ...CONFIG_VALUES, configBump: canonicalBump },
          { admin: again.publicKey, config: canonical, treasury: again.publicKey, tokenMint: b.usdc.mint },
        ),
        [again],
      ),
      'AlreadyInitialized',
    );
  });

  it('an exact copy of the real Config at another address is refused too: the address is what counts', () => {
    const { w, env, node, user } = createMarket();
    const copy = forgeConfig(w); // same values, other bump
    const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, minutes: 5 });
    expectErr(env.send(withConfig('open_session', instruction, copy), [user.kp]), 'InvalidConfig');
  });

  it('every instruction that takes a Config refuses the attacker\'s own Config (InvalidConfig), in every attack of the audit', () => {
    const { w, env, prov, node, user } = createMarket();
    const attacker = env.wallet(100n * SOL, 'attacker');
    const junkMint = env.createMint(6);
    const evil = forgeConfig(w, {
      admin: attacker.publicKey,
      treasury: attacker.publicKey,
      minProviderStake: 0n,
      windows: 1n,
      feeBps: 0,
      minRating: 0n,
      maxSlashBps: 10_000,
    });
    const send = (name: string, i: Parameters<typeof replaceAccount>[0], signers: Parameters<typeof env.send>[1]) =>
      expectErr(env.send(withConfig(name, i, evil), signers), 'InvalidConfig');

    // A ConfigUpdated event from a Config that is not the Config; and taking it over.
    send('update_config', ix.updateConfig({ admin: attacker.publicKey, newAdmin: attacker.publicKey, treasury: attacker.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES }), [attacker]);
    send('accept_admin', ix.acceptAdmin({ newAdmin: attacker.publicKey }), [attacker]);

    // A node registered with no stake.
    const unstaked = addProvider(w, { stake: 0n });
    send(
      'register_node',
      ix.registerNode({ authority: unstaked.authority.publicKey, nodeId: 0n, endpoint: 'x.example:1', region: 'eu', pricePerMinute: 1n, pricePerMinuteToken: 0n, wgServerPubkey: new Uint8Array(32).fill(1), maxCapacity: 1 }),
      [unstaked.authority],
    );

    // A USDC session in a worthless mint.
    const junkToken = env.createTokenAccount(junkMint, user.kp.publicKey, 1_000n);
    const evilMint = forgeConfig(w, { tokenMint: junkMint.mint });
    expectErr(
      env.send(
        withConfig(
          'open_session_spl',
          ix.openSessionSpl({ user: user.kp.publicKey, provider: prov.provider, node: node.node, sessionId: 0n, mode: SessionMode.Time, durationMinutes: 1, tickAmount: node.pricePerMinuteToken, tokenMint: junkMint.mint, userToken: junkToken }),
          evilMint,
        ),
        [user.kp],
      ),
      'InvalidConfig',
    );
    // (forgeConfig always writes the same other-bump address: put the attacker's values back.)
    forgeConfig(w, { admin: attacker.publicKey, treasury: attacker.publicKey, minProviderStake: 0n, windows: 1n, feeBps: 0, minRating: 0n, maxSlashBps: 10_000 });
    send('open_session', openIx(w, user, node, SessionMode.Time, { sessionId: 0n, minutes: 1 }).instruction, [user.kp]);

    // A session the provider never served; the provider tries to take its escrow.
    const s = openTime(w, user, node, { minutes: 60 });
    const u = openUsage(w, user, node, { maxTicks: 10 });
    env.warp(2);
    send('raise_dispute', disputeIx(s, prov.authority.publicKey), [prov.authority]);
    // Claims without fee, and a usage session closed and settled 2 s later.
    send('claim_chunk', claimIx(s, 1), [prov.authority]);
    send('close_session', closeIx(u), [user.kp]);
    expectOk(env.send(closeIx(u), [user.kp]));
    env.warp(2);
    send('claim_payout', payoutIx(u, user.kp.publicKey), [user.kp]);
    // raise with the real Config, then resolve under his own: whole escrow + whole stake.
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const stake = env.provider(prov.provider).stakeLamports;
    send('resolve_dispute', resolveIx(s, s.escrow, stake, attacker.publicKey), [attacker]);
    send('resolve_dispute', resolveIx(s, 0n, 0n, attacker.publicKey), [attacker]);
    // A free rating, and a 1-second unbonding.
    send('update_reputation', rateIx(u, 1), [user.kp]);
    send('request_unstake', ix.requestUnstake({ authority: prov.authority.publicKey, amount: 1n }), [prov.authority]);

    // Nothing of it happened.
    const a = env.session(s.session);
    expect(a.state).toBe(SessionState.Disputed);
    expect(a.remainingBalance).toBe(s.escrow);
    expect(env.provider(prov.provider).stakeLamports).toBe(stake);
    expect(env.provider(prov.provider).unstakingLamports).toBe(0n);
    expect(env.config().admin.toBase58()).toBe(w.admin.publicKey.toBase58());
  });
});

// ---------------------------------------------------------------------------
describe('2. a token donated to a session vault never blocks settlement', () => {
  it('1 unit donated to an open vault: claims still work, the user closes, claim_payout sweeps it to the user and closes the vault', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    const donor = tokenHolder(env, w.usdc, 5n);
    donateTokens(env, donor, s.vault!, 1n);
    env.warp(60);
    expectOk(env.send(claimIx(s, 60), [node.prov.authority]));
    env.warp(60);
    const m = flows(s);
    expectOk(env.send(closeIx(s), [user.kp]));
    const a = env.session(s.session);
    expect(env.tokenBalance(s.vault!)).toBe(1n); // the escrow is settled, the donation is left
    const before = env.tokenBalance(user.token);
    const r = expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    expect(eventOf(r, 'PayoutClaimed').swept).toBe(1n);
    expect(env.exists(s.vault!)).toBe(false);
    expect(env.exists(s.session)).toBe(false);
    expect(env.tokenBalance(user.token) - before).toBe(1n);
    // the session's own money: escrow = payout + fee + refund, exactly
    const o = m.observe();
    expect(o.provider + o.fee + o.refund - 1n).toBe(s.escrow - (s.escrow * 60n) / 600n); // everything after the first claim
    expect(a.claimedAmount + a.refundedAmount).toBe(s.escrow);
  });

  it('a donation to an Active session that nobody closed: a stranger settles it after the window, donation to the user', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl: true, minutes: 1 });
    const donor = tokenHolder(env, w.usdc, 1_000n);
    donateTokens(env, donor, s.vault!, 777n);
    env.warp(60n + w.cfg.settleWindowSeconds + 1n);
    const stranger = env.wallet(1n * SOL);
    const userBefore = env.tokenBalance(user.token);
    const provBefore = env.tokenBalance(node.prov.token);
    const r = expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
    const e = eventOf(r, 'PayoutClaimed');
    expect(e.swept).toBe(777n);
    const [net] = split(s.escrow, w.cfg.protocolFeeBps);
    expect(env.tokenBalance(node.prov.token) - provBefore).toBe(net);
    expect(env.tokenBalance(user.token) - userBefore).toBe(777n);
    expect(env.exists(s.vault!)).toBe(false);
  });

  it('lamports sent ahead of time to the Session and vault addresses do not block the open, and end with the user', () => {
    const { w, env, node, user } = createMarket();
    const id = nextSessionId(w, user);
    const [session] = findSessionPda(node.node, user.kp.publicKey, id);
    const [vault] = findSessionVaultPda(session);
    donateLamports(env, session, 1n * SOL);
    donateLamports(env, vault, 3n * SOL);
    const s = openTime(w, user, node, { spl: true, minutes: 5, sessionId: id });
    expect(env.tokenBalance(vault)).toBe(s.escrow);
    expectOk(env.send(closeIx(s), [user.kp]));
    const before = env.lamports(user.kp.publicKey);
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    expect(env.lamports(user.kp.publicKey) - before).toBeGreaterThanOrEqual(4n * SOL);
  });
});

// ---------------------------------------------------------------------------
describe('3. usage sessions: node price, 30 days, idle eviction', () => {
  it('a 1-lamport tick on a node that asks more is PriceMismatch (SOL and USDC), and paying more than the price too', () => {
    const { w, env, node, user } = createMarket();
    for (const spl of [false, true]) {
      const price = spl ? node.pricePerTickToken : node.pricePerTick;
      for (const tickAmount of [1n, price + 1n]) {
        const { instruction } = openIx(w, user, node, SessionMode.Usage, { spl, sessionId: nextSessionId(w, user), tickAmount, maxTicks: 10 });
        expectErr(env.send(instruction, [user.kp]), 'PriceMismatch');
      }
    }
  });

  it('a usage session longer than 30 days is SessionTooLong', () => {
    const { w, env, node, user } = createMarket();
    const { instruction } = openIx(w, user, node, SessionMode.Usage, { sessionId: 0n, minutes: 30 * 24 * 60 + 1, maxTicks: 10 });
    expectErr(env.send(instruction, [user.kp]), 'SessionTooLong');
    openUsage(w, user, node, { minutes: 30 * 24 * 60, maxTicks: 10 });
  });

  it('squatting every slot with free usage sessions: the provider evicts them after the idle timeout, not before', () => {
    const { w, env, prov, node } = createMarket({}, { maxCapacity: 2 });
    const squatters = [addUser(w), addUser(w)];
    const ss = squatters.map((u) => openUsage(w, u, node, { maxTicks: 1_000 }));
    expect(env.node(node.node).activeSessions).toBe(2);
    const victim = addUser(w);
    expectErr(env.send(openIx(w, victim, node, SessionMode.Time, { sessionId: nextSessionId(w, victim) }).instruction, [victim.kp]), 'NodeFull');
    // A stranger cannot evict; the provider not before the timeout.
    const stranger = addUser(w);
    expectErr(env.send(closeIx(ss[0], stranger.kp.publicKey), [stranger.kp]), 'NotSessionParty');
    env.warp(w.cfg.idleTimeoutSeconds);
    expectErr(env.send(closeIx(ss[0], prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
    // A claim restarts the idle clock of the other one.
    const c = ss[1].chain!;
    expectOk(env.send(claimIx(ss[1], 1n, { preimage: c.preimage(1n) }), [prov.authority]));
    env.warp(1);
    expectOk(env.send(closeIx(ss[0], prov.authority.publicKey), [prov.authority]));
    expectErr(env.send(closeIx(ss[1], prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
    expect(env.node(node.node).activeSessions).toBe(1);
    openTime(w, victim, node, { minutes: 5 });
    // Evicted: Closing, the provider keeps its claim window, the user gets the rest at payout.
    expect(env.session(ss[0].session).state).toBe(SessionState.Closing);
  });

  it('the provider cannot evict a time session, which pays by the clock (SessionNotIdle)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 600 });
    env.warp(w.cfg.idleTimeoutSeconds * 3n);
    expectErr(env.send(closeIx(s, prov.authority.publicKey), [prov.authority]), 'SessionNotIdle');
  });
});

// ---------------------------------------------------------------------------
describe('4. ratings cost something', () => {
  it('four throwaway wallets open, close at t=0 and rate 1: RatingNotEarned, reputation unchanged', () => {
    const { w, env, prov, node } = createMarket();
    for (let i = 0; i < 4; i++) {
      const u = addUser(w);
      const s = openTime(w, u, node, { minutes: 1 });
      expectOk(env.send(closeIx(s), [u.kp]));
      expectErr(env.send(rateIx(s, 1), [u.kp]), 'RatingNotEarned');
      const us = openUsage(w, u, node, { maxTicks: 5 });
      expectOk(env.send(closeIx(us), [u.kp]));
      expectErr(env.send(rateIx(us, 1), [u.kp]), 'RatingNotEarned');
    }
    const p = env.provider(prov.provider);
    expect(p.ratingCount).toBe(0);
    expect(p.reputationScore).toBe(1000);
  });

  it('a provider rates itself from its own authority wallet: SelfRating, even after paying itself', () => {
    const { w, env, prov, node } = createMarket();
    const self = { kp: prov.authority, token: prov.token };
    const s = openTime(w, self, node, { minutes: 10 });
    paidTimeSession(w, s, 120);
    expect(env.session(s.session).claimedAmount).toBeGreaterThan(w.cfg.minRatingLamports);
    expectErr(env.send(rateIx(s, 5), [prov.authority]), 'SelfRating');
  });

  it('a session that paid just under the minimum does not count; weights are multiples of the minimum, capped at 100', () => {
    const { w, env, prov } = createMarket();
    const under = addNode(w, prov, { pricePerTick: w.cfg.minRatingLamports - 1n });
    const exact = addNode(w, prov, { pricePerTick: w.cfg.minRatingLamports });
    const u = addUser(w);
    const rateAfter = (node: typeof under, ticks: bigint, rating: number) => {
      const s = openUsage(w, u, node, { maxTicks: 200 });
      expectOk(env.send(claimIx(s, ticks), [prov.authority]));
      expectOk(env.send(closeIx(s), [u.kp]));
      return env.send(rateIx(s, rating), [u.kp]);
    };
    expectErr(rateAfter(under, 1n, 1), 'RatingNotEarned');
    expectOk(rateAfter(exact, 1n, 1)); // weight 1, one star
    expectOk(rateAfter(exact, 200n, 5)); // weight 200 -> capped at 100, five stars
    const p = env.provider(prov.provider);
    expect(p.ratingWeight).toBe(101n);
    expect(p.ratingSum).toBe(1n + 500n);
    expect(p.reputationScore).toBe(Math.floor(((501 - 101) * 500) / 101));
  });
});

// ---------------------------------------------------------------------------
describe('5. stake cannot escape an open dispute', () => {
  it('withdrawing during open disputes keeps back what they could slash; with 4 disputes (4 x 25 %) nothing leaves', () => {
    const { w, env, prov, node, user } = createMarket();
    const disputed = [];
    for (let i = 0; i < 4; i++) {
      const s = openTime(w, user, node, { minutes: 10 });
      expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
      disputed.push(s);
    }
    const stake = env.provider(prov.provider).stakeLamports;
    // unbonding stake stays slashable, so the request itself is allowed
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake }), [prov.authority]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    expectErr(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]), 'StakeLockedByDispute');
    expect(env.provider(prov.provider).unstakingLamports).toBe(stake);
    // one resolved: three can still slash 75 %; the other 25 % may leave
    expectOk(env.send(resolveIx(disputed[0], 0n, 0n), [w.admin]));
    const before = env.lamports(prov.authority.publicKey);
    expectOk(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]));
    const cap = (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    expect(env.lamports(prov.authority.publicKey) - before).toBe(stake - 3n * cap);
    expect(env.provider(prov.provider).unstakingLamports).toBe(3n * cap);
  });

  it('unstake requested before the dispute: what the dispute could slash stays until it is resolved, and is slashable', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 10 });
    const stake = env.provider(prov.provider).stakeLamports;
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake }), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    env.warp(w.cfg.unbondingSeconds + 1n);
    // one dispute can slash the cap: only that much stays behind
    const cap = (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    const first = env.lamports(prov.authority.publicKey);
    expectOk(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]));
    expect(env.lamports(prov.authority.publicKey) - first).toBe(stake - cap);
    expectErr(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]), 'StakeLockedByDispute');
    expectOk(env.send(resolveIx(s, 0n, cap), [w.admin]));
    expect(env.provider(prov.provider).unstakingLamports).toBe(0n);
    expectErr(env.send(ix.withdrawStake({ authority: prov.authority.publicKey }), [prov.authority]), 'NothingToWithdraw');
  });
});

// ---------------------------------------------------------------------------
describe('6. canonical bumps for every PDA the program creates', () => {
  it('Provider and StakeVault at non-canonical bumps: NonCanonicalBump', () => {
    const { env } = createMarket();
    const a = env.wallet(10n * SOL);
    const seeds = [Buffer.from('provider'), a.publicKey.toBuffer()];
    const [badProvider, badBump] = otherBump(seeds);
    const [badProvVault, vb] = findStakeVaultPda(badProvider);
    const reg = (provider: PublicKey, providerBump: number, stakeVault: PublicKey, stakeVaultBump: number) =>
      buildInstruction('register_provider', { providerBump, stakeVaultBump }, { authority: a.publicKey, provider, stakeVault });
    expectErr(env.send(reg(badProvider, badBump, badProvVault, vb), [a]), 'NonCanonicalBump');
    const [provider, pb] = findProviderPda(a.publicKey);
    const [badVault, badVb] = otherBump([Buffer.from('stake'), provider.toBuffer()]);
    expectErr(env.send(reg(provider, pb, badVault, badVb), [a]), 'NonCanonicalBump');
    // The address of one bump with another bump: InvalidPda.
    expectErr(env.send(reg(badProvider, pb, badProvVault, vb), [a]), 'InvalidPda');
    const [vault, cvb] = findStakeVaultPda(provider);
    expectOk(env.send(reg(provider, pb, vault, cvb), [a]));
  });

  it('Node, Session and session vault at non-canonical bumps: NonCanonicalBump', () => {
    const { w, env, prov, node, user } = createMarket();
    const nodeId = env.provider(prov.provider).nodeCount;
    const [badNode, nb] = otherBump([Buffer.from('node'), prov.provider.toBuffer(), Buffer.from(new BigUint64Array([nodeId]).buffer)]);
    const good = ix.registerNode({ authority: prov.authority.publicKey, nodeId, endpoint: 'n.example:1', region: 'eu', pricePerMinute: 1_000n, pricePerMinuteToken: 1_000n, wgServerPubkey: new Uint8Array(32).fill(3), maxCapacity: 2 });
    const bad = buildInstruction(
      'register_node',
      { nodeId, endpoint: 'n.example:1', region: 'eu', pricePerMinute: 1_000n, pricePerMinuteToken: 1_000n, wgServerPubkey: new Uint8Array(32).fill(3), maxCapacity: 2, nodeBump: nb, pricePerTick: 0n, pricePerTickToken: 0n },
      { authority: prov.authority.publicKey, provider: prov.provider, node: badNode },
    );
    expectErr(env.send(bad, [prov.authority]), 'NonCanonicalBump');
    expectOk(env.send(good, [prov.authority]));
    expect(findNodePda(prov.provider, nodeId)[0].equals(badNode)).toBe(false);

    const id = nextSessionId(w, user);
    const idLe = Buffer.from(new BigUint64Array([id]).buffer);
    const [badSession, sb] = otherBump([Buffer.from('session'), node.node.toBuffer(), user.kp.publicKey.toBuffer(), idLe]);
    const args = { sessionId: id, mode: SessionMode.Time, durationMinutes: 5, tickAmount: node.pricePerMinute, maxTicks: 0n, hashChainRoot: new Uint8Array(32) };
    expectErr(
      env.send(buildInstruction('open_session', { ...args, sessionBump: sb }, { user: user.kp.publicKey, provider: prov.provider, node: node.node, session: badSession }), [user.kp]),
      'NonCanonicalBump',
    );
    const [session, csb] = findSessionPda(node.node, user.kp.publicKey, id);
    const [badVault, vb] = otherBump([Buffer.from('vault'), session.toBuffer()]);
    expectErr(
      env.send(
        buildInstruction(
          'open_session_spl',
          { ...args, tickAmount: node.pricePerMinuteToken, sessionBump: csb, vaultBump: vb },
          { user: user.kp.publicKey, provider: prov.provider, node: node.node, session, vault: badVault, tokenMint: w.usdc.mint, userToken: user.token },
        ),
        [user.kp],
      ),
      'NonCanonicalBump',
    );
    expect(env.exists(session)).toBe(false);
  });
});

// ---------------------------------------------------------------------------
describe('7. disputes expire into a default settlement', () => {
  for (const spl of [false, true]) {
    it(`${spl ? 'USDC' : 'SOL'}: before the window DisputeWindowOpen; after it a stranger settles: provider keeps claims + time until the dispute, no slash`, () => {
      const { w, env, prov, node, user } = createMarket();
      const s = openTime(w, user, node, { spl, minutes: 10 });
      env.warp(60);
      expectOk(env.send(claimIx(s, 60), [prov.authority]));
      env.warp(60);
      expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
      const disputeTs = env.now();
      const stranger = env.wallet(1n * SOL);
      env.warp(w.cfg.disputeWindowSeconds);
      expectErr(env.send(payoutIx(s, stranger.publicKey), [stranger]), 'DisputeWindowOpen');
      env.warp(1);
      const m = flows(s);
      const stake = env.provider(prov.provider).stakeLamports;
      const r = expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
      const through = disputeTs - s.startTs; // 120 s
      const earnedAfterClaim = (s.escrow * through) / 600n - (s.escrow * 60n) / 600n;
      const [net, fee] = split(s.escrow * through / 600n, w.cfg.protocolFeeBps);
      const [net60, fee60] = split(s.escrow * 60n / 600n, w.cfg.protocolFeeBps);
      m.check({ provider: net - net60, fee: fee - fee60, refund: s.escrow - earnedAfterClaim - (s.escrow * 60n) / 600n, rentToUser: rentOf(env, 'Session') + (spl ? rentOf(env, 'TokenAccount') : 0n) });
      expect(eventOf(r, 'DisputeResolved').slashed).toBe(0n);
      expect(env.provider(prov.provider).stakeLamports).toBe(stake);
      expect(env.provider(prov.provider).openDisputes).toBe(0);
      expect(env.node(node.node).activeSessions).toBe(0);
    });
  }
});

// ---------------------------------------------------------------------------
describe('8. terms fixed at open; bounded admin', () => {
  it('the admin raises the fee to the maximum and shortens every window: an open session keeps its 250 bps and its windows', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 10 });
    expectOk(env.send(ix.updateConfig({ admin: w.admin.publicKey, newAdmin: w.admin.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES, protocolFeeBps: 1_000, settleWindowSeconds: 1n, disputeWindowSeconds: 1n, idleTimeoutSeconds: 1n }), [w.admin]));
    env.warp(600 + 10);
    const stranger = env.wallet(1n * SOL);
    expectErr(env.send(payoutIx(s, stranger.publicKey), [stranger]), 'SettleWindowOpen');
    const m = flows(s);
    expectOk(env.send(claimIx(s, 600), [prov.authority]));
    const [net, fee] = split(s.escrow, 250);
    m.check({ provider: net, fee, refund: 0n });
    // A session opened now pays the new fee.
    const s2 = openTime(w, user, node, { minutes: 10 });
    expect(env.session(s2.session).protocolFeeBps).toBe(1_000);
  });

  it('a slash above max_slash_bps of the stake is SlashExceedsCap; at the cap it passes', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const stake = env.provider(prov.provider).stakeLamports;
    const cap = (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    expectErr(env.send(resolveIx(s, 0n, cap + 1n), [w.admin]), 'SlashExceedsCap');
    expectErr(env.send(resolveIx(s, 0n, stake), [w.admin]), 'SlashExceedsCap');
    expectOk(env.send(resolveIx(s, 0n, cap), [w.admin]));
    expect(env.provider(prov.provider).stakeLamports).toBe(stake - cap);
  });

  it('Config bounds: fee <= 1000 bps (FeeTooHigh), windows 1 s..366 days and max_slash <= 2500 (InvalidConfigValue)', () => {
    const { w, env } = createMarket();
    const up = (v: Partial<typeof CONFIG_VALUES>) =>
      env.send(ix.updateConfig({ admin: w.admin.publicKey, newAdmin: w.admin.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES, ...v }), [w.admin]);
    expectErr(up({ protocolFeeBps: 1_001 }), 'FeeTooHigh');
    const max = 366n * 24n * 3600n;
    for (const k of ['unbondingSeconds', 'settleWindowSeconds', 'disputeWindowSeconds', 'idleTimeoutSeconds'] as const) {
      expectErr(up({ [k]: 0n }), 'InvalidConfigValue');
      expectErr(up({ [k]: -1n }), 'InvalidConfigValue');
      expectErr(up({ [k]: max + 1n }), 'InvalidConfigValue');
      expectOk(up({ [k]: max }));
      expectOk(up({ [k]: 1n }));
    }
    expectErr(up({ maxSlashBps: 2_501 }), 'InvalidConfigValue');
    expectOk(up({ maxSlashBps: 2_500, protocolFeeBps: 1_000 }));
  });
});

// ---------------------------------------------------------------------------
describe('9. two-step admin transfer', () => {
  it('update_config names a pending admin; nobody else can accept; the old admin stays admin until the accept', () => {
    const { w, env } = createMarket();
    const next = env.wallet(1n * SOL);
    const stranger = env.wallet(1n * SOL);
    expectErr(env.send(ix.acceptAdmin({ newAdmin: stranger.publicKey }), [stranger]), 'NotPendingAdmin');
    expectOk(env.send(ix.updateConfig({ admin: w.admin.publicKey, newAdmin: next.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES }), [w.admin]));
    expect(env.config().admin.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(env.config().pendingAdmin.toBase58()).toBe(next.publicKey.toBase58());
    // The pending admin has no power yet.
    expectErr(env.send(ix.updateConfig({ admin: next.publicKey, newAdmin: next.publicKey, treasury: next.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES }), [next]), 'Unauthorized');
    expectErr(env.send(ix.acceptAdmin({ newAdmin: stranger.publicKey }), [stranger]), 'NotPendingAdmin');
    // accept_admin needs the pending admin's signature: naming it without signing fails.
    const unsigned = ix.acceptAdmin({ newAdmin: next.publicKey });
    unsigned.keys[0].isSigner = false;
    expect(env.send(unsigned, []).ok).toBe(false);
    expectOk(env.send(ix.acceptAdmin({ newAdmin: next.publicKey }), [next]));
    expect(env.config().admin.toBase58()).toBe(next.publicKey.toBase58());
    expectErr(env.send(ix.acceptAdmin({ newAdmin: next.publicKey }), [next]), 'NotPendingAdmin');
    expectErr(env.send(ix.updateConfig({ admin: w.admin.publicKey, newAdmin: w.admin.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...CONFIG_VALUES }), [w.admin]), 'Unauthorized');
  });
});

// ---------------------------------------------------------------------------
describe('10. no wallet blocks a settlement', () => {
  it('a provider that emptied its wallet: its SOL payment below rent is forfeited to the user; the close still settles', () => {
    const { w, env, prov, node, user } = createMarket({}, { pricePerMinute: 600n });
    const s = openTime(w, user, node, { minutes: 1 });
    setLamports(env, prov.authority.publicKey, 0n);
    env.warp(30);
    const m = flows(s);
    expectOk(env.send(closeIx(s), [user.kp]));
    m.check({ provider: 0n, fee: 0n, refund: s.escrow });
    expect(env.session(s.session).state).toBe(SessionState.Closed);
    expect(env.node(node.node).activeSessions).toBe(0);
    // The provider's own claim is refused by name, not silently forfeited.
    const s2 = openTime(w, user, node, { minutes: 1 });
    env.warp(30);
    expectErr(env.send(claimIx(s2, 30), [prov.authority]), 'RecipientNotRentExempt');
  });

  it('an unfunded treasury: its fee is deferred to a later payment, and the running total still pays it', () => {
    const { w, env, prov, node, user } = createMarket({}, { pricePerMinute: 6_000_000n });
    const s = openTime(w, user, node, { minutes: 10 });
    const treasuryLamports = env.lamports(w.treasury.publicKey);
    setLamports(env, w.treasury.publicKey, 0n);
    env.warp(60);
    const m = flows(s);
    expectOk(env.send(claimIx(s, 60), [prov.authority]));
    m.check({ provider: s.escrow / 10n, fee: 0n, refund: 0n });
    setLamports(env, w.treasury.publicKey, treasuryLamports);
    env.warp(540);
    const m2 = flows(s);
    expectOk(env.send(claimIx(s, 600), [prov.authority]));
    const [, feeTotal] = split(s.escrow, w.cfg.protocolFeeBps);
    m2.check({ provider: s.escrow - s.escrow / 10n - feeTotal, fee: feeTotal, refund: 0n });
    expect(env.session(s.session).feeAmount).toBe(feeTotal);
  });

  it('a user whose wallet is empty at resolve_dispute: the refund waits in escrow and claim_payout delivers it with the rent', () => {
    const { w, env, node, user } = createMarket({}, { pricePerMinute: 100_000n });
    const s = openTime(w, user, node, { minutes: 1 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    setLamports(env, user.kp.publicKey, 0n);
    expectOk(env.send(resolveIx(s, 0n, 0n), [w.admin]));
    expect(env.session(s.session).remainingBalance).toBe(s.escrow);
    expect(env.session(s.session).state).toBe(SessionState.Resolved);
    const stranger = env.wallet(1n * SOL);
    env.warp(60n + w.cfg.settleWindowSeconds + 1n);
    expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
    expect(env.lamports(user.kp.publicKey)).toBe(s.escrow + rentOf(env, 'Session'));
  });
});

// ---------------------------------------------------------------------------
describe('11. fee on the running total', () => {
  it('40 one-tick claims of 10 lamports each pay the same fee as one claim of 400', () => {
    const { w, env, prov, node, user } = createMarket({}, { pricePerTick: 10n });
    const s = openUsage(w, user, node, { maxTicks: 40 });
    const m = flows(s);
    for (let t = 1n; t <= 40n; t++) expectOk(env.send(claimIx(s, t), [prov.authority]));
    const [net, fee] = split(400n, w.cfg.protocolFeeBps);
    expect(fee).toBe(10n);
    m.check({ provider: net, fee, refund: 0n });
  });

  it('USDC: 39-unit claims (fee 0.975 each) pay the fee of their total', () => {
    const { w, env, prov, node, user } = createMarket({}, { pricePerTickToken: 39n });
    const s = openUsage(w, user, node, { spl: true, maxTicks: 20 });
    const m = flows(s);
    for (let t = 1n; t <= 20n; t++) expectOk(env.send(claimIx(s, t), [prov.authority]));
    const [net, fee] = split(780n, w.cfg.protocolFeeBps);
    m.check({ provider: net, fee, refund: 0n });
  });
});

// ---------------------------------------------------------------------------
describe('12. session ids never repeat', () => {
  it('after a session at id 0 is settled and its account closed, id 0 is InvalidSessionId; so is skipping ahead', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 1, sessionId: 0n });
    expectOk(env.send(closeIx(s), [user.kp]));
    expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    expect(env.exists(s.session)).toBe(false);
    expectErr(env.send(openIx(w, user, node, SessionMode.Time, { sessionId: 0n }).instruction, [user.kp]), 'InvalidSessionId');
    expectErr(env.send(openIx(w, user, node, SessionMode.Time, { sessionId: 5n }).instruction, [user.kp]), 'InvalidSessionId');
    const s1 = openTime(w, user, node, { minutes: 1 });
    expect(s1.sessionId).toBe(1n);
  });
});

// ---------------------------------------------------------------------------
describe('13. conservation under a hostile mix', () => {
  for (const spl of [false, true]) {
    it(`${spl ? 'USDC' : 'SOL'}: donations, evictions, disputes, forfeits: every unit of escrow reaches a party, none is created; active_sessions exact`, () => {
      const { w, env, prov, node } = createMarket({}, { maxCapacity: 5 });
      const donor = tokenHolder(env, w.usdc, 1_000n);
      const users = [addUser(w), addUser(w), addUser(w), addUser(w)];
      const parties = [prov.authority.publicKey, w.treasury.publicKey, ...users.map((u) => u.kp.publicKey)];
      const tokenParties = [prov.token, w.treasuryToken, ...users.map((u) => u.token)];
      const lam = () => parties.reduce((a, k) => a + env.lamports(k), 0n);
      const tok = () => tokenParties.reduce((a, k) => a + env.tokenBalance(k), 0n);
      const lam0 = lam();
      const tok0 = tok();
      const sessions = [
        openTime(w, users[0], node, { spl, minutes: 7 }),
        openUsage(w, users[1], node, { spl, maxTicks: 30 }),
        openTime(w, users[2], node, { spl, minutes: 3 }),
        openUsage(w, users[3], node, { spl, maxTicks: 30 }),
      ];
      expect(env.node(node.node).activeSessions).toBe(4);
      if (spl) donateTokens(env, donor, sessions[0].vault!, 5n);
      donateLamports(env, sessions[2].session, 12_345n);
      env.warp(61);
      expectOk(env.send(claimIx(sessions[0], 61), [prov.authority]));
      expectOk(env.send(claimIx(sessions[1], 7n), [prov.authority]));
      expectOk(env.send(closeIx(sessions[0]), [users[0].kp]));
      expect(env.node(node.node).activeSessions).toBe(3);
      expectOk(env.send(disputeIx(sessions[2], users[2].kp.publicKey), [users[2].kp]));
      expect(env.node(node.node).activeSessions).toBe(2); // a disputed session frees its slot
      env.warp(w.cfg.idleTimeoutSeconds + 1n);
      expectOk(env.send(closeIx(sessions[3], prov.authority.publicKey), [prov.authority]));
      expect(env.node(node.node).activeSessions).toBe(1);
      expectOk(env.send(resolveIx(sessions[2], sessions[2].escrow / 3n, 0n), [w.admin]));
      expect(env.node(node.node).activeSessions).toBe(1);
      for (const s of [sessions[1], sessions[3]]) expectSessionBacked(s);
      for (const s of sessions) {
        const a = env.session(s.session);
        expect(a.claimedAmount + a.refundedAmount + a.remainingBalance).toBe(s.escrow);
      }
      env.warp(30n * 24n * 3600n + w.cfg.settleWindowSeconds);
      const stranger = env.wallet(1n * SOL);
      for (const s of sessions) expectOk(env.send(payoutIx(s, stranger.publicKey), [stranger]));
      expect(env.node(node.node).activeSessions).toBe(0);
      for (const s of sessions) expect(env.exists(s.session) || (!!s.vault && env.exists(s.vault))).toBe(false);
      // Everything the sessions held went back to the parties: escrow (+ donations), no more, no less.
      // Each user keeps one UserState (its session counter) whose rent it paid.
      const counters = 4n * rentOf(env, 'UserState');
      if (spl) {
        expect(tok() - tok0).toBe(5n); // the donation, swept to the user
        expect(lam() - lam0).toBe(12_345n - counters); // rents came back, the lamport donation to the user
      } else {
        expect(lam() - lam0).toBe(12_345n - counters);
      }
    });
  }
});

// ---------------------------------------------------------------------------
describe('account substitution (beyond the list): refused by name, nothing moves', () => {
  it('USDC payout: the provider\'s account of another mint, the user\'s account as the provider\'s, another session\'s vault, a fake token program, a foreign treasury, another user, another provider\'s stake vault', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl: true, minutes: 1 });
    const other = openTime(w, addUser(w), node, { spl: true, minutes: 1 });
    env.warp(60n + w.cfg.settleWindowSeconds + 1n);
    const attacker = env.wallet(10n * SOL);
    const junk = env.createMint(6);
    const junkOfProvider = env.createTokenAccount(junk, prov.authority.publicKey, 0n);
    const base = payoutIx(s, attacker.publicKey);
    const idx = (a: string) => accountIndex('claim_payout', a);
    const cases: [string, PublicKey, string][] = [
      ['provider_token', junkOfProvider, 'InvalidTokenAccount'],
      ['provider_token', user.token, 'InvalidTokenAccount'],
      ['user_token', prov.token, 'InvalidTokenAccount'],
      ['treasury_token', user.token, 'InvalidTokenAccount'],
      ['vault', other.vault!, 'InvalidTokenAccount'],
      ['token_program', attacker.publicKey, 'InvalidProgram'],
      ['treasury', attacker.publicKey, 'InvalidTreasury'],
      ['user', attacker.publicKey, 'InvalidPda'],
      ['provider_authority', attacker.publicKey, 'InvalidPda'],
      ['node', addNode(w, prov).node, 'InvalidPda'],
    ];
    for (const [name, key, err] of cases) expectErr(env.send(replaceAccount(base, idx(name), key), [attacker]), err);
    // the same wallet passed as user and provider authority
    expectErr(env.send(replaceAccount(base, idx('provider_authority'), user.kp.publicKey), [attacker]), 'InvalidPda');
    expectOk(env.send(base, [attacker]));
  });

  it('resolve_dispute with another provider\'s stake vault: InvalidPda; the session\'s own vault as the user token: InvalidTokenAccount', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const another = addProvider(w);
    const base = resolveIx(s, 0n, 1n);
    expectErr(env.send(replaceAccount(base, accountIndex('resolve_dispute', 'stake_vault'), another.stakeVault), [w.admin]), 'InvalidPda');
    expectErr(env.send(replaceAccount(base, accountIndex('resolve_dispute', 'user_token'), s.vault!), [w.admin]), 'InvalidTokenAccount');
    expectOk(env.send(base, [w.admin]));
  });

  it('another provider\'s authority cannot claim, close or evict someone else\'s session with its own Provider', () => {
    const { w, env, node, user } = createMarket();
    const s = openUsage(w, user, node, { maxTicks: 10 });
    const thief = addProvider(w);
    const claim = replaceAccount(claimIx(s, 1n, { signer: thief.authority }), accountIndex('claim_chunk', 'provider'), thief.provider);
    expectErr(env.send(claim, [thief.authority]), 'InvalidPda');
    expectErr(env.send(claimIx(s, 1n, { signer: thief.authority }), [thief.authority]), 'Unauthorized');
    env.warp(w.cfg.idleTimeoutSeconds + 1n);
    expectErr(env.send(closeIx(s, thief.authority.publicKey), [thief.authority]), 'NotSessionParty');
  });
});

// ---------------------------------------------------------------------------
// New findings of this audit. Each test states the SAFE behaviour, so it fails
// until the program is fixed (see the report).
describe('new findings', () => {
  it('[F1] a dispute raised at open does not let a user hold a node slot for the dispute window at no cost', () => {
    const { w, env, node } = createMarket({}, { maxCapacity: 1 });
    const squatter = addUser(w);
    const before = env.lamports(squatter.kp.publicKey);
    const s = openTime(w, squatter, node, { minutes: 1 });
    expectOk(env.send(disputeIx(s, squatter.kp.publicKey), [squatter.kp]));
    // The disputed session gets no service; its slot must be free for a paying user.
    const victim = addUser(w);
    const r = env.send(openIx(w, victim, node, SessionMode.Time, { sessionId: nextSessionId(w, victim) }).instruction, [victim.kp]);
    // What the attack costs today: nothing (default rule: provider earned 0 s, all refunded).
    expectOk(r, 'a paying user opening on the node a disputed squatter holds');
    env.warp(w.cfg.disputeWindowSeconds + 1n);
    expectOk(env.send(payoutIx(s, squatter.kp.publicKey), [squatter.kp]));
    // everything back but the rent of the squatter's UserState (its session counter)
    expect(env.lamports(squatter.kp.publicKey)).toBe(before - rentOf(env, 'UserState'));
  });

  it('[F2] one free dispute does not freeze more of the provider\'s stake than one dispute may slash', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 1 });
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const stake = env.provider(prov.provider).stakeLamports;
    const cap = (stake * BigInt(w.cfg.maxSlashBps)) / 10_000n;
    // The part of the stake no pending dispute can slash may leave (unbonding still applies).
    expectOk(env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: stake - cap }), [prov.authority]), 'unstake above the slashable part');
  });

  it('[F3] a usage user who disputes after receiving service cannot stop the provider claiming the ticks he revealed', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openUsage(w, user, node, { maxTicks: 100 });
    // The user revealed w_80 to the provider's daemon off chain; the provider had claimed 10 on chain.
    expectOk(env.send(claimIx(s, 10n), [prov.authority]));
    expectOk(env.send(disputeIx(s, user.kp.publicKey), [user.kp]));
    const r = env.send(claimIx(s, 80n), [prov.authority]);
    expectOk(r, 'claim of revealed ticks during a dispute');
  });

  it('[F4] a time session opened with the SDK default price (tick_amount 0 = "any") refuses a price the provider raised after the quote', () => {
    const { w, env, prov, node, user } = createMarket();
    const quoted = env.node(node.node).pricePerMinute;
    // The provider raises the price 1000x between the user's quote and the open landing.
    expectOk(env.send(ix.updateNode({ authority: prov.authority.publicKey, node: node.node, pricePerMinute: quoted * 1000n }), [prov.authority]));
    const open = ix.openSession({ user: user.kp.publicKey, provider: prov.provider, node: node.node, sessionId: nextSessionId(w, user), mode: SessionMode.Time, durationMinutes: 60, tickAmount: quoted });
    const before = env.lamports(user.kp.publicKey);
    const r = env.send(open, [user.kp]);
    const taken = before - env.lamports(user.kp.publicKey);
    expect(r.ok ? taken : 0n, `the user quoted ${quoted * 60n} lamports and was charged ${taken}`).toBeLessThanOrEqual(quoted * 60n + rentOf(env, 'Session'));
  });

  it('[F5] a provider that closed its USDC account: omitting it cannot make the provider forfeit; anyone recreates it and the close settles', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { spl: true, minutes: 10 });
    expectOk(env.send(createCloseAccountInstruction(prov.token, prov.authority.publicKey, prov.authority.publicKey), [prov.authority]));
    env.warp(120);
    const close = (providerToken: PublicKey | null) =>
      ix.closeSession({
        user: user.kp.publicKey,
        provider: prov.provider,
        node: node.node,
        session: s.session,
        providerAuthority: prov.authority.publicKey,
        treasury: w.treasury.publicKey,
        spl: { vault: s.vault!, userToken: user.token, providerToken: providerToken as never, treasuryToken: w.treasuryToken },
      });
    // The provider is owed 120 s: an absent account is refused, not silently forfeited.
    expectErr(env.send(close(null), [user.kp]), 'InvalidTokenAccount');
    // Anyone may create a token account for anyone (here a fresh one owned by the provider).
    const recreated = env.createTokenAccount(w.usdc, prov.authority.publicKey, 0n);
    expectOk(env.send(close(recreated), [user.kp]), 'close once the provider has an account again');
    expect(env.tokenBalance(recreated) > 0n).toBe(true);
  });

  it('[F6] an open prepared from the user\'s session counter survives another user opening (and closing) first', () => {
    const { w, env, node, user } = createMarket();
    const mine = openIx(w, user, node, SessionMode.Time, { sessionId: nextSessionId(w, user), minutes: 30 }).instruction;
    // A spammer opens and closes at t=0: full refund, rent back, zero cost, and the counter moved.
    const spammer = addUser(w);
    const before = env.lamports(spammer.kp.publicKey);
    const sp = openTime(w, spammer, node, { minutes: 1 });
    expectOk(env.send(closeIx(sp), [spammer.kp]));
    expectOk(env.send(payoutIx(sp, spammer.kp.publicKey), [spammer.kp]));
    expect(env.lamports(spammer.kp.publicKey)).toBe(before - rentOf(env, 'UserState'));
    // ids are per user (UserState): another user's opens never move mine
    expectOk(env.send(mine, [user.kp]), 'an open built one slot earlier');
  });
});
