// initialize_config / update_config end to end on the embedded runtime.
import { Keypair, PublicKey } from '@solana/web3.js';
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
  it('refuses a fee above 10%, zero windows and a slash cap above 25% before any Config exists', async () => {
    const admin = await chain.fundedKeypair(5);
    const base = { admin: admin.publicKey, treasury: admin.publicKey, tokenMint: chain.mint, ...DEFAULT_CONFIG };
    await chain.expectError(ix.initializeConfig({ ...base, protocolFeeBps: 1001 }), [admin], 'FeeTooHigh');
    await chain.expectError(ix.initializeConfig({ ...base, unbondingSeconds: 0n }), [admin], 'InvalidConfigValue');
    await chain.expectError(ix.initializeConfig({ ...base, settleWindowSeconds: 0n }), [admin], 'InvalidConfigValue');
    await chain.expectError(ix.initializeConfig({ ...base, disputeWindowSeconds: 0n }), [admin], 'InvalidConfigValue');
    await chain.expectError(ix.initializeConfig({ ...base, maxSlashBps: 2_501 }), [admin], 'InvalidConfigValue');
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
    expect(c.disputeWindowSeconds).toBe(DEFAULT_CONFIG.disputeWindowSeconds);
    expect(c.idleTimeoutSeconds).toBe(DEFAULT_CONFIG.idleTimeoutSeconds);
    expect([c.minRatingLamports, c.minRatingToken, c.maxSlashBps]).toEqual([
      DEFAULT_CONFIG.minRatingLamports, DEFAULT_CONFIG.minRatingToken, DEFAULT_CONFIG.maxSlashBps,
    ]);
    expect(c.pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
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
  it('lets the admin replace every value and hand over the admin role in two steps (propose, accept)', async () => {
    const newAdmin = Keypair.generate();
    const newTreasury = Keypair.generate();
    const newMint = await chain.createMint(6);
    const values = {
      protocolFeeBps: 10,
      minProviderStake: 7n,
      unbondingSeconds: 11n,
      settleWindowSeconds: 13n,
      disputeWindowSeconds: 17n,
      idleTimeoutSeconds: 19n,
      minRatingLamports: 23n,
      minRatingToken: 29n,
      maxSlashBps: 31,
    };
    const res = await chain.send(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: newAdmin.publicKey,
        treasury: newTreasury.publicKey,
        tokenMint: newMint,
        ...values,
      }),
      [cfg.admin],
    );
    const tuple = (c: typeof values) => [
      c.protocolFeeBps, c.minProviderStake, c.unbondingSeconds, c.settleWindowSeconds, c.disputeWindowSeconds,
      c.idleTimeoutSeconds, c.minRatingLamports, c.minRatingToken, c.maxSlashBps,
    ];
    const c = await mustFetchConfig(chain);
    // Every value applies at once; the admin role is only proposed.
    expect(c.admin.toBase58()).toBe(cfg.admin.publicKey.toBase58());
    expect(c.pendingAdmin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(c.treasury.toBase58()).toBe(newTreasury.publicKey.toBase58());
    expect(c.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect(tuple(c)).toEqual(tuple(values));
    const ev = eventOf(res, 'ConfigUpdated');
    expect(ev.admin.toBase58()).toBe(cfg.admin.publicKey.toBase58());
    expect(ev.pendingAdmin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(ev.treasury.toBase58()).toBe(newTreasury.publicKey.toBase58());
    expect(ev.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect(tuple(ev)).toEqual(tuple(values));

    // Nobody but the proposed key can accept.
    const stranger = await chain.fundedKeypair(1);
    await chain.expectError(ix.acceptAdmin({ newAdmin: stranger.publicKey }), [stranger], 'NotPendingAdmin');

    chain.setLamports(newAdmin.publicKey, 1_000_000_000n);
    const accepted = await chain.send(ix.acceptAdmin({ newAdmin: newAdmin.publicKey }), [newAdmin]);
    const after = await mustFetchConfig(chain);
    expect(after.admin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(after.pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
    expect(eventOf(accepted, 'ConfigUpdated').admin.toBase58()).toBe(newAdmin.publicKey.toBase58());

    // The old admin lost the role.
    await chain.expectError(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: cfg.admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [cfg.admin], 'Unauthorized');

    // The new admin can hand it back (new_admin = the signer itself proposes nobody).
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
    await chain.send(ix.acceptAdmin({ newAdmin: cfg.admin.publicKey }), [cfg.admin]);
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
    await chain.expectError(ix.updateConfig({ ...base, disputeWindowSeconds: 366n * 86_400n + 1n }), [cfg.admin], 'InvalidConfigValue');
    await chain.expectError(ix.updateConfig({ ...base, idleTimeoutSeconds: 0n }), [cfg.admin], 'InvalidConfigValue');
    await chain.expectError(ix.updateConfig({ ...base, maxSlashBps: 2_501 }), [cfg.admin], 'InvalidConfigValue');
    const c = await mustFetchConfig(chain);
    expect(c.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(c.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(c.disputeWindowSeconds).toBe(DEFAULT_CONFIG.disputeWindowSeconds);
    expect(c.maxSlashBps).toBe(DEFAULT_CONFIG.maxSlashBps);
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
