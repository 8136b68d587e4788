// register_provider, stake_provider, request_unstake, withdraw_stake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SIZES,
  DVPN_PROGRAM_ID,
  StakeChangeKind,
  fetchProvider,
  fetchStakeVault,
  findProviderPda,
  findStakeVaultPda,
  ix,
} from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import { SOL, createProvider, eventOf, initConfig, rentFor, type ConfigCtx } from '../harness/fixtures.js';

let chain: Chain;
let cfg: ConfigCtx;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain, { unbondingSeconds: 3_600n });
});
afterAll(() => chain?.close());

describe('register_provider', () => {
  it('creates Provider and StakeVault with their initial values and emits ProviderRegistered', async () => {
    const authority = await chain.fundedKeypair(10);
    const before = await chain.lamports(authority.publicKey);
    const res = await chain.send(ix.registerProvider({ authority: authority.publicKey }), [authority]);
    const [provider, providerBump] = findProviderPda(authority.publicKey);
    const [stakeVault, vaultBump] = findStakeVaultPda(provider);
    const rentProvider = await rentFor(chain, ACCOUNT_SIZES.Provider);
    const rentVault = await rentFor(chain, ACCOUNT_SIZES.StakeVault);
    expect(await chain.lamports(authority.publicKey)).toBe(before - rentProvider - rentVault);

    const p = (await fetchProvider(chain.connection, provider))!;
    expect(p.authority.toBase58()).toBe(authority.publicKey.toBase58());
    expect(p.nodeCount).toBe(0n);
    expect(p.stakeLamports).toBe(0n);
    expect(p.unstakingLamports).toBe(0n);
    expect(p.reputationScore).toBe(1000);
    expect(p.ratingCount).toBe(0);
    expect(p.ratingSum).toBe(0n);
    expect(p.totalSessions).toBe(0n);
    expect(p.totalEarnedLamports).toBe(0n);
    expect(p.registeredAt).toBe(await chain.now());
    expect(p.bump).toBe(providerBump);
    expect(p.stakeVaultBump).toBe(vaultBump);

    const vault = (await fetchStakeVault(chain.connection, stakeVault))!;
    expect(vault.provider.toBase58()).toBe(provider.toBase58());
    expect(vault.bump).toBe(vaultBump);
    const vaultInfo = await chain.connection.getAccountInfo(stakeVault);
    expect(vaultInfo?.owner.equals(DVPN_PROGRAM_ID)).toBe(true);
    expect(BigInt(vaultInfo!.lamports)).toBe(rentVault);

    const ev = eventOf(res, 'ProviderRegistered');
    expect(ev.provider.toBase58()).toBe(provider.toBase58());
    expect(ev.authority.toBase58()).toBe(authority.publicKey.toBase58());
    expect(ev.stakeVault.toBase58()).toBe(stakeVault.toBase58());
    expect(ev.timestamp).toBe(await chain.now());
  });

  it('refuses a second registration of the same authority', async () => {
    const owner = await createProvider(chain, { stake: 0n });
    const err = await chain.expectError(ix.registerProvider({ authority: owner.authority.publicKey }), [owner.authority], 'AlreadyInitialized');
  });
});

