// Column maps between the in-memory rows (store/rows.ts) and the SQL tables of
// prisma/schema.prisma, and the batched statements built from them: one
// multi-row `INSERT ... SELECT FROM json_to_recordset($1)` per table and batch,
// whatever the number of rows (no per-row round trips, one parameter: the rows
// as one JSON document, which V8 serialises and Postgres parses natively).
import type pg from 'pg';
import { isoFromSeconds } from './rows.js';

export type ColType = 'text' | 'numeric' | 'int8' | 'int4' | 'bool' | 'ts' | 'jsonb' | 'SessionMode' | 'SessionState' | 'ClaimKind' | 'StakeChangeKind';

export interface Column {
  /** SQL column name. */
  col: string;
  /** Row property. */
  key: string;
  type: ColType;
}

const c = (col: string, key: string, type: ColType): Column => ({ col, key, type });

export interface TableSpec {
  table: string;
  /** Primary/unique key columns for ON CONFLICT. */
  conflict: string[];
  columns: Column[];
}

export const CONFIG: TableSpec = {
  table: 'config',
  conflict: ['pubkey'],
  columns: [
    c('pubkey', 'pubkey', 'text'),
    c('admin', 'admin', 'text'),
    c('treasury', 'treasury', 'text'),
    c('token_mint', 'tokenMint', 'text'),
    c('protocol_fee_bps', 'protocolFeeBps', 'int4'),
    c('min_provider_stake', 'minProviderStake', 'numeric'),
    c('unbonding_seconds', 'unbondingSeconds', 'int8'),
    c('settle_window_seconds', 'settleWindowSeconds', 'int8'),
    c('min_rating_lamports', 'minRatingLamports', 'numeric'),
    c('min_rating_token', 'minRatingToken', 'numeric'),
    c('updated_at', 'updatedAt', 'ts'),
    c('last_slot', 'lastSlot', 'int8'),
    c('last_signature', 'lastSignature', 'text'),
  ],
};

export const PROVIDERS: TableSpec = {
  table: 'providers',
  conflict: ['pubkey'],
  columns: [
    c('pubkey', 'pubkey', 'text'),
    c('authority', 'authority', 'text'),
    c('stake_vault', 'stakeVault', 'text'),
    c('node_count', 'nodeCount', 'int8'),
    c('stake_lamports', 'stakeLamports', 'numeric'),
    c('unstaking_lamports', 'unstakingLamports', 'numeric'),
    c('unstake_at', 'unstakeAt', 'ts'),
    c('slashed_lamports', 'slashedLamports', 'numeric'),
    c('rating_sum', 'ratingSum', 'int8'),
    c('rating_count', 'ratingCount', 'int8'),
    c('reputation_score', 'reputationScore', 'int4'),
    c('total_uptime_seconds', 'totalUptimeSeconds', 'int8'),
    c('total_sessions', 'totalSessions', 'int8'),
    c('total_earned_lamports', 'totalEarnedLamports', 'numeric'),
    c('total_earned_token', 'totalEarnedToken', 'numeric'),
    c('registered_at', 'registeredAt', 'ts'),
    c('updated_at', 'updatedAt', 'ts'),
    c('last_slot', 'lastSlot', 'int8'),
    c('last_signature', 'lastSignature', 'text'),
  ],
};

