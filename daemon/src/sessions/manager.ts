// Sessions admitted by this daemon, one part per concern: peers (keys,
// addresses, WireGuard, reconciliation), metering, the usage payment policy,
// authentication, ticks. What ties them is here: the records, and what the
// chain says about a session (an end on chain takes its peer away). The HTTP
// answers are shaped in routes/.
import type { Logger } from 'pino';
import type { SessionLookup } from '../chain/client.js';
import type { SessionCache } from '../chain/session-cache.js';
import type { DaemonConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { SessionRecord } from '../state/types.js';
import type { AddressPool } from '../wireguard/pool.js';
import type { WgDriver } from '../wireguard/wg.js';
import { Authenticator } from './auth.js';
import { Metering } from './metering.js';
import type { NodeState } from './node.js';
import { Peers } from './peers.js';
import { endReasonOf } from './records.js';
import { Ticks } from './ticks.js';
import { UsagePolicy } from './usage.js';

export { endReasonOf, newRecord } from './records.js';

export interface ManagerDeps {
  config: DaemonConfig;
  log: Logger;
  cache: SessionCache;
  wg: WgDriver;
  store: StateStore;
  pool: AddressPool;
  metrics: Metrics;
  node: NodeState;
}

export class SessionManager {
  readonly peers: Peers;
  readonly metering: Metering;
  readonly usage: UsagePolicy;
  readonly auth: Authenticator;
  readonly ticks: Ticks;

  constructor(private readonly d: ManagerDeps) {
    const { config, log, cache, wg, store, pool, metrics, node } = d;
    this.peers = new Peers({ config, log, wg, store, pool, metrics });
    this.metering = new Metering({ store, metrics, peers: this.peers });
    this.usage = new UsagePolicy({ config, log, peers: this.peers });
    this.auth = new Authenticator({ config, log, cache, wg, store, pool, metrics, node, peers: this.peers, metering: this.metering, usage: this.usage });
    this.ticks = new Ticks({ config, log, store, metrics, usage: this.usage });
  }

  records(): SessionRecord[] {
    return [...this.d.store.sessions.values()];
  }

  /**
   * Applies what the chain says about a session: ends it (and removes its
   * peer) when it is no longer Active or has expired; marks it settled when
   * its account is gone.
   */
  async applyChain(rec: SessionRecord, lookup: SessionLookup, now: bigint): Promise<void> {
    const reason = endReasonOf(lookup, now);
    if (lookup.kind === 'session' && lookup.account.lastTick > rec.chainTick) {
      rec.chainTick = lookup.account.lastTick;
      this.d.store.put(rec);
    }
    if (!reason) return;
    if (rec.peer) await this.peers.removePeer(rec, reason);
    if (rec.phase === 'active') {
      rec.phase = 'ended';
      rec.endReason = reason;
      this.d.store.put(rec);
      this.d.log.info({ session: rec.session, reason }, 'session ended');
    }
    if (lookup.kind === 'missing' && rec.phase !== 'settled' && !rec.pending) {
      rec.phase = 'settled';
      rec.settledAt = Date.now();
      this.d.store.put(rec);
      this.d.log.info({ session: rec.session }, 'session settled (account closed)');
    }
  }

  /** Stops the hash worker. */
  async close(): Promise<void> {
    await this.ticks.close();
  }
}
