// Faults under live subscriptions, on the real stack: the leader indexer
// (its own process) killed with SIGKILL while transactions keep confirming,
// then restarted (with start-up reconciliation); then redis-server killed for
// seconds and started again on the same port, transactions still confirming;
// two API processes (this one and graph/bin/api.ts) behind Redis. Afterwards:
// - every subscriber (graphql-ws on one replica, SSE on the other) has every
//   change of its filter exactly once, in seq order, equal to the chain's own
//   record (getTransaction), including the changes backfilled after the outage;
// - a graphql-ws subscriber that disconnected during the outage and came back
//   with `after: <its last seq>` has every change exactly once;
// - ingestion kept committing while Redis was down, and /readyz reported the
//   dead writer;
// - the tables equal the accounts, and the per-event counters equal the counts
//   of the chain's events.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { startChain, REPO_ROOT, type Chain } from '../../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, type ConfigCtx, type NodeCtx } from '../../../tests/harness/fixtures.js';
import { createBus, type Bus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { freePort } from '../../src/db/embedded.js';
import { silentLogger } from '../../src/log.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { createRpcProbe } from '../../src/api/ingestion.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';
import { runTraffic } from '../scenario.js';
import { chainEvents, countEvents, diffWithChain, sleep, startDatabase, waitFor, type TestDatabase } from '../helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './setup.js';

const INDEXER_BIN = fileURLToPath(new URL('../../bin/indexer.ts', import.meta.url));

let chain: Chain;
let db: TestDatabase;
let redisPort: number;
let redis: ChildProcess | null = null;
let prisma: PrismaClient;
let busOne: Bus;
let apiOne: ApiServer;
let apiTwo: ChildProcess;
let urlTwo: string;
let indexer: ChildProcess | null = null;
let cfg: ConfigCtx;
let node: NodeCtx;

async function startRedisOn(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((ok, fail) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) ok();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return child;
}

async function kill(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((r) => {
    child.once('exit', () => r());
    child.kill(signal);
  });
}

function spawnIndexer(): { child: ChildProcess; leader: Promise<void> } {
  const child = fork(INDEXER_BIN, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      SOLANA_RPC_URL: chain.rpcUrl,
      SOLANA_WS_URL: chain.wsUrl,
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INDEXER_BACKFILL_INTERVAL_MS: '0',
      INDEXER_RECONCILE_ON_START: '1',
      INDEXER_LOCK_POLL_MS: '100',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const leader = new Promise<void>((ok, fail) => {
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'leader') ok();
    });
    child.on('exit', (code) => fail(new Error(`indexer exited early (${code})`)));
  });
  leader.catch(() => undefined);
  return { child, leader };
}

beforeAll(async () => {
  [chain, db, redisPort] = await Promise.all([startChain(), startDatabase(), freePort()]);
  redis = await startRedisOn(redisPort);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  cfg = await initConfig(chain);
  node = await createProviderWithNode(chain, { maxCapacity: 10_000, region: 'eu-resume' });

  const first = spawnIndexer();
  indexer = first.child;
  await first.leader;
  await waitFor(async () => (await countEvents(db)) === (await chainEvents(chain)).length, { what: 'history indexed' });

  prisma = createPrismaClient(db.url, { max: 4 });
  busOne = createBus({ redisUrl, logger: silentLogger });
  await busOne.ready();
  apiOne = createApiServer({
    prisma,
    bus: busOne,
    port: 0,
    logger: silentLogger,
    rpc: createRpcProbe(chain.rpcUrl, DVPN_PROGRAM_ID.toBase58()),
    stallAfterMs: 1000,
  });
  await apiOne.start();

  apiTwo = fork(resolve(REPO_ROOT, 'graph/bin/api.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      SOLANA_RPC_URL: chain.rpcUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  urlTwo = await new Promise<string>((ok, fail) => {
    apiTwo.on('message', (m: { type?: string; url?: string }) => {
      if (m.type === 'listening' && m.url) ok(m.url);
    });
    apiTwo.on('exit', (code) => fail(new Error(`API process exited early (${code})`)));
  });
});

