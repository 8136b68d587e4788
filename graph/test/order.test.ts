// Duplicate and out-of-order delivery is harmless: the same recorded
// transactions applied in order, with duplicates, and with late deliveries
// (each followed, as the indexer does, by a targeted reconciliation of what the
// processor flagged) end in the same tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { decodeTransaction, fromGetTransaction, type DecodedTransaction } from '../src/ingest/decode.js';
import { recordProgramTransactions } from '../src/ingest/record.js';
import { fetchSnapshot, repairFromSnapshot } from '../src/ingest/reconcile.js';
import { Rpc } from '../src/ingest/rpc.js';
import { silentLogger } from '../src/log.js';
import { Writer } from '../src/store/writer.js';
import { runScenario } from './scenario.js';
import { diffWithChain, startDatabase, type TestDatabase } from './helpers.js';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';

const PROGRAM = DVPN_PROGRAM_ID.toBase58();
let chain: Chain;
let db: TestDatabase;
let txs: DecodedTransaction[];

beforeAll(async () => {
  [chain, db] = await Promise.all([startChain(), startDatabase()]);
  await runScenario(chain);
  txs = (await recordProgramTransactions(chain.rpcUrl)).map((t) => decodeTransaction(fromGetTransaction(t))!);
});

afterAll(async () => {
  chain?.close();
  await db?.stop();
});

/** Applies deliveries one database transaction each; then reconciles what was flagged, as the indexer does. */
async function ingest(target: TestDatabase, deliveries: DecodedTransaction[][]): Promise<{ flagged: Set<string>; newEvents: number }> {
  const writer = new Writer(target.url, PROGRAM, silentLogger);
  await writer.connect(() => undefined);
  const flagged = new Set<string>();
  let newEvents = 0;
  try {
    for (const batch of deliveries) {
      const r = await writer.apply(batch);
      newEvents += r.newEvents;
      for (const k of r.reconcile) flagged.add(k);
    }
    if (flagged.size > 0) {
      const snap = await fetchSnapshot(new Rpc(chain.rpcUrl), PROGRAM, [...flagged]);
      await writer.transaction((c) => repairFromSnapshot(c, snap, silentLogger));
    }
  } finally {
    await writer.close();
  }
  return { flagged, newEvents };
}

/** Business content of every table (no ids, no bookkeeping columns). */
async function dump(target: TestDatabase, opts: { bookkeeping: boolean }): Promise<Record<string, unknown[]>> {
  const meta = opts.bookkeeping ? '' : ', last_slot, last_signature, updated_at';
  const q = async (sql: string) => target.query(sql);
  const strip = (rows: Record<string, unknown>[], drop: string[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
  const bk = opts.bookkeeping ? [] : meta.split(', ').filter(Boolean);
  return {
    config: strip(await q('SELECT * FROM config'), bk),
    providers: strip(await q('SELECT * FROM providers ORDER BY pubkey'), bk),
    nodes: strip(await q('SELECT * FROM nodes ORDER BY pubkey'), bk),
    sessions: strip(await q('SELECT * FROM sessions ORDER BY pubkey'), bk),
    disputes: await q('SELECT * FROM disputes ORDER BY session'),
    ratings: await q('SELECT * FROM ratings ORDER BY session'),
    claims: strip(await q('SELECT * FROM claims ORDER BY signature, ix_index, event_index'), ['id']),
    stake_changes: strip(await q('SELECT * FROM stake_changes ORDER BY signature, ix_index, event_index'), ['id']),
    events: strip(await q('SELECT * FROM events ORDER BY signature, ix_index, event_index'), ['id', 'indexed_at']),
  };
}

const CREATES = new Set(['ConfigUpdated', 'ProviderRegistered', 'NodeRegistered', 'SessionOpened', 'DisputeRaised']);
const creates = (t: DecodedTransaction) => t.events.some((e) => CREATES.has(e.event.name));

describe('delivery order', () => {
  let reference: Record<string, unknown[]>;
  let referenceBusiness: Record<string, unknown[]>;

  it('in order, one transaction at a time: the reference, equal to the chain', async () => {
    const r = await ingest(db, txs.map((t) => [t]));
    expect(r.flagged.size).toBe(0);
    expect(r.newEvents).toBe(txs.reduce((a, t) => a + t.events.length, 0));
    expect(await diffWithChain(chain, db)).toEqual([]);
    reference = await dump(db, { bookkeeping: true });
    referenceBusiness = await dump(db, { bookkeeping: false });
    expect(reference.events.length).toBe(25);
  });

  it('duplicates (each transaction twice, then everything again in one batch) change nothing', async () => {
    const other = await db.another();
    const r = await ingest(other, [...txs.flatMap((t) => [[t], [t]]), txs, txs.slice(3, 9)]);
    expect(r.flagged.size).toBe(0);
    expect(r.newEvents).toBe(25);
    expect(await dump(other, { bookkeeping: true })).toEqual(reference);
  });

  it('late deliveries (neighbours swapped, duplicates mixed in) end in the same tables', async () => {
    const other = await db.another();
    const swapped: DecodedTransaction[][] = [];
    let late = 0;
    for (let i = 0; i < txs.length; i += 2) {
      const a = txs[i];
      const b = txs[i + 1];
      if (b && !creates(a) && !creates(b)) {
        swapped.push([b], [a], [b]);
        late++;
      } else {
        swapped.push([a]);
        if (b) swapped.push([b]);
      }
    }
    expect(late).toBeGreaterThan(3);
    const r = await ingest(other, swapped);
    expect(r.newEvents).toBe(25);
    expect(await dump(other, { bookkeeping: false })).toEqual(referenceBusiness);
    expect(await diffWithChain(chain, other)).toEqual([]);
  });
});
