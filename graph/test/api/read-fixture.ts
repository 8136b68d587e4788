// A small indexed world for the read-path tests (hot-reads, compiled-reads):
// 4 providers, 30 nodes in 3 regions, 40 sessions of 3 users (10 addresses
// opened twice), with u64-max amounts, SOL and token mints, closed and open
// sessions; written in SQL as the indexer would leave it.
import { createHash } from 'node:crypto';
import bs58 from 'bs58';
import pg from 'pg';

export const key = (label: string, i: number) => bs58.encode(createHash('sha256').update(`${label}:${i}`).digest());
export const REGIONS = ['eu-west', 'us-east', 'ap-south'];

export async function seedReadFixture(url: string): Promise<void>{
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const ts = new Date('2026-03-01T00:00:00Z');
  for (let p = 0; p < 4; p++) {
    await c.query(
      `INSERT INTO providers (pubkey, authority, stake_vault, stake_lamports, reputation_score, registered_at, updated_at, last_slot, last_signature)
       VALUES ($1, $2, $3, $4, $5, $6, $6, 1, 's')`,
      [key('p', p), key('a', p), key('v', p), String(10n ** 18n + BigInt(p)), 900 + p * 100, ts],
    );
  }
  for (let n = 0; n < 30; n++) {
    await c.query(
      `INSERT INTO nodes (pubkey, provider, node_id, endpoint, region, price_per_minute, price_per_minute_token, wg_server_pubkey,
         max_capacity, active_sessions, is_active, provider_reputation, created_at, updated_at, last_slot, last_signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'wg', $8, $9, $10, $11, $12, $12, 1, 's')`,
      [key('n', n), key('p', n % 4), n, `h${n}:51820`, REGIONS[n % 3], 1000 + (n % 7) * 10, n % 5 === 0 ? 0 : 50 + n, 1 + (n % 4), n % 3, n % 6 !== 0, 900 + (n % 4) * 100, new Date(ts.getTime() + n * 1000)],
    );
  }
  for (let s = 0; s < 40; s++) {
    await c.query(
      `INSERT INTO sessions (pubkey, generation, "user", node, provider, session_id, mode, state, payment_mint, escrow_amount, remaining_balance,
         tick_amount, max_ticks, hash_chain_root, start_ts, end_ts, closed_at, opened_signature, updated_at, last_slot, last_signature)
       VALUES ($1, $2, $3, $4, $5, $6, 'TIME', $7, $8, '18446744073709551615', 5, 0, 0, 'r', $9, $9, $10, 'o', $9, 1, 's')`,
      [key('s', s % 30), s >= 30 ? 1 : 0, key('u', s % 3), key('n', s % 30), key('p', (s % 30) % 4), s,
        ['ACTIVE', 'CLOSED', 'SETTLED', 'DISPUTED'][s % 4], s % 2 ? '11111111111111111111111111111111' : key('mint', 0),
        new Date(ts.getTime() + (s % 10) * 60_000), s % 4 === 1 ? ts : null],
    );
  }
  await c.end();
}
