// WireGuard argument validation: everything handed to `wg` / `ip` passes one
// of these first. Keys are exactly 32 bytes in canonical base64 (44 chars,
// one '=' pad), which leaves no room for spaces, quotes, '$', ';', '|', '`',
// newlines or a leading '-' (so a key can never be read as an option).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIPv4 } from 'node:net';

// Key and interface-name checks are the SDK's (the CLI checks the same way).
import { isValidInterfaceName, isValidWgKey } from '@dvpn/sdk';
export { isValidInterfaceName, isValidWgKey };

export function assertWgKey(key: unknown, what = 'WireGuard key'): string {
  if (!isValidWgKey(key)) throw new TypeError(`${what} must be 32 bytes in base64 (44 characters)`);
  return key;
}

const P = 2n ** 255n - 19n;
/**
 * The X25519 points of small order (libsodium's list, as u-coordinates mod p):
 * 0, 1, p-1 and the two points of order 8. A peer key equal to one of these
 * (in any encoding: the top bit is ignored and values >= p wrap) gives an
 * all-zero shared secret, so no handshake with it can ever succeed.
 */
const LOW_ORDER_U = new Set<bigint>([
  0n,
  1n,
  P - 1n,
  BigInt('0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0'),
  BigInt('0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5f'),
]);

/** The u-coordinate an X25519 public key stands for (RFC 7748 decoding: top bit masked, reduced mod p). */
export function x25519U(bytes: Uint8Array): bigint {
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i]);
  return u % P;
}

/** True for the all-zero key and every other low-order X25519 point (never a usable peer). */
export function isLowOrderWgKey(key: string | Uint8Array): boolean {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key;
  return bytes.length === 32 && LOW_ORDER_U.has(x25519U(bytes));
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

/** DER PKCS#8 header of an X25519 private key (RFC 8410); the 32 key bytes follow. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function x25519Public(secret: Uint8Array): Uint8Array {
  const priv = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return new Uint8Array(createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(-32));
}

// The one key generator is the SDK's (the CLI and the web app use it too).
export { generateWgKeypair } from '@dvpn/sdk';

/** The public key of a base64 private key (what `wg pubkey` prints). */
export function wgPublicKeyOf(privateKey: string): string {
  return wgKeyFromBytes(x25519Public(wgKeyToBytes(privateKey)));
}
