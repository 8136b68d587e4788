// The OpenAPI 3.1 document of the REST routes, generated from what they run:
// each path's parameters from its operation's variables (typed by the schema's
// input types), its 200 answer from the operation's selection walked against
// the schema's output types. Served at GET /openapi.json and written to the
// docs site (docs/scripts/gen.ts) from this one function.
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { readFileSync } from 'node:fs';
import type { RestParam, RestRoute } from './routes.js';

/** The API's version: @dvpn/graph's (graph/package.json), in the served document and the docs site's alike. */
export const API_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Json = Record<string, unknown>;

function leafSchema(named: GraphQLNamedType): Json {
  if (isEnumType(named)) return { type: 'string', enum: named.getValues().map((v) => v.name), 'x-graphql-type': named.name };
  const type = named.name === 'Int' ? 'integer' : named.name === 'Float' ? 'number' : named.name === 'Boolean' ? 'boolean' : 'string';
  // The built-in scalars' descriptions say nothing about this API; custom ones (Pubkey, amounts) do.
  const own = isScalarType(named) && named.description && !isSpecifiedScalarType(named) ? { description: named.description } : {};
  return { type, ...own, 'x-graphql-type': named.name };
}

function paramSchema(type: GraphQLInputType): Json {
  const leaf = leafSchema(getNamedType(type));
  return isListType(getNullableType(type)) ? { type: 'array', items: leaf } : leaf;
}

function parameter(p: RestParam): Json {
  return {
    name: p.name,
    in: p.in,
    required: p.required,
    description: p.description,
    // Lists are one comma-separated value (state=ACTIVE,CLOSING).
    ...(p.in === 'query' && isListType(getNullableType(p.type)) ? { style: 'form', explode: false } : {}),
    schema: paramSchema(p.type),
    'x-graphql-variable': `$${p.target.join('.')}`,
  };
}

/** JSON Schema of what a selection set returns, walked against the schema. */
function selectionSchema(type: GraphQLOutputType, sel: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>): Json {
  const nullable = !isNonNullType(type);
  const inner = getNullableType(type) as GraphQLOutputType;
  let s: Json;
  if (isListType(inner)) s = { type: 'array', items: selectionSchema(inner.ofType, sel, fragments) };
  else if (isObjectType(inner) || isInterfaceType(inner)) {
    const properties: Json = {};
    const required: string[] = [];
    const fields = inner.getFields();
    const add = (set: SelectionSetNode) => {
      for (const node of set.selections) {
        if (node.kind === Kind.FIELD) {
          const f = fields[node.name.value];
          if (!f) continue;
          const key = node.alias?.value ?? node.name.value;
          properties[key] = { ...selectionSchema(f.type, node.selectionSet, fragments), ...(f.description ? { description: f.description } : {}) };
          if (isNonNullType(f.type)) required.push(key);
        } else if (node.kind === Kind.FRAGMENT_SPREAD) add(fragments.get(node.name.value)!.selectionSet);
        else add(node.selectionSet);
      }
    };
    if (sel) add(sel);
    s = { type: 'object', 'x-graphql-type': inner.name, properties, required };
  } else s = leafSchema(inner);
  return nullable ? { anyOf: [s, { type: 'null' }] } : s;
}

/** The 200 answer of a route: its root field's selection; a list route's connection as { items, pageInfo, totalCount }. */
function answerSchema(schema: GraphQLSchema, route: RestRoute): Json {
  const doc = parse(route.document);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const root = op.selectionSet.selections.find((s) => s.kind === Kind.FIELD && (s.alias?.value ?? s.name.value) === route.roots[0]);
  if (!root || root.kind !== Kind.FIELD) throw new Error(`REST: ${route.operation} selects no ${route.roots[0]}`);
  const fieldType = schema.getQueryType()!.getFields()[root.name.value].type;
  // A 200 is never null (a missing object answers 404).
  const nullable = selectionSchema(getNullableType(fieldType) as GraphQLOutputType, root.selectionSet, fragments);
  const body = (nullable.anyOf as Json[])[0];
  if (route.kind === 'object') return body;
  const conn = body as { properties: Record<string, Json> };
  return {
    type: 'object',
    required: ['items', 'pageInfo', 'totalCount'],
    properties: { items: conn.properties.nodes, pageInfo: conn.properties.pageInfo, totalCount: conn.properties.totalCount },
  };
}

export function restOpenApi(schema: GraphQLSchema, routes: readonly RestRoute[], version = API_VERSION): Json {
  const errors = { description: 'GraphQL-style errors', content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } } };
  const paths: Json = {};
  for (const r of routes) {
    const hasPath = r.params.some((p) => p.in === 'path');
    paths[r.path] = {
      get: {
        operationId: r.name,
        summary: r.summary,
        description: `Runs the GraphQL operation ${r.operation} through the API's pipeline (same resolvers and limits):\n\n\`\`\`graphql\n${r.document}\`\`\``,
        parameters: r.params.map(parameter),
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: answerSchema(schema, r) } } },
          '400': errors,
          ...(hasPath ? { '404': errors } : {}),
          '429': errors,
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'DVPN indexer REST API',
      version,
      description: 'Read-only REST paths of the indexer API, answered by the GraphQL schema. Amounts are decimal strings (u64 does not fit a JSON number).',
    },
    servers: [{ url: 'http://127.0.0.1:4000', description: '`make dev`' }],
    paths,
    components: {
      schemas: {
        Errors: {
          type: 'object',
          required: ['errors'],
          properties: {
            errors: { type: 'array', items: { type: 'object', required: ['message'], properties: { message: { type: 'string' }, extensions: { type: 'object' } } } },
          },
        },
      },
    },
  };
}
