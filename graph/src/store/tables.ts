// Column maps between the in-memory rows (store/rows.ts) and the SQL tables of
// prisma/schema.prisma, and the batched statements built from them: one
// multi-row `INSERT ... SELECT FROM unnest($1::text[], $2::int8[], ...)` per
// table and batch, whatever the number of rows (no per-row round trips, one
// array parameter per column).
//
// The columns come from the Prisma schema (the generated client's data model,
// `Prisma.dmmf`): a column added there is written and loaded without another
// edit here (its row type in store/rows.ts and the handler that sets it are
// what remain; a row without the property is an error, not a silent NULL).
// Written by hand, because the generated client's data model carries only
// each field's name, kind, type and column name: the conflict key of each
// table (its @id / @@unique) and the columns the database fills itself
// (autoincrement ids, now() defaults, generated columns). Both are typed by
// the model's field names, so a rename in the schema fails to compile.
import type pg from 'pg';
import { Prisma } from '../generated/prisma/index.js';

/** 'json' covers both json and jsonb columns (sqlType says which). */
export type ColType = 'text' | 'numeric' | 'int8' | 'int4' | 'bool' | 'ts' | 'json' | 'enum';

export interface Column {
  /** SQL column name. */
  col: string;
  /** Row property: the column name in camelCase. */
  key: string;
  type: ColType;
  /** SQL type of the column (the enum's type name for enums). */
  sqlType: string;
}

export interface TableSpec {
  table: string;
  /** Primary/unique key columns for ON CONFLICT. */
  conflict: string[];
  columns: Column[];
}

/** Prisma scalar type -> how the column travels (u64 amounts are Decimal(20,0): numeric). */
const PRISMA_TYPES: Record<string, { type: ColType; sqlType: string }> = {
  String: { type: 'text', sqlType: 'text' },
  Decimal: { type: 'numeric', sqlType: 'numeric' },
  BigInt: { type: 'int8', sqlType: 'int8' },
  Int: { type: 'int4', sqlType: 'int4' },
  Boolean: { type: 'bool', sqlType: 'bool' },
  DateTime: { type: 'ts', sqlType: 'timestamptz' },
  Json: { type: 'json', sqlType: 'jsonb' },
};

type Model = Prisma.ModelName;
/** The scalar field names of a model, as written in schema.prisma. */
type FieldOf<M extends Model> = keyof Prisma.TypeMap['model'][M]['payload']['scalars'] & string;

function q(name: string): string {
  return `"${name}"`;
}

const camel = (col: string) => col.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The spec of a model's table from the Prisma data model. */
export function tableSpec<M extends Model>(model: M, facts: { conflict: FieldOf<M>[]; databaseFills?: FieldOf<M>[] }): TableSpec {
  const m = Prisma.dmmf.datamodel.models.find((x) => x.name === model);
  if (!m) throw new Error(`model ${model} is not in the generated Prisma client: run npm run db:generate -w @dvpn/graph`);
  const colOf = (f: { name: string; dbName?: string | null }) => f.dbName ?? f.name;
  const fields = m.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
  const field = (name: string) => {
    const f = fields.find((x) => x.name === name);
    if (!f) throw new Error(`${model}.${name} is not a scalar field of the Prisma schema`);
    return f;
  };
  const skip = new Set((facts.databaseFills ?? []).map((n) => field(n).name));
  const columns = fields
    .filter((f) => !skip.has(f.name))
    .map((f): Column => {
      const col = colOf(f);
      if (f.kind === 'enum') return { col, key: camel(col), type: 'enum', sqlType: q(f.type) };
      const t = PRISMA_TYPES[f.type];
      if (!t) throw new Error(`${model}.${f.name}: Prisma type ${f.type} has no column mapping in store/tables.ts`);
      // Json is jsonb unless the schema says @db.Json.
      if (f.type === 'Json' && (f as { nativeType?: readonly unknown[] | null }).nativeType?.[0] === 'Json') return { col, key: camel(col), type: 'json', sqlType: 'json' };
      return { col, key: camel(col), ...t };
    });
  return { table: m.dbName ?? m.name, conflict: facts.conflict.map((n) => colOf(field(n))), columns };
}

// What the data model cannot say (see above): conflict keys and the columns the database fills.
export const CONFIG = tableSpec('Config', { conflict: ['pubkey'] });
export const PROVIDERS = tableSpec('Provider', { conflict: ['pubkey'] });
/** free_capacity is a STORED generated column (max_capacity - active_sessions). */
export const NODES = tableSpec('Node', { conflict: ['pubkey'], databaseFills: ['freeCapacity'] });
export const SESSIONS = tableSpec('Session', { conflict: ['pubkey', 'generation'] });
export const DISPUTES = tableSpec('Dispute', { conflict: ['sessionPubkey', 'sessionGeneration'] });
export const CLAIMS = tableSpec('Claim', { conflict: ['signature', 'ixIndex', 'eventIndex'], databaseFills: ['id'] });
export const STAKE_CHANGES = tableSpec('StakeChange', { conflict: ['signature', 'ixIndex', 'eventIndex'], databaseFills: ['id'] });
export const RATINGS = tableSpec('Rating', { conflict: ['sessionPubkey', 'sessionGeneration'] });
export const EVENTS = tableSpec('Event', { conflict: ['signature', 'ixIndex', 'eventIndex'], databaseFills: ['id', 'indexedAt'] });


