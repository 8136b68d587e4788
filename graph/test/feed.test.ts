// The change feed against a real Postgres change log and a real bus: lost and
// duplicated bus messages, resume by cursor, and the gap signal. The indexer
// is not needed here: changes are written to the `changes` table the way the
// writer writes them (seq, topic, payload), and the bus carries what a
// publisher would (or loses it, which is the fault under test).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, type Bus, type NodeCapacityChange } from '../src/bus.js';
import { ChangeFeed, isGap, sqlChangeStore, type FeedItem } from '../src/feed.js';
import { silentLogger } from '../src/log.js';
import { Writer } from '../src/store/writer.js';
import { sleep, startDatabase, waitFor, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let bus: Bus;
let feed: ChangeFeed;
let seq = 0;

const change = (node: string): NodeCapacityChange => ({
  seq: ++seq,
  cause: 'SessionOpened',
  signature: `sig${seq}`,
  slot: seq,
  timestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
  node,
  provider: 'P',
  region: 'eu',
  maxCapacity: 10,
  activeSessions: seq,
  freeCapacity: 10 - seq,
  isActive: true,
  pricePerMinute: '1',
  pricePerMinuteToken: '0',
});

/** Commits a change to the log; publishes it unless `lost`. */
async function commit(node: string, opts: { lost?: boolean } = {}): Promise<NodeCapacityChange> {
  const c = change(node);
  await db.query('INSERT INTO changes (seq, topic, payload) VALUES ($1, $2, $3)', [c.seq, 'nodeCapacity', JSON.stringify(c)]);
  if (!opts.lost) await bus.publish('nodeCapacity', c);
  return c;
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const seqs = (items: FeedItem<'nodeCapacity'>[]) => items.map((i) => (isGap(i) ? `gap:${i.gap.code}` : i.seq));

beforeAll(async () => {
  db = await startDatabase();
  bus = createBus();
  feed = new ChangeFeed(bus, sqlChangeStore(async (text, values) => db.query(text, values)), { pollMs: 200 });
  await feed.ready();
});

afterAll(async () => {
  await feed?.close();
  await bus?.close();
  await db?.stop();
});

describe('change feed', () => {
  it('delivers a change whose bus message was lost, in its place, and drops duplicates', async () => {
    const it = feed.stream('nodeCapacity', { node: 'A' });
    const a = await commit('A');
    const b = await commit('A', { lost: true });
    const c = await commit('A');
    await bus.publish('nodeCapacity', a); // a late duplicate
    const d = await commit('A', { lost: true }); // lost, and nothing follows it: the poll finds it
    expect(seqs(await take(it, 4))).toEqual([a.seq, b.seq, c.seq, d.seq]);
    await it.return!();
    expect(feed.stats.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('resumes after a cursor from the log, then live, none twice', async () => {
    const first = await commit('B');
    const missed = [await commit('B'), await commit('C'), await commit('B', { lost: true })];
    const it = feed.stream('nodeCapacity', { node: 'B' }, { after: first.seq });
    const live = await commit('B');
    expect(seqs(await take(it, 3))).toEqual([missed[0].seq, missed[2].seq, live.seq]);
    const next = await commit('B');
    expect(seqs(await take(it, 1))).toEqual([next.seq]);
    await it.return!();
  });

  it('ends with a gap signal when the subscriber falls too far behind', async () => {
    const it = feed.stream('nodeCapacity', { node: 'D' }, { maxBuffer: 3 });
    const got = await commit('D');
    expect(seqs(await take(it, 1))).toEqual([got.seq]);
    for (let i = 0; i < 5; i++) await commit('D');
    await waitFor(() => (feed.position ?? 0) >= seq, { what: 'feed caught up' });
    const rest = await take(it, 10);
    expect(rest).toHaveLength(1);
    expect(isGap(rest[0]) && rest[0].gap).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW', lastSeq: got.seq });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('says so when a cursor is ahead of the log or older than it', async () => {
    const ahead = feed.stream('nodeCapacity', {}, { after: seq + 1000 });
    const [a] = await take(ahead, 1);
    expect(isGap(a) && a.gap.code).toBe('CURSOR_AHEAD');

    await db.query('DELETE FROM changes WHERE seq <= 2');
    const old = feed.stream('nodeCapacity', {}, { after: 0 });
    const [o] = await take(old, 1);
    expect(isGap(o) && o.gap.code).toBe('CURSOR_EXPIRED');
  });

  it('the indexer prunes the log past its retention, and old cursors then expire', async () => {
    const keptChange = await commit('E');
    const kept = { seq: keptChange.seq! };
    await db.query(`UPDATE changes SET created_at = now() - interval '2 hours' WHERE seq < $1`, [kept.seq]);
    const writer = new Writer(db.url, 'prune-test', silentLogger);
    await writer.connect(() => undefined);
    try {
      expect(await writer.pruneChanges(1)).toBeGreaterThan(0);
    } finally {
      await writer.close();
    }
    const rows = await db.query<{ seq: string }>('SELECT seq::text FROM changes ORDER BY seq');
    expect(rows.map((r) => Number(r.seq))).toEqual([kept.seq]);
    const it = feed.stream('nodeCapacity', {}, { after: kept.seq - 2 });
    const [g] = await take(it, 1);
    expect(isGap(g) && g.gap.code).toBe('CURSOR_EXPIRED');
    const fine = feed.stream('nodeCapacity', { node: 'E' }, { after: kept.seq - 1 });
    expect(seqs(await take(fine, 1))).toEqual([kept.seq]);
    await fine.return!();
    await sleep(0);
  });
});
