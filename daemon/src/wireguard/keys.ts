// WireGuard argument validation: everything handed to `wg` / `ip` passes one
// of these first. Keys are exactly 32 bytes in canonical base64 (44 chars,
// one '=' pad), which leaves no room for spaces, quotes, '$', ';', '|', '`',
// newlines or a leading '-' (so a key can never be read as an option).
import { isIPv4 } from 'node:net';
import nacl from 'tweetnacl';

/** Canonical base64 of 32 bytes: 42 free chars, one char whose low 2 bits are 0, '='. */
const WG_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function isValidWgKey(key: unknown): key is string {
  if (typeof key !== 'string' || !WG_KEY.test(key)) return false;
  const bytes = Buffer.from(key, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === key;
}

export function assertWgKey(key: unknown, what = 'WireGuard key'): string {
  if (!isValidWgKey(key)) throw new TypeError(`${what} must be 32 bytes in base64 (44 characters)`);
  return key;
}

/** Linux interface names: 1..15 bytes; we allow a conservative character set. */
export function isValidInterfaceName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_=+.][A-Za-z0-9_=+.-]{0,14}$/.test(name);
}

export function assertInterfaceName(name: unknown): string {
  if (!isValidInterfaceName(name)) throw new TypeError(`invalid interface name: ${JSON.stringify(name)}`);
  return name;
}

export function assertIpv4(ip: unknown): string {
  if (typeof ip !== 'string' || !isIPv4(ip)) throw new TypeError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
  return ip;
}

export function assertPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`invalid port: ${JSON.stringify(port)}`);
  }
  return port;
}

export const wgKeyToBytes = (key: string): Uint8Array => new Uint8Array(Buffer.from(assertWgKey(key), 'base64'));
export const wgKeyFromBytes = (bytes: Uint8Array): string => {
  if (bytes.length !== 32) throw new RangeError('a WireGuard key is 32 bytes');
  return Buffer.from(bytes).toString('base64');
};

/** X25519 keypair in WireGuard's format (the private key clamped as `wg genkey` does). */
export function generateWgKeypair(): { privateKey: string; publicKey: string } {
  const secret = nacl.randomBytes(32);
  secret[0] &= 248;
  secret[31] = (secret[31] & 127) | 64;
  return { privateKey: wgKeyFromBytes(secret), publicKey: wgKeyFromBytes(nacl.scalarMult.base(secret)) };
}

/** The public key of a base64 private key (what `wg pubkey` prints). */
export function wgPublicKeyOf(privateKey: string): string {
  return wgKeyFromBytes(nacl.scalarMult.base(wgKeyToBytes(privateKey)));
}
