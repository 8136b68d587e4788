// Decoder and replay on recorded real transactions (graph/test/fixtures/
// scenario.json: raw getTransaction results of the scenario in scenario.ts,
// re-record with `npm run fixtures:record -w @dvpn/graph` when the program's
// events change). No RPC: the replay entry point the benchmark uses.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvents } from '@dvpn/sdk';
import { decodeTransaction, fromGetTransaction, type GetTransactionResult } from '../src/ingest/decode.js';
import { readRecording, replay } from '../src/ingest/replay.js';
import { createBus, type FeedEvent } from '../src/bus.js';
import { startDatabase, type TestDatabase } from './helpers.js';

const FIXTURE = new URL('./fixtures/scenario.json', import.meta.url).pathname;
let db: TestDatabase;
let recording: GetTransactionResult[];

beforeAll(async () => {
  db = await startDatabase();
  recording = await readRecording(FIXTURE);
});
afterAll(async () => {
  await db?.stop();
});

describe('decoder on recorded transactions', () => {
  it('finds every event of every instruction, as the SDK does on the whole log', () => {
    const decoded = recording.map((r) => decodeTransaction(fromGetTransaction(r))!);
    const names = decoded.flatMap((d) => d.events.map((e) => e.event.name));
    expect(names.length).toBe(25);
    expect(new Set(names).size).toBe(13);
    for (const [i, r] of recording.entries()) {
      const sdk = parseEvents(r.meta!.logMessages!);
      expect(decoded[i].events.map((e) => e.event)).toEqual(sdk);
    }
    // register_provider + stake_provider in one transaction: instructions 0 and 1
    const both = decoded.find((d) => d.events.length === 2 && d.events[0].event.name === 'ProviderRegistered')!;
    expect(both.events.map((e) => [e.ixIndex, e.eventIndex])).toEqual([[0, 0], [1, 0]]);
  });

  it('skips failed transactions', () => {
    const failed = { ...recording[0], meta: { ...recording[0].meta!, err: { InstructionError: [0, { Custom: 6000 }] } } };
    expect(decodeTransaction(fromGetTransaction(failed))).toBeNull();
  });

  it('is not fooled by another program logging "Program data:"', () => {
    const logs = [
      'Program Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo invoke [1]',
      `Program data: ${recording[0].meta!.logMessages!.find((l) => l.startsWith('Program data: '))!.slice(14)}`,
      'Program Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo success',
    ];
    expect(decodeTransaction({ signature: 'x', slot: 1, err: null, logs })!.events).toEqual([]);
  });
});

describe('replay', () => {
  it('ingests the recording without RPC, publishes, and a second replay adds nothing', async () => {
    const bus = createBus();
    const feed: FeedEvent[] = [];
    bus.subscribe('event', {}, (e) => feed.push(e));
    const first = await replay(recording, { databaseUrl: db.url, batchSize: 7, bus });
    expect(first).toMatchObject({ transactions: recording.length, events: 25, newEvents: 25 });
    expect(feed.length).toBe(25);
    const again = await replay(recording, { databaseUrl: db.url, batchSize: 100 });
    expect(again.newEvents).toBe(0);
    const [counts] = await db.query(`SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM claims)::int AS claims,
      (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM stake_changes)::int AS stakes,
      (SELECT count(*) FROM ratings)::int AS ratings, (SELECT count(*) FROM disputes)::int AS disputes,
      (SELECT count(*) FROM nodes)::int AS nodes, (SELECT count(*) FROM providers)::int AS providers`);
    expect(counts).toEqual({ events: 25, claims: 9, sessions: 4, stakes: 4, ratings: 2, disputes: 1, nodes: 2, providers: 1 });
    const [cp] = await db.query<{ signature: string; head_signature: string }>('SELECT signature, head_signature FROM checkpoints');
    const last = recording[recording.length - 1].transaction.signatures[0];
    expect(cp).toEqual({ signature: last, head_signature: last });
    await bus.close();
  });

  it('one transaction per batch gives the same tables as big batches', async () => {
    const other = await db.another();
    await replay(recording, { databaseUrl: other.url, batchSize: 1 });
    const tables = ['providers', 'nodes', 'sessions', 'disputes', 'ratings', 'config'];
    for (const t of tables) {
      const key = t === 'disputes' || t === 'ratings' ? 'session' : 'pubkey';
      expect(await other.query(`SELECT * FROM ${t} ORDER BY ${key}`)).toEqual(await db.query(`SELECT * FROM ${t} ORDER BY ${key}`));
    }
    const claims = `SELECT kind, session, amount, fee, refund, tick FROM claims ORDER BY signature, ix_index, event_index`;
    expect(await other.query(claims)).toEqual(await db.query(claims));
  });

  it('the fixture file is a plain JSON array of getTransaction results', () => {
    const raw = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    expect(Array.isArray(raw)).toBe(true);
    expect(raw[0]).toHaveProperty('transaction.signatures');
    expect(raw[0]).toHaveProperty('meta.logMessages');
  });
});
