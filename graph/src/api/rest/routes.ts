// The REST routes, built from the GraphQL schema and the named operations of
// operations.graphql: no field name is written here. Each route is a GET path,
// the operation it runs and how the answer is shaped; the query parameters are
// the operation's variables (input objects flattened to their fields), typed
// and described by the schema. use-rest.ts serves them, openapi.ts documents
// them (the docs site's REST reference and openapi.json come from there).
import { readFileSync } from 'node:fs';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  print,
  typeFromAST,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

export const OPERATIONS_URL = new URL('./operations.graphql', import.meta.url);

export interface RestRouteSpec {
  /** Metrics label (`dvpn_api_rest_requests_total{route}`) and OpenAPI operationId. */
  name: string;
  /** OpenAPI-style path; a `{name}` segment is the operation's variable of that name. */
  path: string;
  /** The named operation of operations.graphql it runs. */
  operation: string;
  summary: string;
  /**
   * list: the connection at `roots[0]` answers `{ items, pageInfo, totalCount }`;
   * object: the first non-null of `roots` answers itself, 404 when all are null.
   */
  kind: 'list' | 'object';
  roots: string[];
}

export const REST_ROUTE_SPECS: readonly RestRouteSpec[] = [
  { name: 'nodes', path: '/nodes', operation: 'RestNodes', kind: 'list', roots: ['nodes'], summary: 'Nodes, filtered and ordered (the marketplace listing)' },
  { name: 'node', path: '/nodes/{pubkey}', operation: 'RestNode', kind: 'object', roots: ['node'], summary: 'One node and its provider' },
  { name: 'sessions', path: '/sessions', operation: 'RestSessions', kind: 'list', roots: ['sessions'], summary: 'Sessions, filtered and ordered' },
  {
    name: 'session',
    path: '/sessions/{pubkey}',
    operation: 'RestSession',
    kind: 'object',
    roots: ['session'],
    summary: 'One session with its claims (first 100), dispute and rating',
  },
  {
    name: 'provider',
    path: '/providers/{pubkey}',
    operation: 'RestProvider',
    kind: 'object',
    roots: ['byPubkey', 'byAuthority'],
    summary: 'One provider (by account address or by authority wallet) and its nodes (first 100)',
  },
  { name: 'stats', path: '/stats', operation: 'RestStats', kind: 'object', roots: ['stats'], summary: 'Platform totals and totals by region' },
];

/**
 * Query-parameter names that differ from the variable path they fill (the
 * names REST had before it was generated; kept so no client breaks). Any other
 * parameter is named after its field: `filter.region` is `region`.
 */
export const REST_PARAM_NAMES: Readonly<Record<string, string>> = {
  'filter.minPricePerMinute': 'minPrice',
  'filter.maxPricePerMinute': 'maxPrice',
  'filter.minPricePerMinuteToken': 'minPriceToken',
  'filter.maxPricePerMinuteToken': 'maxPriceToken',
  'filter.states': 'state',
  'orderBy.field': 'orderBy',
  'orderBy.direction': 'direction',
};

/** Descriptions of the Relay paging arguments, which the schema leaves undescribed. */
const PAGING: Readonly<Record<string, string>> = {
  first: 'page size from the start (Relay)',
  after: 'cursor: items after it',
  last: 'page size from the end',
  before: 'cursor: items before it',
};

/**
 * Object fields of the REST types that no route selects, and why. A new object
 * field must be selected in operations.graphql or named here
 * (graph/test/api/rest-contract.test.ts), so none is left out unnoticed.
 */
export const REST_OMITS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  VpnNode: { sessions: 'a connection: GET /sessions?node=' },
  Provider: {
    sessions: 'a connection: GET /sessions?provider=',
    disputes: 'a connection: GraphQL only',
    ratings: 'a connection: GraphQL only',
    stakeChanges: 'a connection: GraphQL only',
    earnings: 'an aggregate: GraphQL only',
  },
  Session: { node: 'GET /nodes/{nodePubkey}', provider: 'GET /providers/{providerPubkey}', openings: 'older openings: GraphQL only' },
  Claim: { node: 'by nodePubkey', provider: 'by providerPubkey', session: 'the enclosing session' },
  Dispute: { provider: 'by providerPubkey', session: 'the enclosing session' },
  Rating: { provider: 'by providerPubkey', session: 'the enclosing session' },
};

export interface RestParam {
  /** The query-string (or path) name. */
  name: string;
  in: 'query' | 'path';
  /** Where its value goes in the operation's variables, e.g. ['filter', 'minPricePerMinute']. */
  target: string[];
  /** The GraphQL input type of that place. */
  type: GraphQLInputType;
  required: boolean;
  description: string;
}

export interface RestRoute extends RestRouteSpec {
  /** The operation with the fragments it uses (generated ones included), printed. */
  document: string;
  params: RestParam[];
}

/** A spread `<Type>Fields` with no definition: every leaf field of <Type>. */
const GENERATED_FRAGMENT = /^(\w+)Fields$/;

/** Leaf fields a generated fragment selects: scalars and enums that need no argument. */
export function leafFields(schema: GraphQLSchema, typeName: string): GraphQLField<unknown, unknown>[] {
  const type = schema.getType(typeName);
  if (!isObjectType(type) && !isInterfaceType(type)) throw new Error(`REST: fragment ${typeName}Fields names no object type of the schema`);
  return Object.values(type.getFields()).filter(
    (f) => isLeafType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined),
  );
}

function generatedFragment(schema: GraphQLSchema, name: string): FragmentDefinitionNode {
  const typeName = GENERATED_FRAGMENT.exec(name)?.[1];
  if (!typeName) throw new Error(`REST: operations.graphql spreads ${name}, which it does not define`);
  const fields = leafFields(schema, typeName).map((f) => f.name);
  return parse(`fragment ${name} on ${typeName} { ${fields.join(' ')} }`).definitions[0] as FragmentDefinitionNode;
}

