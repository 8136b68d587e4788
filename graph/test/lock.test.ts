// One writer at a time: a second indexer waits on the Postgres advisory lock
// and takes over when the first dies (abruptly) or stops; both publish through
// a real Redis, and a subscriber on another connection sees the changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, type ConfigCtx, type NodeCtx } from '../../tests/harness/fixtures.js';
import { createBus, type Bus, type FeedEvent, type SessionChange } from '../src/bus.js';
import { createIndexer, type Indexer } from '../src/indexer.js';
import { runTraffic } from './scenario.js';
import {
  chainEvents,
  countEvents,
  dbEvents,
  diffWithChain,
  eventKey,
  indexerConfig,
  sleep,
  startDatabase,
  startRedis,
  waitFor,
  type TestDatabase,
  type TestRedis,
} from './helpers.js';

let chain: Chain;
let db: TestDatabase;
let redis: TestRedis;
let cfg: ConfigCtx;
let node: NodeCtx;
let subscriber: Bus;
const feed: FeedEvent[] = [];
const byNode: SessionChange[] = [];
const started: Indexer[] = [];

beforeAll(async () => {
  [chain, db, redis] = await Promise.all([startChain(), startDatabase(), startRedis()]);
  cfg = await initConfig(chain);
  node = await createProviderWithNode(chain, { maxCapacity: 10_000 });
  subscriber = createBus({ redisUrl: redis.url, prefix: 'lock-test' });
  await subscriber.ready();
  subscriber.subscribe('event', {}, (e) => feed.push(e));
  subscriber.subscribe('session', { node: node.node.toBase58() }, (s) => byNode.push(s));
});

afterAll(async () => {
  for (const i of started) await i.stop().catch(() => undefined);
  await subscriber?.close();
  chain?.close();
  await Promise.all([db?.stop(), redis?.stop()]);
});

const make = () => {
  const bus = createBus({ redisUrl: redis.url, prefix: 'lock-test' });
  const i = createIndexer(indexerConfig(chain, db.url, { redisUrl: redis.url }), { bus });
  started.push(i);
  return { indexer: i, bus };
};

describe('single writer', () => {
  it('the second indexer stands by, then takes over when the first dies, and again when the next one stops', async () => {
    const a = make();
    await a.indexer.start();
    await a.indexer.whenLeader();
    const b = make();
    await b.indexer.start();
    await waitFor(() => b.indexer.metrics().role === 'standby', { what: 'b standing by' });

    await runTraffic(chain, { cfg, node }, { rounds: 4, perTx: 2, parallel: 2 });
    await waitFor(async () => (await countEvents(db)) === (await chainEvents(chain)).length, { what: 'a applied the stream' });
    expect(a.indexer.metrics().eventsApplied).toBeGreaterThan(0);
    expect(b.indexer.metrics().role).toBe('standby');
    expect(b.indexer.metrics().eventsApplied).toBe(0);

    // A dies without a word (its connection just goes away) in the middle of traffic.
    const traffic = runTraffic(chain, { cfg, node }, { rounds: 8, perTx: 2, parallel: 2 });
    await sleep(150);
    a.indexer.kill();
    await b.indexer.whenLeader();
    await traffic;
    const expected = await chainEvents(chain);
    await waitFor(async () => (await countEvents(db)) === expected.length, { what: 'b caught up', timeoutMs: 30_000 });
    expect(b.indexer.metrics().eventsApplied).toBeGreaterThan(0);

    // A third one waits; B stops gracefully; C takes over and applies what follows.
    const c = make();
    await c.indexer.start();
    await waitFor(() => c.indexer.metrics().role === 'standby', { what: 'c standing by' });
    await b.indexer.stop();
    await c.indexer.whenLeader();
    await runTraffic(chain, { cfg, node }, { rounds: 2, perTx: 2, parallel: 1 });
    const all = await chainEvents(chain);
    await waitFor(async () => (await countEvents(db)) === all.length, { what: 'c applied the rest' });

    const stored = await dbEvents(db);
    expect(stored.map(eventKey)).toEqual(all.map(eventKey));
    expect(stored).toEqual(all);
    expect(await diffWithChain(chain, db)).toEqual([]);

    // Through Redis: every event once at most (a killed writer may die between
    // commit and publish), in order, and everything after the takeovers.
    await waitFor(() => feed.length > 0 && feed[feed.length - 1].signature === all[all.length - 1].signature, { what: 'feed tail' });
    const keys = feed.map(eventKey);
    expect(new Set(keys).size).toBe(keys.length);
    const ids = feed.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const tail = stored.slice(-8).map(eventKey);
    expect(keys.slice(-8)).toEqual(tail);
    expect(byNode.length).toBeGreaterThan(0);
    expect(byNode.every((s) => s.node === node.node.toBase58())).toBe(true);
  });
});
