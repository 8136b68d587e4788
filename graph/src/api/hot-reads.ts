// Hot reads in one SQL statement through `pg`, beside Prisma.
//
// Prisma 6.19's client compiles every call in its wasm query compiler (about
// 3 ms of Node CPU per findMany/findUnique here, against ~0.4 ms for `pg` with
// the same SQL) and loads a to-one relation with a second query. The API's
// hot reads (node discovery, sessions by user, session by pubkey) go through
// `sqlFindMany` instead: the same Prisma-shaped arguments Pothos and our
// filter builders produce (where / orderBy / take / skip / cursor / include),
// turned into one SELECT with a LEFT JOIN per included to-one relation, rows
// shaped as Prisma returns them (camelCase fields, the relation nested), so
// Pothos resolves the nested fields from them unchanged. Anything it does not
// understand (a nested list include, a relation filter, an operator it does
// not know) returns null and the caller asks Prisma: the answers are the same
// either way, only the cost differs. Prisma stays the owner of the schema,
// the migrations and the indexer's writes.
//
// Values come back as pg gives them: numeric and int8 as decimal strings,
// timestamptz as Date, int4 as number: what the API's scalars serialize
// (BigInt takes digit strings, DateTime a Date).
import type pg from 'pg';
import { getDatamodel } from '../generated/pothos-types.js';
import type { PrismaClient } from '../generated/prisma/index.js';

type Row = Record<string, unknown>;

interface Model {
  table: string;
  /** field name -> column name */
  columns: Map<string, string>;
  /** field name -> Postgres type (for array parameters) */
  types: Map<string, string>;
  fields: string[];
  /** to-one relations: field -> { model, from column, to column } */
  toOne: Map<string, { model: string; from: string; to: string }>;
}

const models = new WeakMap<object, Map<string, Model> | null>();

interface RuntimeField {
  name: string;
  kind: string;
  type: string;
  dbName?: string;
}

const PG_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Decimal: 'numeric',
  DateTime: 'timestamptz',
  Boolean: 'bool',
};

/** Table and column names from the Prisma client's runtime data model (null: not available, use Prisma). */
function modelsOf(prisma: PrismaClient): Map<string, Model> | null {
  if (models.has(prisma)) return models.get(prisma)!;
  let out: Map<string, Model> | null = null;
  const runtime = (prisma as unknown as { _runtimeDataModel?: { models?: Record<string, { dbName?: string | null; fields: RuntimeField[] }> } })
    ._runtimeDataModel?.models;
  if (runtime) {
    out = new Map();
    const pothos = getDatamodel().datamodel.models as unknown as Record<
      string,
      { fields: Array<{ name: string; kind: string; type: string; isId?: boolean; isList?: boolean; relationFromFields?: string[] }>; primaryKey: { fields: string[] } | null }
    >;
    for (const [name, m] of Object.entries(runtime)) {
      const columns = new Map<string, string>();
      const types = new Map<string, string>();
      for (const f of m.fields) {
        if (f.kind !== 'scalar' && f.kind !== 'enum') continue;
        columns.set(f.name, f.dbName ?? f.name);
        const type = f.kind === 'enum' ? q(f.type) : PG_TYPES[f.type];
        if (type) types.set(f.name, type);
      }
      out.set(name, { table: m.dbName ?? name, columns, types, fields: [...columns.keys()], toOne: new Map() });
    }
    for (const [name, m] of Object.entries(pothos)) {
      const model = out.get(name);
      if (!model) continue;
      for (const f of m.fields) {
        if (f.kind !== 'object' || f.isList || f.relationFromFields?.length !== 1) continue;
        const target = pothos[f.type];
        const ids = target?.fields.filter((x) => x.isId).map((x) => x.name) ?? [];
        const targetModel = out.get(f.type);
        if (ids.length !== 1 || !targetModel) continue;
        model.toOne.set(f.name, {
          model: f.type,
          from: model.columns.get(f.relationFromFields[0])!,
          to: targetModel.columns.get(ids[0])!,
        });
      }
    }
  }
  models.set(prisma, out);
  return out;
}

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

class Unsupported extends Error {}

