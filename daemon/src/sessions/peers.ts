// WireGuard peers of the daemon's sessions: which session holds which key and
// address (a key belongs to at most one session), adding and removing peers,
// and reconciling WireGuard with the records. Also the per-session lock that
// every peer change of a session runs under.
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { SessionRecord } from '../state/types.js';
import type { AddressPool } from '../wireguard/pool.js';
import type { WgDriver, WgDump } from '../wireguard/wg.js';

export interface PeersDeps {
  config: DaemonConfig;
  log: Logger;
  wg: WgDriver;
  store: StateStore;
  pool: AddressPool;
  metrics: Metrics;
}

export class Peers {
  private readonly locks = new Map<string, Promise<unknown>>();
  /**
   * WireGuard key -> the session holding it. A key belongs to at most one
   * session: an admission checks and sets this with no await in between.
   */
  private readonly keyOwner = new Map<string, string>();
  /**
   * Client address -> the session whose peer holds it, kept beside rec.peer at
   * every change, so that an admission does not scan every record for the
   * addresses in use (that scan was a visible share of each auth at 1,000 peers).
   */
  private readonly addressOwner = new Map<string, string>();
  /** Old keys of re-keys in progress: released, their removal not yet made. */
  private readonly leaving = new Set<string>();
  /** Keys WireGuard has: the last dump, plus peers added and minus peers removed since. */
  private present = new Set<string>();
  /**
   * Every peer add/remove this daemon makes gets the next number; a dump
   * remembers the number it was taken after, so reconciliation never "repairs"
   * a change made while the dump was being read (a re-key's old key is not a
   * stranger, a just-added key is not missing).
   */
  private peerMutation = 0;
  private readonly keyMutation = new Map<string, number>();
  private readonly dumpMutation = new WeakMap<WgDump, number>();
  /** Called after a session's peer was removed (the usage policy forgets its grace). */
  onRemoved: (session: string) => void = () => undefined;

  constructor(private readonly d: PeersDeps) {
    this.indexKeys();
  }

  private get log() {
    return this.d.log;
  }

  /**
   * Builds the key index from the state. Should two records hold one key
   * (a state written before keys were exclusive), the one admitted first
   * keeps it and the other loses its peer record (it may authenticate again).
   */
  private indexKeys(): void {
    const holders = [...this.d.store.sessions.values()].filter((r) => r.peer).sort((a, b) => a.peer!.addedAt - b.peer!.addedAt);
    for (const rec of holders) {
      const key = rec.peer!.publicKey;
      const owner = this.keyOwner.get(key);
      if (owner === undefined) {
        this.keyOwner.set(key, rec.session);
        this.addressOwner.set(rec.peer!.address, rec.session);
        continue;
      }
      this.log.warn({ session: rec.session, owner }, 'two sessions held one WireGuard key; the later one loses its peer');
      rec.peer = null;
      rec.servedSince = null;
      rec.peerRemoved = { at: Date.now(), reason: 'key_conflict', tick: rec.latestTick };
      this.d.store.put(rec);
    }
  }

  /** Runs `fn` after every earlier task on the same session. */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** The session holding a WireGuard key (undefined when none). */
  keyHolder(key: string): string | undefined {
    return this.keyOwner.get(key);
  }

  /** The session whose peer holds a client address (undefined when none). */
  addressHolder(address: string): string | undefined {
    return this.addressOwner.get(address);
  }

  /** Marks `key` and `address` as `session`'s (the caller checked that no other session holds them). */
  claim(key: string, address: string, session: string): void {
    this.keyOwner.set(key, session);
    this.addressOwner.set(address, session);
  }

  releaseKey(key: string, session: string): void {
    if (this.keyOwner.get(key) === session) this.keyOwner.delete(key);
  }

  releaseAddress(address: string, session: string): void {
    if (this.addressOwner.get(address) === session) this.addressOwner.delete(address);
  }

  /** Whether `key` is the old key of a re-key whose removal is under way. */
  isLeaving(key: string): boolean {
    return this.leaving.has(key);
  }

  /** An old key of a re-key in progress: released, but reconciliation must not remove it meanwhile. */
  markLeaving(key: string, leaving: boolean): void {
    if (leaving) this.leaving.add(key);
    else this.leaving.delete(key);
  }

  get peerCount(): number {
    let n = 0;
    for (const r of this.d.store.sessions.values()) if (r.peer) n++;
    return n;
  }

  private addressesInUse(except?: string): Set<string> {
    const used = new Set<string>();
    for (const r of this.d.store.sessions.values()) if (r.peer && r.session !== except) used.add(r.peer.address);
    return used;
  }

  get poolFree(): number {
    return this.d.pool.size - this.addressesInUse().size;
  }

