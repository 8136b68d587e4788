// Session auth for the node daemon: the user signs
// `dvpn-auth/v1|<sessionPda>|<clientWgPubkey>|<timestamp>` with the wallet that opened the session.
import { PublicKey } from '@solana/web3.js';
import nacl from 'tweetnacl';

export const AUTH_PREFIX = 'dvpn-auth/v1';

export interface AuthMessageFields {
  sessionPda: PublicKey | string;
  /** The client's WireGuard public key, base64 (as `wg` prints it) or 32 raw bytes. */
  clientWgPubkey: string | Uint8Array;
  /** Unix seconds. */
  timestamp: number | bigint;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function authMessage({ sessionPda, clientWgPubkey, timestamp }: AuthMessageFields): string {
  const session = typeof sessionPda === 'string' ? new PublicKey(sessionPda).toBase58() : sessionPda.toBase58();
  const wg = typeof clientWgPubkey === 'string' ? clientWgPubkey : base64(clientWgPubkey);
  if (wg.includes('|')) throw new Error('clientWgPubkey must not contain "|"');
  return `${AUTH_PREFIX}|${session}|${wg}|${BigInt(timestamp).toString()}`;
}

/** Splits an auth message back into its fields; null when it is not one. */
export function parseAuthMessage(message: string): { sessionPda: PublicKey; clientWgPubkey: string; timestamp: number } | null {
  const parts = message.split('|');
  if (parts.length !== 4 || parts[0] !== AUTH_PREFIX || !/^\d+$/.test(parts[3])) return null;
  try {
    return { sessionPda: new PublicKey(parts[1]), clientWgPubkey: parts[2], timestamp: Number(parts[3]) };
  } catch {
    return null;
  }
}

const messageBytes = (m: string | Uint8Array) => (typeof m === 'string' ? new TextEncoder().encode(m) : m);

/** Ed25519 detached signature with a 64-byte secret key (Keypair.secretKey). */
export function signAuthMessage(message: string | Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 64) throw new RangeError('secretKey must be the 64-byte ed25519 secret key');
  return nacl.sign.detached(messageBytes(message), secretKey);
}

export function verifyAuthSignature(
  message: string | Uint8Array,
  signature: Uint8Array,
  userPubkey: PublicKey | string,
): boolean {
  try {
    const key = typeof userPubkey === 'string' ? new PublicKey(userPubkey) : userPubkey;
    if (signature.length !== 64) return false;
    return nacl.sign.detached.verify(messageBytes(message), signature, key.toBytes());
  } catch {
    return false;
  }
}

/** The body of the node daemon's `POST /session/auth`. */
export interface AuthRequestBody {
  sessionPda: string;
  /** The wallet that signs (the session's user): the daemon checks the signature against it before reading the chain. */
  user: string;
  clientWgPubkey: string;
  /** base64 of the 64-byte ed25519 signature over `authMessage`. */
  signature: string;
  timestamp: number;
}

/** A signed auth request for the daemon, by the session user's keypair. */
export function authRequestBody(
  fields: AuthMessageFields,
  signer: { publicKey: PublicKey; secretKey: Uint8Array },
): AuthRequestBody {
  const message = authMessage(fields);
  const [, sessionPda, clientWgPubkey] = message.split('|');
  return {
    sessionPda,
    user: signer.publicKey.toBase58(),
    clientWgPubkey,
    signature: base64(signAuthMessage(message, signer.secretKey)),
    timestamp: Number(fields.timestamp),
  };
}
