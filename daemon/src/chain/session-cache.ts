// The sessions the daemon has read from the chain, kept so that requests are
// answered from memory: the lifecycle poll refreshes every open session each
// round (one batched read it makes anyway), auth reads a session it does not
// hold only after the request's signature checked out. Reads are coalesced:
// every address asked for while earlier reads are on the wire waits for the
// next `getMultipleAccounts` (up to 99 sessions + the Clock in one RPC call),
// so a burst of new keys costs a few batched reads, not one RPC per key — and
// each read still starts after the request that asked for it arrived.
// Bounded: the entries read longest ago are dropped first.
import type { PublicKey } from '@solana/web3.js';
import type { ChainClient, SessionLookup } from './client.js';

export interface CachedSession {
  lookup: SessionLookup;
  /** The chain's clock (unix seconds) when it was read. */
  now: bigint;
  /** Wall clock (ms) of the read. */
  at: number;
}

export interface SessionCacheOptions {
  maxEntries: number;
  /** Entries older than this are read again before use. */
  maxAgeMs: number;
  /** Absent or foreign accounts are kept at most this long (a session just opened may not be visible yet). */
  negativeMaxAgeMs: number;
  /** Most addresses per batched read (getMultipleAccounts takes 100 accounts; one is the Clock). */
  maxBatch?: number;
  /** Batched reads on the wire at once; more requests wait for the next batch. */
  maxConcurrentReads?: number;
  clock?: () => number;
}

interface Queued {
  address: PublicKey | string;
  promise: Promise<CachedSession>;
  resolve: (entry: CachedSession) => void;
  reject: (err: unknown) => void;
}

export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();
  /** Reads on the wire (started: a later `reread` must not join them). */
  private readonly inflight = new Map<string, Promise<CachedSession>>();
  /** Addresses waiting for the next batched read (not started yet: anyone may join). */
  private readonly queue = new Map<string, Queued>();
  private readsOnWire = 0;
  private pumpArmed = false;
  private readonly clock: () => number;
  private readonly maxBatch: number;
  private readonly maxConcurrentReads: number;
  hits = 0;
  /** Addresses read from the chain on request (not counting the poll's reads). */
  reads = 0;
  /** RPC calls those reads took. */
  batches = 0;

  constructor(
    private readonly chain: Pick<ChainClient, 'readSessions'>,
    private readonly opts: SessionCacheOptions,
  ) {
    this.clock = opts.clock ?? (() => Date.now());
    this.maxBatch = Math.max(1, Math.min(99, opts.maxBatch ?? 99));
    this.maxConcurrentReads = Math.max(1, opts.maxConcurrentReads ?? 2);
  }

  get size(): number {
    return this.entries.size;
  }

  put(address: string, lookup: SessionLookup, now: bigint, at = this.clock()): CachedSession {
    const entry = { lookup, now, at };
    this.entries.delete(address);
    this.entries.set(address, entry);
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  putAll(sessions: Map<string, SessionLookup>, now: bigint): void {
    const at = this.clock();
    for (const [address, lookup] of sessions) this.put(address, lookup, now, at);
  }

  /** What is held, however old (no read). */
  peek(address: string): CachedSession | undefined {
    return this.entries.get(address);
  }

  private fresh(entry: CachedSession | undefined): entry is CachedSession {
    if (!entry) return false;
    const maxAge = entry.lookup.kind === 'session' ? this.opts.maxAgeMs : Math.min(this.opts.negativeMaxAgeMs, this.opts.maxAgeMs);
    return this.clock() - entry.at <= maxAge;
  }

  /** The chain clock now, estimated from the entry's read (seconds elapsed since added). */
  chainNow(entry: CachedSession): bigint {
    return entry.now + BigInt(Math.max(0, Math.floor((this.clock() - entry.at) / 1000)));
  }

  /**
   * A fresh entry from memory, else a chain read shared by concurrent callers. `reread`:
   * a held session is read again whatever its age (it may have been closed since), by a read
   * that starts after this call; a held absence is still used while fresh (negativeMaxAgeMs),
   * so lookups of addresses that hold no session stay cheap.
   */
  get(address: PublicKey | string, opts: { reread?: boolean } = {}): Promise<CachedSession> {
    const key = typeof address === 'string' ? address : address.toBase58();
    const entry = this.entries.get(key);
    if (this.fresh(entry) && !(opts.reread && entry.lookup.kind === 'session')) {
      this.hits++;
      return Promise.resolve(entry);
    }
    const started = this.inflight.get(key);
    if (started && !opts.reread) return started;
    const queued = this.queue.get(key);
    if (queued) return queued.promise;
    this.reads++;
    let resolve!: (entry: CachedSession) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<CachedSession>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.queue.set(key, { address, promise, resolve, reject });
    this.armPump();
    return promise;
  }

  /** Sends the queue at the end of this event-loop turn, so requests parsed in the same turn share a read. */
  private armPump(): void {
    if (this.pumpArmed) return;
    this.pumpArmed = true;
    setImmediate(() => {
      this.pumpArmed = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.size > 0 && this.readsOnWire < this.maxConcurrentReads) {
      const batch: Array<[string, Queued]> = [];
      for (const item of this.queue) {
        batch.push(item);
        this.queue.delete(item[0]);
        if (batch.length >= this.maxBatch) break;
      }
      this.readsOnWire++;
      this.batches++;
      for (const [key, q] of batch) this.inflight.set(key, q.promise);
      this.chain
        .readSessions(batch.map(([, q]) => q.address))
        .then(
          ({ now, sessions }) => {
            const at = this.clock();
            for (const [key, q] of batch) q.resolve(this.put(key, sessions.get(key) ?? { kind: 'missing' }, now, at));
          },
          (err) => {
            for (const [, q] of batch) q.reject(err);
          },
        )
        .finally(() => {
          for (const [key, q] of batch) if (this.inflight.get(key) === q.promise) this.inflight.delete(key);
          this.readsOnWire--;
          this.pump();
        });
    }
  }

  delete(address: string): void {
    this.entries.delete(address);
  }
}
