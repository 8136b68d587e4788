// WireGuard keys against fixed X25519 vectors (RFC 7748, section 6.1), so the
// key code is checked against the standard on every machine, not against
// itself when `wg` is not installed. Each implementation the project ships
// derives public keys the same way; when one moves (into sdk/), point its
// entry here at the new place.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { generateWgKeypair } from '../../sdk/src/wireguard.js';
import { isLowOrderWgKey, wgPublicKeyOf } from '../../daemon/src/wireguard/keys.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const b64 = (s: string) => Buffer.from(s, 'hex').toString('base64');

// RFC 7748 6.1: private keys are given unclamped; X25519 clamps them itself.
const ALICE = {
  secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
};
const BOB = {
  secret: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
};
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

/** Every way the project turns a private key into a public key (what `wg pubkey` does). */
const PUBLIC_KEY_OF: [string, (privateKeyBase64: string) => string][] = [
  ['daemon wgPublicKeyOf (node:crypto)', wgPublicKeyOf],
  ['sdk keypair primitive (tweetnacl scalarMult.base)', (k) =>
    Buffer.from(nacl.scalarMult.base(Uint8Array.from(Buffer.from(k, 'base64')))).toString('base64')],
];

describe('X25519 (RFC 7748 vectors)', () => {
  it.each(PUBLIC_KEY_OF)('%s gives the RFC public keys', (_, publicKeyOf) => {
    expect(publicKeyOf(b64(ALICE.secret))).toBe(b64(ALICE.public));
    expect(publicKeyOf(b64(BOB.secret))).toBe(b64(BOB.public));
  });

  it('both sides of the RFC exchange reach the RFC shared secret', () => {
    expect(Buffer.from(nacl.scalarMult(hex(ALICE.secret), hex(BOB.public))).toString('hex')).toBe(SHARED);
    expect(Buffer.from(nacl.scalarMult(hex(BOB.secret), hex(ALICE.public))).toString('hex')).toBe(SHARED);
  });

  // The SDK's generator is the only one (CLI, daemon and web app all use it).
  it.each([['sdk', generateWgKeypair]])('%s generates clamped private keys whose public key is the standard one', (_, generate) => {
    for (let i = 0; i < 8; i++) {
      const k = generate();
      const secret = Buffer.from(k.privateKey, 'base64');
      // Clamped as `wg genkey` does: low 3 bits clear, bit 255 clear, bit 254 set.
      expect(secret[0] & 7).toBe(0);
      expect(secret[31] & 0xc0).toBe(0x40);
      for (const [, publicKeyOf] of PUBLIC_KEY_OF) expect(publicKeyOf(k.privateKey)).toBe(k.publicKey);
    }
  });

  it('a low-order point is refused as a peer key, an RFC public key is not', () => {
    expect(isLowOrderWgKey(new Uint8Array(32))).toBe(true);
    expect(isLowOrderWgKey(hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'))).toBe(true);
    expect(isLowOrderWgKey(hex(ALICE.public))).toBe(false);
  });
});
