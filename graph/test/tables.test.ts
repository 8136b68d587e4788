// The writer's table specs come from the Prisma schema: every column of the
// migrated tables is written, except the ones the database fills itself, and
// a row missing a column's property is refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, CONFIG, DISPUTES, EVENTS, NODES, PROVIDERS, RATINGS, SESSIONS, STAKE_CHANGES, buildInsert } from '../src/store/tables.js';
import { startDatabase, type TestDatabase } from './helpers.js';

const SPECS = [CONFIG, PROVIDERS, NODES, SESSIONS, DISPUTES, CLAIMS, STAKE_CHANGES, RATINGS, EVENTS];
const FILLED_BY_DATABASE: Record<string, string[]> = {
  nodes: ['free_capacity'],
  claims: ['id'],
  stake_changes: ['id'],
  events: ['id', 'indexed_at'],
};

let db: TestDatabase;
beforeAll(async () => {
  db = await startDatabase();
}, 120_000);
afterAll(async () => {
  await db?.stop();
});

describe('table specs', () => {
  it('cover every column of the migrated tables but those the database fills', async () => {
    for (const spec of SPECS) {
      const rows = await db.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [spec.table],
      );
      const inDb = rows.map((r) => r.column_name).sort();
      expect(inDb.length, spec.table).toBeGreaterThan(0);
      const written = spec.columns.map((c) => c.col);
      expect([...written, ...(FILLED_BY_DATABASE[spec.table] ?? [])].sort(), spec.table).toEqual(inDb);
    }
  });

  it('refuse a row without a column, naming it', () => {
    const row = { pubkey: 'x', admin: 'a', treasury: 't', protocolFeeBps: 0 };
    expect(() => buildInsert(CONFIG, [row], 'update')).toThrow(/config\.token_mint: the row has no property tokenMint/);
  });
});
