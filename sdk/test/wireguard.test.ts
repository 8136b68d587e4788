// The WireGuard key generator (tweetnacl) agrees with Node crypto's X25519, and
// the config writer gives the file wg-quick reads.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWgKeypair, isValidInterfaceName, isValidWgKey, wgQuickConfig } from '../src/wireguard.js';

describe('generateWgKeypair', () => {
  it('derives the public key Node crypto (X25519) derives from the private key', () => {
    for (let i = 0; i < 5; i++) {
      const k = generateWgKeypair();
      const raw = Buffer.from(k.privateKey, 'base64');
      expect(raw.length).toBe(32);
      // PKCS#8 wrapping of a raw X25519 private key.
      const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
      const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
      expect(k.publicKey).toBe(Buffer.from(pub.subarray(-32)).toString('base64'));
      expect(raw[0] & 7).toBe(0);
      expect(raw[31] & 0xc0).toBe(0x40);
    }
  });
});

describe('wgQuickConfig', () => {
  it("writes the daemon's file without a private key, and the client's with it", () => {
    const w = {
      interface: { address: '10.8.0.2/32', dns: ['1.1.1.1'], mtu: 1420 },
      peer: { publicKey: 'A'.repeat(43) + '=', endpoint: '192.0.2.1:51820', allowedIps: ['0.0.0.0/0'], persistentKeepalive: 25 },
    };
    expect(wgQuickConfig(w)).toBe(
      `[Interface]\nAddress = 10.8.0.2/32\nDNS = 1.1.1.1\nMTU = 1420\n\n[Peer]\nPublicKey = ${'A'.repeat(43)}=\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 25\n`,
    );
    const { privateKey } = generateWgKeypair();
    expect(wgQuickConfig(w, privateKey)).toContain(`[Interface]\nPrivateKey = ${privateKey}\nAddress = 10.8.0.2/32`);
  });
});

describe('isValidWgKey / isValidInterfaceName', () => {
  it('accept what `wg` prints and a Linux interface name, nothing a shell or option parser could read', () => {
    const k = generateWgKeypair().publicKey;
    expect(isValidWgKey(k)).toBe(true);
    // 'B' sets the low bits the 32nd byte leaves zero: decodes, but is not the canonical text of any key.
    for (const bad of [`${k.slice(0, 42)}B=`, `${k} `, `-${k.slice(1)}`, k.slice(0, 43), 42]) expect(isValidWgKey(bad)).toBe(false);
    expect(isValidInterfaceName('dvpn0')).toBe(true);
    for (const bad of ['', '-x', 'a'.repeat(16), 'wg 0', 'wg;0']) expect(isValidInterfaceName(bad)).toBe(false);
  });
});
