// Helpers for tests/program/hostile.test.ts: what an attacker builds himself
// (PDAs at non-canonical bumps, a look-alike Config, token donations).
import { createTransferInstruction } from '@solana/spl-token';
import { PublicKey, SystemProgram } from '@solana/web3.js';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { expectOk, type Mint, type TestEnv, type World } from './setup.js';

/** The largest bump below the canonical one whose address is off the curve: a valid, non-canonical PDA. */
export function otherBump(seeds: Uint8Array[], programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  const [, canonical] = PublicKey.findProgramAddressSync(seeds, programId);
  for (let b = canonical - 1; b >= 0; b--) {
    try {
      return [PublicKey.createProgramAddressSync([...seeds, Buffer.from([b])], programId), b];
    } catch {
      // on the curve: not a PDA, try the next one
    }
  }
  throw new Error('no second bump');
}

export interface ForgedConfig {
  admin?: PublicKey;
  treasury?: PublicKey;
  tokenMint?: PublicKey;
  minProviderStake?: bigint;
  windows?: bigint;
  feeBps?: number;
  minRating?: bigint;
  maxSlashBps?: number;
}

/**
 * A second Config as the attacker made it before the fix (initialize_config at
 * another bump of seed "config"): program-owned, right size and discriminator,
 * his own values. Written with the harness because the fixed program refuses
 * to create it (which another test proves).
 */
export function forgeConfig(w: World, f: ForgedConfig = {}): PublicKey {
  const real = w.env.raw(w.config)!;
  const [addr, bump] = otherBump([Buffer.from('config')]);
  const d = Buffer.from(real.data);
  if (f.admin) f.admin.toBuffer().copy(d, 8);
  if (f.treasury) f.treasury.toBuffer().copy(d, 40);
  if (f.tokenMint) f.tokenMint.toBuffer().copy(d, 72);
  if (f.minProviderStake !== undefined) d.writeBigUInt64LE(f.minProviderStake, 136);
  if (f.windows !== undefined) for (const off of [144, 152, 160, 168]) d.writeBigInt64LE(f.windows, off);
  if (f.minRating !== undefined) {
    d.writeBigUInt64LE(f.minRating, 176);
    d.writeBigUInt64LE(f.minRating, 184);
  }
  if (f.feeBps !== undefined) d.writeUInt16LE(f.feeBps, 192);
  if (f.maxSlashBps !== undefined) d.writeUInt16LE(f.maxSlashBps, 194);
  d[196] = bump;
  w.env.setRaw(addr, { lamports: real.lamports, data: d, owner: DVPN_PROGRAM_ID });
  return addr;
}

/** A stranger with his own token account of `mint` holding `amount`. */
export function tokenHolder(env: TestEnv, mint: Mint, amount: bigint) {
  const kp = env.wallet(10n * 1_000_000_000n, 'donor');
  const token = env.createTokenAccount(mint, kp.publicKey, amount);
  return { kp, token };
}

/** `from` (a token holder) sends `amount` token units to any token account, e.g. a session vault. */
export function donateTokens(env: TestEnv, from: ReturnType<typeof tokenHolder>, to: PublicKey, amount: bigint): void {
  expectOk(env.send(createTransferInstruction(from.token, to, from.kp.publicKey, amount), [from.kp]), 'token donation');
}

/** The fee payer sends lamports to any address (also a PDA that does not exist yet). */
export function donateLamports(env: TestEnv, to: PublicKey, lamports: bigint): void {
  expectOk(env.send(SystemProgram.transfer({ fromPubkey: env.payer.publicKey, toPubkey: to, lamports }), []), 'lamport donation');
}

/** Sets a wallet's lamports (e.g. a provider that moved everything out of its wallet). */
export function setLamports(env: TestEnv, pk: PublicKey, lamports: bigint): void {
  const a = env.raw(pk);
  env.setRaw(pk, { lamports, data: a?.data ?? new Uint8Array(0), owner: a?.owner ?? SystemProgram.programId });
}
