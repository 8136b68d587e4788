// The settlement helpers the CLI, the daemon and the app share.
import { Keypair, PublicKey } from '@solana/web3.js';
import { getAssociatedTokenAddressSync } from '@solana/spl-token';
import { describe, expect, it } from 'vitest';
import { disputeDeadline, findConfigPda, findSessionVaultPda, settleDeadline, splSettleAccounts } from '../src/index.js';

describe('settle deadlines', () => {
  it('run from close (else end) plus the session settle window, and from the dispute plus its window', () => {
    expect(settleDeadline({ closedAt: 0n, endTs: 1_000n, settleWindowSeconds: 60n })).toBe(1_060n);
    expect(settleDeadline({ closedAt: 500n, endTs: 1_000n, settleWindowSeconds: 60n })).toBe(560n);
    expect(disputeDeadline({ disputeTs: 700n, disputeWindowSeconds: 30n })).toBe(730n);
  });
});

describe('splSettleAccounts', () => {
  const [user, authority, mint] = [Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey];
  const session = Keypair.generate().publicKey;
  // A PDA treasury: its token account is off curve, which the ATA lookup must allow.
  const treasury = findConfigPda()[0];
  const ata = (owner: PublicKey) => getAssociatedTokenAddressSync(mint, owner, true);

  it('names the associated token accounts and derives the vault when the session has none stored', () => {
    const spl = splSettleAccounts({ session, mint, user, providerAuthority: authority, treasury, vault: PublicKey.default });
    expect(spl.vault.equals(findSessionVaultPda(session)[0])).toBe(true);
    expect(spl.userToken.equals(ata(user))).toBe(true);
    expect(spl.providerToken.equals(ata(authority))).toBe(true);
    expect(spl.treasuryToken.equals(ata(treasury))).toBe(true);
  });

  it("keeps the session's stored vault", () => {
    const vault = Keypair.generate().publicKey;
    expect(splSettleAccounts({ session, mint, user, providerAuthority: authority, treasury, vault }).vault.equals(vault)).toBe(true);
  });
});
