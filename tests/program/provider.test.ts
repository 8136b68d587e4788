// Provider registration and staking (docs/PROGRAM.md "Accounts", "Staking").
import { Keypair } from '@solana/web3.js';
import { buildInstruction, findProviderPda, findStakeVaultPda, ix, StakeChangeKind } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addProvider,
  createWorld,
  eventOf,
  expectErr,
  expectOk,
  expectPdaRejected,
  rentOf,
  replaceAccount,
  SOL,
  stateOf,
  track,
  type ProviderFx,
  type World,
} from './setup.js';

/** StakeVault lamports = rent + stake + unstaking, always. */
function expectVaultBacksStake(w: World, p: ProviderFx) {
  const acct = w.env.provider(p.provider);
  expect(w.env.lamports(p.stakeVault)).toBe(rentOf(w.env, 'StakeVault') + acct.stakeLamports + acct.unstakingLamports);
}

describe('register_provider', () => {
  it('creates the Provider (reputation 1000) and its StakeVault, paid by the authority', () => {
    // given a config and a wallet
    const w = createWorld();
    const authority = w.env.wallet(10n * SOL);
    const [provider, providerBump] = findProviderPda(authority.publicKey);
    const [stakeVault, vaultBump] = findStakeVaultPda(provider);
    const d = track(w.env, { authority: authority.publicKey, provider, stakeVault });

    // when it registers
    const r = expectOk(w.env.send(ix.registerProvider({ authority: authority.publicKey }), [authority]));

    // then both accounts exist with their initial values
    const p = w.env.provider(provider);
    expect(p.authority.toBase58()).toBe(authority.publicKey.toBase58());
    expect(p.nodeCount).toBe(0n);
    expect(p.stakeLamports).toBe(0n);
    expect(p.unstakingLamports).toBe(0n);
    expect(p.unstakeAt).toBe(0n);
    expect(p.slashedLamports).toBe(0n);
    expect(p.ratingSum).toBe(0n);
    expect(p.ratingCount).toBe(0);
    expect(p.ratingWeight).toBe(0n);
    expect(p.openDisputes).toBe(0);
    expect(p.lockedLamports).toBe(0n);
    expect(p.reputationScore).toBe(1000);
    expect(p.totalUptimeSeconds).toBe(0n);
    expect(p.totalSessions).toBe(0n);
    expect(p.totalEarnedLamports).toBe(0n);
    expect(p.totalEarnedToken).toBe(0n);
    expect(p.registeredAt).toBe(w.env.now());
    expect(p.bump).toBe(providerBump);
    expect(p.stakeVaultBump).toBe(vaultBump);
    const v = w.env.stakeVault(stakeVault);
    expect(v.provider.toBase58()).toBe(provider.toBase58());
    expect(v.bump).toBe(vaultBump);
    expect(w.env.raw(provider)!.data.length).toBe(160);
    expect(w.env.raw(stakeVault)!.data.length).toBe(48);
    // and the authority paid exactly both rents
    expect(d()).toEqual({
      authority: -(rentOf(w.env, 'Provider') + rentOf(w.env, 'StakeVault')),
      provider: rentOf(w.env, 'Provider'),
      stakeVault: rentOf(w.env, 'StakeVault'),
    });
    const ev = eventOf(r, 'ProviderRegistered');
    expect(ev.provider.toBase58()).toBe(provider.toBase58());
    expect(ev.authority.toBase58()).toBe(authority.publicKey.toBase58());
    expect(ev.stakeVault.toBase58()).toBe(stakeVault.toBase58());
    expect(ev.timestamp).toBe(w.env.now());
  });

  it('cannot register twice (AlreadyInitialized)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 0n });
    const before = stateOf(w.env, [p.provider, p.stakeVault]);
    expectErr(w.env.send(ix.registerProvider({ authority: p.authority.publicKey }), [p.authority]), 'AlreadyInitialized');
    expect(stateOf(w.env, [p.provider, p.stakeVault])).toBe(before);
  });

  it('requires the authority signature (MissingSignature)', () => {
    const w = createWorld();
    const authority = w.env.wallet(10n * SOL);
    const unsigned = replaceAccount(ix.registerProvider({ authority: authority.publicKey }), 0, authority.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned), 'MissingSignature');
    expect(w.env.exists(findProviderPda(authority.publicKey)[0])).toBe(false);
  });

  it("refuses another authority's provider PDA (runtime seed check)", () => {
    // given two wallets; A signs but passes B's provider / vault PDAs with B's bumps
    const w = createWorld();
    const a = w.env.wallet(10n * SOL);
    const b = Keypair.generate();
    const forB = ix.registerProvider({ authority: b.publicKey });
    const stolen = replaceAccount(forB, 0, a.publicKey, { isSigner: true });
    // then the runtime refuses to sign for an address the seeds do not give
    expectPdaRejected(w.env.send(stolen, [a]));
    expect(w.env.exists(findProviderPda(b.publicKey)[0])).toBe(false);
  });

  it('refuses a stake vault that is not the PDA of the provider (runtime seed check)', () => {
    const w = createWorld();
    const a = w.env.wallet(10n * SOL);
    const other = findStakeVaultPda(findProviderPda(Keypair.generate().publicKey)[0])[0];
    expectPdaRejected(w.env.send(replaceAccount(ix.registerProvider({ authority: a.publicKey }), 2, other), [a]));
    expect(w.env.exists(findProviderPda(a.publicKey)[0])).toBe(false);
  });
});