export const NODES: TableSpec = {
  table: 'nodes',
  conflict: ['pubkey'],
  columns: [
    c('pubkey', 'pubkey', 'text'),
    c('provider', 'provider', 'text'),
    c('node_id', 'nodeId', 'numeric'),
    c('endpoint', 'endpoint', 'text'),
    c('region', 'region', 'text'),
    c('price_per_minute', 'pricePerMinute', 'numeric'),
    c('price_per_minute_token', 'pricePerMinuteToken', 'numeric'),
    c('price_per_tick', 'pricePerTick', 'numeric'),
    c('price_per_tick_token', 'pricePerTickToken', 'numeric'),
    c('wg_server_pubkey', 'wgServerPubkey', 'text'),
    c('max_capacity', 'maxCapacity', 'int8'),
    c('active_sessions', 'activeSessions', 'int8'),
    c('is_active', 'isActive', 'bool'),
    c('provider_reputation', 'providerReputation', 'int4'),
    c('total_uptime_seconds', 'totalUptimeSeconds', 'int8'),
    c('total_sessions', 'totalSessions', 'int8'),
    c('created_at', 'createdAt', 'ts'),
    c('updated_at', 'updatedAt', 'ts'),
    c('last_slot', 'lastSlot', 'int8'),
    c('last_signature', 'lastSignature', 'text'),
  ],
};

export const SESSIONS: TableSpec = {
  table: 'sessions',
  conflict: ['pubkey', 'generation'],
  columns: [
    c('pubkey', 'pubkey', 'text'),
    c('generation', 'generation', 'int4'),
    c('user', 'user', 'text'),
    c('node', 'node', 'text'),
    c('provider', 'provider', 'text'),
    c('session_id', 'sessionId', 'numeric'),
    c('mode', 'mode', 'SessionMode'),
    c('state', 'state', 'SessionState'),
    c('payment_mint', 'paymentMint', 'text'),
    c('escrow_amount', 'escrowAmount', 'numeric'),
    c('remaining_balance', 'remainingBalance', 'numeric'),
    c('claimed_amount', 'claimedAmount', 'numeric'),
    c('fee_amount', 'feeAmount', 'numeric'),
    c('refunded_amount', 'refundedAmount', 'numeric'),
    c('bytes_used', 'bytesUsed', 'numeric'),
    c('last_tick', 'lastTick', 'numeric'),
    c('tick_amount', 'tickAmount', 'numeric'),
    c('max_ticks', 'maxTicks', 'numeric'),
    c('hash_chain_root', 'hashChainRoot', 'text'),
    c('start_ts', 'startTs', 'ts'),
    c('end_ts', 'endTs', 'ts'),
    c('closed_at', 'closedAt', 'ts'),
    c('settled_at', 'settledAt', 'ts'),
    c('capacity_released', 'capacityReleased', 'bool'),
    c('rated', 'rated', 'bool'),
    c('opened_signature', 'openedSignature', 'text'),
    c('updated_at', 'updatedAt', 'ts'),
    c('last_slot', 'lastSlot', 'int8'),
    c('last_signature', 'lastSignature', 'text'),
  ],
};

export const DISPUTES: TableSpec = {
  table: 'disputes',
  conflict: ['session', 'session_generation'],
  columns: [
    c('session', 'session', 'text'),
    c('session_generation', 'sessionGeneration', 'int4'),
    c('node', 'node', 'text'),
    c('provider', 'provider', 'text'),
    c('raised_by', 'raisedBy', 'text'),
    c('reason', 'reason', 'int4'),
    c('raised_at', 'raisedAt', 'ts'),
    c('raised_signature', 'raisedSignature', 'text'),
    c('resolved', 'resolved', 'bool'),
    c('resolver', 'resolver', 'text'),
    c('provider_amount', 'providerAmount', 'numeric'),
    c('fee', 'fee', 'numeric'),
    c('refund', 'refund', 'numeric'),
    c('slashed_lamports', 'slashedLamports', 'numeric'),
    c('resolved_at', 'resolvedAt', 'ts'),
    c('resolved_signature', 'resolvedSignature', 'text'),
  ],
};

