// An in-process daemon on the embedded chain with an in-memory WireGuard,
// reachable over a Unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keypair, PublicKey } from '@solana/web3.js';
import { authRequestBody } from '@dvpn/sdk';
import { saveKeypair } from '@dvpn/sdk/node';
import { mergeConfig, parseConfig, type DaemonConfig } from '../../src/config.js';
import { DvpnDaemon } from '../../src/daemon.js';
import { createLogger } from '../../src/logger.js';
import { generateWgKeypair } from '../../src/wireguard/keys.js';
import type { Chain } from '../../../tests/harness/surfnet.js';
import type { NodeCtx } from '../../../tests/harness/fixtures.js';
import { FakeWg } from './fake-wg.js';
import type { Target } from './http.js';

export interface InProc {
  daemon: DvpnDaemon;
  wg: FakeWg;
  target: Target;
  /** The same API over TCP on loopback. */
  tcp: Target;
  dir: string;
  config: DaemonConfig;
  /** destroy() and remove the temporary directory. */
  close(): Promise<void>;
}

export async function startInProcess(
  chain: Chain,
  nodeCtx: NodeCtx,
  opts: { overrides?: Record<string, unknown>; dir?: string; wg?: FakeWg } = {},
): Promise<InProc> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dvpn-d-'));
  const keyPath = join(dir, 'authority.json');
  saveKeypair(keyPath, nodeCtx.owner.authority);
  const socketPath = join(dir, 'api.sock');
  const config = parseConfig(
    mergeConfig(
      {
        http: { host: '127.0.0.1', port: 0, socketPath, rateLimit: { perSecond: 1000, burst: 1000 }, authFailureLimit: { perSecond: 1000, burst: 1000 }, tunnelProbe: false },
        chain: { rpcUrl: chain.rpcUrl, wsUrl: chain.wsUrl, confirmTimeoutMs: 20_000 },
        node: { address: nodeCtx.node.toBase58() },
        secrets: { authorityKeypairPath: keyPath },
        wireguard: { interface: 'fakewg0', endpoint: '192.0.2.1:51820', clientAllowedIps: ['10.77.0.0/24'] },
        claims: { intervalSeconds: 3600, retryBaseMs: 50, retryMaxMs: 500 },
        lifecycle: { pollIntervalMs: 3_600_000, shutdownTimeoutMs: 2000 },
        state: { dir: join(dir, 'state') },
        log: { level: process.env.DVPN_TEST_LOG ?? 'silent' },
      },
      opts.overrides ?? {},
    ),
  );
  const wg = opts.wg ?? new FakeWg(Buffer.from(nodeCtx.wgServerPubkey).toString('base64'));
  const daemon = await DvpnDaemon.create(config, { wg, logger: createLogger(config.log.level) });
  const address = await daemon.start();
  return {
    daemon,
    wg,
    target: { socketPath },
    tcp: { host: '127.0.0.1', port: address.port },
    dir,
    config,
    async close() {
      await daemon.destroy().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A signed auth body (fresh timestamp unless given). */
export function authBody(session: PublicKey, user: Keypair, wgKey = generateWgKeypair().publicKey, timestamp = Math.floor(Date.now() / 1000)) {
  return authRequestBody({ sessionPda: session, clientWgPubkey: wgKey, timestamp }, user);
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