describe('stake_provider', () => {
  it('moves exactly the amount into the StakeVault and emits StakeChanged', () => {
    // given a registered provider without stake
    const w = createWorld();
    const p = addProvider(w, { stake: 0n });
    const d = track(w.env, { authority: p.authority.publicKey, vault: p.stakeVault });
    // when it stakes 3 SOL, then 2 SOL more
    const r1 = expectOk(w.env.send(ix.stakeProvider({ authority: p.authority.publicKey, amount: 3n * SOL }), [p.authority]));
    const r2 = expectOk(w.env.send(ix.stakeProvider({ authority: p.authority.publicKey, amount: 2n * SOL }), [p.authority]));
    // then the lamports moved 1:1 and the Provider counts 5 SOL
    expect(d()).toEqual({ authority: -5n * SOL, vault: 5n * SOL });
    expect(w.env.provider(p.provider).stakeLamports).toBe(5n * SOL);
    expectVaultBacksStake(w, p);
    const e1 = eventOf(r1, 'StakeChanged');
    expect(e1.kind).toBe(StakeChangeKind.Stake);
    expect(e1.amount).toBe(3n * SOL);
    expect(e1.stakeLamports).toBe(3n * SOL);
    expect(e1.unstakingLamports).toBe(0n);
    expect(e1.provider.toBase58()).toBe(p.provider.toBase58());
    expect(e1.authority.toBase58()).toBe(p.authority.publicKey.toBase58());
    expect(e1.timestamp).toBe(w.env.now());
    expect(eventOf(r2, 'StakeChanged').stakeLamports).toBe(5n * SOL);
  });

  it('rejects a zero amount (ZeroAmount)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 0n });
    expectErr(w.env.send(ix.stakeProvider({ authority: p.authority.publicKey, amount: 0n }), [p.authority]), 'ZeroAmount');
  });

  it("refuses staking into another authority's Provider (Unauthorized)", () => {
    // given provider A; a stranger signs with A's provider and vault
    const w = createWorld();
    const a = addProvider(w);
    const stranger = w.env.wallet(10n * SOL);
    const bad = buildInstruction('stake_provider', { amount: SOL }, { authority: stranger.publicKey, provider: a.provider, stakeVault: a.stakeVault });
    const before = stateOf(w.env, [a.provider, a.stakeVault]);
    expectErr(w.env.send(bad, [stranger]), 'Unauthorized');
    expect(stateOf(w.env, [a.provider, a.stakeVault])).toBe(before);
  });

  it("refuses another provider's stake vault (InvalidPda)", () => {
    const w = createWorld();
    const a = addProvider(w);
    const b = addProvider(w);
    const bad = replaceAccount(ix.stakeProvider({ authority: a.authority.publicKey, amount: SOL }), 2, b.stakeVault);
    const before = stateOf(w.env, [a.provider, a.stakeVault, b.provider, b.stakeVault]);
    expectErr(w.env.send(bad, [a.authority]), 'InvalidPda');
    expect(stateOf(w.env, [a.provider, a.stakeVault, b.provider, b.stakeVault])).toBe(before);
  });

  it('requires the authority signature (MissingSignature)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 0n });
    const unsigned = replaceAccount(ix.stakeProvider({ authority: p.authority.publicKey, amount: SOL }), 0, p.authority.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned), 'MissingSignature');
  });
});

