// One object holding the daemon's parts: state store, chain client,
// WireGuard driver, address pool, node, sessions, claimer, lifecycle loop and
// metrics. Built in dependency order by create(), shut down in reverse by
// destroy().
import { readFileSync, statfsSync } from 'node:fs';
import { PublicKey, type Keypair } from '@solana/web3.js';
import { findNodePda, findProviderPda } from '@dvpn/sdk';
import { loadKeypair } from '@dvpn/sdk/node';
import { ChainClient } from './chain/client.js';
import { SessionCache } from './chain/session-cache.js';
import { ConfigError, type DaemonConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { Claimer } from './sessions/claimer.js';
import { Lifecycle } from './sessions/lifecycle.js';
import { SessionManager } from './sessions/manager.js';
import type { NodeState } from './sessions/node.js';
import { StateStore } from './state/store.js';
import { assertWgKey, wgKeyFromBytes, wgPublicKeyOf } from './wireguard/keys.js';
import { NoTunnelWg } from './wireguard/no-tunnel.js';
import { AddressPool } from './wireguard/pool.js';
import { WireGuard, type WgDriver } from './wireguard/wg.js';

export interface ContextOverrides {
  /** A WireGuard driver to use instead of `wg`/`ip` (tests). */
  wg?: WgDriver;
  logger?: Logger;
  /** The authority keypair itself instead of secrets.authorityKeypairPath. */
  authority?: Keypair;
}

export class AppContext {
  private destroyed = false;

  private constructor(
    readonly config: DaemonConfig,
    readonly log: Logger,
    readonly store: StateStore,
    readonly chain: ChainClient,
    readonly cache: SessionCache,
    readonly wg: WgDriver,
    readonly pool: AddressPool,
    readonly node: NodeState,
    readonly metrics: Metrics,
    readonly sessions: SessionManager,
    readonly claimer: Claimer,
    readonly lifecycle: Lifecycle,
    readonly startedAt: number,
  ) {}

  static async create(config: DaemonConfig, overrides: ContextOverrides = {}): Promise<AppContext> {
    const log = overrides.logger ?? createLogger(config.log.level);
    const authority = overrides.authority ?? loadKeypair(config.secrets.authorityKeypairPath);
    const pool = new AddressPool(config.wireguard.pool, config.wireguard.serverAddress);
    const wg =
      overrides.wg ??
      (config.tunnel === 'none' ? new NoTunnelWg() : undefined) ??
      new WireGuard({
        iface: config.wireguard.interface,
        wgBin: config.wireguard.wgBin,
        ipBin: config.wireguard.ipBin,
        timeoutMs: config.wireguard.commandTimeoutMs,
        uapi: config.wireguard.uapi,
        log: log.child({ component: 'wg' }),
      });
    const chain = new ChainClient({
      rpcUrl: config.chain.rpcUrl,
      wsUrl: config.chain.wsUrl,
      commitment: config.chain.commitment,
      authority,
      confirmTimeoutMs: config.chain.confirmTimeoutMs,
      rpcTimeoutMs: config.chain.rpcTimeoutMs,
      log: log.child({ component: 'chain' }),
    });
    const store = await StateStore.open({
      dir: config.state.dir,
      compactEvery: config.state.compactEvery,
      historyLimit: config.lifecycle.historyLimit,
      log: log.child({ component: 'state' }),
    });
    try {
      const node = await AppContext.prepareNode(config, log, chain, wg, pool, authority);
      const holder: { sessions?: SessionManager; claimer?: Claimer } = {};
      const metrics = createMetrics({
        peers: () => holder.sessions?.peers.presentPeerCount ?? 0,
        sessions: () => {
          const counts = { active: 0, ended: 0, settled: 0 };
          for (const r of store.sessions.values()) counts[r.phase]++;
          return Object.entries(counts).map(([phase, n]) => [{ phase }, n]);
        },
        bytes: () => {
          let rx = 0n;
          let tx = 0n;
          for (const r of store.sessions.values()) {
            rx += r.bytesRx;
            tx += r.bytesTx;
          }
          return [
            [{ direction: 'rx' }, rx],
            [{ direction: 'tx' }, tx],
          ];
        },
        poolFree: () => holder.sessions?.peers.poolFree ?? pool.size,
        capacity: () => node.account.maxCapacity,
        replayEntries: () => store.replaySize,
        pendingClaims: () => [...store.sessions.values()].filter((r) => r.pending).length,
        authorityLamports: () => node.authorityLamports,
        build: { node: node.address.toBase58() },
        stateDiskFree: () => {
          try {
            const fs = statfsSync(config.state.dir);
            return fs.bavail * fs.bsize;
          } catch {
            return null;
          }
        },
      });
      chain.onRpc = (method, seconds, failure) => {
        metrics.rpcDuration.observe({ method }, seconds);
        if (failure) metrics.rpcErrors.inc({ method, reason: failure });
      };
      const cache = new SessionCache(chain, {
        maxEntries: config.auth.sessionCacheSize,
        maxAgeMs: config.auth.sessionCacheMaxAgeMs,
        negativeMaxAgeMs: 1000,
      });
      const sessions = new SessionManager({ config, log: log.child({ component: 'sessions' }), cache, wg, store, pool, metrics, node });
      const claimer = new Claimer({ config, log: log.child({ component: 'claims' }), chain, store, metrics, manager: sessions, node });
      const lifecycle = new Lifecycle({
        config,
        log: log.child({ component: 'lifecycle' }),
        chain,
        cache,
        wg,
        store,
        metrics,
        manager: sessions,
        claimer,
        node,
      });
      holder.sessions = sessions;
      holder.claimer = claimer;
      claimer.onUnfunded = () => {
        lifecycle.refreshBalance = true;
      };
      return new AppContext(config, log, store, chain, cache, wg, pool, node, metrics, sessions, claimer, lifecycle, Date.now());
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  /** Checks the node on chain against the authority and the interface; configures the interface if asked. */
  private static async prepareNode(
    config: DaemonConfig,
    log: Logger,
    chain: ChainClient,
    wg: WgDriver,
    pool: AddressPool,
    authority: Keypair,
  ): Promise<NodeState> {
    const [provider] = findProviderPda(authority.publicKey);
    const address = config.node.address ? new PublicKey(config.node.address) : findNodePda(provider, config.node.nodeId)[0];
    const account = await chain.node(address);
    if (!account) throw new ConfigError(`node ${address.toBase58()} is not registered on chain (rpc ${config.chain.rpcUrl})`);
    if (!account.provider.equals(provider)) {
      throw new ConfigError(
        `node ${address.toBase58()} belongs to provider ${account.provider.toBase58()}, not to the authority ${authority.publicKey.toBase58()}`,
      );
    }
    if (config.wireguard.configure) {
      const keyPath = config.wireguard.privateKeyPath!;
      const privateKey = assertWgKey(readFileSync(keyPath, 'utf8').trim(), `private key in ${keyPath}`);
      await wg.configure({
        privateKeyPath: keyPath,
        listenPort: config.wireguard.listenPort,
        address: pool.serverAddress,
        prefix: pool.prefix,
        mtu: config.wireguard.mtu,
      });
      log.info({ iface: wg.iface, publicKey: wgPublicKeyOf(privateKey), address: `${pool.serverAddress}/${pool.prefix}` }, 'interface configured');
    }
    const chainKey = wgKeyFromBytes(account.wgServerPubkey);
    if (wg instanceof NoTunnelWg) {
      wg.announce(chainKey);
      log.warn({ node: address.toBase58() }, 'no-tunnel mode (DVPN_TUNNEL=none): sessions, signatures, ticks and claims are real, but no traffic is carried');
    }
    const serverPublicKey = await wg.publicKey();
    if (chainKey !== serverPublicKey) {
      const message = `interface ${wg.iface} has public key ${serverPublicKey}, but node ${address.toBase58()} announces ${chainKey} on chain (dvpn node update --wg-pubkey)`;
      if (config.wireguard.requireChainKey) throw new ConfigError(message);
      log.warn(message);
    }
    const endpoint = config.wireguard.endpoint ?? account.endpoint;
    return { address, provider, account, serverPublicKey, endpoint, refreshedAt: Date.now(), probeUrl: null, authorityLamports: null };
  }

  async start(): Promise<void> {
    await this.lifecycle.start();
  }

  /** Stops the loop, lets claims in flight finish (bounded), optionally removes peers, writes the state. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const timeout = this.config.lifecycle.shutdownTimeoutMs;
    await this.lifecycle.stop();
    await this.claimer.drain(timeout);
    if (this.config.wireguard.removePeersOnShutdown) {
      for (const rec of this.sessions.records()) {
        if (rec.peer) await this.sessions.peers.removePeer(rec, 'shutdown').catch((err) => this.log.warn({ err }, 'peer removal at shutdown failed'));
      }
    }
    await this.sessions.close();
    await this.store.close();
  }
}
