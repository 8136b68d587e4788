// Compiled reads: the hot query shapes answered without graphql-js execution.
//
// A discovery page, one user's sessions, a session or a node by pubkey are
// one SQL statement (hot-reads.ts) and a plain JSON tree. Executing them
// through graphql-js and Pothos cost about twice PostGraphile's CPU per
// request, most of it per field of every row (resolver wrappers, Pothos'
// selection bookkeeping, promises) rather than in the database. Here an
// operation made only of such fields is compiled once per document into a
// plan: the root fields, the columns and to-one relations each asks for, and
// how to write each value (the schema's own scalar and enum serializers, so
// the answer is the one graphql-js gives). Each request then coerces its
// variables and arguments as graphql-js does, runs one statement per root
// field and builds the answer.
//
// Anything else is declined at compile time and runs as before: fragments,
// directives, arguments below the root, lists, computed fields, edges,
// pageInfo, cursors, fields of other types. At run time, a value the plan
// cannot write as graphql-js would (a null for a non-null field), arguments
// outside its reach (after/before/last, a page size out of range) or any error
// hand the whole operation back to graphql-js, which answers it (with its own
// errors where there are errors). graph/test/api/compiled-reads.test.ts
// checks, query by query, that both paths give the same bytes.
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLEnumType,
  GraphQLObjectType,
  GraphQLScalarType,
  isListType,
  isNonNullType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './builder.js';
import type { ApiServices } from './context.js';
import type { ApiMetrics } from './metrics.js';
import type { FindManyArgs, HotReads, ModelShape } from './hot-reads.js';
import { nodeQuery } from './schema/node.js';
import { sessionLookup, sessionQuery } from './schema/session.js';

type Args = Record<string, unknown>;

/** The root fields compiled here, and the Prisma-shaped read each makes from its arguments (the resolvers' own functions). */
const ROOTS: Record<string, { model: string; connection: boolean; read: (args: Args) => FindManyArgs }> = {
  nodes: { model: 'Node', connection: true, read: (a) => nodeQuery(a as never) },
  sessions: { model: 'Session', connection: true, read: (a) => sessionQuery(a as never) },
  node: { model: 'Node', connection: false, read: (a) => ({ where: { pubkey: a.pubkey } }) },
  session: { model: 'Session', connection: false, read: (a) => sessionLookup(a as never) },
};

/** Writes one value as graphql-js would, or throws Decline. */
type Writer = (value: unknown) => unknown;

/** One object's fields: response key, and either a column, a to-one relation or __typename. */
interface ObjectPlan {
  select: Record<string, unknown>;
  fields: Array<
    | { key: string; kind: 'typename'; name: string }
    | { key: string; kind: 'column'; field: string; write: Writer }
    | { key: string; kind: 'relation'; field: string; nullable: boolean; plan: ObjectPlan }
  >;
}

interface RootPlan {
  key: string;
  root: (typeof ROOTS)[string];
  fieldDef: GraphQLField<unknown, unknown>;
  node: FieldNode;
  nullable: boolean;
  /** Connection: what it asks of the connection object. */
  connection?: Array<{ key: string; kind: 'typename'; name: string } | { key: string; kind: 'totalCount' } | { key: string; kind: 'nodes' }>;
  plan: ObjectPlan | null;
}

interface OperationPlan {
  operation: OperationDefinitionNode;
  roots: RootPlan[];
}

class Decline extends Error {}

const decline = (): never => {
  throw new Decline();
};

/** The plain fields of a selection set, or Decline (fragments, directives, one response key twice). */
function plainFields(set: SelectionSetNode | undefined): FieldNode[] {
  if (!set) return decline();
  const keys = new Set<string>();
  return set.selections.map((s) => {
    if (s.kind !== Kind.FIELD || (s.directives && s.directives.length > 0)) return decline();
    const key = s.alias?.value ?? s.name.value;
    if (keys.has(key)) decline();
    keys.add(key);
    return s;
  });
}

function writerOf(type: GraphQLField<unknown, unknown>['type'], nullable: boolean): Writer {
  const named: unknown = getNullableType(type);
  if (!(named instanceof GraphQLScalarType || named instanceof GraphQLEnumType)) return decline();
  return (value) => {
    if (value === null || value === undefined) return nullable ? null : decline();
    const out = (named as GraphQLScalarType | GraphQLEnumType).serialize(value);
    return out === undefined ? decline() : out;
  };
}

/** Two selects of one model merged: the columns of both, a relation in both merged the same way (at any depth). */
function mergeSelect(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k] as { select?: Record<string, unknown> } | undefined;
    const next = v as { select?: Record<string, unknown> };
    out[k] = prev?.select && next?.select ? { select: mergeSelect(prev.select, next.select) } : v;
  }
  return out;
}