/** JS Date range in seconds (isoFromSeconds clamps the same way). */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

/** A string as a quoted element of a Postgres array literal (backslash before `"` and `\\`). */
export function quoteElement(s: string): string {
  return s.indexOf('"') < 0 && s.indexOf('\\') < 0 ? `"${s}"` : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * A JSON text (as JSON.stringify writes it) as a quoted array element.
 * JSON.stringify of the text quotes it the same way as quoteElement (it
 * escapes `"` and `\\` with a backslash, and a JSON text has no control
 * characters or lone surrogates left to escape), several times faster.
 */
export function quoteJson(json: string): string {
  return JSON.stringify(json);
}

/** One value as an element of the column's array literal (unquoted NULL for null). */
function arrayElement(type: ColType, value: unknown): string {
  if (value === null) return 'NULL';
  switch (type) {
    case 'numeric':
    case 'int8':
    case 'int4':
      return String(value);
    case 'bool':
      return value ? 't' : 'f';
    case 'ts': {
      // Unix seconds, turned into timestamptz by to_timestamp() in the statement.
      const v = value as bigint;
      return String(v > MAX_DATE_SECONDS ? MAX_DATE_SECONDS : v < -MAX_DATE_SECONDS ? -MAX_DATE_SECONDS : v);
    }
    case 'json':
      return quoteJson(typeof value === 'string' ? value : JSON.stringify(value));
    default:
      return quoteElement(String(value));
  }
}

/** SQL type of the array a column travels in. */
function arrayType(col: Column): string {
  switch (col.type) {
    case 'ts':
      return 'int8[]';
    case 'enum':
      return 'text[]';
    default:
      return `${col.sqlType}[]`;
  }
}

/** The column's value in the INSERT's SELECT, from the unnest alias `r`. */
function fromArray(col: Column): string {
  switch (col.type) {
    case 'ts':
      return `to_timestamp(r.${q(col.col)})`;
    case 'enum':
      return `r.${q(col.col)}::${col.sqlType}`;
    default:
      return `r.${q(col.col)}`;
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
    case 'enum':
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

/** A column the schema has and the row does not: written as NULL it would lose data (or a default) without a word. */
function missingProperty(spec: TableSpec, col: Column): Error {
  return new Error(
    `${spec.table}.${col.col}: the row has no property ${col.key} (a column new in prisma/schema.prisma? ` +
      'add it to the row type in graph/src/store/rows.ts and to the handlers that build the row, ' +
      'or to databaseFills in graph/src/store/tables.ts when the database fills it)',
  );
}

/**
 * Multi-row insert of `rows` (one statement). `onConflict`: update every
 * non-key column, or do nothing. Each column travels as one array parameter
 * (`unnest($1::text[], $2::int8[], ...)`): Postgres reads an array literal
 * element by element with the column type's input function, far cheaper than
 * one JSON document of objects (each row's key names parsed, copied and sorted
 * into a jsonb, then each field converted back out of it).
 */
export function buildInsert(spec: TableSpec, rows: readonly object[], onConflict: 'update' | 'nothing', returning?: string): pg.QueryConfig {
  const cols = spec.columns;
  const values: string[] = cols.map((col) => {
    let lit = '{';
    for (let i = 0; i < rows.length; i++) {
      const value = (rows[i] as Record<string, unknown>)[col.key];
      if (value === undefined) throw missingProperty(spec, col);
      lit += (i === 0 ? '' : ',') + arrayElement(col.type, value);
    }
    return `${lit}}`;
  });
  const names = cols.map((col) => q(col.col)).join(', ');
  const arrays = cols.map((col, i) => `$${i + 1}::${arrayType(col)}`).join(', ');
  const conflict = spec.conflict.map(q).join(', ');
  const action =
    onConflict === 'update'
      ? `DO UPDATE SET ${cols
          .filter((col) => !spec.conflict.includes(col.col))
          .map((col) => `${q(col.col)} = EXCLUDED.${q(col.col)}`)
          .join(', ')}`
      : 'DO NOTHING';
  return {
    text: `INSERT INTO ${q(spec.table)} (${names}) SELECT ${cols.map(fromArray).join(', ')} FROM unnest(${arrays}) AS r(${names}) ON CONFLICT (${conflict}) ${action}${
      returning ? ` RETURNING ${returning}` : ''
    }`,
    values,
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