/** SQL of a Prisma `where` on one model (scalar fields, AND, the operators our filters use). */
function whereSql(model: Model, alias: string, where: unknown, params: unknown[]): string {
  if (where == null) return 'TRUE';
  if (typeof where !== 'object') throw new Unsupported();
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (key === 'AND') {
      const list = Array.isArray(value) ? value : [value];
      for (const w of list) parts.push(`(${whereSql(model, alias, w, params)})`);
      continue;
    }
    const column = model.columns.get(key);
    if (!column) {
      // A compound unique (pubkey_generation: { pubkey, generation }) is its fields' equalities.
      if (value && typeof value === 'object' && key.includes('_') && Object.keys(value).every((k) => model.columns.has(k))) {
        parts.push(whereSql(model, alias, value, params));
        continue;
      }
      throw new Unsupported();
    }
    const col = `${alias}.${q(column)}`;
    const param = (v: unknown) => {
      params.push(typeof v === 'bigint' ? v.toString() : v);
      return `$${params.length}`;
    };
    if (value === null) {
      parts.push(`${col} IS NULL`);
    } else if (typeof value !== 'object' || value instanceof Date) {
      parts.push(`${col} = ${param(value)}`);
    } else {
      for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        switch (op) {
          case 'equals':
            parts.push(v === null ? `${col} IS NULL` : `${col} = ${param(v)}`);
            break;
          case 'not':
            if (v === null) parts.push(`${col} IS NOT NULL`);
            else if (typeof v !== 'object' || v instanceof Date) parts.push(`${col} <> ${param(v)}`);
            else throw new Unsupported();
            break;
          case 'in': {
            // An array of the column's own type, so its index serves `= ANY`.
            const type = model.types.get(key);
            if (!type || !Array.isArray(v)) throw new Unsupported();
            parts.push(`${col} = ANY(${param(v.map((x) => (typeof x === 'bigint' ? x.toString() : x)))}::${type}[])`);
            break;
          }
          case 'gt':
            parts.push(`${col} > ${param(v)}`);
            break;
          case 'gte':
            parts.push(`${col} >= ${param(v)}`);
            break;
          case 'lt':
            parts.push(`${col} < ${param(v)}`);
            break;
          case 'lte':
            parts.push(`${col} <= ${param(v)}`);
            break;
          default:
            throw new Unsupported();
        }
      }
    }
  }
  return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
}

type Direction = 'asc' | 'desc';

function orderOf(model: Model, orderBy: unknown): Array<{ column: string; direction: Direction }> {
  const list = orderBy == null ? [] : Array.isArray(orderBy) ? orderBy : [orderBy];
  return list.flatMap((o) =>
    Object.entries(o as Record<string, unknown>).map(([field, direction]) => {
      const column = model.columns.get(field);
      if (!column || (direction !== 'asc' && direction !== 'desc')) throw new Unsupported();
      return { column, direction };
    }),
  );
}

export interface FindManyArgs {
  where?: unknown;
  orderBy?: unknown;
  take?: number;
  skip?: number;
  cursor?: Record<string, unknown>;
  include?: Record<string, unknown>;
  select?: unknown;
}

interface Plan {
  text: string;
  /** Builds one row object from a result row (array mode). */
  shape: (values: unknown[]) => Row;
  reverse: boolean;
}

interface Projection {
  select: string;
  joins: string;
  shape: (values: unknown[]) => Row;
}

const projections = new WeakMap<Map<string, Model>, Map<string, Projection>>();

/**
 * What one model's row holds: its scalars (all of them under `include` or
 * neither, the listed ones under `select`) and its to-one relations, each
 * loaded the same way, recursively. Anything else (a list relation, `_count`,
 * a relation with its own where/orderBy/take) is not expressible here.
 */
interface Load {
  scalars: string[];
  relations: Array<[string, Load]>;
}

function loadOf(model: Model, models: Map<string, Model>, args: { select?: unknown; include?: unknown }): Load {
  if (args.select !== undefined && args.include !== undefined) throw new Unsupported();
  const relations: Array<[string, Load]> = [];
  const nested = (field: string, value: unknown) => {
    const rel = model.toOne.get(field);
    if (!rel) throw new Unsupported();
    if (value === true) return relations.push([field, loadOf(models.get(rel.model)!, models, {})]);
    if (!value || typeof value !== 'object' || Object.keys(value).some((k) => k !== 'select' && k !== 'include')) throw new Unsupported();
    relations.push([field, loadOf(models.get(rel.model)!, models, value as { select?: unknown; include?: unknown })]);
  };
  if (args.select !== undefined) {
    if (!args.select || typeof args.select !== 'object') throw new Unsupported();
    const scalars: string[] = [];
    for (const [field, value] of Object.entries(args.select as Record<string, unknown>)) {
      if (value === false || value === undefined) continue;
      if (model.columns.has(field)) {
        if (value !== true) throw new Unsupported();
        scalars.push(field);
      } else nested(field, value);
    }
    return { scalars, relations };
  }
  if (args.include != null) {
    if (typeof args.include !== 'object') throw new Unsupported();
    for (const [field, value] of Object.entries(args.include as Record<string, unknown>)) {
      if (value === false || value === undefined) continue;
      nested(field, value);
    }
  }
  return { scalars: model.fields, relations };
}

