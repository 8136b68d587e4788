// Many API replicas, one indexer: the indexer publishes through Redis and a
// subscriber on either API process sees it. Real redis-server (spawned), real
// chain, real Postgres; API #1 in this process, API #2 a separate Node process
// (graph/bin/api.ts) on another port.
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { startChain, REPO_ROOT, type Chain } from '../../../tests/harness/surfnet.js';
import { createNode, createProvider, initConfig, closeSessionIx, openTimeSession, type ConfigCtx, type NodeCtx } from '../../../tests/harness/fixtures.js';
import { createBus, type Bus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { createIndexer, type Indexer } from '../../src/indexer.js';
import { silentLogger } from '../../src/log.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { createRpcProbe } from '../../src/api/ingestion.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';
import { indexerConfig, startDatabase, startRedis, waitFor, type TestDatabase, type TestRedis } from '../helpers.js';
import { gql, sseSubscribe, wsClient, wsSubscribe } from './setup.js';

let chain: Chain;
let db: TestDatabase;
let redis: TestRedis;
let indexer: Indexer;
let prisma: PrismaClient;
let busOne: Bus;
let apiOne: ApiServer;
let child: ChildProcess;
let urlTwo: string;
let cfg: ConfigCtx;
let node: NodeCtx;

beforeAll(async () => {
  [chain, db, redis] = await Promise.all([startChain(), startDatabase(), startRedis()]);
  // The indexer: its own bus on Redis.
  indexer = createIndexer(indexerConfig(chain, db.url, { redisUrl: redis.url }), { logger: silentLogger });
  await indexer.start();
  await indexer.whenLeader();
  await indexer.whenIdle();
  await indexer.bus.ready();

  // API #1: this process, another Redis connection.
  prisma = createPrismaClient(db.url, { max: 4 });
  busOne = createBus({ redisUrl: redis.url, logger: silentLogger });
  await busOne.ready();
  apiOne = createApiServer({ prisma, bus: busOne, port: 0, logger: silentLogger, rpc: createRpcProbe(chain.rpcUrl, DVPN_PROGRAM_ID.toBase58()) });
  await apiOne.start();

  // API #2: a separate process.
  child = fork(resolve(REPO_ROOT, 'graph/bin/api.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SOLANA_RPC_URL: chain.rpcUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  urlTwo = await new Promise<string>((resolvePromise, reject) => {
    child.on('message', (m: { type?: string; url?: string }) => {
      if (m.type === 'listening' && m.url) resolvePromise(m.url);
    });
    child.on('exit', (code) => reject(new Error(`API process exited early (${code})`)));
  });

  cfg = await initConfig(chain);
  const provider = await createProvider(chain);
  node = await createNode(chain, provider, { region: 'sa-east', maxCapacity: 5 });
  // Indexed (and published) before anyone subscribes.
  await waitFor(async () => (await gql(apiOne.url, 'query($p: Pubkey!) { node(pubkey: $p) { pubkey } }', { p: node.node.toBase58() })).data?.node, {
    what: 'node indexed',
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  }
  await apiOne?.stop();
  await busOne?.close();
  await prisma?.$disconnect();
  await indexer?.stop();
  await redis?.stop();
  await db?.stop();
  chain?.close();
});

describe('two API processes behind one indexer, through Redis', () => {
  it('a subscriber on the other process sees what the indexer published', async () => {
    const wsTwo = wsClient(`${urlTwo.replace(/^http/, 'ws')}/graphql`);
    await wsTwo.connected;
    const onTwo = wsSubscribe(wsTwo.client, `subscription($n: Pubkey) { sessionChanged(node: $n) { sessionPubkey state cause signature } }`, {
      n: node.node.toBase58(),
    });
    const capTwo = wsSubscribe(wsTwo.client, `subscription { nodeCapacity(region: "sa-east") { activeSessions cause } }`);
    const onOne = sseSubscribe(apiOne.url, `subscription($n: Pubkey) { sessionChanged(node: $n) { sessionPubkey state cause signature } }`, {
      n: node.node.toBase58(),
    });
    await onOne.open;
    // API #2 reports its subscribers on /metrics: wait until both are registered.
    await waitFor(async () => /dvpn_api_subscribers_connected 2/.test(await (await fetch(`${urlTwo}/metrics`)).text()), {
      what: 'two subscriptions on API #2',
    });
    await waitFor(() => apiOne.yoga.api.feed.subscriberCount() === 1, { what: 'one subscription on API #1' });

    const sess = await openTimeSession(chain, node, 5);
    const close = await chain.send(closeSessionIx(chain, sess, cfg.treasury.publicKey), [sess.user]);

    await waitFor(() => onTwo.results.length >= 2 && onOne.results.length >= 2 && capTwo.results.length >= 2, {
      what: 'changes on both API processes',
    });
    const expected = [
      { sessionPubkey: sess.session.toBase58(), state: 'ACTIVE', cause: 'SessionOpened', signature: sess.result.signature },
      { sessionPubkey: sess.session.toBase58(), state: 'CLOSED', cause: 'SessionClosed', signature: close.signature },
    ];
    expect(onTwo.results.map((r) => r.data.sessionChanged)).toEqual(expected);
    expect(onOne.results.map((r) => r.data.sessionChanged)).toEqual(expected);
    expect(capTwo.results.map((r) => r.data.nodeCapacity)).toEqual([
      { activeSessions: '1', cause: 'SessionOpened' },
      { activeSessions: '0', cause: 'SessionClosed' },
    ]);

    // Both replicas answer queries from the same database.
    const q = `query($p: Pubkey!) { session(pubkey: $p) { state refundedAmount } }`;
    const [a, b] = await Promise.all([gql(apiOne.url, q, { p: sess.session.toBase58() }), gql(urlTwo, q, { p: sess.session.toBase58() })]);
    expect(a.data!.session.state).toBe('CLOSED');
    expect(b.data).toEqual(a.data);

    onTwo.dispose();
    capTwo.dispose();
    onOne.close();
    await wsTwo.client.dispose();
  });

  it('the replica without an indexer reports ingestion from the checkpoint and the RPC', async () => {
    const ready = await fetch(`${urlTwo}/readyz`);
    const body = await ready.json();
    expect(ready.status).toBe(200);
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.rpc.ok).toBe(true);
    expect(body.checks.ingestion).toMatchObject({ ok: true, source: 'database', lagSlots: 0 });
    const metrics = await (await fetch(`${urlTwo}/metrics`)).text();
    expect(metrics).toMatch(/^dvpn_ingest_lag_slots 0$/m);
    expect(metrics).toMatch(/^dvpn_ingest_events_applied_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^dvpn_ingest_indexed_slot [1-9]\d*$/m);
  });
});