  /** Records a peer change this daemon made (see peerMutation). */
  markPeer(key: string, present: boolean): void {
    this.keyMutation.set(key, ++this.peerMutation);
    if (present) this.present.add(key);
    else this.present.delete(key);
  }

  /** Whether WireGuard has the key (as of the last dump and the changes since). */
  isPresent(key: string): boolean {
    return this.present.has(key);
  }

  /** WireGuard's peers, remembering which of our own changes the dump may predate. */
  async readDump(): Promise<WgDump> {
    const before = this.peerMutation;
    const dump = await this.d.wg.dump();
    this.dumpMutation.set(dump, before);
    return dump;
  }

  /** Removes the session's peer — only if it is still `expectKey` (a re-auth meanwhile wins). */
  async removePeer(rec: SessionRecord, reason: string, owed?: bigint, expectKey = rec.peer?.publicKey): Promise<void> {
    return this.withLock(rec.session, async () => {
      if (!rec.peer || rec.peer.publicKey !== expectKey) return;
      const peer = rec.peer;
      try {
        await this.d.wg.removePeer(peer.publicKey);
        this.markPeer(peer.publicKey, false);
      } catch (err) {
        this.log.error({ err, session: rec.session }, 'wg peer removal failed; will retry');
        throw err;
      }
      rec.peer = null;
      this.releaseKey(peer.publicKey, rec.session);
      this.releaseAddress(peer.address, rec.session);
      rec.servedSince = null;
      rec.peerRemoved = { at: Date.now(), reason, tick: owed ?? rec.latestTick };
      this.onRemoved(rec.session);
      this.d.store.put(rec);
      await this.d.store.flush();
      this.d.metrics.peerRemovals.inc({ reason });
      this.log.info({ session: rec.session, peer: peer.publicKey, reason }, 'peer removed');
    });
  }

  /**
   * Puts WireGuard in line with the records (at start and after every metering
   * dump): peers of live sessions that WireGuard lacks are added back; pool
   * peers no session holds are removed (when configured). Each session is
   * fixed under its lock, so an auth or a removal in progress is never undone.
   * Returns how many missing peers could not be restored (WireGuard and the records disagree).
   */
  async reconcile(dump: WgDump): Promise<number> {
    let unrestored = 0;
    const since = this.dumpMutation.get(dump) ?? this.peerMutation;
    /** True when this daemon added or removed the key after the dump began: the dump is stale for it. */
    const changedSince = (key: string) => (this.keyMutation.get(key) ?? 0) > since;
    const present = new Set(dump.peers.map((p) => p.publicKey).filter((k) => !changedSince(k)));
    for (const [key, m] of this.keyMutation) {
      if (m <= since) this.keyMutation.delete(key); // reflected in this dump
      else if (this.present.has(key)) present.add(key);
    }
    this.present = present;
    for (const rec of this.d.store.sessions.values()) {
      if (!rec.peer || present.has(rec.peer.publicKey)) continue;
      await this.withLock(rec.session, async () => {
        const peer = rec.peer;
        if (!peer || this.present.has(peer.publicKey) || changedSince(peer.publicKey)) return;
        try {
          await this.d.wg.setPeer(peer.publicKey, peer.address);
          this.markPeer(peer.publicKey, true);
          rec.meterRx = 0n;
          rec.meterTx = 0n;
          this.d.store.put(rec);
          this.d.metrics.peerRepairs.inc({ action: 'restored' });
          this.log.warn({ session: rec.session, peer: peer.publicKey }, 'peer was missing from WireGuard; restored');
        } catch (err) {
          unrestored++;
          this.log.error({ err, session: rec.session }, 'could not restore peer');
        }
      });
    }
    if (this.d.config.wireguard.removeUnknownPeers) {
      for (const p of dump.peers) {
        if (this.keyOwner.has(p.publicKey) || this.leaving.has(p.publicKey) || changedSince(p.publicKey)) continue;
        const inPool = p.allowedIps.length > 0 && p.allowedIps.every((a) => this.d.pool.contains(a.split('/')[0]));
        if (!inPool) continue;
        try {
          await this.d.wg.removePeer(p.publicKey);
          this.markPeer(p.publicKey, false);
          this.d.metrics.peerRepairs.inc({ action: 'removed_stranger' });
          this.log.warn({ peer: p.publicKey }, 'removed a pool peer that no session holds');
        } catch (err) {
          this.log.error({ err, peer: p.publicKey }, 'could not remove an unknown peer');
        }
      }
    }
    await this.d.store.flush();
    return unrestored;
  }

  /** Peers of this daemon's sessions that WireGuard has (as of the last dump and the changes since). */
  get presentPeerCount(): number {
    let n = 0;
    for (const rec of this.d.store.sessions.values()) if (rec.peer && this.present.has(rec.peer.publicKey)) n++;
    return n;
  }
}
