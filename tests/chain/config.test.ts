// initialize_config / update_config end to end on the embedded runtime.
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SIZES, DVPN_PROGRAM_ID, fetchConfig, findConfigPda, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import { DEFAULT_CONFIG, eventOf, initConfig, mustFetchConfig, rentFor, type ConfigCtx } from '../harness/fixtures.js';

let chain: Chain;
let cfg: ConfigCtx;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(() => chain?.close());

describe('initialize_config', () => {
  it('refuses a fee above 10% and zero durations before any Config exists', async () => {
    const admin = await chain.fundedKeypair(5);
    const base = { admin: admin.publicKey, treasury: admin.publicKey, tokenMint: chain.mint, ...DEFAULT_CONFIG };
    await chain.expectError(ix.initializeConfig({ ...base, protocolFeeBps: 1001 }), [admin], 'FeeTooHigh');
    await chain.expectError(ix.initializeConfig({ ...base, unbondingSeconds: 0n }), [admin], 'InvalidConfigValue');
    await chain.expectError(ix.initializeConfig({ ...base, settleWindowSeconds: 0n }), [admin], 'InvalidConfigValue');
    expect(await fetchConfig(chain.connection)).toBeNull();
  });

  it('creates the Config with every value, paid by the admin, and emits ConfigUpdated', async () => {
    const admin = await chain.fundedKeypair(5);
    const treasury = await chain.fundedKeypair(1);
    const before = await chain.lamports(admin.publicKey);
    const res = await chain.send(
      ix.initializeConfig({ admin: admin.publicKey, treasury: treasury.publicKey, tokenMint: chain.mint, ...DEFAULT_CONFIG, protocolFeeBps: 1000 }),
      [admin],
    );
    const [configPda, bump] = findConfigPda();
    const rent = await rentFor(chain, ACCOUNT_SIZES.Config);
    const info = await chain.connection.getAccountInfo(configPda);
    expect(info?.owner.equals(DVPN_PROGRAM_ID)).toBe(true);
    expect(info?.data.length).toBe(ACCOUNT_SIZES.Config);
    expect(BigInt(info!.lamports)).toBe(rent);
    expect(await chain.lamports(admin.publicKey)).toBe(before - rent);

    const c = await mustFetchConfig(chain);
    expect(c.admin.toBase58()).toBe(admin.publicKey.toBase58());
    expect(c.treasury.toBase58()).toBe(treasury.publicKey.toBase58());
    expect(c.tokenMint.toBase58()).toBe(chain.mint.toBase58());
    expect(c.protocolFeeBps).toBe(1000); // the cap itself is allowed
    expect(c.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(c.unbondingSeconds).toBe(DEFAULT_CONFIG.unbondingSeconds);
    expect(c.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(c.bump).toBe(bump);

    const ev = eventOf(res, 'ConfigUpdated');
    expect(ev.admin.toBase58()).toBe(admin.publicKey.toBase58());
    expect(ev.treasury.toBase58()).toBe(treasury.publicKey.toBase58());
    expect(ev.tokenMint.toBase58()).toBe(chain.mint.toBase58());
    expect(ev.protocolFeeBps).toBe(1000);
    expect(ev.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(ev.unbondingSeconds).toBe(DEFAULT_CONFIG.unbondingSeconds);
    expect(ev.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(ev.timestamp).toBe(await chain.now());
    cfg = { ...DEFAULT_CONFIG, protocolFeeBps: 1000, admin, treasury, config: configPda, treasuryToken: chain.ata(treasury.publicKey), result: res };
  });

  it('cannot be initialized twice (the first caller stays admin)', async () => {
    const other = await chain.fundedKeypair(5);
    const err = await chain.expectError(
      ix.initializeConfig({ admin: other.publicKey, treasury: other.publicKey, tokenMint: chain.mint, ...DEFAULT_CONFIG }),
      [other], 'AlreadyInitialized');
    expect((await mustFetchConfig(chain)).admin.toBase58()).toBe(cfg.admin.publicKey.toBase58());
  });
});

describe('update_config', () => {
  it('lets the admin replace every value and hand over the admin role', async () => {
    const newAdmin = Keypair.generate();
    const newTreasury = Keypair.generate();
    const newMint = await chain.createMint(6);
    const res = await chain.send(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: newAdmin.publicKey,
        treasury: newTreasury.publicKey,
        tokenMint: newMint,
        protocolFeeBps: 10,
        minProviderStake: 7n,
        unbondingSeconds: 11n,
        settleWindowSeconds: 13n,
      }),
      [cfg.admin],
    );
    const c = await mustFetchConfig(chain);
    expect(c.admin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(c.treasury.toBase58()).toBe(newTreasury.publicKey.toBase58());
    expect(c.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect([c.protocolFeeBps, c.minProviderStake, c.unbondingSeconds, c.settleWindowSeconds]).toEqual([10, 7n, 11n, 13n]);
    const ev = eventOf(res, 'ConfigUpdated');
    expect(ev.admin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(ev.treasury.toBase58()).toBe(newTreasury.publicKey.toBase58());
    expect(ev.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect([ev.protocolFeeBps, ev.minProviderStake, ev.unbondingSeconds, ev.settleWindowSeconds]).toEqual([10, 7n, 11n, 13n]);

    // The old admin lost the role.
    const err = await chain.expectError(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: cfg.admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [cfg.admin], 'Unauthorized');

    // The new admin can hand it back (new_admin may be the signer itself too).
    chain.setLamports(newAdmin.publicKey, 1_000_000_000n);
    await chain.send(
      ix.updateConfig({
        admin: newAdmin.publicKey,
        newAdmin: cfg.admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [newAdmin],
    );
    const back = await mustFetchConfig(chain);
    expect(back.admin.toBase58()).toBe(cfg.admin.publicKey.toBase58());
    expect(back.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
  });

  it('refuses a fee above the cap and zero durations, leaving the Config as it was', async () => {
    const base = {
      admin: cfg.admin.publicKey,
      newAdmin: cfg.admin.publicKey,
      treasury: cfg.treasury.publicKey,
      tokenMint: chain.mint,
      ...DEFAULT_CONFIG,
    };
    await chain.expectError(ix.updateConfig({ ...base, protocolFeeBps: 1001 }), [cfg.admin], 'FeeTooHigh');
    await chain.expectError(ix.updateConfig({ ...base, unbondingSeconds: -1n }), [cfg.admin], 'InvalidConfigValue');
    await chain.expectError(ix.updateConfig({ ...base, settleWindowSeconds: 0n }), [cfg.admin], 'InvalidConfigValue');
    const c = await mustFetchConfig(chain);
    expect(c.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(c.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
  });

  it('requires the admin signature (a stranger gets Unauthorized)', async () => {
    const stranger = await chain.fundedKeypair(1);
    const err = await chain.expectError(
      ix.updateConfig({
        admin: stranger.publicKey,
        newAdmin: stranger.publicKey,
        treasury: stranger.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [stranger], 'Unauthorized');
  });
});

// The fixture used by the other files works on a fresh chain too.
describe('initConfig fixture', () => {
  it('is what every other test file starts from', async () => {
    const fresh = await startChain();
    try {
      const ctx = await initConfig(fresh);
      const c = await fetchConfig(fresh.connection);
      expect(c?.admin.toBase58()).toBe(ctx.admin.publicKey.toBase58());
      expect(await fresh.tokenAccountAmount(ctx.treasuryToken)).toBe(0n);
    } finally {
      fresh.close();
    }
  });
});
