// API benchmark (not part of the tests): prints figures, stops by itself.
//
//   npx tsx bench/api.ts [--nodes 100000] [--queries 400] [--clients 10000] [--publishes 5]
//
// 1. Node discovery over N nodes seeded straight into Postgres (embedded, or
//    a fresh database on DATABASE_URL's server): the GraphQL `nodes` query with
//    the filters a wallet uses, over HTTP on loopback, sequential, after a
//    warm-up. Latency percentiles per query shape.
// 2. Subscription fan-out: C graphql-ws clients (in child processes, loopback
//    only) subscribe to one region's capacity feed on one API process; one
//    change is published on the bus and the time until every client has it is
//    measured, P times. Clients are capped by the open-file limit.
// 3. End-to-end notification latency: the embedded chain, the indexer and the
//    API; T transactions (open_session) sent one by one; a graphql-ws
//    subscriber's receipt time minus the client's confirmation time.
import { execSync, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import bs58 from 'bs58';
import pg from 'pg';
import { createClient as createWsClient } from 'graphql-ws';
import { fanoutClient } from './fanout-client.js';
import { Keypair, Transaction } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, ix, SessionMode } from '@dvpn/sdk';
import { startChain } from '../tests/harness/surfnet.js';
import { createNode, createProvider, initConfig } from '../tests/harness/fixtures.js';
import { createIndexer, DEFAULTS } from '../graph/src/indexer.js';
import { createRpcProbe } from '../graph/src/api/ingestion.js';
import { createBus } from '../graph/src/bus.js';
import { createPrismaClient } from '../graph/src/db/client.js';
import { startEmbeddedPostgres } from '../graph/src/db/embedded.js';
import { migrate } from '../graph/src/db/migrate.js';
import { silentLogger } from '../graph/src/log.js';
import { createApiServer } from '../graph/src/api/server.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------
// Fan-out client process: `bench/api.ts --fanout-client`

if (argv.includes('--fanout-client')) {
  const url = argv[argv.indexOf('--url') + 1];
  await fanoutClient({ urls: [url], first: 0, count: opt('count', 100), publishes: opt('publishes', 5), region: 'bench-fanout' });
  process.exit(0);
}

// ---------------------------------------------------------------------------

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (v: number) => `${v.toFixed(2)} ms`;

function key(prefix: string, i: number): string {
  return bs58.encode(createHash('sha256').update(`${prefix}:${i}`).digest());
}