function objectPlan(schema: GraphQLSchema, type: GraphQLObjectType, model: string, set: SelectionSetNode | undefined, hot: HotReads): ObjectPlan {
  const shape: ModelShape | null = hot.shape(model);
  if (!shape || (type.extensions as { pothosPrismaModel?: string }).pothosPrismaModel !== model) return decline();
  // The columns the type always loads (its select mode's base), as Pothos would.
  const select: Record<string, unknown> = {};
  const fields: ObjectPlan['fields'] = [];
  for (const node of plainFields(set)) {
    const key = node.alias?.value ?? node.name.value;
    const name = node.name.value;
    if (name === '__typename') {
      fields.push({ key, kind: 'typename', name: type.name });
      continue;
    }
    const def = type.getFields()[name];
    if (!def || (node.arguments && node.arguments.length > 0) || def.args.length > 0 || isListType(getNullableType(def.type))) decline();
    const ext = def.extensions as { pothosExposedField?: string; pothosPrismaRelationField?: unknown };
    const nullable = !isNonNullType(def.type);
    if (ext.pothosExposedField && shape.columns.has(ext.pothosExposedField)) {
      select[ext.pothosExposedField] = true;
      fields.push({ key, kind: 'column', field: ext.pothosExposedField, write: writerOf(def.type, nullable) });
    } else if (ext.pothosPrismaRelationField && shape.toOne.has(name)) {
      const target = getNamedType(def.type);
      if (!(target instanceof GraphQLObjectType)) decline();
      const plan = objectPlan(schema, target as GraphQLObjectType, shape.toOne.get(name)!, node.selectionSet, hot);
      const prev = select[name] as { select: Record<string, unknown> } | undefined;
      select[name] = { select: mergeSelect(prev?.select ?? {}, plan.select) };
      fields.push({ key, kind: 'relation', field: name, nullable, plan });
    } else {
      decline();
    }
  }
  return { select, fields };
}

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, hot: HotReads): OperationPlan | null {
  try {
    const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (document.definitions.length !== ops.length) return null; // fragments
    const operation = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
    if (!operation || operation.operation !== 'query' || (operation.directives && operation.directives.length > 0)) return null;
    if (operation.variableDefinitions?.some((v) => v.directives && v.directives.length > 0)) return null;
    // yoga's executor coerces variables into a plain object, where $__proto__ is
    // lost (graphql-js' getVariableValues, used here, keeps it): such names run there.
    if (operation.variableDefinitions?.some((v) => v.variable.name.value in Object.prototype)) return null;
    const queryType = schema.getQueryType()!;
    const roots = plainFields(operation.selectionSet).map((node): RootPlan => {
      const name = node.name.value;
      const root = Object.hasOwn(ROOTS, name) ? ROOTS[name] : decline();
      const fieldDef = queryType.getFields()[name] ?? decline();
      const key = node.alias?.value ?? name;
      const nullable = !isNonNullType(fieldDef.type);
      const type = getNamedType(fieldDef.type);
      if (!(type instanceof GraphQLObjectType)) return decline();
      if (!root.connection) return { key, root, fieldDef, node, nullable, plan: objectPlan(schema, type, root.model, node.selectionSet, hot) };
      let plan: ObjectPlan | null = null;
      const connection = plainFields(node.selectionSet).map((f) => {
        const k = f.alias?.value ?? f.name.value;
        if (f.arguments && f.arguments.length > 0) decline();
        if (f.name.value === '__typename') return { key: k, kind: 'typename' as const, name: type.name };
        if (f.name.value === 'totalCount') return { key: k, kind: 'totalCount' as const };
        if (f.name.value !== 'nodes' || plan) return decline();
        const nodeType = getNamedType(type.getFields().nodes.type);
        plan = objectPlan(schema, nodeType as GraphQLObjectType, root.model, f.selectionSet, hot);
        return { key: k, kind: 'nodes' as const };
      });
      return { key, root, fieldDef, node, nullable, connection, plan };
    });
    return { operation, roots };
  } catch (e) {
    if (e instanceof Decline) return null;
    throw e;
  }
}

// Answers are objects without a prototype, as graphql-js makes them: a
// response key may be any name, `__proto__` too, and must stay a key.
function writeObject(plan: ObjectPlan, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const f of plan.fields) {
    if (f.kind === 'column') out[f.key] = f.write(row[f.field]);
    else if (f.kind === 'typename') out[f.key] = f.name;
    else {
      const nested = row[f.field] as Record<string, unknown> | null | undefined;
      out[f.key] = nested == null ? (f.nullable ? null : decline()) : writeObject(f.plan, nested);
    }
  }
  return out;
}

