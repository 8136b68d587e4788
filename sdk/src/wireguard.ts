// WireGuard keys and wg-quick configs, browser-safe (tweetnacl): the one
// generator and config writer for the web app, the CLI and the daemon.
import nacl from 'tweetnacl';

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export interface WgKeypair {
  /** base64, as `wg genkey` prints it (clamped X25519 scalar). */
  privateKey: string;
  /** base64, as `wg pubkey` prints it. */
  publicKey: string;
}

/**
 * Canonical base64 of 32 bytes: 42 free chars, one char whose low 2 bits are 0,
 * one '=' pad. Nothing else matches, so a valid key has no spaces, quotes, '$',
 * ';', '|', '`', newlines or a leading '-' (it is never read as an option).
 */
const WG_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** A WireGuard key as `wg` prints it (exactly 32 bytes, canonical base64). */
export function isValidWgKey(key: unknown): key is string {
  return typeof key === 'string' && WG_KEY.test(key);
}

/** Linux interface names: 1..15 bytes; we allow a conservative character set. */
export function isValidInterfaceName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_=+.][A-Za-z0-9_=+.-]{0,14}$/.test(name);
}

/** A fresh X25519 keypair (what `wg genkey | wg pubkey` gives), from a CSPRNG. */
export function generateWgKeypair(random: (n: number) => Uint8Array = nacl.randomBytes): WgKeypair {
  const secret = random(32);
  // RFC 7748 clamping, as `wg genkey` does, so the file holds the key WireGuard uses.
  secret[0] &= 248;
  secret[31] &= 127;
  secret[31] |= 64;
  return { privateKey: b64(secret), publicKey: b64(nacl.scalarMult.base(secret)) };
}

/** The `wireguard` object of the daemon's POST /session/auth answer. */
export interface WgClientConfig {
  interface: { address: string; dns: string[]; mtu?: number };
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive: number };
}

/**
 * A wg-quick file (also what the WireGuard mobile apps import, as a file or a QR code).
 * The daemon serves it without `privateKey` (it never sees the client's key); the
 * client writes it with its key (mode 0600).
 */
export function wgQuickConfig(c: WgClientConfig, privateKey?: string): string {
  const lines = ['[Interface]'];
  if (privateKey) lines.push(`PrivateKey = ${privateKey}`);
  lines.push(`Address = ${c.interface.address}`);
  if (c.interface.dns.length > 0) lines.push(`DNS = ${c.interface.dns.join(', ')}`);
  if (c.interface.mtu) lines.push(`MTU = ${c.interface.mtu}`);
  lines.push('', '[Peer]', `PublicKey = ${c.peer.publicKey}`, `Endpoint = ${c.peer.endpoint}`, `AllowedIPs = ${c.peer.allowedIps.join(', ')}`);
  if (c.peer.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${c.peer.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}
