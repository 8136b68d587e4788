// The harness itself: deploy, mint, funding, send (events + named errors),
// time travel, and the runtime traps (hundreds of sequential transactions).
import { SystemProgram, Keypair } from '@solana/web3.js';
import { getMint } from '@solana/spl-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID, errorFromName, fetchConfig, findConfigPda, ix } from '@dvpn/sdk';
import { ChainTxError, startChain, USDC_DECIMALS, type Chain } from './surfnet.js';
import { DEFAULT_CONFIG, initConfig, type ConfigCtx } from './fixtures.js';

let chain: Chain;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(() => chain?.close());

describe('startChain', () => {
  it('deploys the dvpn program at its id', async () => {
    const info = await chain.connection.getAccountInfo(DVPN_PROGRAM_ID);
    expect(info?.executable).toBe(true);
    expect(chain.programId.equals(DVPN_PROGRAM_ID)).toBe(true);
  });

  it('creates a 6-decimal mint whose authority is the harness payer', async () => {
    const mint = await getMint(chain.connection, chain.mint);
    expect(mint.decimals).toBe(USDC_DECIMALS);
    expect(mint.mintAuthority?.equals(chain.payer.publicKey)).toBe(true);
    expect(mint.supply).toBe(0n);
  });

  it('funds keypairs with an exact SOL balance and tokens', async () => {
    const kp = await chain.fundedKeypair(2.5);
    expect(await chain.lamports(kp.publicKey)).toBe(2_500_000_000n);
    const ata = await chain.fundTokens(kp.publicKey, 1_234_567n);
    expect(ata.equals(chain.ata(kp.publicKey))).toBe(true);
    expect(await chain.tokenBalance(kp.publicKey)).toBe(1_234_567n);
    await chain.fundTokens(kp.publicKey, 3n);
    expect(await chain.tokenBalance(kp.publicKey)).toBe(1_234_570n);
    expect(await chain.tokenBalance(Keypair.generate().publicKey)).toBe(0n);
  });
});

let cfg: ConfigCtx;

