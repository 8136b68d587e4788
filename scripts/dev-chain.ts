// The local Solana cluster of `make dev` and `make chain`: the embedded runtime
// made to look like `solana-test-validator` to every tool.
//
//   JSON-RPC on 127.0.0.1:8899 and its websocket on 127.0.0.1:8900 (the ports
//   every Solana tool assumes; web3.js derives the websocket as RPC port + 1).
//   The runtime itself listens on random ports it picks (surfpool-sdk 1.2.0
//   has no port option), so two loopback TCP forwarders sit on the fixed ones.
//   A running clock: one slot every 400 ms, unix_timestamp follows the wall
//   clock (the tests pause it instead: tests/harness/surfnet.ts).
//   The dvpn program at its id, a dev USDC-like mint (6 decimals) and the
//   Config (initialize_config with that mint), printed.
//
// Keys it keeps in $DVPN_HOME/dev (default ~/.config/dvpn/dev), Solana CLI JSON,
// created once and reused so the mint address stays the same across restarts:
//   mint-authority.json  the runtime's payer and the dev mint's mint authority
//                        (`dvpn dev mint` finds it here)
//   mint.json            the dev mint's own keypair (its address)
//   admin.json           the Config admin and treasury
//   env                  `export` lines of the running stack (source it)
//
//   npx tsx scripts/dev-chain.ts [--rpc-port N] [--ws-port N]     (make chain)
//
// Ports: --rpc-port / DVPN_RPC_PORT (default 8899), --ws-port / DVPN_WS_PORT
// (default RPC port + 1); 0 picks any free port. A port in use is refused.
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Keypair, LAMPORTS_PER_SOL, type PublicKey } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import { DVPN_PROGRAM_ID, findConfigPda, ix } from '@dvpn/sdk';
import { startChain, PROGRAM_SO, type Chain } from '../tests/harness/surfnet.js';

/** The Config of the dev cluster: short windows, so a newcomer sees settle and unbond in minutes. */
export const DEV_CONFIG = {
  protocolFeeBps: 250,
  minProviderStake: 1n * BigInt(LAMPORTS_PER_SOL),
  unbondingSeconds: 600n,
  settleWindowSeconds: 300n,
  disputeWindowSeconds: 600n,
  idleTimeoutSeconds: 1_800n,
  minRatingLamports: 100_000n,
  minRatingToken: 10_000n,
  maxSlashBps: 2_500,
};

export interface DevChainOptions {
  rpcPort: number;
  /** Default RPC port + 1 (what web3.js and the Solana CLI derive from the RPC URL). */
  wsPort?: number;
  /** Where the dev keys live (default $DVPN_HOME/dev). */
  devDir?: string;
}

export interface DevChain {
  chain: Chain;
  /** The fixed-port URLs (http://127.0.0.1:8899, ws://127.0.0.1:8900 by default). */
  rpcUrl: string;
  wsUrl: string;
  mint: PublicKey;
  config: PublicKey;
  admin: Keypair;
  devDir: string;
  mintAuthorityPath: string;
  stop(): Promise<void>;
}

export function devDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.DVPN_HOME && env.DVPN_HOME.length > 0 ? env.DVPN_HOME : join(homedir(), '.config', 'dvpn');
  return join(home, 'dev');
}

