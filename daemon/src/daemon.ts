// The daemon as a library: create(config) builds everything (and checks the
// node, the authority and the interface), start() restores peers and serves,
// destroy() shuts down in order. run() is what the bin calls: config from the
// environment, SIGINT/SIGTERM tied to a graceful shutdown.
import type { AddressInfo } from 'node:net';
import { loadConfig, type DaemonConfig } from './config.js';
import { AppContext, type ContextOverrides } from './context.js';
import { ApiServer } from './http/server.js';
import { createLogger } from './logger.js';
import { readFileSync } from 'node:fs';
import { Egress, unisolatedWarning } from './wireguard/egress.js';

export class DvpnDaemon {
  private started = false;
  /** The node's egress (DVPN_EGRESS=nat), set up before the API listens. */
  egress: Egress | null = null;

  private constructor(
    readonly ctx: AppContext,
    readonly server: ApiServer,
  ) {}

  static async create(config: DaemonConfig, overrides: ContextOverrides = {}): Promise<DvpnDaemon> {
    const ctx = await AppContext.create(config, overrides);
    return new DvpnDaemon(ctx, new ApiServer(ctx));
  }

  async start(): Promise<AddressInfo> {
    await this.ctx.start();
    const { egress, http } = this.ctx.config;
    if (egress.mode === 'nat') {
      // Before the API answers: once /healthz says 200, the node also carries traffic out.
      this.egress = new Egress(
        {
          wgInterface: this.ctx.wg.iface,
          egressInterface: egress.interface!,
          pool: this.ctx.pool.cidr,
          serverAddress: this.ctx.pool.serverAddress,
          httpPort: http.port,
          httpHost: /^\d{1,3}(\.\d{1,3}){3}$/.test(http.host) ? http.host : null,
          dns: this.ctx.config.wireguard.dns,
          allowPrivate: egress.allowPrivate,
        },
        { nftBin: egress.nftBin, ipBin: this.ctx.config.wireguard.ipBin, stateDir: this.ctx.config.state.dir, log: this.ctx.log.child({ component: 'egress' }) },
      );
      await this.egress.up();
    } else if (this.ctx.config.tunnel === 'wireguard') {
      const forwarding = (() => {
        try {
          return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
        } catch {
          return null;
        }
      })();
      const warning = unisolatedWarning(egress.mode, forwarding);
      if (warning) this.ctx.log.warn({ iface: this.ctx.wg.iface }, warning);
    }
    const address = await this.server.listen();
    this.started = true;
    this.ctx.log.info(
      {
        node: this.ctx.node.address.toBase58(),
        iface: this.ctx.wg.iface,
        endpoint: this.ctx.node.endpoint,
        serverPublicKey: this.ctx.node.serverPublicKey,
        sessions: this.ctx.store.sessions.size,
      },
      'dvpn daemon started',
    );
    return address;
  }

  /** HTTP first (no new work), then the loop and claims, then the state. */
  async destroy(): Promise<void> {
    this.ctx.log.info('dvpn daemon stopping');
    if (this.started) await this.server.close(Math.min(5000, this.ctx.config.lifecycle.shutdownTimeoutMs));
    await this.egress?.down().catch((err) => this.ctx.log.error({ err }, 'egress teardown failed'));
    await this.ctx.destroy();
    this.ctx.log.info('dvpn daemon stopped');
  }
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<DvpnDaemon | null> {
  let config: DaemonConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.log.level);
  let daemon: DvpnDaemon | undefined;
  try {
    daemon = await DvpnDaemon.create(config, { logger: log });
    await daemon.start();
  } catch (err) {
    log.fatal({ err }, 'daemon failed to start');
    await daemon?.destroy().catch(() => undefined);
    process.exitCode = 1;
    // Whatever still holds the event loop (sockets, timers) must not keep a failed daemon alive.
    setTimeout(() => process.exit(1), 200).unref();
    return null;
  }
  const running = daemon;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, config.lifecycle.shutdownTimeoutMs + 5000);
    force.unref();
    running
      .destroy()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return running;
}
