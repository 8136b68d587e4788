// The node daemon's HTTP API from the page. A daemon is any provider's server: its answers are
// bounded in time and size, and nothing it says can make the page reveal more of a usage
// session's hash chain than one tick per interval.
import { parseEndpoint } from '@dvpn/sdk';

/** A daemon that has not answered by then is reported, not waited for (the button comes back). */
export const DAEMON_TIMEOUT_MS = 15_000;
/** Its answers are a few hundred bytes; a larger one is refused before it is parsed. */
export const DAEMON_MAX_BYTES = 64 * 1024;
/** The fastest tick rate the page accepts, whatever the daemon asks (not a number: 10 s). */
export const MIN_TICK_INTERVAL_SECONDS = 1;

export function daemonUrl(endpoint: string, node: string, urls?: Record<string, string>): string {
  if (urls?.[node]) return urls[node].replace(/\/$/, '');
  // The daemon serves its API over TCP on the WireGuard port number (daemon/README.md).
  parseEndpoint(endpoint); // the SDK's HOST:PORT rules (throws a clear error), as at registration
  return `http://${endpoint}`;
}

/** The body as JSON, refusing more than `max` bytes (counted while it streams in). */
async function boundedJson(res: Response, max: number): Promise<unknown> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) throw new Error(`the node's answer is too large (${declared} bytes)`);
  const reader = res.body?.getReader();
  if (!reader) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`the node's answer is too large (over ${max} bytes)`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  try {
    return JSON.parse(new TextDecoder().decode(all));
  } catch {
    return null;
  }
}

export interface DaemonLimits {
  timeoutMs?: number;
  maxBytes?: number;
}

/** GET (body undefined) or POST JSON to the daemon; its error envelope becomes the Error's message. */
export async function daemonCall<T>(url: string, body?: unknown, limits: DaemonLimits = {}): Promise<T> {
  const timeoutMs = limits.timeoutMs ?? DAEMON_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let json: { error?: { code?: unknown; message?: unknown } } | null;
  try {
    // No retry: an auth or tick request is not repeated behind the user's back.
    res = await fetch(url, body === undefined ? { signal } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    json = (await boundedJson(res, limits.maxBytes ?? DAEMON_MAX_BYTES)) as typeof json;
  } catch (e) {
    if (signal.aborted) throw new Error(`the node did not answer within ${timeoutMs / 1000} s`);
    throw e;
  }
  if (!res.ok) {
    const err = json?.error;
    throw new Error(err && typeof err.code === 'string' && typeof err.message === 'string' ? `${err.code}: ${err.message}`.slice(0, 300) : `the node answered HTTP ${res.status}`);
  }
  if (json === null || typeof json !== 'object') throw new Error('the node answered something that is not JSON');
  return json as T;
}

/** How often to pay a tick: the daemon's interval, but never faster than MIN_TICK_INTERVAL_SECONDS. */
export function tickIntervalMs(info: unknown): number {
  const asked = (info as { usage?: { tickIntervalSeconds?: unknown } } | null)?.usage?.tickIntervalSeconds;
  const s = typeof asked === 'number' && Number.isFinite(asked) ? asked : 10;
  return Math.min(Math.max(MIN_TICK_INTERVAL_SECONDS, s), 3600) * 1000;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Pays the next tick of a usage session (tick `paid + 1`, at most `length`) and returns the
 * tick now paid through. The page counts what it sent: the daemon's `paidTick` is a third
 * party's word, and taken at face value an answer of `length - 1` would make the next
 * payment reveal the chain's last preimage, which pays the whole escrow.
 */
export async function payNextTick(p: {
  paid: number;
  length: number;
  preimage(tick: number): Uint8Array;
  post(body: { tick: number; preimage: string }): Promise<unknown>;
}): Promise<number> {
  if (p.paid >= p.length) return p.paid;
  const tick = p.paid + 1;
  await p.post({ tick, preimage: hex(p.preimage(tick)) });
  return tick;
}

/**
 * The peer key in the daemon's answer must be the node's WireGuard key on chain. The daemon API
 * is plain HTTP by default (http://<endpoint>): anyone on the path could otherwise swap in their
 * own key and endpoint and receive the user's whole tunnel. With the chain's key, a swapped
 * endpoint cannot complete a handshake.
 */
export function checkPeerKey(peerKey: unknown, chainKey: Uint8Array | number[]): void {
  let s = '';
  for (const b of chainKey) s += String.fromCharCode(b);
  const expected = btoa(s);
  if (peerKey !== expected) {
    throw new Error(`the node's answer is refused: its WireGuard key ${JSON.stringify(peerKey)?.slice(0, 60)} is not the node's key on chain (${expected})`);
  }
}

/**
 * Whether the daemon's AllowedIPs send all of the user's IPv4 traffic through the tunnel. A node
 * may offer less (a split tunnel); the page says so rather than let the user assume a VPN.
 */
export function routesAllIpv4(allowedIps: string[]): boolean {
  const set = new Set(allowedIps.map((a) => a.trim()));
  // 0.0.0.0/0, or the two halves some configs use instead (more specific than a default route).
  return set.has('0.0.0.0/0') || (set.has('0.0.0.0/1') && set.has('128.0.0.0/1'));
}
