// Metering: WireGuard's per-peer byte counters folded into each session's
// totals, and journaled in batches (totals and baselines move together, so
// nothing is lost between writes).
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { WgDump } from '../wireguard/wg.js';
import type { Peers } from './peers.js';

export interface MeteringDeps {
  store: StateStore;
  metrics: Metrics;
  peers: Peers;
}

export class Metering {
  /** Sessions whose metered bytes changed since they were last journaled. */
  private readonly dirty = new Set<string>();
  private run: Promise<WgDump> | null = null;
  private next: Promise<WgDump> | null = null;

  constructor(private readonly d: MeteringDeps) {}

  /** Folds `wg show dump` counters into the session totals. */
  applyDump(dump: WgDump): void {
    const byKey = new Map(dump.peers.map((p) => [p.publicKey, p]));
    for (const rec of this.d.store.sessions.values()) {
      if (!rec.peer) continue;
      const p = byKey.get(rec.peer.publicKey);
      if (!p) continue;
      const drx = p.rxBytes >= rec.meterRx ? p.rxBytes - rec.meterRx : p.rxBytes; // counters reset: count from zero
      const dtx = p.txBytes >= rec.meterTx ? p.txBytes - rec.meterTx : p.txBytes;
      if (drx === 0n && dtx === 0n && p.rxBytes === rec.meterRx && p.txBytes === rec.meterTx) continue;
      rec.bytesRx += drx;
      rec.bytesTx += dtx;
      rec.meterRx = p.rxBytes;
      rec.meterTx = p.txBytes;
      // Totals and baselines move together, so a record written later (or never, before a
      // crash) still counts every byte from the WireGuard counters: no need to journal each poll.
      this.dirty.add(rec.session);
    }
  }

  /** Journals the records whose byte counters changed since the last call. */
  persist(): void {
    for (const session of this.dirty) {
      const rec = this.d.store.sessions.get(session);
      if (rec) this.d.store.put(rec);
    }
    this.dirty.clear();
  }

  /**
   * A metering dump begun after this call, shared by every caller that asks
   * while one is being read: a burst of re-keys costs two dumps, not one
   * `wg show dump` of every peer per re-key.
   */
  fresh(): Promise<WgDump> {
    if (!this.run) {
      this.run = this.once().finally(() => {
        this.run = null;
      });
      return this.run;
    }
    this.next ??= this.run
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.fresh();
      });
    return this.next;
  }

  async once(): Promise<WgDump> {
    const started = process.hrtime.bigint();
    const dump = await this.d.peers.readDump();
    this.applyDump(dump);
    this.d.metrics.meterDuration.observe({}, Number(process.hrtime.bigint() - started) / 1e9);
    return dump;
  }
}