/** A small deterministic generator per seed (mulberry32). */
function rand(seed: number): () => number {
  let a = (seed * 2654435761) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['eu-west', 'eu-north', 'eu-south', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east', 'af-south', 'me-central'];

async function seed(url: string, nodes: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const providers = Math.max(1, Math.floor(nodes / 50));
  const t0 = now();
  const ts = new Date('2026-01-01T00:00:00Z');
  const pk: string[] = [];
  const rep: number[] = [];
  for (let p = 0; p < providers; p++) {
    pk.push(key('provider', p));
    rep.push(500 + Math.floor(rand(1_000_000 + p)() * 1500));
  }
  await client.query(
    `INSERT INTO providers (pubkey, authority, stake_vault, node_count, stake_lamports, reputation_score, rating_count, registered_at, updated_at, last_slot, last_signature)
     SELECT p, 'auth' || i, 'vault' || i, 50, 5000000000, r, 10, $3, $3, 1, 'seed'
     FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS t(p, r, i)`,
    [pk, rep, ts],
  );
  const batch = 10_000;
  for (let start = 0; start < nodes; start += batch) {
    const cols = {
      pubkey: [] as string[],
      provider: [] as string[],
      nodeId: [] as string[],
      region: [] as string[],
      price: [] as string[],
      priceToken: [] as string[],
      cap: [] as number[],
      active: [] as number[],
      isActive: [] as boolean[],
      rep: [] as number[],
    };
    for (let i = start; i < Math.min(nodes, start + batch); i++) {
      // Independent pseudo-random attributes (no correlation between region,
      // price, capacity and the active flag), reproducible run to run.
      const r = rand(i);
      const p = Math.floor(r() * providers);
      const cap = 1 + Math.floor(r() * 16);
      cols.pubkey.push(key('node', i));
      cols.provider.push(pk[p]);
      cols.nodeId.push(String(i));
      cols.region.push(REGIONS[Math.floor(r() * REGIONS.length)]);
      cols.price.push(String(200_000 + Math.floor(r() * 4_800_000)));
      cols.priceToken.push(String(r() < 0.2 ? 0 : 10_000 + Math.floor(r() * 190_000)));
      cols.cap.push(cap);
      cols.active.push(Math.floor(r() * (cap + 1)));
      cols.isActive.push(r() < 0.9);
      cols.rep.push(rep[p]);
    }
    await client.query(
      `INSERT INTO nodes (pubkey, provider, node_id, endpoint, region, price_per_minute, price_per_minute_token, wg_server_pubkey,
         max_capacity, active_sessions, is_active, provider_reputation, created_at, updated_at, last_slot, last_signature)
       SELECT pk, pr, nid::numeric, 'node' || ord || '.bench:51820', rg, price::numeric, pt::numeric, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
         cap, act, ia, rp, $11, $11, 1, 'seed'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::bool[], $10::int[])
         WITH ORDINALITY AS t(pk, pr, nid, rg, price, pt, cap, act, ia, rp, ord)`,
      [cols.pubkey, cols.provider, cols.nodeId, cols.region, cols.price, cols.priceToken, cols.cap, cols.active, cols.isActive, cols.rep, ts],
    );
  }
  await client.query('ANALYZE');
  await client.end();
  console.log(`seeded ${providers.toLocaleString()} providers and ${nodes.toLocaleString()} nodes in ${((now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const nodes = opt('nodes', 100_000);
  const queries = opt('queries', 400);
  const publishes = opt('publishes', 5);
  const fdLimit = (() => {
    try {
      return Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()) || 20_000;
    } catch {
      return 20_000;
    }
  })();
  // Server side holds one socket per client; keep headroom for Postgres and the rest.
  const clients = Math.min(opt('clients', 10_000), Math.max(100, fdLimit - 1_000));

  let url: string;
  let stopDb: () => Promise<void>;
  if (process.env.DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const name = `dvpn_bench_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    url = u.toString();
    stopDb = async () => {
      const a = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  } else {
    const db = await startEmbeddedPostgres({ durable: false });
    url = db.url;
    stopDb = () => db.stop();
  }
  console.log(`machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}`);
  await migrate(url);
  await seed(url, nodes);

  const prisma = createPrismaClient(url, { max: 10 });
  const bus = createBus();
  const api = createApiServer({ prisma, bus, port: 0, logger: silentLogger, rateLimit: false, costBudget: false, maxSubscriptionsPerClient: 0, maxWsConnectionsPerClient: 0 }); // a load test is one client on purpose
  const { url: base, wsUrl } = await api.start();

  // -------------------------------------------------------------------------
  // 1. Node discovery
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const FIELDS = 'pubkey endpoint region pricePerMinute pricePerMinuteToken freeCapacity providerReputation';
  const first = await post(
    `{ nodes(filter: { region: "eu-west", active: true, hasFreeCapacity: true }, orderBy: { field: PRICE_PER_MINUTE }, first: 20) { pageInfo { endCursor } } }`,
  );
  const cursor = first.nodes.pageInfo.endCursor as string;
  const shapes: [string, string, Record<string, unknown>?][] = [
    [
      'region + active + free capacity + max price, cheapest first, 20',
      `query($r: String) { nodes(filter: { region: $r, active: true, hasFreeCapacity: true, maxPricePerMinute: "3000000" }, orderBy: { field: PRICE_PER_MINUTE }, first: 20) { edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      { r: 'eu-west' },
    ],
    [
      'same, with totalCount',
      `query($r: String) { nodes(filter: { region: $r, active: true, hasFreeCapacity: true, maxPricePerMinute: "3000000" }, orderBy: { field: PRICE_PER_MINUTE }, first: 20) { totalCount edges { node { ${FIELDS} } } } }`,
      { r: 'eu-west' },
    ],
    [
      'next page (after cursor)',
      `query($a: String) { nodes(filter: { region: "eu-west", active: true, hasFreeCapacity: true }, orderBy: { field: PRICE_PER_MINUTE }, first: 20, after: $a) { edges { node { ${FIELDS} } } } }`,
      { a: cursor },
    ],
    [
      'token price range + min reputation, best reputation first',
      `{ nodes(filter: { active: true, minPricePerMinuteToken: "20000", maxPricePerMinuteToken: "60000", minReputation: 1500 }, orderBy: { field: REPUTATION, direction: DESC }, first: 20) { edges { node { ${FIELDS} } } } }`,
    ],
    [
      'most free capacity, any region, with provider',
      `{ nodes(filter: { active: true }, orderBy: { field: FREE_CAPACITY, direction: DESC }, first: 20) { edges { node { ${FIELDS} provider { pubkey reputationScore } } } } }`,
    ],
  ];
  console.log(`\nnode discovery over ${nodes.toLocaleString()} nodes (GraphQL over HTTP, loopback, sequential, ${queries} runs after 50 warm-up)`);
  for (const [label, query, variables] of shapes) {
    for (let i = 0; i < 50; i++) await post(query, variables);
    const times: number[] = [];
    for (let i = 0; i < queries; i++) {
      const t = now();
      await post(query, variables);
      times.push(now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(64)} p50 ${ms(pct(times, 50))}  p95 ${ms(pct(times, 95))}  p99 ${ms(pct(times, 99))}`);
  }

  // -------------------------------------------------------------------------
  // 2. Subscription fan-out
  const processes = clients > 2_000 ? 2 : 1;
  const per = Math.ceil(clients / processes);
  console.log(`\nsubscription fan-out: ${clients.toLocaleString()} graphql-ws clients in ${processes} process(es), one API process, ${publishes} changes`);
  const tConnect = now();
  const received: Record<number, number[]>[] = [];
  const children = Array.from({ length: processes }, (_, k) => {
    const count = Math.min(per, clients - k * per);
    const child = fork(fileURLToPath(import.meta.url), ['--fanout-client', '--url', wsUrl, '--count', String(count), '--publishes', String(publishes)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const connected = new Promise<void>((r) => child.on('message', (m: any) => m.type === 'connected' && r()));
    const result = new Promise<void>((r) =>
      child.on('message', (m: any) => {
        if (m.type === 'received') {
          received.push(m.received);
          r();
        }
        if (m.type === 'error') console.error('client error', m.error);
      }),
    );
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    return { child, connected, result, exited };
  });
  await Promise.all(children.map((c) => c.connected));
  // Connected is not subscribed: wait until every subscription runs.
  while (api.yoga.api.metrics.subscribersConnected() < clients) await new Promise((r) => setTimeout(r, 20));
  console.log(
    `  ${clients.toLocaleString()} clients connected and subscribed in ${((now() - tConnect) / 1000).toFixed(1)} s ` +
      `(${api.yoga.api.feed.subscriberCount()} feed subscription: same document and variables share one execution)`,
  );
  const rss = process.memoryUsage().rss;
  const sent: number[] = [];
  for (let seq = 0; seq < publishes; seq++) {
    await new Promise((r) => setTimeout(r, 500));
    sent.push(now());
    await bus.publish('nodeCapacity', {
      node: key('node', 0),
      provider: key('provider', 0),
      region: 'bench-fanout',
      maxCapacity: 10,
      activeSessions: seq,
      freeCapacity: 10 - seq,
      isActive: true,
      pricePerMinute: '1000000',
      pricePerMinuteToken: '0',
      cause: 'SessionOpened',
      signature: String(seq),
      slot: seq,
      timestamp: new Date().toISOString(),
    });
  }
  await Promise.all(children.map((c) => c.result));
  for (let seq = 0; seq < publishes; seq++) {
    const lat = received.flatMap((r) => r[seq] ?? []).map((t) => t - sent[seq]).sort((a, b) => a - b);
    console.log(
      `  change ${seq + 1}: reached ${lat.length.toLocaleString()}/${clients.toLocaleString()} clients; p50 ${ms(pct(lat, 50))}  p99 ${ms(pct(lat, 99))}  all ${ms(lat[lat.length - 1])}`,
    );
  }
  console.log(`  API process RSS with ${clients.toLocaleString()} subscribers: ${(rss / 2 ** 20).toFixed(0)} MiB`);
  await Promise.all(children.map((c) => c.exited));

  await api.stop();
  await bus.close();
  await prisma.$disconnect();

  await notificationLatency(url, opt('txs', 200));
  await stopDb();
}

async function notificationLatency(dbUrl: string, txs: number): Promise<void> {
  const chain = await startChain();
  const prisma = createPrismaClient(dbUrl, { max: 4 });
  const bus = createBus();
  const indexer = createIndexer(
    { ...DEFAULTS, rpcUrl: chain.rpcUrl, wsUrl: chain.wsUrl, databaseUrl: dbUrl, programId: DVPN_PROGRAM_ID.toBase58(), logLevel: 'silent', reconcileOnStart: false, backfillIntervalMs: 0 },
    { bus, logger: silentLogger },
  );
  await indexer.start();
  await indexer.whenLeader();
  await indexer.whenIdle();
  const api = createApiServer({ prisma, bus, port: 0, logger: silentLogger, rateLimit: false, costBudget: false, rpc: createRpcProbe(chain.rpcUrl, DVPN_PROGRAM_ID.toBase58()) });
  const { wsUrl } = await api.start();
  await initConfig(chain);
  const provider = await createProvider(chain);
  const node = await createNode(chain, provider, { region: 'bench-latency', maxCapacity: txs + 10 });
  const received = new Map<string, number>();
  const client = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  client.subscribe(
    { query: 'subscription($n: Pubkey) { nodeCapacity(node: $n) { signature activeSessions } }', variables: { n: node.node.toBase58() } },
    { next: (r) => void received.set((r.data as any).nodeCapacity.signature, now()), error: () => undefined, complete: () => undefined },
  );
  while (api.yoga.api.metrics.subscribersConnected() < 1) await new Promise((r) => setTimeout(r, 10));
  const users = await Promise.all(Array.from({ length: 8 }, () => chain.fundedKeypair(100)));
  const afterConfirm: number[] = [];
  const afterSubmit: number[] = [];
  console.log(`\nend-to-end: ${txs} open_session transactions one by one (embedded chain -> indexer -> bus -> graphql-ws subscriber)`);
  for (let i = 0; i < txs; i++) {
    const user: Keypair = users[i % users.length];
    const { blockhash, lastValidBlockHeight } = await chain.connection.getLatestBlockhash('confirmed');
    const tx = new Transaction({ feePayer: user.publicKey, blockhash, lastValidBlockHeight }).add(
      ix.openSession({ user: user.publicKey, provider: provider.provider, node: node.node, sessionId: BigInt(Math.floor(i / users.length)), mode: SessionMode.Time, durationMinutes: 5, tickAmount: node.pricePerMinute }),
    );
    tx.sign(user);
    const tSubmit = now();
    const sig = await chain.connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    await chain.connection.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight }, 'confirmed');
    const tConfirm = now();
    while (!received.has(sig)) await new Promise((r) => setTimeout(r, 1));
    afterConfirm.push(received.get(sig)! - tConfirm);
    afterSubmit.push(received.get(sig)! - tSubmit);
  }
  afterConfirm.sort((a, b) => a - b);
  afterSubmit.sort((a, b) => a - b);
  console.log(`  subscriber receipt - client confirmation: p50 ${ms(pct(afterConfirm, 50))}  p99 ${ms(pct(afterConfirm, 99))}  max ${ms(afterConfirm[afterConfirm.length - 1])} (negative: before the client's confirmation)`);
  console.log(`  subscriber receipt - submission:          p50 ${ms(pct(afterSubmit, 50))}  p99 ${ms(pct(afterSubmit, 99))}`);
  await client.dispose();
  await api.stop();
  await indexer.stop();
  await bus.close();
  await prisma.$disconnect();
  chain.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
