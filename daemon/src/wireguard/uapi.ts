// WireGuard's cross-platform userspace API (the UAPI socket wireguard-go opens
// at /var/run/wireguard/<iface>.sock; `wg` itself talks to it the same way).
// Talking to the socket directly spares a `wg` process per batch of peer
// changes and per metering dump: under an auth burst the spawns, not
// WireGuard, were the cost. Kernel WireGuard has no such socket (netlink):
// there the driver keeps running `wg`.
// Protocol: https://www.wireguard.com/xplatform/ — one request of `key=value`
// lines ended by an empty line; the answer ends with `errno=N` and an empty line.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { assertInterfaceName, assertIpv4, assertWgKey, wgPublicKeyOf } from './keys.js';
import type { WgDump, WgPeerStats } from './wg.js';

export const UAPI_DIR = '/var/run/wireguard';

export class UapiError extends Error {
  constructor(
    readonly op: 'get' | 'set',
    readonly errno: number | null,
    detail: string,
  ) {
    super(`WireGuard UAPI ${op} failed${errno !== null ? ` (errno ${errno})` : ''}: ${detail}`);
    this.name = 'UapiError';
  }
}

/** The UAPI socket of an interface, or null when it has none (kernel WireGuard, or no such interface). */
export function uapiSocketPath(iface: string, dir = UAPI_DIR): string | null {
  const path = join(dir, `${assertInterfaceName(iface)}.sock`);
  return existsSync(path) ? path : null;
}

const b64ToHex = (key: string) => Buffer.from(assertWgKey(key), 'base64').toString('hex');
const hexToB64Raw = (hex: string) => {
  // Buffer.from stops at the first character that is not hex: a short result is a malformed key.
  const bytes = Buffer.from(hex, 'hex');
  if (hex.length !== 64 || bytes.length !== 32) throw new UapiError('get', null, 'malformed key in the answer');
  return bytes.toString('base64');
};

/**
 * Peer keys of the previous dump, hex -> base64: a dump of 1,000 peers (every poll, and
 * before each re-key) converted every key again, a visible share of the daemon's CPU.
 * Each parse keeps only the keys it saw, so this holds at most one dump's peers.
 */
let knownKeys = new Map<string, string>();

/** The interface's public key from its private key, remembered (every dump carries the same one). */
let lastKey: { privateKey: string; publicKey: string } | null = null;
function publicKeyOf(privateKey: string): string {
  if (lastKey?.privateKey !== privateKey) lastKey = { privateKey, publicKey: wgPublicKeyOf(privateKey) };
  return lastKey.publicKey;
}

/** One peer change, validated: the same two `wg set` does (`allowed-ips <ip>/32` replaces, `remove`). */
export type PeerChange = { publicKey: string; address: string } | { publicKey: string; remove: true };

/** The `set=1` request for these changes, in order (every value validated first). */
export function uapiSetRequest(changes: readonly PeerChange[]): string {
  let req = 'set=1\n';
  for (const c of changes) {
    req += `public_key=${b64ToHex(c.publicKey)}\n`;
    if ('remove' in c) req += 'remove=true\n';
    else req += `replace_allowed_ips=true\nallowed_ip=${assertIpv4(c.address)}/32\n`;
  }
  return `${req}\n`;
}

/** Parses a `get=1` answer (without its errno line) into what `wg show dump` gives. */
export function parseUapiGet(text: string): WgDump {
  let privateKey: string | null = null;
  let listenPort = 0;
  const peers: WgPeerStats[] = [];
  let peer: WgPeerStats | null = null;
  const seen = new Map<string, string>();
  const hexToB64 = (hex: string) => {
    const b64 = knownKeys.get(hex) ?? hexToB64Raw(hex);
    seen.set(hex, b64);
    return b64;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UapiError('get', null, `malformed line ${JSON.stringify(line.slice(0, 40))}`);
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'public_key') {
      peer = { publicKey: hexToB64(v), endpoint: null, allowedIps: [], latestHandshake: 0, rxBytes: 0n, txBytes: 0n };
      peers.push(peer);
    } else if (!peer) {
      if (k === 'private_key') privateKey = hexToB64Raw(v);
      else if (k === 'listen_port') listenPort = Number(v) || 0;
    } else if (k === 'endpoint') peer.endpoint = v;
    else if (k === 'allowed_ip') peer.allowedIps.push(v);
    else if (k === 'last_handshake_time_sec') peer.latestHandshake = Number(v) || 0;
    else if (k === 'rx_bytes') peer.rxBytes = /^\d+$/.test(v) ? BigInt(v) : 0n;
    else if (k === 'tx_bytes') peer.txBytes = /^\d+$/.test(v) ? BigInt(v) : 0n;
  }
  knownKeys = seen;
  // `wg show dump` prints "(none)" for an interface without a key; keep its shape.
  const publicKey = privateKey && privateKey !== Buffer.alloc(32).toString('base64') ? publicKeyOf(privateKey) : '(none)';
  return { publicKey, listenPort, peers };
}

/** Sends one request on a fresh connection; resolves with the answer minus its `errno=0` line. */
export function uapiRequest(path: string, op: 'get' | 'set', request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err: Error | null, text?: string) => {
      if (done) return;
      done = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    sock.setTimeout(timeoutMs, () => finish(new UapiError(op, null, `no answer within ${timeoutMs} ms`)));
    sock.on('error', (err) => finish(new UapiError(op, null, err.message)));
    let size = 0;
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      // The answer ends with "errno=N\n\n" (a get's body lines come first). Join the chunks
      // only once an empty line has come, and match the last line only (a dump of 1,000 peers
      // is ~250 kB: scanning all of it on every chunk was a visible cost).
      const end = (c.length >= 2 ? c.subarray(-2) : Buffer.concat(chunks.slice(-2)).subarray(-2)).toString('latin1');
      if (end !== '\n\n') return;
      const text = Buffer.concat(chunks, size).toString('utf8');
      const lastLine = text.lastIndexOf('\n', text.length - 3) + 1;
      const m = /^errno=(-?\d+)\n\n$/.exec(text.slice(lastLine));
      if (!m) return;
      const errno = Number(m[1]);
      if (errno !== 0) finish(new UapiError(op, errno, op === 'set' ? 'the interface refused the peer changes' : 'the interface refused the read'));
      else finish(null, text.slice(0, lastLine));
    });
    sock.on('end', () => finish(new UapiError(op, null, 'connection closed before the answer ended')));
    sock.write(request);
  });
}