describe('config round trip through the SDK', () => {

  it('initialize_config creates the Config the SDK decodes, and emits ConfigUpdated', async () => {
    cfg = await initConfig(chain);
    const config = await fetchConfig(chain.connection);
    expect(config).not.toBeNull();
    expect(config!.admin.equals(cfg.admin.publicKey)).toBe(true);
    expect(config!.treasury.equals(cfg.treasury.publicKey)).toBe(true);
    expect(config!.tokenMint.equals(chain.mint)).toBe(true);
    expect(config!.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(config!.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(config!.unbondingSeconds).toBe(DEFAULT_CONFIG.unbondingSeconds);
    expect(config!.settleWindowSeconds).toBe(DEFAULT_CONFIG.settleWindowSeconds);
    expect(config!.bump).toBe(findConfigPda()[1]);

    expect(cfg.result.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    expect(cfg.result.logs.some((l) => l.startsWith(`Program ${DVPN_PROGRAM_ID.toBase58()} invoke`))).toBe(true);
    expect(cfg.result.events.map((e) => e.name)).toEqual(['ConfigUpdated']);
    const ev = cfg.result.events[0];
    if (ev.name !== 'ConfigUpdated') throw new Error('unreachable');
    expect(ev.data.admin.equals(cfg.admin.publicKey)).toBe(true);
    expect(ev.data.treasury.equals(cfg.treasury.publicKey)).toBe(true);
    expect(ev.data.protocolFeeBps).toBe(DEFAULT_CONFIG.protocolFeeBps);
    expect(ev.data.minProviderStake).toBe(DEFAULT_CONFIG.minProviderStake);
    expect(ev.data.timestamp).toBe(await chain.now());
  });

  it('send() throws a ChainTxError carrying the IDL error name (non-admin update_config)', async () => {
    const mallory = await chain.fundedKeypair(1);
    const err = await chain.sendExpectingError(
      ix.updateConfig({
        admin: mallory.publicKey,
        newAdmin: mallory.publicKey,
        treasury: mallory.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [mallory],
    );
    expect(err).toBeInstanceOf(ChainTxError);
    expect(err.errorName).toBe('Unauthorized');
    expect(err.errorCode).toBe(errorFromName('Unauthorized')!.code);
    expect(err.message).toBe('Unauthorized — Signer is not the authority for this account');
    expect(err.logs.join('\n')).toContain('Error: Unauthorized');
    // Nothing changed.
    expect((await fetchConfig(chain.connection))!.admin.equals(cfg.admin.publicKey)).toBe(true);
  });

  it('rejects a protocol fee above the 10% cap with FeeTooHigh', async () => {
    const err = await chain.expectError(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: cfg.admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
        protocolFeeBps: 1001,
      }),
      [cfg.admin], 'FeeTooHigh');
  });

  it('a fee payer other than the signer leaves the signer balance untouched', async () => {
    const admin = cfg.admin;
    const before = await chain.lamports(admin.publicKey);
    const res = await chain.send(
      ix.updateConfig({
        admin: admin.publicKey,
        newAdmin: admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
        settleWindowSeconds: 900n,
      }),
      [admin],
    );
    expect(await chain.lamports(admin.publicKey)).toBe(before);
    expect(res.events[0]?.name).toBe('ConfigUpdated');
    expect((await fetchConfig(chain.connection))!.settleWindowSeconds).toBe(900n);
  });
});

describe('time travel', () => {
  it('warpSeconds moves the Clock forward exactly', async () => {
    const t0 = await chain.now();
    expect(await chain.warpSeconds(3_600)).toBe(t0 + 3_600n);
    expect(await chain.now()).toBe(t0 + 3_600n);
    // The program sees it too: the event timestamp (Clock sysvar) is the new time.
    const res = await chain.send(
      ix.updateConfig({
        admin: cfg.admin.publicKey,
        newAdmin: cfg.admin.publicKey,
        treasury: cfg.treasury.publicKey,
        tokenMint: chain.mint,
        ...DEFAULT_CONFIG,
      }),
      [cfg.admin],
    );
    const ev = res.events[0];
    expect(ev?.name).toBe('ConfigUpdated');
    expect(ev?.data.timestamp).toBe(t0 + 3_600n);
  });

  it('setTime goes to an absolute time and refuses the past', async () => {
    const t0 = await chain.now();
    expect(await chain.setTime(t0 + 86_400n * 30n)).toBe(t0 + 86_400n * 30n);
    await expect(chain.setTime(t0)).rejects.toThrow(/forward only/);
    await expect(chain.warpSeconds(0)).rejects.toThrow(/positive/);
  });
});

describe('deterministic clock', () => {
  it('time stands still between warps and each transaction makes exactly one slot', async () => {
    const t0 = await chain.now();
    const slot0 = await chain.connection.getSlot('confirmed');
    await new Promise((r) => setTimeout(r, 1_500));
    const from = await chain.fundedKeypair(1);
    for (let i = 0; i < 5; i++) {
      await chain.send(SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000 }), [from]);
    }
    expect(await chain.now()).toBe(t0);
    expect(await chain.connection.getSlot('confirmed')).toBe(slot0 + 5);
  });

  it('a transaction refused in preflight can be sent again unchanged', async () => {
    const poor = await chain.fundedKeypair(0.001);
    const ix = SystemProgram.transfer({ fromPubkey: poor.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 5_000_000_000 });
    const e1 = await chain.sendExpectingError(ix, [poor]);
    const e2 = await chain.sendExpectingError(ix, [poor]);
    expect(e1.errorName).toBeUndefined(); // not a dvpn error
    expect(e2.message).toMatch(/insufficient|0x1/i);
  });
});

describe('runtime traps', () => {
  it('keeps working past 500 sequential transactions (event drain + fresh blockhashes)', async () => {
    const from = await chain.fundedKeypair(10);
    const to = Keypair.generate();
    const n = 520;
    for (let i = 0; i < n; i++) {
      // Identical transfers: each needs its own blockhash or it would be "already processed".
      await chain.send(SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: to.publicKey, lamports: 1_000_000 }), [from]);
    }
    expect(await chain.lamports(to.publicKey)).toBe(BigInt(n) * 1_000_000n);
    expect(await chain.connection.getSlot()).toBeGreaterThan(0);
  }, 180_000);
});
