// Nothing lost, nothing twice: an indexer process killed mid-stream (SIGKILL)
// and restarted while transactions keep confirming, and a websocket cut while
// transactions confirm. Every event is in the database exactly once, in chain
// order, and the tables match the accounts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, type ConfigCtx, type NodeCtx } from '../../tests/harness/fixtures.js';
import { createIndexer } from '../src/indexer.js';
import { runTraffic } from './scenario.js';
import {
  chainEvents,
  countEvents,
  dbEvents,
  diffWithChain,
  eventKey,
  indexerConfig,
  startDatabase,
  startProxy,
  waitFor,
  type TestDatabase,
} from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/indexer.ts', import.meta.url));

let chain: Chain;
let db: TestDatabase;
let cfg: ConfigCtx;
let node: NodeCtx;

beforeAll(async () => {
  [chain, db] = await Promise.all([startChain(), startDatabase()]);
  cfg = await initConfig(chain);
  node = await createProviderWithNode(chain, { maxCapacity: 10_000 });
});

afterAll(async () => {
  chain?.close();
  await db?.stop();
});

function spawnIndexer(databaseUrl: string): { child: ChildProcess; leader: Promise<void> } {
  const child = fork(BIN, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      SOLANA_RPC_URL: chain.rpcUrl,
      SOLANA_WS_URL: chain.wsUrl,
      DATABASE_URL: databaseUrl,
      REDIS_URL: '',
      INDEXER_BACKFILL_INTERVAL_MS: '0',
      INDEXER_RECONCILE_ON_START: '0',
      INDEXER_LOCK_POLL_MS: '100',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const leader = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'leader') resolve();
    });
    child.on('exit', (code) => reject(new Error(`indexer exited early (${code})`)));
  });
  leader.catch(() => undefined);
  return { child, leader };
}

async function expectExactlyOnce(target: TestDatabase): Promise<void> {
  const expected = await chainEvents(chain);
  await waitFor(async () => (await countEvents(target)) >= expected.length, { what: `${expected.length} events`, timeoutMs: 30_000 });
  const stored = await dbEvents(target);
  expect(stored.length).toBe(expected.length);
  expect(new Set(stored.map(eventKey)).size).toBe(stored.length);
  expect(stored.map(eventKey)).toEqual(expected.map(eventKey));
  expect(stored).toEqual(expected);
}

describe('restart', () => {
  it('an indexer killed mid-stream and restarted applies every event exactly once', async () => {
    const first = spawnIndexer(db.url);
    await first.leader;
    const signal = { stop: false };
    let sent = 0;
    const traffic = runTraffic(chain, { cfg, node }, { rounds: 24, perTx: 2, parallel: 3, signal, onSent: () => sent++ });

    // Kill it (no shutdown handler runs) once part of the stream is in.
    await waitFor(async () => (await countEvents(db)) >= 20, { what: 'first events' });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const atKill = await countEvents(db);
    await traffic;
    expect(sent).toBe(72);
    // Transactions confirmed while no indexer ran.
    expect((await chainEvents(chain)).length).toBeGreaterThan(atKill);

    const second = spawnIndexer(db.url);
    await second.leader;
    try {
      await expectExactlyOnce(db);
      expect(await diffWithChain(chain, db)).toEqual([]);
      const [cp] = await db.query<{ head_signature: string; signature: string }>('SELECT head_signature, signature FROM checkpoints');
      const expected = await chainEvents(chain);
      expect(cp.signature).toBe(expected[expected.length - 1].signature);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });
});

describe('websocket', () => {
  it('a dropped websocket reconnects and the gap is backfilled', async () => {
    const target = await db.another();
    const proxy = await startProxy(chain.wsUrl);
    const indexer = createIndexer(indexerConfig(chain, target.url, { wsUrl: proxy.url }));
    try {
      await indexer.start();
      await indexer.whenLeader();
      await waitFor(() => indexer.metrics().live.connected, { what: 'live subscription' });
      await waitFor(async () => (await countEvents(target)) === (await chainEvents(chain)).length, { what: 'history backfilled' });
      const fetchedBefore = indexer.metrics().backfill.fetchedTotal;

      await runTraffic(chain, { cfg, node }, { rounds: 3, perTx: 2, parallel: 1 });
      await waitFor(async () => (await countEvents(target)) === (await chainEvents(chain)).length, { what: 'live events' });
      expect(indexer.metrics().backfill.fetchedTotal).toBe(fetchedBefore); // they came live

      proxy.cut();
      await waitFor(() => !indexer.metrics().live.connected, { what: 'disconnect noticed' });
      const gap = await runTraffic(chain, { cfg, node }, { rounds: 4, perTx: 2, parallel: 2 });
      proxy.resume();

      await expectExactlyOnce(target);
      const m = indexer.metrics();
      expect(m.live.reconnects).toBeGreaterThanOrEqual(1);
      expect(m.backfill.fetchedTotal - fetchedBefore).toBe(gap.length);
      expect(await diffWithChain(chain, target)).toEqual([]);
    } finally {
      await indexer.stop();
      await proxy.close();
    }
  });
});

describe('live queue bound', () => {
  it('notifications beyond the bound are dropped and the backfill applies them, exactly once', async () => {
    const target = await db.another();
    const indexer = createIndexer(indexerConfig(chain, target.url, { liveQueueMax: 2 }));
    const blocker = await target.pool.connect();
    try {
      await indexer.start();
      await indexer.whenLeader();
      await waitFor(() => indexer.metrics().live.connected, { what: 'live subscription' });
      await waitFor(async () => (await countEvents(target)) === (await chainEvents(chain)).length, { what: 'history backfilled' });
      await indexer.whenIdle();

      // Stall the writer for real: hold the checkpoint row it must update.
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM checkpoints FOR UPDATE');
      await runTraffic(chain, { cfg, node }, { rounds: 4, perTx: 2, parallel: 2 });
      await waitFor(() => indexer.metrics().live.dropped > 0, { what: 'notifications dropped from the full queue' });
      expect(indexer.metrics().queueDepth).toBeLessThanOrEqual(2);
      await blocker.query('COMMIT');

      await expectExactlyOnce(target);
      expect(await diffWithChain(chain, target)).toEqual([]);
    } finally {
      blocker.release();
      await indexer.stop();
    }
  });
});