export const CLAIMS: TableSpec = {
  table: 'claims',
  conflict: ['signature', 'ix_index', 'event_index'],
  columns: [
    c('signature', 'signature', 'text'),
    c('slot', 'slot', 'int8'),
    c('ix_index', 'ixIndex', 'int4'),
    c('event_index', 'eventIndex', 'int4'),
    c('kind', 'kind', 'ClaimKind'),
    c('session', 'session', 'text'),
    c('session_generation', 'sessionGeneration', 'int4'),
    c('node', 'node', 'text'),
    c('provider', 'provider', 'text'),
    c('user', 'user', 'text'),
    c('payment_mint', 'paymentMint', 'text'),
    c('tick', 'tick', 'numeric'),
    c('bytes_used', 'bytesUsed', 'numeric'),
    c('amount', 'amount', 'numeric'),
    c('provider_amount', 'providerAmount', 'numeric'),
    c('fee', 'fee', 'numeric'),
    c('refund', 'refund', 'numeric'),
    c('timestamp', 'timestamp', 'ts'),
  ],
};

export const STAKE_CHANGES: TableSpec = {
  table: 'stake_changes',
  conflict: ['signature', 'ix_index', 'event_index'],
  columns: [
    c('signature', 'signature', 'text'),
    c('slot', 'slot', 'int8'),
    c('ix_index', 'ixIndex', 'int4'),
    c('event_index', 'eventIndex', 'int4'),
    c('provider', 'provider', 'text'),
    c('kind', 'kind', 'StakeChangeKind'),
    c('amount', 'amount', 'numeric'),
    c('stake_lamports', 'stakeLamports', 'numeric'),
    c('unstaking_lamports', 'unstakingLamports', 'numeric'),
    c('unstake_at', 'unstakeAt', 'ts'),
    c('session', 'session', 'text'),
    c('timestamp', 'timestamp', 'ts'),
  ],
};

export const RATINGS: TableSpec = {
  table: 'ratings',
  conflict: ['session', 'session_generation'],
  columns: [
    c('session', 'session', 'text'),
    c('session_generation', 'sessionGeneration', 'int4'),
    c('provider', 'provider', 'text'),
    c('user', 'user', 'text'),
    c('rating', 'rating', 'int4'),
    c('reputation_score', 'reputationScore', 'int4'),
    c('rating_count', 'ratingCount', 'int8'),
    c('timestamp', 'timestamp', 'ts'),
    c('signature', 'signature', 'text'),
  ],
};

export const EVENTS: TableSpec = {
  table: 'events',
  conflict: ['signature', 'ix_index', 'event_index'],
  columns: [
    c('signature', 'signature', 'text'),
    c('slot', 'slot', 'int8'),
    c('ix_index', 'ixIndex', 'int4'),
    c('event_index', 'eventIndex', 'int4'),
    c('name', 'name', 'text'),
    c('data', 'data', 'jsonb'),
    c('session', 'session', 'text'),
    c('node', 'node', 'text'),
    c('provider', 'provider', 'text'),
    c('user', 'user', 'text'),
    c('timestamp', 'timestamp', 'ts'),
  ],
};

const SQL_TYPE: Record<ColType, string> = {
  text: 'text',
  numeric: 'numeric',
  int8: 'int8',
  int4: 'int4',
  bool: 'bool',
  ts: 'timestamptz',
  jsonb: 'jsonb',
  SessionMode: '"SessionMode"',
  SessionState: '"SessionState"',
  ClaimKind: '"ClaimKind"',
  StakeChangeKind: '"StakeChangeKind"',
};

const q = (name: string) => `"${name}"`;

function toParam(type: ColType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'numeric':
    case 'int8':
      return (value as bigint).toString();
    case 'ts':
      return isoFromSeconds(value as bigint);
    case 'jsonb':
      return typeof value === 'string' ? JSON.parse(value) : value;
    default:
      return value;
  }
}

/** SELECT expression giving each column in the form fromDb() parses. */
function selectExpr(col: Column): string {
  switch (col.type) {
    case 'numeric':
    case 'int8':
      return `${q(col.col)}::text`;
    case 'ts':
      return `floor(extract(epoch from ${q(col.col)}))::int8::text`;
    case 'SessionMode':
    case 'SessionState':
    case 'ClaimKind':
    case 'StakeChangeKind':
      return `${q(col.col)}::text`;
    default:
      return q(col.col);
  }
}

