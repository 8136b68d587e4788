// WireGuard keys and wg-quick configs, browser-safe (tweetnacl): the one
// generator and config writer for the web app, the CLI and the daemon.
import nacl from 'tweetnacl';
import { parseEndpoint } from './endpoint.js';

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

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address (the WHATWG URL parser knows the full IPv6 grammar). */
function isIp(text: string): 4 | 6 | null {
  if (IPV4.test(text)) return 4;
  if (/^[0-9A-Fa-f:.]+$/.test(text) && text.includes(':') && URL.canParse(`http://[${text}]/`)) return 6;
  return null;
}

/** ADDRESS or ADDRESS/PREFIX, the prefix within the family's bits. */
function isCidr(text: unknown, prefixRequired: boolean): boolean {
  if (typeof text !== 'string') return false;
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return false;
  const family = isIp(m[1]);
  if (family === null) return false;
  if (m[2] === undefined) return !prefixRequired;
  return Number(m[2]) <= (family === 4 ? 32 : 128);
}

const intIn = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Checks a node daemon's `wireguard` answer before any of it is written into a wg-quick
 * file. The daemon is a third party's server: a string carrying a newline (or any text
 * that is not an address, key or number) could add `PostUp = <command>` to the file,
 * which wg-quick runs as root on the user's machine. Throws an Error naming the field.
 */
export function checkWgClientConfig(c: unknown): WgClientConfig {
  const bad = (field: string, v: unknown): never => {
    throw new Error(`the node's WireGuard config is refused: ${field} ${JSON.stringify(v)?.slice(0, 80)} is not valid`);
  };
  const o = c as Partial<WgClientConfig> | null;
  if (!o || typeof o !== 'object' || !o.interface || typeof o.interface !== 'object' || !o.peer || typeof o.peer !== 'object') {
    throw new Error("the node's WireGuard config is refused: it lacks interface or peer");
  }
  const { interface: i, peer: p } = o;
  const address = i.address;
  if (typeof address !== 'string' || !address.split(',').map((a) => a.trim()).every((a) => isCidr(a, false))) bad('interface.address', address);
  if (!Array.isArray(i.dns) || i.dns.length > 8 || !i.dns.every((d) => typeof d === 'string' && isIp(d) !== null)) bad('interface.dns', i.dns);
  if (i.mtu !== undefined && i.mtu !== null && !intIn(i.mtu, 576, 65535)) bad('interface.mtu', i.mtu);
  if (!isValidWgKey(p.publicKey)) bad('peer.publicKey', p.publicKey);
  try {
    if (typeof p.endpoint !== 'string') throw new Error();
    parseEndpoint(p.endpoint);
  } catch {
    bad('peer.endpoint', p.endpoint);
  }
  if (!Array.isArray(p.allowedIps) || p.allowedIps.length < 1 || p.allowedIps.length > 64 || !p.allowedIps.every((a) => isCidr(a, true))) {
    bad('peer.allowedIps', p.allowedIps);
  }
  if (!intIn(p.persistentKeepalive, 0, 65535)) bad('peer.persistentKeepalive', p.persistentKeepalive);
  return o as WgClientConfig;
}

/**
 * A wg-quick file (also what the WireGuard mobile apps import, as a file or a QR code).
 * The daemon serves it without `privateKey` (it never sees the client's key); the
 * client writes it with its key (mode 0600). Every field is checked first
 * (checkWgClientConfig): nothing but addresses, keys and numbers reaches the file.
 */
export function wgQuickConfig(config: WgClientConfig, privateKey?: string): string {
  const c = checkWgClientConfig(config);
  if (privateKey !== undefined && !isValidWgKey(privateKey)) throw new Error('privateKey is not a WireGuard key');
  const lines = ['[Interface]'];
  if (privateKey) lines.push(`PrivateKey = ${privateKey}`);
  lines.push(`Address = ${c.interface.address}`);
  if (c.interface.dns.length > 0) lines.push(`DNS = ${c.interface.dns.join(', ')}`);
  if (c.interface.mtu) lines.push(`MTU = ${c.interface.mtu}`);
  lines.push('', '[Peer]', `PublicKey = ${c.peer.publicKey}`, `Endpoint = ${c.peer.endpoint}`, `AllowedIPs = ${c.peer.allowedIps.join(', ')}`);
  if (c.peer.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${c.peer.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}
