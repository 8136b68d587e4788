// The loop that keeps sessions honest, every pollIntervalMs: meter the
// peers (`wg show dump`), read every open session and the Clock from the
// chain in one batch, end what ended (peer removed), cut usage sessions that
// stopped paying, and hand due claims to the claimer.
import type { Logger } from 'pino';
import type { ChainClient } from '../chain/client.js';
import type { SessionCache } from '../chain/session-cache.js';
import type { DaemonConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { WgDriver } from '../wireguard/wg.js';
import type { Claimer } from './claimer.js';
import type { SessionManager } from './manager.js';
import type { NodeState } from './node.js';

export interface LifecycleDeps {
  config: DaemonConfig;
  log: Logger;
  chain: ChainClient;
  cache: SessionCache;
  wg: WgDriver;
  store: StateStore;
  metrics: Metrics;
  manager: SessionManager;
  claimer: Claimer;
  node: NodeState;
}

export class Lifecycle {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private polls = 0;
  private meterPersistedAt = Date.now();
  lastPollAt: number | null = null;
  lastPollOk = false;
  /** The last poll could not restore a peer WireGuard lost (/healthz `peers_out_of_sync`). */
  peersOutOfSync = false;
  /** The last poll's stages (meter, chain, state) all succeeded. */
  lastPollStagesOk = false;
  /** Read the authority's balance at the next poll (a claim failed for lack of SOL). */
  refreshBalance = false;

  constructor(private readonly d: LifecycleDeps) {}

  /** Restores peers from the state, then polls until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    const dump = await this.d.manager.peers.readDump();
    this.d.manager.metering.applyDump(dump);
    await this.d.manager.peers.reconcile(dump);
    await this.pollOnce();
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce().finally(() => this.arm());
    }, this.d.config.lifecycle.pollIntervalMs);
  }

  /** One poll; concurrent callers share the one in progress. */
  pollOnce(): Promise<void> {
    if (!this.running) {
      this.running = this.poll().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async poll(): Promise<void> {
    const { manager, chain, store, metrics, log, claimer, node } = this.d;
    this.polls++;
    let ok = true;
    let outOfSync = false;
    try {
      const dump = await manager.metering.once();
      if ((await manager.peers.reconcile(dump)) > 0) {
        outOfSync = true;
        metrics.pollErrors.inc({ stage: 'restore' });
      }
    } catch (err) {
      ok = false;
      metrics.pollErrors.inc({ stage: 'meter' });
      log.warn({ err }, 'metering failed');
    }
    const open = manager.records().filter((r) => r.phase !== 'settled');
    try {
      const { now, sessions } = await chain.readSessions(open.map((r) => r.session));
      this.d.cache.putAll(sessions, now);
      for (const rec of open) {
        const lookup = sessions.get(rec.session);
        if (!lookup) continue;
        try {
          await manager.applyChain(rec, lookup, now);
          await manager.usage.enforce(rec);
        } catch (err) {
          ok = false;
          metrics.pollErrors.inc({ stage: 'session' });
          log.warn({ err, session: rec.session }, 'session upkeep failed');
        }
        if (!this.stopped) claimer.schedule(rec, lookup, now);
      }
      const lowBalance = node.authorityLamports !== null && node.authorityLamports < this.d.config.claims.minAuthorityLamports;
      if (this.polls % 10 === 1 || this.refreshBalance || lowBalance) {
        if (this.polls % 10 === 1) {
          const account = await chain.node(node.address);
          if (account) {
            node.account = account;
            node.refreshedAt = Date.now();
          }
        }
        this.refreshBalance = false;
        node.authorityLamports = await chain.connection.getBalance(chain.authority.publicKey, this.d.config.chain.commitment);
        if (node.authorityLamports < this.d.config.claims.minAuthorityLamports && !lowBalance) {
          log.error(
            { authority: chain.authority.publicKey.toBase58(), lamports: node.authorityLamports },
            'the provider authority has too little SOL to pay claim fees; claims cannot land until it is funded',
          );
        }
      }
    } catch (err) {
      ok = false;
      metrics.pollErrors.inc({ stage: 'chain' });
      log.warn({ err }, 'chain refresh failed');
    }
    if (this.polls % 20 === 0) store.pruneReplay();
    if (Date.now() - this.meterPersistedAt >= this.d.config.lifecycle.meterPersistSeconds * 1000) {
      manager.metering.persist();
      this.meterPersistedAt = Date.now();
    }
    try {
      await store.flush();
    } catch (err) {
      ok = false;
      metrics.pollErrors.inc({ stage: 'state' });
      log.error({ err }, 'state flush failed');
    }
    this.lastPollAt = Date.now();
    this.lastPollOk = ok && !outOfSync;
    this.peersOutOfSync = outOfSync;
    this.lastPollStagesOk = ok;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    this.d.manager.metering.persist();
  }
}