function fromDb(type: ColType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'numeric':
    case 'int8':
    case 'ts':
      return BigInt(value as string);
    default:
      return value;
  }
}

/** Multi-row insert of `rows` (one statement). `onConflict`: update every non-key column, or do nothing. */
export function buildInsert(spec: TableSpec, rows: readonly object[], onConflict: 'update' | 'nothing', returning?: string): pg.QueryConfig {
  const cols = spec.columns;
  const plain = rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const col of cols) o[col.col] = toParam(col.type, (r as Record<string, unknown>)[col.key]);
    return o;
  });
  const names = cols.map((col) => q(col.col)).join(', ');
  const record = cols.map((col) => `${q(col.col)} ${SQL_TYPE[col.type]}`).join(', ');
  const conflict = spec.conflict.map(q).join(', ');
  const action =
    onConflict === 'update'
      ? `DO UPDATE SET ${cols
          .filter((col) => !spec.conflict.includes(col.col))
          .map((col) => `${q(col.col)} = EXCLUDED.${q(col.col)}`)
          .join(', ')}`
      : 'DO NOTHING';
  return {
    text: `INSERT INTO ${q(spec.table)} (${names}) SELECT ${names} FROM json_to_recordset($1::json) AS r(${record}) ON CONFLICT (${conflict}) ${action}${
      returning ? ` RETURNING ${returning}` : ''
    }`,
    values: [JSON.stringify(plain)],
  };
}

export async function upsertRows(client: pg.ClientBase, spec: TableSpec, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(buildInsert(spec, rows, 'update'));
}

export async function insertIgnore(client: pg.ClientBase, spec: TableSpec, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(buildInsert(spec, rows, 'nothing'));
}

/** Rows of `spec` whose first key column is in `keys`. */
export async function loadRows<T>(client: pg.ClientBase, spec: TableSpec, keys: readonly string[]): Promise<T[]> {
  if (keys.length === 0) return [];
  const res = await client.query({
    text: `SELECT ${spec.columns.map(selectExpr).join(', ')} FROM ${q(spec.table)} WHERE ${q(spec.conflict[0])} = ANY($1::text[])`,
    values: [keys],
    rowMode: 'array',
  });
  return res.rows.map((r: unknown[]) => rowFromArray<T>(spec, r));
}

/**
 * Rows of `spec` whose first key column is in `keys`, only the highest
 * `generationCol` of each (the current opening of a session address).
 */
export async function loadLatest<T>(client: pg.ClientBase, spec: TableSpec, keys: readonly string[], generationCol: string): Promise<T[]> {
  if (keys.length === 0) return [];
  const key = q(spec.conflict[0]);
  const res = await client.query({
    text: `SELECT DISTINCT ON (${key}) ${spec.columns.map(selectExpr).join(', ')} FROM ${q(spec.table)}
            WHERE ${key} = ANY($1::text[]) ORDER BY ${key}, ${q(generationCol)} DESC`,
    values: [keys],
    rowMode: 'array',
  });
  return res.rows.map((r: unknown[]) => rowFromArray<T>(spec, r));
}

/** Every row of `spec` (optionally filtered by a SQL condition). */
export async function loadAll<T>(client: pg.ClientBase, spec: TableSpec, where = 'TRUE'): Promise<T[]> {
  const res = await client.query({
    text: `SELECT ${spec.columns.map(selectExpr).join(', ')} FROM ${q(spec.table)} WHERE ${where}`,
    rowMode: 'array',
  });
  return res.rows.map((r: unknown[]) => rowFromArray<T>(spec, r));
}

function rowFromArray<T>(spec: TableSpec, r: unknown[]): T {
  const row: Record<string, unknown> = {};
  spec.columns.forEach((col, i) => {
    row[col.key] = fromDb(col.type, r[i]);
  });
  return row as T;
}
