// The hash-chain checks with node:crypto's native SHA-256, for servers: the same results as
// hashN/verifyTick in ../hashchain.ts (pure JS, for browsers) at several times the speed, so
// a wrong preimage sent to a daemon costs it little.
import * as crypto from 'node:crypto';
import { equalBytes } from '../hashchain.js';

/** sha256 applied n times (n = 0 returns a copy), natively. */
export function hashNNode(value: Uint8Array, n: number | bigint): Uint8Array {
  const count = Number(n);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`hashN: bad count ${String(n)}`);
  let v: Buffer = Buffer.from(value);
  // crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast as createHash here.
  if (typeof crypto.hash === 'function') for (let i = 0; i < count; i++) v = crypto.hash('sha256', v, 'buffer');
  else for (let i = 0; i < count; i++) v = crypto.createHash('sha256').update(v).digest();
  return new Uint8Array(v);
}

/** verifyTick (sha256^(tick - lastTick)(preimage) == lastProofHash, tick > lastTick), natively. */
export function verifyTickNode(lastProofHash: Uint8Array, lastTick: bigint | number, preimage: Uint8Array, tick: bigint | number): boolean {
  const gap = BigInt(tick) - BigInt(lastTick);
  if (gap <= 0n || preimage.length !== 32 || lastProofHash.length !== 32) return false;
  return equalBytes(hashNNode(preimage, gap), lastProofHash);
}