/** The operations file's definitions, with each generated fragment it spreads. */
export function restDefinitions(schema: GraphQLSchema, source = readFileSync(OPERATIONS_URL, 'utf8')): {
  operations: Map<string, OperationDefinitionNode>;
  fragments: Map<string, FragmentDefinitionNode>;
  /** The types whose leaf fields a generated fragment selects. */
  generated: Set<string>;
} {
  const doc = parse(source);
  const operations = new Map<string, OperationDefinitionNode>();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      if (!d.name || d.operation !== 'query') throw new Error('REST: every operation in operations.graphql is a named query');
      operations.set(d.name.value, d);
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const generated = new Set<string>();
  visit(doc, {
    FragmentSpread(s) {
      if (fragments.has(s.name.value)) return;
      const f = generatedFragment(schema, s.name.value);
      fragments.set(s.name.value, f);
      generated.add(f.typeCondition.name.value);
    },
  });
  return { operations, fragments, generated };
}

/** The operation and the fragments it spreads, transitively, as one document. */
function documentFor(op: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): DocumentNode {
  const used = new Set<string>();
  const walk = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(s) {
        if (used.has(s.name.value)) return;
        used.add(s.name.value);
        walk(fragments.get(s.name.value)!);
      },
    });
  walk(op);
  return { kind: Kind.DOCUMENT, definitions: [op, ...[...used].sort().map((n) => fragments.get(n)!)] };
}

/** The parameters of an operation: its variables, input objects flattened one level to their fields. */
function paramsFor(schema: GraphQLSchema, spec: RestRouteSpec, op: OperationDefinitionNode): RestParam[] {
  const inPath = new Set([...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
  const params: RestParam[] = [];
  for (const v of op.variableDefinitions ?? []) {
    const name = v.variable.name.value;
    const type = typeFromAST(schema, v.type as never) as GraphQLInputType | undefined;
    if (!type) throw new Error(`REST: ${spec.operation} $${name} has a type the schema lacks`);
    const required = isNonNullType(type) && v.defaultValue === undefined;
    if (inPath.delete(name)) {
      params.push({ name, in: 'path', target: [name], type, required: true, description: getNamedType(type).description ?? name });
      continue;
    }
    if (required) throw new Error(`REST: ${spec.operation} needs $${name}, which ${spec.path} does not give`);
    const input = getNullableType(type);
    if (isInputObjectType(input)) {
      for (const f of Object.values(input.getFields())) {
        const key = `${name}.${f.name}`;
        const named = getNamedType(f.type);
        if (!isLeafType(named)) throw new Error(`REST: ${key} is not a scalar, an enum or a list of them`);
        const description = f.description ?? (isEnumType(named) ? '' : (named.description ?? ''));
        params.push({ name: REST_PARAM_NAMES[key] ?? f.name, in: 'query', target: [name, f.name], type: f.type, required: false, description });
      }
    } else {
      params.push({ name: REST_PARAM_NAMES[name] ?? name, in: 'query', target: [name], type, required: false, description: PAGING[name] ?? getNamedType(type).description ?? '' });
    }
  }
  if (inPath.size) throw new Error(`REST: ${spec.path} has {${[...inPath].join('}, {')}}, which ${spec.operation} does not take`);
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new Error(`REST: ${spec.path} would read "${p.name}" twice (name one in REST_PARAM_NAMES)`);
    seen.add(p.name);
  }
  return params;
}

/** Builds every route against the schema; throws on an operation the schema does not accept. */
export function buildRestRoutes(schema: GraphQLSchema, source?: string): RestRoute[] {
  const { operations, fragments } = restDefinitions(schema, source);
  return REST_ROUTE_SPECS.map((spec) => {
    const op = operations.get(spec.operation);
    if (!op) throw new Error(`REST: operations.graphql has no operation ${spec.operation}`);
    const doc = documentFor(op, fragments);
    const errors = validate(schema, doc);
    if (errors.length) throw new Error(`REST: ${spec.operation} is not valid against the schema: ${errors.map((e) => e.message).join('; ')}`);
    return { ...spec, document: print(doc), params: paramsFor(schema, spec, op) };
  });
}

/**
 * Object fields of the REST types (those with a generated fragment) that no
 * route selects and REST_OMITS does not name, as `Type.field`; and omits that
 * name a field that is gone or selected after all.
 */
export function restCoverageGaps(schema: GraphQLSchema, source?: string): string[] {
  const { operations, fragments, generated } = restDefinitions(schema, source);
  const selected = new Map<string, Set<string>>();
  const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [...operations.values(), ...fragments.values()] };
  const typeInfo = new TypeInfo(schema);
  visit(
    doc,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent) selected.set(parent.name, (selected.get(parent.name) ?? new Set()).add(node.name.value));
      },
    }),
  );
  const gaps: string[] = [];
  for (const typeName of generated) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    const omits = REST_OMITS[typeName] ?? {};
    const picked = selected.get(typeName) ?? new Set();
    for (const f of Object.values(type.getFields())) {
      if (!isLeafType(getNamedType(f.type)) && !picked.has(f.name) && !(f.name in omits)) gaps.push(`${typeName}.${f.name}`);
    }
    for (const name of Object.keys(omits)) {
      if (!type.getFields()[name] || picked.has(name)) gaps.push(`${typeName}.${name} (stale in REST_OMITS)`);
    }
  }
  return gaps.sort();
}

/** True when a GraphQL input type is a list (a comma-separated parameter). */
export function isListParam(type: GraphQLInputType): boolean {
  return isListType(getNullableType(type));
}
