import { Keypair, PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { authMessage, parseAuthMessage, signAuthMessage, verifyAuthSignature } from '../src/index.js';

const user = Keypair.fromSeed(Uint8Array.from({ length: 32 }, (_, i) => i));
const session = new PublicKey('BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD');
const wg = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

describe('auth message', () => {
  it('has the documented format', () => {
    expect(authMessage({ sessionPda: session, clientWgPubkey: wg, timestamp: 1_700_000_000 })).toBe(
      `dvpn-auth/v1|BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD|${wg}|1700000000`,
    );
    // raw 32-byte keys are written as base64, as wg(8) prints them
    const raw = Buffer.from(wg, 'base64');
    expect(authMessage({ sessionPda: session.toBase58(), clientWgPubkey: raw, timestamp: 5n })).toBe(
      `dvpn-auth/v1|${session.toBase58()}|${wg}|5`,
    );
  });

  it('parses back', () => {
    const m = authMessage({ sessionPda: session, clientWgPubkey: wg, timestamp: 42 });
    const parsed = parseAuthMessage(m);
    expect(parsed?.sessionPda.equals(session)).toBe(true);
    expect(parsed?.clientWgPubkey).toBe(wg);
    expect(parsed?.timestamp).toBe(42);
    expect(parseAuthMessage('dvpn-auth/v2|x|y|1')).toBeNull();
    expect(parseAuthMessage(`dvpn-auth/v1|${session.toBase58()}|${wg}`)).toBeNull();
  });

  it('signs and verifies; tampering fails', () => {
    const m = authMessage({ sessionPda: session, clientWgPubkey: wg, timestamp: 1_700_000_000 });
    const sig = signAuthMessage(m, user.secretKey);
    expect(sig.length).toBe(64);
    expect(verifyAuthSignature(m, sig, user.publicKey)).toBe(true);
    expect(verifyAuthSignature(m, sig, user.publicKey.toBase58())).toBe(true);

    expect(verifyAuthSignature(m.replace('1700000000', '1700000001'), sig, user.publicKey)).toBe(false);
    const badSig = sig.slice();
    badSig[10] ^= 0xff;
    expect(verifyAuthSignature(m, badSig, user.publicKey)).toBe(false);
    expect(verifyAuthSignature(m, sig, Keypair.generate().publicKey)).toBe(false);
    expect(verifyAuthSignature(m, sig.subarray(0, 63), user.publicKey)).toBe(false);
  });

  it('is deterministic ed25519 (RFC 8032), checked with node:crypto', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const m = 'dvpn-auth/v1|a|b|1';
    const sig = signAuthMessage(m, user.secretKey);
    expect(Buffer.from(signAuthMessage(m, user.secretKey)).equals(Buffer.from(sig))).toBe(true);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), user.publicKey.toBuffer()]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(m), key, sig)).toBe(true);
  });
});

describe('verifyAuthSignatureNode (node:crypto)', () => {
  it('agrees with the browser verifier on valid, tampered and malformed input', async () => {
    const { verifyAuthSignatureNode } = await import('../src/node/index.js');
    const { randomBytes } = await import('node:crypto');
    for (let i = 0; i < 50; i++) {
      const signer = Keypair.generate();
      const m = authMessage({ sessionPda: session, clientWgPubkey: wg, timestamp: 1_700_000_000 + i });
      const sig = signAuthMessage(m, signer.secretKey);
      const cases: Array<[string, Uint8Array, PublicKey | Uint8Array]> = [
        [m, sig, signer.publicKey],
        [`${m}0`, sig, signer.publicKey],
        [m, Uint8Array.from(sig, (b, j) => (j === i % 64 ? b ^ 1 : b)), signer.publicKey],
        [m, sig, Keypair.generate().publicKey],
        [m, randomBytes(64), signer.publicKey],
        [m, sig, new Uint8Array(32)],
        [m, sig.subarray(0, 63), signer.publicKey],
      ];
      for (const [msg, s, key] of cases) {
        const pk = key instanceof PublicKey ? key : new PublicKey(key);
        expect(verifyAuthSignatureNode(msg, s, key)).toBe(verifyAuthSignature(msg, s, pk));
      }
      expect(verifyAuthSignatureNode(m, sig, signer.publicKey.toBase58())).toBe(true);
    }
    expect(verifyAuthSignatureNode('x', new Uint8Array(64), 'not a key')).toBe(false);
  });
});

describe('authRequestBody', () => {
  it('is the daemon request: user, key, base64 signature over the auth message', async () => {
    const { authRequestBody } = await import('../src/index.js');
    const body = authRequestBody({ sessionPda: session, clientWgPubkey: wg, timestamp: 7 }, user);
    expect(body).toMatchObject({ sessionPda: session.toBase58(), user: user.publicKey.toBase58(), clientWgPubkey: wg, timestamp: 7 });
    const sig = new Uint8Array(Buffer.from(body.signature, 'base64'));
    expect(verifyAuthSignature(authMessage({ sessionPda: session, clientWgPubkey: wg, timestamp: 7 }), sig, user.publicKey)).toBe(true);
  });
});
