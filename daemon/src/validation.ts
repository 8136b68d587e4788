// Request schemas. Everything that reaches `wg`, the chain or the state
// passes one of these first.
import bs58 from 'bs58';
import { z } from 'zod';
import { isLowOrderWgKey, isValidWgKey } from './wireguard/keys.js';

function base58Bytes(s: string): Uint8Array | null {
  if (!/^[1-9A-HJ-NP-Za-km-z]+$/.test(s)) return null;
  try {
    return bs58.decode(s);
  } catch {
    return null;
  }
}

/** A Solana address: base58 of exactly 32 bytes. */
export const PubkeyString = z
  .string()
  .max(44)
  .refine((s) => base58Bytes(s)?.length === 32, 'must be a base58 public key (32 bytes)');

export const WgKeyString = z
  .string()
  .max(64)
  .refine(isValidWgKey, 'must be a WireGuard public key: 32 bytes in base64 (44 characters, as `wg pubkey` prints it)')
  // X25519 ignores bit 255, so a key with it set is another spelling of the key without it
  // (one key, two strings: two sessions could hold it). No `wg pubkey` output sets it.
  .refine((k) => !isValidWgKey(k) || (Buffer.from(k, 'base64')[31] & 0x80) === 0, 'has bit 255 set (the top bit of the last byte); X25519 ignores it: send the key as `wg pubkey` prints it')
  .refine(
    (k) => !isValidWgKey(k) || !isLowOrderWgKey(k),
    'is the all-zero key or a low-order X25519 point: no WireGuard handshake can succeed with it; use `wg genkey | wg pubkey`',
  );

/** A 64-byte ed25519 signature in base64, base58 or hex. */
export const SignatureString = z
  .string()
  .max(132)
  .transform((s, ctx) => {
    let bytes: Uint8Array | null = null;
    if (/^[0-9a-fA-F]{128}$/.test(s)) bytes = new Uint8Array(Buffer.from(s, 'hex'));
    else if (/^[A-Za-z0-9+/]{86}==$/.test(s)) bytes = new Uint8Array(Buffer.from(s, 'base64'));
    else bytes = base58Bytes(s);
    if (!bytes || bytes.length !== 64) {
      ctx.addIssue({ code: 'custom', message: 'must be a 64-byte ed25519 signature (base64, base58 or hex)' });
      return z.NEVER;
    }
    return bytes;
  });

const SafeUint = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,16}$/)]).transform(Number);

export const AuthRequest = z.strictObject({
  sessionPda: PubkeyString,
  /** The session's user (the wallet that signs): the signature is checked against it before any chain read. */
  user: PubkeyString,
  clientWgPubkey: WgKeyString,
  signature: SignatureString,
  /** Unix seconds, as signed in the auth message. */
  timestamp: SafeUint,
});
export type AuthRequest = z.infer<typeof AuthRequest>;

export const TickRequest = z.strictObject({
  tick: SafeUint.refine((n) => n >= 1, 'tick must be at least 1'),
  /** w_tick: 32 bytes as 64 hex characters (or base64). */
  preimage: z
    .string()
    .max(64)
    .transform((s, ctx) => {
      let bytes: Buffer | null = null;
      if (/^(0x)?[0-9a-fA-F]{64}$/.test(s)) bytes = Buffer.from(s.replace(/^0x/, ''), 'hex');
      else if (/^[A-Za-z0-9+/]{43}=$/.test(s)) bytes = Buffer.from(s, 'base64');
      if (!bytes || bytes.length !== 32) {
        ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as 64 hex characters' });
        return z.NEVER;
      }
      return new Uint8Array(bytes);
    }),
});
export type TickRequest = z.infer<typeof TickRequest>;