afterAll(async () => {
  await kill(apiTwo, 'SIGTERM');
  await apiOne?.stop();
  await busOne?.close();
  await prisma?.$disconnect();
  await kill(indexer, 'SIGTERM');
  await kill(redis, 'SIGTERM');
  await db?.stop();
  chain?.close();
});

const EVENTS = `subscription($node: Pubkey, $after: BigInt) { events(node: $node, after: $after) { seq name signature ixIndex eventIndex } }`;
const SESSIONS = `subscription($node: Pubkey) { sessionChanged(node: $node) { seq cause signature sessionPubkey } }`;

type Ev = { seq: string; name: string; signature: string; ixIndex: number; eventIndex: number };
const key = (e: { signature: string; ixIndex?: number; eventIndex?: number; name?: string; cause?: string; sessionPubkey?: string }) =>
  `${e.signature}/${e.ixIndex ?? ''}/${e.eventIndex ?? ''}/${e.name ?? e.cause}/${e.sessionPubkey ?? ''}`;

function expectSeqOrder(items: { seq: string }[]): void {
  for (let i = 1; i < items.length; i++) expect(BigInt(items[i].seq)).toBeGreaterThan(BigInt(items[i - 1].seq));
}

describe('subscriptions across an indexer kill and a Redis outage', () => {
  it('every subscriber, live or resumed with its cursor, has every change exactly once, in order', async () => {
    const n = node.node.toBase58();
    const wsTwo = wsClient(`${urlTwo.replace(/^http/, 'ws')}/graphql`);
    await wsTwo.connected;
    const eventsTwo = wsSubscribe(wsTwo.client, EVENTS, { node: n });
    const sessionsOne = sseSubscribe(apiOne.url, SESSIONS, { node: n });
    await sessionsOne.open;
    const wsOne = wsClient(apiOne.wsUrl);
    await wsOne.connected;
    const resumedA = wsSubscribe(wsOne.client, EVENTS, { node: n });
    await waitFor(async () => /dvpn_api_subscribers_connected 1/.test(await (await fetch(`${urlTwo}/metrics`)).text()), {
      what: 'subscription on API #2',
    });
    await waitFor(() => apiOne.yoga.api.feed.subscriberCount() === 2, { what: 'subscriptions on API #1' });
    const baseline = (await chainEvents(chain)).length;

    const signal = { stop: false };
    const traffic = runTraffic(chain, { cfg, node }, { rounds: 1000, perTx: 2, parallel: 2, signal });

    // 1. kill -9 of the leader while transactions keep confirming.
    await waitFor(async () => (await countEvents(db)) >= baseline + 16, { what: 'first live events' });
    await kill(indexer, 'SIGKILL');
    const atKill = await countEvents(db);
    // The resumable subscriber goes away during the outage, keeping its cursor.
    await sleep(300);
    const partA = resumedA.results.map((r) => r.data.events as Ev);
    resumedA.dispose();
    await wsOne.client.dispose();
    // The replica notices the dead writer.
    await waitFor(async () => {
      const r = await fetch(`${apiOne.url}/readyz`);
      const body = await r.text();
      return r.status === 503 && /ingestion is behind/.test(body);
    }, { what: '/readyz reports the stalled writer', timeoutMs: 20_000 });
    await waitFor(async () => (await chainEvents(chain)).length > atKill + 8, {
      what: 'transactions confirmed while no indexer ran',
    });
    const second = spawnIndexer();
    indexer = second.child;
    await second.leader;

    // 2. Redis down for seconds while transactions confirm: ingestion goes on.
    await waitFor(async () => (await countEvents(db)) > atKill, { what: 'the new leader applies' });
    await kill(redis, 'SIGKILL');
    const duringOutage = await countEvents(db);
    await waitFor(async () => (await countEvents(db)) > duringOutage + 8, { what: 'commits while Redis is down', timeoutMs: 30_000 });
    await sleep(1500);
    redis = await startRedisOn(redisPort);

    // 3. The resumable subscriber comes back with its cursor.
    const wsAgain = wsClient(apiOne.wsUrl);
    await wsAgain.connected;
    const lastSeq = partA.length > 0 ? partA[partA.length - 1].seq : null;
    const resumedB = wsSubscribe(wsAgain.client, EVENTS, { node: n, after: lastSeq });
    const atResume = await countEvents(db);
    await waitFor(async () => (await countEvents(db)) > atResume + 8, { what: 'live events after the outages' });
    signal.stop = true;
    await traffic;
    await waitFor(async () => (await countEvents(db)) === (await chainEvents(chain)).length, { what: 'indexer caught up', timeoutMs: 60_000 });
    // The independent record: the chain's events (getTransaction), in chain order.
    const all = await chainEvents(chain);
    const traffic_ = all.slice(baseline);
    const evKey = (e: { signature: string; ixIndex: number; eventIndex: number; name: string }) =>
      key({ signature: e.signature, ixIndex: e.ixIndex, eventIndex: e.eventIndex, name: e.name });
    const wantedEvents = traffic_.filter((e) => e.data.node === n).map(evKey);
    const nodeSessions = new Set(all.filter((e) => e.name === 'SessionOpened' && e.data.node === n).map((e) => String(e.data.session)));
    const wantedSessionChanges = traffic_
      .filter((e) => ['SessionOpened', 'ChunkClaimed', 'SessionClosed'].includes(e.name) && nodeSessions.has(String(e.data.session)))
      .map((e) => key({ signature: e.signature, cause: e.name, sessionPubkey: String(e.data.session) }));
    expect(wantedEvents.length).toBeGreaterThan(50);

    await waitFor(() => eventsTwo.results.length >= wantedEvents.length, { what: `${wantedEvents.length} events on API #2`, timeoutMs: 30_000 });
    await waitFor(() => partA.length + resumedB.results.length >= wantedEvents.length, { what: 'resumed subscriber complete', timeoutMs: 30_000 });
    await waitFor(() => sessionsOne.results.length >= wantedSessionChanges.length, { what: 'session changes over SSE', timeoutMs: 30_000 });
    await sleep(1500); // nothing more (no duplicate) arrives

    const two = eventsTwo.results.map((r) => r.data.events as Ev);
    expect(eventsTwo.errors).toEqual([]);
    expect(two.map(evKey)).toEqual(wantedEvents);
    expectSeqOrder(two);

    const resumed = [...partA, ...resumedB.results.map((r) => r.data.events as Ev)];
    expect(partA.length).toBeGreaterThan(0);
    expect(resumedB.results.length).toBeGreaterThan(0);
    expect(resumedB.errors).toEqual([]);
    expect(resumed.map(evKey)).toEqual(wantedEvents);
    expectSeqOrder(resumed);

    const one = sessionsOne.results.map((r) => r.data.sessionChanged as { seq: string; cause: string; signature: string; sessionPubkey: string });
    expect(one.map((c) => key(c))).toEqual(wantedSessionChanges);
    expectSeqOrder(one);

    // Rows and counters equal the chain after the restart's reconciliation.
    expect(await diffWithChain(chain, db)).toEqual([]);
    const opened = (field: string, value: string) => all.filter((e) => e.name === 'SessionOpened' && e.data[field] === value).length;
    const [prov] = await db.query<{ total_sessions: string }>('SELECT total_sessions::text FROM providers WHERE pubkey = $1', [node.owner.provider.toBase58()]);
    expect(Number(prov.total_sessions)).toBe(opened('provider', node.owner.provider.toBase58()));
    const [nodeRow] = await db.query<{ total_sessions: string; active_sessions: string }>('SELECT total_sessions::text, active_sessions::text FROM nodes WHERE pubkey = $1', [n]);
    expect(Number(nodeRow.total_sessions)).toBe(opened('node', n));
    expect(Number(nodeRow.active_sessions)).toBe(0); // every traffic session closed
    const rollbacks = await db.query('SELECT * FROM repairs');
    expect(rollbacks).toEqual([]);

    eventsTwo.dispose();
    resumedB.dispose();
    sessionsOne.close();
    await wsTwo.client.dispose();
    await wsAgain.client.dispose();
  });
});
