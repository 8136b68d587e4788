// The hash-chain checks with node:crypto's native SHA-256, for servers: the same results as
// hashN/verifyTick in ../hashchain.ts (pure JS, for browsers) at several times the speed, so
// a wrong preimage sent to a daemon costs it little.
import * as crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
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

/** Hash chains checked on a worker thread, so long checks do not hold up a server's event loop. */
export interface HashWorker {
  /** hashNNode(value, n), computed on the worker. */
  hashN(value: Uint8Array, n: number | bigint): Promise<Uint8Array>;
  /** verifyTickNode, with the hashing on the worker. */
  verifyTick(lastProofHash: Uint8Array, lastTick: bigint | number, preimage: Uint8Array, tick: bigint | number): Promise<boolean>;
  close(): Promise<void>;
}

// Evaluated source (CommonJS), not a file: a bundled server (one .mjs) has no worker file to point at.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const step = typeof crypto.hash === 'function' ? (v) => crypto.hash('sha256', v, 'buffer') : (v) => crypto.createHash('sha256').update(v).digest();
parentPort.on('message', ({ id, value, n }) => {
  let v = Buffer.from(value);
  for (let i = 0; i < n; i++) v = step(v);
  parentPort.postMessage({ id, out: v });
});
`;

/** One worker thread (started on first use, restarted if it dies; unref'd: it never keeps a process alive). */
export function createHashWorker(): HashWorker {
  let worker: Worker | null = null;
  let next = 0;
  const pending = new Map<number, { resolve: (v: Uint8Array) => void; reject: (e: Error) => void }>();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker = null;
  };
  const get = (): Worker => {
    if (worker) return worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const p = pending.get(id);
      pending.delete(id);
      p?.resolve(new Uint8Array(out));
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`hash worker exited (${code})`));
    });
    worker = w;
    return w;
  };
  const hashN = (value: Uint8Array, n: number | bigint) => {
    const count = Number(n);
    if (!Number.isSafeInteger(count) || count < 0) return Promise.reject(new RangeError(`hashN: bad count ${String(n)}`));
    return new Promise<Uint8Array>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      get().postMessage({ id, value: Uint8Array.from(value), n: count });
    });
  };
  return {
    hashN,
    async verifyTick(lastProofHash, lastTick, preimage, tick) {
      const gap = BigInt(tick) - BigInt(lastTick);
      if (gap <= 0n || preimage.length !== 32 || lastProofHash.length !== 32) return false;
      return equalBytes(await hashN(preimage, gap), lastProofHash);
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
      failAll(new Error('hash worker closed'));
    },
  };
}
