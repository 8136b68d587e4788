// The data set of issue 12 and the five query shapes, shared by
// bench/postgraphile.ts (side by side over HTTP) and bench/api-cpu.ts (our
// API's CPU per request in process).
import { createHash } from 'node:crypto';
import bs58 from 'bs58';
import type pg from 'pg';

const REGIONS = ['eu-west', 'eu-north', 'eu-south', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east', 'af-south', 'me-central'];

const key = (prefix: string, i: number) => bs58.encode(createHash('sha256').update(`${prefix}:${i}`).digest());
export const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

// ---------------------------------------------------------------------------
// Data set

export interface Sizes {
  providers: number;
  nodes: number;
  sessions: number;
  users: number;
}

export function sizes(SCALE: number): Sizes {
  const providers = Math.max(1, Math.round(2000 * SCALE));
  const nodes = Math.max(1, Math.round(100_000 * SCALE));
  const sessions = Math.max(1, Math.round(1_000_000 * SCALE));
  return { providers, nodes, sessions, users: Math.max(1, Math.round(sessions / 50)) };
}

/**
 * Seeds in set-based statements: pubkeys are made here (base58 of a hash, as
 * the Pubkey scalar wants), every other column in SQL from hashes of the row
 * number, reproducible run to run.
 */
export async function seed(client: pg.Client, s: Sizes): Promise<void> {
  const t0 = performance.now();
  const ts = new Date('2026-01-01T00:00:00Z');
  const providers = Array.from({ length: s.providers }, (_, i) => key('provider', i));
  await client.query(
    `INSERT INTO providers (pubkey, authority, stake_vault, node_count, stake_lamports, reputation_score, rating_count, registered_at, updated_at, last_slot, last_signature)
     SELECT p, 'auth' || i, 'vault' || i, 50, 5000000000, 500 + abs(hashtext('rep' || i)) % 1501, 10, $2, $2, 1, 'seed'
     FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i)`,
    [providers, ts],
  );
  const nodes = Array.from({ length: s.nodes }, (_, i) => key('node', i));
  await client.query(
    `INSERT INTO nodes (pubkey, provider, node_id, endpoint, region, price_per_minute, price_per_minute_token, wg_server_pubkey,
       max_capacity, active_sessions, is_active, provider_reputation, created_at, updated_at, last_slot, last_signature)
     SELECT n.pk, p.pubkey, n.i, 'node' || n.i || '.bench:51820', ($3::text[])[1 + abs(hashtext('rg' || n.i)) % $4],
       200000 + abs(hashtext('pr' || n.i)) % 4800000, CASE WHEN abs(hashtext('pt' || n.i)) % 5 = 0 THEN 0 ELSE 10000 + abs(hashtext('pt' || n.i)) % 190000 END,
       'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', n.cap, abs(hashtext('ac' || n.i)) % (n.cap + 1), abs(hashtext('ia' || n.i)) % 10 <> 0,
       p.reputation_score, $2, $2, 1, 'seed'
     FROM (SELECT pk, i, 1 + abs(hashtext('cap' || i)) % 16 AS cap, abs(hashtext('pv' || i)) % $5 + 1 AS pi
           FROM unnest($1::text[]) WITH ORDINALITY AS t(pk, i)) n
     JOIN (SELECT pubkey, reputation_score, row_number() OVER (ORDER BY registered_at, authority) AS pi FROM providers) p USING (pi)`,
    [nodes, ts, REGIONS, REGIONS.length, s.providers],
  );
  const users = Array.from({ length: s.users }, (_, i) => key('user', i));
  const batch = 50_000;
  for (let start = 0; start < s.sessions; start += batch) {
    const keys = Array.from({ length: Math.min(batch, s.sessions - start) }, (_, j) => key('session', start + j));
    await client.query(
      `INSERT INTO sessions (pubkey, generation, "user", node, provider, session_id, mode, state, payment_mint, escrow_amount, remaining_balance,
         tick_amount, max_ticks, hash_chain_root, start_ts, end_ts, opened_signature, updated_at, last_slot, last_signature)
       SELECT x.pk, 0, ($2::text[])[1 + abs(hashtext('us' || x.i)) % $3], n.pubkey, n.provider, x.i, 'TIME',
         (ARRAY['ACTIVE','CLOSED','SETTLED','CLOSING','DISPUTED','RESOLVED']::"SessionState"[])[1 + abs(hashtext('st' || x.i)) % 6],
         '11111111111111111111111111111111', 1000000 + abs(hashtext('es' || x.i)) % 9000000, abs(hashtext('rb' || x.i)) % 1000000,
         0, 0, repeat('0', 64), $4::timestamptz + (abs(hashtext('ts' || x.i)) % 31536000) * interval '1 second',
         $4::timestamptz + (abs(hashtext('ts' || x.i)) % 31536000 + 3600) * interval '1 second', 'seed', $4, 1, 'seed'
       FROM (SELECT pk, $5::bigint + i AS i FROM unnest($1::text[]) WITH ORDINALITY AS t(pk, i)) x
       JOIN (SELECT pubkey, provider, row_number() OVER (ORDER BY node_id) AS ni FROM nodes) n
         ON n.ni = 1 + abs(hashtext('nd' || x.i)) % $6`,
      [keys, users, s.users, ts, start, s.nodes],
    );
  }
  await client.query('ANALYZE');
  console.log(
    `seeded ${s.providers.toLocaleString()} providers, ${s.nodes.toLocaleString()} nodes, ${s.sessions.toLocaleString()} sessions ` +
      `(${s.users.toLocaleString()} users) in ${secs(t0)} s`,
  );
}

/** PostGraphile infers relations from foreign keys; Prisma's relationMode "prisma" makes none, so smart comments name them. */
export async function describeForPostGraphile(client: pg.Client): Promise<void> {
  await client.query(`COMMENT ON TABLE nodes IS E'@name vpn_nodes\\n@foreignKey (provider) references providers (pubkey)'`);
  await client.query(
    `COMMENT ON TABLE sessions IS E'@foreignKey (node) references nodes (pubkey)\\n@foreignKey (provider) references providers (pubkey)'`,
  );
}

// ---------------------------------------------------------------------------
// Query shapes: the same question to each server, aliased so both answers
// have the same JSON shape.

export interface Shape {
  name: string;
  ours: string;
  postgraphile: string;
  variables: Record<string, unknown>;
}

export function shapes(client: { region: string; user: string; session: string }): Shape[] {
  const nodeFields = 'pubkey region pricePerMinute freeCapacity endpoint';
  return [
    {
      name: 'node discovery + provider',
      ours: `query($region: String!) { nodes(first: 20, filter: { region: $region, active: true, hasFreeCapacity: true }, orderBy: { field: PRICE_PER_MINUTE, direction: ASC }) { nodes { ${nodeFields} provider { pubkey reputationScore } } } }`,
      postgraphile: `query($region: String!) { nodes: allVpnNodes(first: 20, condition: { region: $region, isActive: true }, filter: { freeCapacity: { greaterThan: "0" } }, orderBy: [PRICE_PER_MINUTE_ASC, PUBKEY_ASC]) { nodes { ${nodeFields} provider: providerByProvider { pubkey reputationScore } } } }`,
      variables: { region: client.region },
    },
    {
      name: 'node discovery + totalCount',
      ours: `query($region: String!) { nodes(first: 20, filter: { region: $region, active: true, hasFreeCapacity: true }, orderBy: { field: PRICE_PER_MINUTE, direction: ASC }) { totalCount nodes { ${nodeFields} provider { pubkey reputationScore } } } }`,
      postgraphile: `query($region: String!) { nodes: allVpnNodes(first: 20, condition: { region: $region, isActive: true }, filter: { freeCapacity: { greaterThan: "0" } }, orderBy: [PRICE_PER_MINUTE_ASC, PUBKEY_ASC]) { totalCount nodes { ${nodeFields} provider: providerByProvider { pubkey reputationScore } } } }`,
      variables: { region: client.region },
    },
    {
      name: "one user's sessions + node region",
      ours: `query($user: Pubkey!) { sessions(first: 20, filter: { user: $user }) { nodes { pubkey generation state escrowAmount startTs node { region } } } }`,
      postgraphile: `query($user: String!) { sessions: allSessions(first: 20, condition: { user: $user }, orderBy: [START_TS_DESC, PUBKEY_DESC, GENERATION_DESC]) { nodes { pubkey generation state escrowAmount startTs node: vpnNodeByNode { region } } } }`,
      variables: { user: client.user },
    },
    {
      name: 'session by pubkey',
      ours: `query($pubkey: Pubkey!) { session(pubkey: $pubkey) { pubkey generation user state escrowAmount remainingBalance startTs node { region endpoint } provider { reputationScore } } }`,
      postgraphile: `query($pubkey: String!) { session: sessionByPubkeyAndGeneration(pubkey: $pubkey, generation: 0) { pubkey generation user state escrowAmount remainingBalance startTs node: vpnNodeByNode { region endpoint } provider: providerByProvider { reputationScore } } }`,
      variables: { pubkey: client.session },
    },
    {
      name: 'aggregate counts',
      ours: `{ nodes(first: 0, filter: { active: true }) { totalCount } sessions(first: 0, filter: { states: [ACTIVE] }) { totalCount } }`,
      postgraphile: `{ nodes: allVpnNodes(condition: { isActive: true }) { totalCount } sessions: allSessions(condition: { state: ACTIVE }) { totalCount } }`,
      variables: {},
    },
  ];
}