describe('staking', () => {
  it('stake_provider moves exact lamports into the vault; request_unstake and withdraw_stake after unbonding', async () => {
    const owner = await createProvider(chain, { stake: 0n });
    const who = owner.authority.publicKey;
    const vaultRent = await rentFor(chain, ACCOUNT_SIZES.StakeVault);

    const a0 = await chain.lamports(who);
    const res1 = await chain.send(ix.stakeProvider({ authority: who, amount: 3n * SOL }), [owner.authority]);
    expect(await chain.lamports(who)).toBe(a0 - 3n * SOL);
    expect(await chain.lamports(owner.stakeVault)).toBe(vaultRent + 3n * SOL);
    const s1 = eventOf(res1, 'StakeChanged');
    expect(s1.kind).toBe(StakeChangeKind.Stake);
    expect(s1.amount).toBe(3n * SOL);
    expect(s1.stakeLamports).toBe(3n * SOL);
    expect(s1.unstakingLamports).toBe(0n);
    expect(s1.provider.toBase58()).toBe(owner.provider.toBase58());
    expect(s1.authority.toBase58()).toBe(who.toBase58());

    // More than the active stake cannot be unstaked.
    const tooMuch = await chain.expectError(ix.requestUnstake({ authority: who, amount: 3n * SOL + 1n }), [owner.authority], 'InsufficientStakeBalance');

    const t0 = await chain.now();
    const res2 = await chain.send(ix.requestUnstake({ authority: who, amount: 1n * SOL }), [owner.authority]);
    let p = (await fetchProvider(chain.connection, owner.provider))!;
    expect(p.stakeLamports).toBe(2n * SOL);
    expect(p.unstakingLamports).toBe(1n * SOL);
    expect(p.unstakeAt).toBe(t0 + cfg.unbondingSeconds);
    const s2 = eventOf(res2, 'StakeChanged');
    expect(s2.kind).toBe(StakeChangeKind.RequestUnstake);
    expect([s2.amount, s2.stakeLamports, s2.unstakingLamports, s2.unstakeAt]).toEqual([1n * SOL, 2n * SOL, 1n * SOL, t0 + cfg.unbondingSeconds]);
    // Lamports stay in the vault while unbonding.
    expect(await chain.lamports(owner.stakeVault)).toBe(vaultRent + 3n * SOL);

    // Not before unstake_at.
    await chain.warpSeconds(cfg.unbondingSeconds - 10n);
    await chain.expectError(ix.withdrawStake({ authority: who }), [owner.authority], 'UnbondingNotElapsed');

    // A new request adds to unstaking and restarts the clock.
    const t1 = await chain.now();
    await chain.send(ix.requestUnstake({ authority: who, amount: SOL / 2n }), [owner.authority]);
    p = (await fetchProvider(chain.connection, owner.provider))!;
    expect(p.stakeLamports).toBe(2n * SOL - SOL / 2n);
    expect(p.unstakingLamports).toBe(SOL + SOL / 2n);
    expect(p.unstakeAt).toBe(t1 + cfg.unbondingSeconds);
    await chain.warpSeconds(20); // past the first request's time, not the second's
    await chain.expectError(ix.withdrawStake({ authority: who }), [owner.authority], 'UnbondingNotElapsed');

    await chain.setTime(t1 + cfg.unbondingSeconds);
    const a1 = await chain.lamports(who);
    const res3 = await chain.send(ix.withdrawStake({ authority: who }), [owner.authority]);
    expect(await chain.lamports(who)).toBe(a1 + SOL + SOL / 2n);
    expect(await chain.lamports(owner.stakeVault)).toBe(vaultRent + 2n * SOL - SOL / 2n);
    p = (await fetchProvider(chain.connection, owner.provider))!;
    expect(p.unstakingLamports).toBe(0n);
    expect(p.stakeLamports).toBe(2n * SOL - SOL / 2n);
    const s3 = eventOf(res3, 'StakeChanged');
    expect(s3.kind).toBe(StakeChangeKind.Withdraw);
    expect(s3.amount).toBe(SOL + SOL / 2n);
    expect(s3.unstakingLamports).toBe(0n);

    // Nothing left to withdraw.
    await chain.expectError(ix.withdrawStake({ authority: who }), [owner.authority], 'NothingToWithdraw');
  });

  it('refuses staking for an authority that has no Provider', async () => {
    // Its Provider PDA does not exist: a named program error, and no lamports move.
    const stranger = await chain.fundedKeypair(5);
    const err = await chain.sendExpectingError(ix.stakeProvider({ authority: stranger.publicKey, amount: SOL }), [stranger]);
    // The Provider PDA is not an account of the program (docs: accounts are trusted by owner + discriminator).
    expect(['InvalidAccountOwner', 'InvalidAccountData']).toContain(err.errorName);
    expect(await chain.lamports(stranger.publicKey)).toBe(5n * SOL);
  });
});