async function runRoot(r: RootPlan, args: Args, hot: HotReads): Promise<unknown> {
  const read = r.root.read(args);
  if (!r.connection) {
    const row = await hot.findFirst(r.root.model, { ...read, select: r.plan!.select });
    if (row === undefined) return decline();
    return row === null ? (r.nullable ? null : decline()) : writeObject(r.plan!, row);
  }
  if (args.after != null || args.before != null || args.last != null) return decline();
  const first = (args.first as number | null | undefined) ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) return decline();
  // first: 0 asks for counts only (an empty page).
  const wantsNodes = first > 0 && r.connection.some((c) => c.kind === 'nodes');
  const wantsCount = r.connection.some((c) => c.kind === 'totalCount');
  const [rows, count] = await Promise.all([
    wantsNodes ? hot.findMany(r.root.model, { ...read, take: first, select: r.plan!.select }) : [],
    wantsCount ? hot.count(r.root.model, read.where) : 0,
  ]);
  if (rows === null || count === null) return decline();
  const out: Record<string, unknown> = Object.create(null);
  for (const c of r.connection) {
    if (c.kind === 'typename') out[c.key] = c.name;
    else if (c.kind === 'totalCount') out[c.key] = count;
    else out[c.key] = rows.map((row) => writeObject(r.plan!, row));
  }
  return out;
}

/**
 * A failure graphql-js's own statement for the same rows would meet too: a
 * timeout or cancel, a lock wait given up, the connection or server gone. Not
 * an error of one statement's text (graphql-js's selects differ): that one
 * graphql-js runs again.
 */
function replayable(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^(57014|55P03|57P0\d|08...|ECONNREFUSED|ECONNRESET)$/.test(code)) return true;
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/.test(message);
}

/**
 * The request's hot reads, remembering the calls that failed (by method, model
 * and where): when graphql-js then answers the operation, its resolvers make
 * the same calls and get the same errors without asking the database again.
 * Otherwise a statement timeout would cost the database, and the client, two
 * timeouts (one here, one under graphql-js).
 */
function recording(hot: HotReads): { hot: HotReads; failed: Map<string, unknown>; settled: () => Promise<unknown> } {
  const failed = new Map<string, unknown>();
  const calls: Promise<unknown>[] = [];
  const once = <T>(method: string, model: string, where: unknown, call: () => Promise<T>): Promise<T> => {
    const k = `${method}\u0000${model}\u0000${JSON.stringify(where ?? null, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    if (failed.has(k)) return Promise.reject(failed.get(k));
    const p = call().catch((e: unknown) => {
      if (replayable(e)) failed.set(k, e);
      throw e;
    });
    calls.push(p);
    return p;
  };
  return {
    failed,
    // Every call made, finished (one failing first leaves the others running).
    settled: () => Promise.allSettled(calls),
    hot: {
      shape: (model) => hot.shape(model),
      findMany: (model, a) => once('findMany', model, a.where, () => hot.findMany(model, a)),
      findFirst: (model, a) => once('findFirst', model, a.where, () => hot.findFirst(model, a)),
      count: (model, where) => once('count', model, where, () => hot.count(model, where)),
    },
  };
}

/**
 * The yoga plugin: after the limits (which validated the document and its
 * cost), a compiled operation sets its result and graphql-js does not run.
 * Needs the request context's hot reads (without them nothing is compiled).
 */
export function useCompiledReads(metrics: ApiMetrics): Plugin<ApiServices> {
  const plans = new WeakMap<DocumentNode, Map<string, OperationPlan | null>>();
  return {
    async onExecute({ args, setResultAndStopExecution, extendContext }) {
      const shared = (args.contextValue as ApiServices).hot;
      if (!shared) return;
      let perDoc = plans.get(args.document);
      if (!perDoc) plans.set(args.document, (perDoc = new Map()));
      const name = args.operationName ?? '';
      let plan = perDoc.get(name);
      if (plan === undefined) {
        plan = compile(args.schema, args.document, args.operationName, shared);
        perDoc.set(name, plan);
      }
      if (!plan) return;
      const vars = getVariableValues(args.schema, plan.operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Args);
      if (vars.errors) return; // graphql-js reports them
      const { hot, failed, settled } = recording(shared);
      try {
        const values = await Promise.all(
          plan.roots.map((r) => runRoot(r, getArgumentValues(r.fieldDef, r.node, vars.coerced) as Args, hot)),
        );
        const data: Record<string, unknown> = Object.create(null);
        plan.roots.forEach((r, i) => (data[r.key] = values[i]));
        setResultAndStopExecution({ data } as ExecutionResult);
        metrics.compiledReads.inc({ outcome: 'answered' });
      } catch {
        metrics.compiledReads.inc({ outcome: 'handed_back' });
        await settled();
        if (failed.size > 0) extendContext({ hot } as Partial<ApiServices>);
        // Declined at run time or failed: graphql-js answers (and reports errors its own way).
      }
    },
  };
}