/** SELECT list, JOINs and row builder of a model with its to-one relations (built once per shape). */
function projection(models: Map<string, Model>, modelName: string, args: { select?: unknown; include?: unknown }): Projection {
  const cacheKey = `${modelName}|${JSON.stringify(args.select ?? null)}|${JSON.stringify(args.include ?? null)}`;
  let perModels = projections.get(models);
  if (!perModels) projections.set(models, (perModels = new Map()));
  const hit = perModels.get(cacheKey);
  if (hit) return hit;
  const model = models.get(modelName);
  if (!model) throw new Unsupported();
  const load = loadOf(model, models, args);
  const selects: string[] = [];
  const joins: string[] = [];
  let aliases = 0;
  /** Adds one model's columns (and its relations') under `alias`; returns the builder of its row object. */
  const add = (m: Model, alias: string, l: Load): ((v: unknown[]) => Row) => {
    const start = selects.length;
    for (const f of l.scalars) selects.push(`${alias}.${q(m.columns.get(f)!)}`);
    const fields = l.scalars;
    const children = l.relations.map(([field, sub]) => {
      const rel = m.toOne.get(field)!;
      const target = models.get(rel.model)!;
      const a = `r${aliases++}`;
      joins.push(`LEFT JOIN ${q(target.table)} ${a} ON ${a}.${q(rel.to)} = ${alias}.${q(rel.from)}`);
      const childStart = selects.length;
      const build = add(target, a, sub);
      // The joined row's key tells a missing relation (null) from a row whose selected columns are all null.
      const keyField = target.fields.find((f) => target.columns.get(f) === rel.to)!;
      const selected = sub.scalars.indexOf(keyField);
      const keyIndex = selected >= 0 ? childStart + selected : selects.push(`${a}.${q(rel.to)}`) - 1;
      return { field, keyIndex, build };
    });
    return (v) => {
      const row: Row = {};
      for (let i = 0; i < fields.length; i++) row[fields[i]] = v[start + i];
      for (const c of children) row[c.field] = v[c.keyIndex] === null ? null : c.build(v);
      return row;
    };
  };
  const shape = add(model, 't', load);
  // A selection of no columns (only __typename asked) still needs a SELECT list.
  const out: Projection = { select: selects.length > 0 ? selects.join(', ') : 'NULL', joins: joins.join(' '), shape };
  // Bounded: shapes come from the schema's selections, but a client chooses them.
  if (perModels.size < 1000) perModels.set(cacheKey, out);
  return out;
}

function plan(models: Map<string, Model>, modelName: string, args: FindManyArgs, params: unknown[]): Plan {
  const model = models.get(modelName);
  if (!model) throw new Unsupported();
  const proj = projection(models, modelName, args);
  let order = orderOf(model, args.orderBy);
  const take = args.take;
  const backwards = take !== undefined && take < 0;
  if (backwards) order = order.map((o) => ({ ...o, direction: o.direction === 'asc' ? 'desc' : 'asc' }));
  let where = whereSql(model, 't', args.where, params);
  const skip = args.skip ?? 0;
  if (args.cursor) {
    // Keyset: rows after the cursor row in this order (Prisma's cursor row included, then `skip` 1 drops it).
    if (skip > 1 || order.length === 0 || order.some((o) => o.direction !== order[0].direction)) throw new Unsupported();
    const cursorWhere = whereSql(model, 'c', args.cursor, params);
    const cols = order.map((o) => q(o.column));
    const cmp = order[0].direction === 'asc' ? (skip === 1 ? '>' : '>=') : skip === 1 ? '<' : '<=';
    where += ` AND (${cols.map((c) => `t.${c}`).join(', ')}) ${cmp} (SELECT ${cols.map((c) => `c.${c}`).join(', ')} FROM ${q(model.table)} c WHERE ${cursorWhere})`;
  } else if (skip !== 0) {
    throw new Unsupported();
  }
  const orderSql = order.length > 0 ? ` ORDER BY ${order.map((o) => `t.${q(o.column)} ${o.direction.toUpperCase()}`).join(', ')}` : '';
  // A parameter, not a literal: one statement text (and one prepared plan) for every page size.
  const limit = take !== undefined ? ` LIMIT $${params.push(Math.abs(Math.trunc(take)))}` : '';
  return {
    text: `SELECT ${proj.select} FROM ${q(model.table)} t ${proj.joins} WHERE ${where}${orderSql}${limit}`,
    shape: proj.shape,
    reverse: backwards,
  };
}

/** A model as hot reads see it: its scalar fields and its to-one relations (field -> model). */
export interface ModelShape {
  columns: ReadonlySet<string>;
  toOne: ReadonlyMap<string, string>;
}

