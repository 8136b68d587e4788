// Auth signature checks for Node.js servers: ed25519 through node:crypto
// (OpenSSL), about 15x cheaper than tweetnacl's pure-JS verify. The
// browser-safe `verifyAuthSignature` in ../auth.ts keeps tweetnacl.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { PublicKey } from '@solana/web3.js';

/** Parsed keys of recent signers (bounded: oldest dropped first). */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 4096;

/** The parsed key of `user`; a base58 address is decoded only when its key is not cached. */
function keyObject(user: PublicKey | string | Uint8Array): KeyObject | null {
  const id = typeof user === 'string' ? user : `b64:${Buffer.from(user instanceof Uint8Array ? user : user.toBytes()).toString('base64')}`;
  let key = keyCache.get(id);
  if (!key) {
    const bytes = user instanceof Uint8Array ? user : (typeof user === 'string' ? new PublicKey(user) : user).toBytes();
    if (bytes.length !== 32) return null;
    // As a JWK, not as DER: OpenSSL 3's DER decoders made the parse cost as much as the verify
    // itself (~10x the JWK import); the key is the same raw 32 bytes either way.
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') }, format: 'jwk' });
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, key);
  }
  return key;
}

/**
 * Same contract as the SDK's browser `verifyAuthSignature`: true only when
 * `signature` is the ed25519 signature of `message` by `userPubkey`.
 */
export function verifyAuthSignatureNode(
  message: string | Uint8Array,
  signature: Uint8Array,
  userPubkey: PublicKey | string | Uint8Array,
): boolean {
  try {
    if (signature.length !== 64) return false;
    const key = keyObject(userPubkey);
    if (!key) return false;
    const data = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
