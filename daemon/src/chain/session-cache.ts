// The sessions the daemon has read from the chain, kept so that requests are
// answered from memory: the lifecycle poll refreshes every open session each
// round (one batched read it makes anyway), auth reads a session it does not
// hold only after the request's signature checked out, and concurrent reads
// of one address share one RPC call. Bounded: the entries read longest ago
// are dropped first.
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
  clock?: () => number;
}

export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();
  private readonly inflight = new Map<string, Promise<CachedSession>>();
  private readonly clock: () => number;
  hits = 0;
  reads = 0;

  constructor(
    private readonly chain: Pick<ChainClient, 'readSession'>,
    private readonly opts: SessionCacheOptions,
  ) {
    this.clock = opts.clock ?? (() => Date.now());
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
   * A fresh entry from memory, else one RPC read shared by concurrent callers. `reread`:
   * a held session is read again whatever its age (it may have been closed since); a held
   * absence is still used while fresh (negativeMaxAgeMs), so lookups of addresses that hold
   * no session stay cheap.
   */
  async get(address: PublicKey, opts: { reread?: boolean } = {}): Promise<CachedSession> {
    const key = address.toBase58();
    const entry = this.entries.get(key);
    if (this.fresh(entry) && !(opts.reread && entry.lookup.kind === 'session')) {
      this.hits++;
      return entry;
    }
    let read = this.inflight.get(key);
    if (!read) {
      this.reads++;
      read = this.chain
        .readSession(address)
        .then(({ now, session }) => this.put(key, session, now))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, read);
    }
    return read;
  }

  delete(address: string): void {
    this.entries.delete(address);
  }
}