export interface HotReads {
  /** The model's fields hot reads can load (null: unknown model). */
  shape(model: string): ModelShape | null;
  /** Rows of `model` as Prisma's findMany returns them, or null: not expressible here, ask Prisma. */
  findMany(model: string, args: FindManyArgs): Promise<Row[] | null>;
  /** The first row (findFirst / findUnique), or undefined: ask Prisma. */
  findFirst(model: string, args: FindManyArgs): Promise<Row | null | undefined>;
  /** count(*) under `where`, or null: ask Prisma. */
  count(model: string, where: unknown): Promise<number | null>;
}

/**
 * Named (prepared) statements: Postgres parses and plans a statement once per
 * connection instead of on every call, and after five runs keeps a generic
 * plan. Planning the three-table join of a session lookup cost Postgres 3-4x
 * the execution (0.54 vs 0.15 ms of its CPU per call, unnamed vs named). Texts
 * hold no values (every value, the page size too, is a parameter), so the set
 * is the set of shapes. Each connection keeps its PREPARED_PER_CONNECTION most
 * recently used ones and deallocates the least recently used to make room: a
 * flood of distinct shapes costs the flooder a re-prepare, bounds what each
 * backend holds, and cannot push the shapes in steady use out for good.
 */
const PREPARED_PER_CONNECTION = 200;

interface Prepared {
  /** text -> name, least recently used first. */
  names: Map<string, string>;
  next: number;
}

const preparedByClient = new WeakMap<pg.PoolClient, Prepared>();

function forget(client: pg.PoolClient, name: string): void {
  delete (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements[name];
}

/** This connection's name for `text`, deallocating its least recently used statement when full. */
async function preparedName(client: pg.PoolClient, text: string): Promise<string> {
  let p = preparedByClient.get(client);
  if (!p) preparedByClient.set(client, (p = { names: new Map(), next: 0 }));
  let name = p.names.get(text);
  if (name !== undefined) {
    p.names.delete(text);
    p.names.set(text, name);
    return name;
  }
  if (p.names.size >= PREPARED_PER_CONNECTION) {
    const [oldText, oldName] = p.names.entries().next().value as [string, string];
    p.names.delete(oldText);
    await client.query(`DEALLOCATE ${oldName}`);
    forget(client, oldName);
  }
  name = `dvpn_hot_${p.next++}`;
  p.names.set(text, name);
  return name;
}

/** Postgres' "cached plan must not change result type" (a prepared statement over a column whose type changed). */
function planChanged(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return err?.code === '0A000' && typeof err.message === 'string' && err.message.includes('cached plan must not change result type');
}

export function createHotReads(pool: pg.Pool, prisma: PrismaClient): HotReads | null {
  const all = modelsOf(prisma);
  if (!all) return null;
  const run = async (text: string, params: unknown[]) => {
    const client = await pool.connect();
    // Released as pool.query releases: with the error, if any (the pool then drops that connection).
    let failure: Error | undefined;
    try {
      const name = await preparedName(client, text);
      try {
        return await client.query({ name, text, values: params, rowMode: 'array' });
      } catch (e) {
        if (!planChanged(e)) throw e;
        // A migration changed the type of a column the statement returns: Postgres
        // refuses this prepared statement on this connection from now on. Prepare it again.
        await client.query(`DEALLOCATE ${name}`);
        forget(client, name);
        return await client.query({ name, text, values: params, rowMode: 'array' });
      }
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.release(failure);
    }
  };
  const findMany = async (model: string, args: FindManyArgs): Promise<Row[] | null> => {
    const params: unknown[] = [];
    let p: Plan;
    try {
      p = plan(all, model, args, params);
    } catch (e) {
      if (e instanceof Unsupported) return null;
      throw e;
    }
    const res = await run(p.text, params);
    const rows = (res.rows as unknown[][]).map(p.shape);
    return p.reverse ? rows.reverse() : rows;
  };
  const shapes = new Map<string, ModelShape>();
  for (const [name, m] of all) {
    shapes.set(name, { columns: new Set(m.fields), toOne: new Map([...m.toOne].map(([field, rel]) => [field, rel.model])) });
  }
  return {
    shape: (model) => shapes.get(model) ?? null,
    findMany,
    async findFirst(model, args) {
      const rows = await findMany(model, { ...args, take: 1 });
      return rows === null ? undefined : (rows[0] ?? null);
    },
    async count(modelName, where) {
      const model = all.get(modelName);
      if (!model) return null;
      const params: unknown[] = [];
      let text: string;
      try {
        text = `SELECT count(*) FROM ${q(model.table)} t WHERE ${whereSql(model, 't', where, params)}`;
      } catch (e) {
        if (e instanceof Unsupported) return null;
        throw e;
      }
      const res = await run(text, params);
      return Number((res.rows as unknown[][])[0][0]);
    },
  };
}
