// Usage-session hash chain: w_n = seed, w_i = sha256(w_{i+1}), root w_0 = sha256^n(seed).
// Tick i is paid by revealing w_i (sha256^i(w_i) == w_0). Pure JS sha256 so it runs in browsers
// (servers: hashNNode / verifyTickNode in @dvpn/sdk/node, native and faster).
import { sha256 } from '@noble/hashes/sha2';
import { randomBytes } from '@noble/hashes/utils';

export interface HashChain {
  /** n: the number of payable ticks (the session's max_ticks). */
  readonly length: number;
  /** w_n, the secret end of the chain. */
  readonly seed: Uint8Array;
  /** w_0 = sha256^length(seed), committed as hash_chain_root. */
  readonly root: Uint8Array;
  /** w_tick (0 <= tick <= length); revealing it pays ticks up to `tick`. */
  preimage(tick: number | bigint): Uint8Array;
}

export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** sha256 applied n times (n = 0 returns a copy). */
export function hashN(value: Uint8Array, n: number | bigint): Uint8Array {
  const count = Number(n);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`hashN: bad count ${String(n)}`);
  let v: Uint8Array = Uint8Array.from(value);
  for (let i = 0; i < count; i++) v = sha256(v);
  return v;
}

export function createHashChain(length: number, seed?: Uint8Array): HashChain {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`hash chain length must be >= 1, got ${length}`);
  if (seed && seed.length !== 32) throw new RangeError('hash chain seed must be 32 bytes');
  const w = seed ? Uint8Array.from(seed) : randomBytes(32);
  // Keep every `stride`-th w_i: O(sqrt n) memory, at most `stride` hashes per preimage().
  const stride = Math.max(1, Math.ceil(Math.sqrt(length)));
  const checkpoints = new Map<number, Uint8Array>();
  let v = w;
  for (let i = length; i >= 0; i--) {
    if (i % stride === 0 || i === length) checkpoints.set(i, v);
    if (i > 0) v = sha256(v);
  }
  const root = checkpoints.get(0)!;
  return {
    length,
    seed: Uint8Array.from(w),
    root: Uint8Array.from(root),
    preimage(tick) {
      const t = Number(tick);
      if (!Number.isSafeInteger(t) || t < 0 || t > length) throw new RangeError(`tick ${String(tick)} outside 0..${length}`);
      const above = Math.min(Math.ceil(t / stride) * stride, length);
      return hashN(checkpoints.get(above)!, above - t);
    },
  };
}

/** Constant-time equality of two byte strings. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * The program's usage-claim check: sha256^(tick - lastTick)(preimage) == lastProofHash,
 * with tick > lastTick. (The program also caps tick - lastTick at 512 per claim.)
 */
export function verifyTick(
  lastProofHash: Uint8Array,
  lastTick: bigint | number,
  preimage: Uint8Array,
  tick: bigint | number,
): boolean {
  const gap = BigInt(tick) - BigInt(lastTick);
  if (gap <= 0n || preimage.length !== 32 || lastProofHash.length !== 32) return false;
  return equalBytes(hashN(preimage, gap), lastProofHash);
}