/** Ports from flags, then the environment, then 8899 / RPC + 1. */
export function chainPorts(argv: string[], env: NodeJS.ProcessEnv = process.env): { rpcPort: number; wsPort?: number } {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined || text.trim() === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what}: "${text}" is not a port number (0..65535, 0 = any free port)`);
    return n;
  };
  const rpcPort = port(flag('--rpc-port'), '--rpc-port') ?? port(env.DVPN_RPC_PORT, 'DVPN_RPC_PORT') ?? 8899;
  const wsPort = port(flag('--ws-port'), '--ws-port') ?? port(env.DVPN_WS_PORT, 'DVPN_WS_PORT');
  return { rpcPort, wsPort };
}

function loadOrCreateKeypair(path: string): Keypair {
  if (existsSync(path)) return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(path, 'utf8')) as number[]));
  const kp = Keypair.generate();
  writeFileSync(path, JSON.stringify([...kp.secretKey]), { mode: 0o600 });
  return kp;
}

/** A loopback TCP forwarder: whatever connects to `port` is piped to the runtime's own port. */
interface Forwarder {
  port: number;
  target(port: number): void;
  close(): Promise<void>;
}

async function listenForwarder(port: number, what: string, flag: string): Promise<Forwarder> {
  let targetPort = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? refusedPort(port, what, flag) : err));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    target(p) {
      targetPort = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const refusedPort = (port: number, what: string, flag: string) =>
  new Error(
    `port ${port} (${what}) is already in use on 127.0.0.1: another validator or dev stack is running. ` +
      `Stop it, or pick another port with ${flag} N (0 = any free port).`,
  );

/** Refuses a port that is taken, before anything starts (the listener is closed again at once). */
export async function assertPortFree(port: number, host: string, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? refusedPort(port, what, flag) : err));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One dev stack per DVPN_HOME: a second would rewrite the first's env file and
 * node key and share its daemon state. A lock file with the owner's pid; one
 * whose process is gone (killed) is taken over. Returns the release function.
 */
export function lockDevDir(dir: string): () => void {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      const release = () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(
          `${dirname(dir)} (DVPN_HOME) is in use by another dev stack (pid ${pid}): stop it, or give this one its own directory with DVPN_HOME=<dir>`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new Error(`cannot take the lock ${path}`);
}

/** Starts the runtime behind the fixed ports, deploys the program, creates the dev mint and the Config. */
export async function startDevChain(opts: DevChainOptions): Promise<DevChain> {
  if (!existsSync(PROGRAM_SO)) throw new Error(`${PROGRAM_SO} is missing: build the program first (make program)`);
  // Ports first: a taken port is refused before anything starts.
  let rpc: Forwarder;
  let ws: Forwarder;
  for (let attempt = 0; ; attempt++) {
    rpc = await listenForwarder(opts.rpcPort, 'Solana RPC', '--rpc-port / DVPN_RPC_PORT');
    try {
      ws = await listenForwarder(opts.wsPort ?? rpc.port + 1, 'Solana RPC websocket', '--ws-port / DVPN_WS_PORT');
      break;
    } catch (err) {
      await rpc.close();
      // Any free RPC port: look for another whose next port is free too.
      if (opts.rpcPort !== 0 || opts.wsPort !== undefined || attempt >= 20) throw err;
    }
  }

  const dir = opts.devDir ?? devDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  let unlock: () => void;
  try {
    unlock = lockDevDir(dir);
  } catch (err) {
    await Promise.all([rpc.close(), ws.close()]);
    throw err;
  }
  const mintAuthorityPath = join(dir, 'mint-authority.json');
  const payer = loadOrCreateKeypair(mintAuthorityPath);
  const mintKeypair = loadOrCreateKeypair(join(dir, 'mint.json'));
  const admin = loadOrCreateKeypair(join(dir, 'admin.json'));

  let chain: Chain;
  try {
    chain = await startChain({ realClock: true, slotTimeMs: 400, payer, mintKeypair });
  } catch (err) {
    await Promise.all([rpc.close(), ws.close()]);
    unlock();
    throw err;
  }
  rpc.target(Number(new URL(chain.rpcUrl).port));
  ws.target(Number(new URL(chain.wsUrl).port));

  chain.setLamports(admin.publicKey, 100n * BigInt(LAMPORTS_PER_SOL));
  const treasuryToken = getAssociatedTokenAddressSync(chain.mint, admin.publicKey);
  await chain.send(
    [
      createAssociatedTokenAccountIdempotentInstruction(chain.payer.publicKey, treasuryToken, admin.publicKey, chain.mint),
      ix.initializeConfig({ admin: admin.publicKey, treasury: admin.publicKey, tokenMint: chain.mint, ...DEV_CONFIG }),
    ],
    [admin],
  );

  return {
    chain,
    rpcUrl: `http://127.0.0.1:${rpc.port}`,
    wsUrl: `ws://127.0.0.1:${ws.port}`,
    mint: chain.mint,
    config: findConfigPda()[0],
    admin,
    devDir: dir,
    mintAuthorityPath,
    async stop() {
      await Promise.all([rpc.close(), ws.close()]);
      chain.close();
      unlock();
    },
  };
}

/** The lines `make chain` / `make dev` print about the chain. */
export function describeDevChain(dev: DevChain): string[] {
  return [
    `  Solana RPC       ${dev.rpcUrl}  ws ${dev.wsUrl}  (embedded, 400 ms slots, clock follows the wall clock)`,
    `  Program          ${DVPN_PROGRAM_ID.toBase58()}  (deployed)`,
    `  Dev USDC mint    ${dev.mint.toBase58()}  (6 decimals; mint authority ${dev.mintAuthorityPath}: dvpn dev mint <AMOUNT>)`,
    `  Config           ${dev.config.toBase58()}  (admin + treasury ${dev.admin.publicKey.toBase58()}, key ${join(dev.devDir, 'admin.json')})`,
    `  Dev keys         ${dev.devDir}`,
  ];
}

/**
 * A value as one shell word: as is when it is plain (URLs, addresses), else in
 * single quotes, so `source` keeps e.g. a DATABASE_URL with `?a=1&b=2` or a
 * password with `$` intact (unquoted, `&` would send the line to the background).
 */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]*$/.test(value) && value !== '' ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Writes $DVPN_HOME/dev/env with the export lines, so another shell can `source` them. */
export function writeEnvFile(dev: DevChain, exports: [string, string][]): string {
  const path = join(dev.devDir, 'env');
  writeFileSync(path, `${exportLines(exports)}\n`, { mode: 0o600 });
  return path;
}

export function exportLines(exports: [string, string][]): string {
  return exports.map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n');
}

async function main(): Promise<void> {
  const dev = await startDevChain(chainPorts(process.argv.slice(2)));
  const exports: [string, string][] = [
    ['SOLANA_RPC_URL', dev.rpcUrl],
    ['SOLANA_WS_URL', dev.wsUrl],
    ['DVPN_DEV_MINT', dev.mint.toBase58()],
  ];
  const envFile = writeEnvFile(dev, exports);
  console.log(['', 'DVPN local chain is up (make chain; make dev adds the indexer and the API)', ...describeDevChain(dev), '', `# in another shell (also in ${envFile}):`, exportLines(exports), ''].join('\n'));
  const stop = () => dev.stop().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The forwarders keep the event loop alive; the harness keeps the runtime referenced.
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
