// Config: initialize_config / update_config (docs/PROGRAM.md "Accounts", "Amounts").
import { Keypair, PublicKey } from '@solana/web3.js';
import { buildInstruction, DVPN_PROGRAM_ID, findConfigPda, ix } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addProvider,
  createBareWorld,
  createWorld,
  DEFAULT_CONFIG,
  eventOf,
  expectErr,
  expectOk,
  rentOf,
  replaceAccount,
  SOL,
  stateOf,
  track,
} from './setup.js';

const initArgs = (w: ReturnType<typeof createBareWorld>, over: Partial<typeof DEFAULT_CONFIG> = {}) => ({
  admin: w.admin.publicKey,
  treasury: w.treasury.publicKey,
  tokenMint: w.usdc.mint,
  ...DEFAULT_CONFIG,
  ...over,
});

describe('initialize_config', () => {
  it('creates the Config with every value, the first caller as admin, paid by the admin', () => {
    // given a fresh chain with no config
    const w = createBareWorld();
    const [config, bump] = findConfigPda();
    const d = track(w.env, { admin: w.admin.publicKey, config });

    // when the admin initialises it
    const r = expectOk(w.env.send(ix.initializeConfig(initArgs(w)), [w.admin]));

    // then the account holds exactly the values, and the admin paid its rent
    const cfg = w.env.config();
    expect(cfg.admin.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(cfg.treasury.toBase58()).toBe(w.treasury.publicKey.toBase58());
    expect(cfg.tokenMint.toBase58()).toBe(w.usdc.mint.toBase58());
    expect(cfg.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(cfg.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(cfg.unbondingSeconds).toBe(DEFAULT_CONFIG.unbondingSeconds);
    expect(cfg.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(cfg.disputeWindowSeconds).toBe(DEFAULT_CONFIG.disputeWindowSeconds);
    expect(cfg.idleTimeoutSeconds).toBe(DEFAULT_CONFIG.idleTimeoutSeconds);
    expect(cfg.minRatingLamports).toBe(DEFAULT_CONFIG.minRatingLamports);
    expect(cfg.minRatingToken).toBe(DEFAULT_CONFIG.minRatingToken);
    expect(cfg.maxSlashBps).toBe(DEFAULT_CONFIG.maxSlashBps);
    expect(cfg.pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
    expect(cfg.bump).toBe(bump);
    expect(w.env.raw(config)!.data.length).toBe(200);
    expect(d()).toEqual({ admin: -rentOf(w.env, 'Config'), config: rentOf(w.env, 'Config') });
    // and a ConfigUpdated event says the same
    const ev = eventOf(r, 'ConfigUpdated');
    expect(ev.admin.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(ev.treasury.toBase58()).toBe(w.treasury.publicKey.toBase58());
    expect(ev.tokenMint.toBase58()).toBe(w.usdc.mint.toBase58());
    expect(ev.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(ev.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(ev.unbondingSeconds).toBe(DEFAULT_CONFIG.unbondingSeconds);
    expect(ev.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(ev.disputeWindowSeconds).toBe(DEFAULT_CONFIG.disputeWindowSeconds);
    expect(ev.idleTimeoutSeconds).toBe(DEFAULT_CONFIG.idleTimeoutSeconds);
    expect(ev.minRatingLamports).toBe(DEFAULT_CONFIG.minRatingLamports);
    expect(ev.minRatingToken).toBe(DEFAULT_CONFIG.minRatingToken);
    expect(ev.maxSlashBps).toBe(DEFAULT_CONFIG.maxSlashBps);
    expect(ev.pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
    expect(ev.timestamp).toBe(w.env.now());
  });

  it('accepts the 10% fee cap exactly', () => {
    const w = createBareWorld();
    expectOk(w.env.send(ix.initializeConfig(initArgs(w, { protocolFeeBps: 1000 })), [w.admin]));
    expect(w.env.config().protocolFeeBps).toBe(1000);
  });

  it('rejects a fee above 10% with FeeTooHigh', () => {
    const w = createBareWorld();
    expectErr(w.env.send(ix.initializeConfig(initArgs(w, { protocolFeeBps: 1001 })), [w.admin]), 'FeeTooHigh');
    expect(w.env.exists(findConfigPda()[0])).toBe(false);
  });

  it.each([
    ['unbondingSeconds', 0n],
    ['unbondingSeconds', -1n],
    ['settleWindowSeconds', 0n],
    ['settleWindowSeconds', -3600n],
  ] as const)('rejects %s = %s with InvalidConfigValue', (field, value) => {
    const w = createBareWorld();
    expectErr(w.env.send(ix.initializeConfig(initArgs(w, { [field]: value })), [w.admin]), 'InvalidConfigValue');
    expect(w.env.exists(findConfigPda()[0])).toBe(false);
  });

  it('cannot run twice (AlreadyInitialized), whoever calls it', () => {
    const w = createWorld();
    const before = stateOf(w.env, [w.config]);
    const intruder = w.env.wallet(10n * SOL);
    expectErr(
      w.env.send(ix.initializeConfig({ ...initArgs(w), admin: intruder.publicKey }), [intruder]),
      'AlreadyInitialized',
    );
    expectErr(w.env.send(ix.initializeConfig(initArgs(w)), [w.admin]), 'AlreadyInitialized');
    expect(stateOf(w.env, [w.config])).toBe(before);
  });

  it('requires the admin signature (MissingSignature)', () => {
    const w = createBareWorld();
    const unsigned = replaceAccount(ix.initializeConfig(initArgs(w)), 0, w.admin.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned, []), 'MissingSignature');
    expect(w.env.exists(findConfigPda()[0])).toBe(false);
  });

  it('refuses a config address that is not the canonical Config (InvalidConfig)', () => {
    const w = createBareWorld();
    const fake = Keypair.generate();
    const r = w.env.send(replaceAccount(ix.initializeConfig(initArgs(w)), 1, fake.publicKey), [w.admin]);
    expectErr(r, 'InvalidConfig');
    expect(w.env.exists(fake.publicKey)).toBe(false);
    expect(w.env.exists(findConfigPda()[0])).toBe(false);
  });

  it('refuses a wrong bump at the canonical address (InvalidConfig)', () => {
    const w = createBareWorld();
    const [, bump] = findConfigPda();
    const bad = buildInstruction(
      'initialize_config',
      { ...DEFAULT_CONFIG, configBump: (bump + 255) % 256 },
      { admin: w.admin.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint },
    );
    expectErr(w.env.send(bad, [w.admin]), 'InvalidConfig');
    expect(w.env.exists(findConfigPda()[0])).toBe(false);
  });

  it('refuses a second Config at another bump of seed "config", with its own address (InvalidConfig)', () => {
    // given the address of a non-canonical bump of the same seed (a valid PDA the program could sign for)
    const w = createBareWorld();
    const [, canonical] = findConfigPda();
    let other: { address: PublicKey; bump: number } | undefined;
    for (let b = canonical - 1; b >= 0 && !other; b--) {
      try {
        other = { address: PublicKey.createProgramAddressSync([Buffer.from('config'), Buffer.from([b])], DVPN_PROGRAM_ID), bump: b };
      } catch {
        // on the curve: not a PDA, try the next bump
      }
    }
    expect(other).toBeDefined();
    const bad = replaceAccount(
      buildInstruction(
        'initialize_config',
        { ...DEFAULT_CONFIG, configBump: other!.bump },
        { admin: w.admin.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint },
      ),
      1,
      other!.address,
    );
    // when an attacker initialises it, then it is refused and nothing exists there
    expectErr(w.env.send(bad, [w.admin]), 'InvalidConfig');
    expect(w.env.exists(other!.address)).toBe(false);
  });

  it('refuses a fake system program (InvalidProgram)', () => {
    const w = createBareWorld();
    const fake = Keypair.generate().publicKey;
    expectErr(w.env.send(replaceAccount(ix.initializeConfig(initArgs(w)), 4, fake), [w.admin]), 'InvalidProgram');
  });
});

describe('update_config', () => {
  const updArgs = (w: ReturnType<typeof createWorld>, over: Record<string, unknown> = {}) => ({
    admin: w.admin.publicKey,
    newAdmin: w.admin.publicKey,
    treasury: w.treasury.publicKey,
    tokenMint: w.usdc.mint,
    ...DEFAULT_CONFIG,
    ...over,
  });

  it('replaces every value, proposes a new admin who takes over only by accept_admin, and emits ConfigUpdated', () => {
    // given a running config
    const w = createWorld();
    const newAdmin = w.env.wallet(1n * SOL);
    const newTreasury = Keypair.generate().publicKey;
    const newMint = w.env.createMint(6).mint;
    const lamportsBefore = w.env.lamports(w.config);
    // when the admin changes everything
    const r = expectOk(
      w.env.send(
        ix.updateConfig({
          admin: w.admin.publicKey,
          newAdmin: newAdmin.publicKey,
          treasury: newTreasury,
          tokenMint: newMint,
          protocolFeeBps: 1000,
          minProviderStake: 5n * SOL,
          unbondingSeconds: 60n,
          settleWindowSeconds: 30n,
          disputeWindowSeconds: 90n,
          idleTimeoutSeconds: 45n,
          minRatingLamports: 7n,
          minRatingToken: 3n,
          maxSlashBps: 100,
        }),
        [w.admin],
      ),
    );
    // then the Config holds the new values (bump and rent untouched); the admin is only proposed
    const cfg = w.env.config();
    expect(cfg.admin.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(cfg.pendingAdmin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(cfg.disputeWindowSeconds).toBe(90n);
    expect(cfg.idleTimeoutSeconds).toBe(45n);
    expect(cfg.minRatingLamports).toBe(7n);
    expect(cfg.minRatingToken).toBe(3n);
    expect(cfg.maxSlashBps).toBe(100);
    expect(cfg.treasury.toBase58()).toBe(newTreasury.toBase58());
    expect(cfg.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect(cfg.protocolFeeBps).toBe(1000);
    expect(cfg.minProviderStake).toBe(5n * SOL);
    expect(cfg.unbondingSeconds).toBe(60n);
    expect(cfg.settleWindowSeconds).toBe(30n);
    expect(cfg.bump).toBe(findConfigPda()[1]);
    expect(w.env.lamports(w.config)).toBe(lamportsBefore);
    const ev = eventOf(r, 'ConfigUpdated');
    expect(ev.admin.toBase58()).toBe(w.admin.publicKey.toBase58());
    expect(ev.pendingAdmin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(ev.disputeWindowSeconds).toBe(90n);
    expect(ev.idleTimeoutSeconds).toBe(45n);
    expect(ev.minRatingLamports).toBe(7n);
    expect(ev.minRatingToken).toBe(3n);
    expect(ev.maxSlashBps).toBe(100);
    expect(ev.treasury.toBase58()).toBe(newTreasury.toBase58());
    expect(ev.tokenMint.toBase58()).toBe(newMint.toBase58());
    expect(ev.protocolFeeBps).toBe(1000);
    expect(ev.minProviderStake).toBe(5n * SOL);
    expect(ev.unbondingSeconds).toBe(60n);
    expect(ev.settleWindowSeconds).toBe(30n);
    expect(ev.timestamp).toBe(w.env.now());

    // and nobody but the proposed admin can accept (NotPendingAdmin), not even the current admin
    const stranger = w.env.wallet(1n * SOL);
    expectErr(w.env.send(ix.acceptAdmin({ newAdmin: stranger.publicKey }), [stranger]), 'NotPendingAdmin');
    expectErr(w.env.send(ix.acceptAdmin({ newAdmin: w.admin.publicKey }), [w.admin]), 'NotPendingAdmin');
    // when the proposed admin accepts, the transfer completes
    const accepted = eventOf(expectOk(w.env.send(ix.acceptAdmin({ newAdmin: newAdmin.publicKey }), [newAdmin])), 'ConfigUpdated');
    expect(accepted.admin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(accepted.pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
    expect(w.env.config().admin.toBase58()).toBe(newAdmin.publicKey.toBase58());
    expect(w.env.config().pendingAdmin.toBase58()).toBe(PublicKey.default.toBase58());
    // (and cannot accept twice)
    expectErr(w.env.send(ix.acceptAdmin({ newAdmin: newAdmin.publicKey }), [newAdmin]), 'NotPendingAdmin');

    // and the old admin lost its power while the new one has it
    expectErr(w.env.send(ix.updateConfig(updArgs(w)), [w.admin]), 'Unauthorized');
    expectOk(w.env.send(ix.updateConfig(updArgs(w, { admin: newAdmin.publicKey, newAdmin: newAdmin.publicKey })), [newAdmin]));
  });

  it('rejects a stranger (Unauthorized) and changes nothing', () => {
    const w = createWorld();
    const stranger = w.env.wallet(1n * SOL);
    const before = stateOf(w.env, [w.config]);
    expectErr(w.env.send(ix.updateConfig(updArgs(w, { admin: stranger.publicKey, newAdmin: stranger.publicKey })), [stranger]), 'Unauthorized');
    expect(stateOf(w.env, [w.config])).toBe(before);
  });

  it('requires the admin signature (MissingSignature)', () => {
    const w = createWorld();
    const unsigned = replaceAccount(ix.updateConfig(updArgs(w, { protocolFeeBps: 0 })), 0, w.admin.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned, []), 'MissingSignature');
    expect(w.env.config().protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
  });

  it('validates values like initialize_config (FeeTooHigh, InvalidConfigValue)', () => {
    const w = createWorld();
    const before = stateOf(w.env, [w.config]);
    expectErr(w.env.send(ix.updateConfig(updArgs(w, { protocolFeeBps: 1001 })), [w.admin]), 'FeeTooHigh');
    expectErr(w.env.send(ix.updateConfig(updArgs(w, { unbondingSeconds: 0n })), [w.admin]), 'InvalidConfigValue');
    expectErr(w.env.send(ix.updateConfig(updArgs(w, { settleWindowSeconds: -1n })), [w.admin]), 'InvalidConfigValue');
    expect(stateOf(w.env, [w.config])).toBe(before);
  });

  it('refuses any account but the canonical Config (InvalidConfig), checked before owner and data', () => {
    const w = createWorld();
    const before = stateOf(w.env, [w.config]);
    const fake = w.env.wallet(1n * SOL).publicKey; // system-owned
    expectErr(w.env.send(replaceAccount(ix.updateConfig(updArgs(w)), 1, fake), [w.admin]), 'InvalidConfig');
    // a Provider whose first 32 bytes (authority) are the signer's key: still not the Config
    const prov = addProvider(w);
    const asAdmin = prov.authority;
    const r = w.env.send(
      replaceAccount(ix.updateConfig(updArgs(w, { admin: asAdmin.publicKey, newAdmin: asAdmin.publicKey })), 1, prov.provider),
      [asAdmin],
    );
    expectErr(r, 'InvalidConfig');
    expect(stateOf(w.env, [w.config])).toBe(before);
  });

  it('refuses an account at the Config address the program does not own (InvalidAccountOwner)', () => {
    // given the canonical Config address holding Config-shaped data but owned by the System program
    const w = createWorld();
    const real = w.env.raw(w.config)!;
    w.env.setRaw(w.config, { lamports: real.lamports, data: real.data, owner: PublicKey.default });
    expectErr(w.env.send(ix.updateConfig(updArgs(w, { protocolFeeBps: 0 })), [w.admin]), 'InvalidAccountOwner');
  });

  it('refuses another dvpn account at the Config address (InvalidAccountData)', () => {
    // given the canonical Config address holding a Provider (its authority is the admin key itself)
    const w = createWorld();
    const prov = addProvider(w);
    const asAdmin = prov.authority;
    const provider = w.env.raw(prov.provider)!;
    w.env.setRaw(w.config, { lamports: w.env.lamports(w.config), data: provider.data, owner: DVPN_PROGRAM_ID });
    const r = w.env.send(ix.updateConfig(updArgs(w, { admin: asAdmin.publicKey, newAdmin: asAdmin.publicKey })), [asAdmin]);
    // then the discriminator check refuses it
    expectErr(r, 'InvalidAccountData');
  });

  it('refuses a read-only config (AccountNotWritable)', () => {
    const w = createWorld();
    const ro = replaceAccount(ix.updateConfig(updArgs(w, { protocolFeeBps: 5 })), 1, w.config, { isWritable: false });
    expectErr(w.env.send(ro, [w.admin]), 'AccountNotWritable');
  });
});