describe('request_unstake / withdraw_stake', () => {
  it('unbonds, refuses to pay early, then pays every unstaking lamport once', () => {
    // given a provider with 5 SOL staked
    const w = createWorld();
    const p = addProvider(w, { stake: 5n * SOL });
    const auth = p.authority.publicKey;

    // when it requests 2 SOL
    const t0 = w.env.now();
    const r = expectOk(w.env.send(ix.requestUnstake({ authority: auth, amount: 2n * SOL }), [p.authority]));
    // then 2 SOL move from stake to unstaking with the unbonding clock started
    let acct = w.env.provider(p.provider);
    expect(acct.stakeLamports).toBe(3n * SOL);
    expect(acct.unstakingLamports).toBe(2n * SOL);
    expect(acct.unstakeAt).toBe(t0 + w.cfg.unbondingSeconds);
    expectVaultBacksStake(w, p);
    const ev = eventOf(r, 'StakeChanged');
    expect(ev.kind).toBe(StakeChangeKind.RequestUnstake);
    expect(ev.amount).toBe(2n * SOL);
    expect(ev.stakeLamports).toBe(3n * SOL);
    expect(ev.unstakingLamports).toBe(2n * SOL);
    expect(ev.unstakeAt).toBe(t0 + w.cfg.unbondingSeconds);

    // and withdrawing a second before unstake_at fails
    w.env.setTime(t0 + w.cfg.unbondingSeconds - 1n);
    const before = stateOf(w.env, [p.provider, p.stakeVault, auth]);
    expectErr(w.env.send(ix.withdrawStake({ authority: auth }), [p.authority]), 'UnbondingNotElapsed');
    expect(stateOf(w.env, [p.provider, p.stakeVault, auth])).toBe(before);

    // when unbonding has elapsed
    w.env.setTime(t0 + w.cfg.unbondingSeconds + 1n);
    const d = track(w.env, { auth, vault: p.stakeVault });
    const wr = expectOk(w.env.send(ix.withdrawStake({ authority: auth }), [p.authority]));
    // then exactly the 2 SOL come back; the active stake stays
    expect(d()).toEqual({ auth: 2n * SOL, vault: -2n * SOL });
    acct = w.env.provider(p.provider);
    expect(acct.stakeLamports).toBe(3n * SOL);
    expect(acct.unstakingLamports).toBe(0n);
    expectVaultBacksStake(w, p);
    const we = eventOf(wr, 'StakeChanged');
    expect(we.kind).toBe(StakeChangeKind.Withdraw);
    expect(we.amount).toBe(2n * SOL);
    expect(we.unstakingLamports).toBe(0n);

    // and a second withdrawal has nothing to pay
    expectErr(w.env.send(ix.withdrawStake({ authority: auth }), [p.authority]), 'NothingToWithdraw');
  });

  it('a new request adds to unstaking and restarts the clock', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 5n * SOL });
    const auth = p.authority.publicKey;
    const t0 = w.env.now();
    expectOk(w.env.send(ix.requestUnstake({ authority: auth, amount: SOL }), [p.authority]));
    w.env.setTime(t0 + 1000n);
    expectOk(w.env.send(ix.requestUnstake({ authority: auth, amount: SOL }), [p.authority]));
    const acct = w.env.provider(p.provider);
    expect(acct.stakeLamports).toBe(3n * SOL);
    expect(acct.unstakingLamports).toBe(2n * SOL);
    expect(acct.unstakeAt).toBe(t0 + 1000n + w.cfg.unbondingSeconds);
    // the first request's deadline no longer releases anything
    w.env.setTime(t0 + w.cfg.unbondingSeconds + 1n);
    expectErr(w.env.send(ix.withdrawStake({ authority: auth }), [p.authority]), 'UnbondingNotElapsed');
    w.env.setTime(t0 + 1000n + w.cfg.unbondingSeconds + 1n);
    const d = track(w.env, { auth });
    expectOk(w.env.send(ix.withdrawStake({ authority: auth }), [p.authority]));
    expect(d().auth).toBe(2n * SOL);
  });

  it('refuses to unstake more than the active stake (InsufficientStakeBalance)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 2n * SOL });
    const before = stateOf(w.env, [p.provider, p.stakeVault]);
    expectErr(
      w.env.send(ix.requestUnstake({ authority: p.authority.publicKey, amount: 2n * SOL + 1n }), [p.authority]),
      'InsufficientStakeBalance',
    );
    expect(stateOf(w.env, [p.provider, p.stakeVault])).toBe(before);
    // unstaking lamports are not active stake either
    expectOk(w.env.send(ix.requestUnstake({ authority: p.authority.publicKey, amount: 2n * SOL }), [p.authority]));
    expectErr(w.env.send(ix.requestUnstake({ authority: p.authority.publicKey, amount: 1n }), [p.authority]), 'InsufficientStakeBalance');
  });

  it('withdraw with nothing requested fails (NothingToWithdraw)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: 2n * SOL });
    expectErr(w.env.send(ix.withdrawStake({ authority: p.authority.publicKey }), [p.authority]), 'NothingToWithdraw');
  });

  it("a stranger can neither unstake nor withdraw another provider's stake (Unauthorized)", () => {
    const w = createWorld();
    const a = addProvider(w, { stake: 2n * SOL });
    expectOk(w.env.send(ix.requestUnstake({ authority: a.authority.publicKey, amount: SOL }), [a.authority]));
    w.env.warp(w.cfg.unbondingSeconds + 1n);
    const stranger = w.env.wallet(SOL);
    const before = stateOf(w.env, [a.provider, a.stakeVault, stranger.publicKey]);
    expectErr(
      w.env.send(buildInstruction('request_unstake', { amount: SOL }, { authority: stranger.publicKey, provider: a.provider }), [stranger]),
      'Unauthorized',
    );
    expectErr(
      w.env.send(buildInstruction('withdraw_stake', {}, { authority: stranger.publicKey, provider: a.provider, stakeVault: a.stakeVault }), [stranger]),
      'Unauthorized',
    );
    expect(stateOf(w.env, [a.provider, a.stakeVault, stranger.publicKey])).toBe(before);
  });

  it("withdraw refuses another provider's vault (InvalidPda)", () => {
    const w = createWorld();
    const a = addProvider(w, { stake: 2n * SOL });
    const b = addProvider(w, { stake: 2n * SOL });
    expectOk(w.env.send(ix.requestUnstake({ authority: a.authority.publicKey, amount: SOL }), [a.authority]));
    w.env.warp(w.cfg.unbondingSeconds + 1n);
    const before = stateOf(w.env, [a.provider, a.stakeVault, b.provider, b.stakeVault]);
    expectErr(w.env.send(replaceAccount(ix.withdrawStake({ authority: a.authority.publicKey }), 2, b.stakeVault), [a.authority]), 'InvalidPda');
    expect(stateOf(w.env, [a.provider, a.stakeVault, b.provider, b.stakeVault])).toBe(before);
  });

  it('withdraw requires the authority signature (MissingSignature)', () => {
    const w = createWorld();
    const a = addProvider(w, { stake: 2n * SOL });
    expectOk(w.env.send(ix.requestUnstake({ authority: a.authority.publicKey, amount: SOL }), [a.authority]));
    w.env.warp(w.cfg.unbondingSeconds + 1n);
    const unsigned = replaceAccount(ix.withdrawStake({ authority: a.authority.publicKey }), 0, a.authority.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned), 'MissingSignature');
  });
});
