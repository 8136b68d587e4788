// REST is built from the schema (graph/src/api/rest/): a field added to the
// schema reaches REST and its OpenAPI document, or a test names it. Schema
// only: no database, no chain (the API answers these before any resolver runs).
import { afterAll, describe, expect, it } from 'vitest';
import { extendSchema, parse, type GraphQLSchema } from 'graphql';
import { schema } from '../../src/api/schema/index.js';
import { buildRestRoutes, restCoverageGaps, REST_ROUTE_SPECS } from '../../src/api/rest/routes.js';
import { restOpenApi } from '../../src/api/rest/openapi.js';
import { DEFAULT_MAX_COST } from '../../src/api/complexity.js';
import { complexityErrors } from '../../src/api/use-complexity-limit.js';
import { createBus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { createApi } from '../../src/api/yoga.js';

type Schema = { properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; type?: string; enum?: string[] };
type OpenApi = { paths: Record<string, { get: { parameters: { name: string; in: string; schema: Schema }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> } }> };

const answer = (api: OpenApi, path: string) => api.paths[path].get.responses['200'].content!['application/json'].schema;
const with_ = (sdl: string): GraphQLSchema => extendSchema(schema, parse(sdl));

describe('REST from the schema', () => {
  it('every object field of a REST type is selected or named in REST_OMITS with its reason', () => {
    expect(restCoverageGaps(schema)).toEqual([]);
  });

  it('a new scalar field reaches REST and the OpenAPI document by itself', () => {
    const extended = with_('extend type VpnNode { uptimeRatio: String } extend type Session { exitCountry: String } extend type Stats { bannedNodes: Int }');
    const routes = buildRestRoutes(extended);
    const api = restOpenApi(extended, routes) as OpenApi;
    expect(routes.find((r) => r.name === 'nodes')!.document).toMatch(/\buptimeRatio\b/);
    expect(Object.keys(answer(api, '/nodes').properties!.items.items!.properties!)).toContain('uptimeRatio');
    // The node inside a provider's node list too, and the session's own route.
    expect(Object.keys(answer(api, '/providers/{pubkey}').properties!.nodes.properties!.nodes.items!.properties!)).toContain('uptimeRatio');
    expect(Object.keys(answer(api, '/sessions/{pubkey}').properties!)).toContain('exitCountry');
    expect(answer(api, '/stats').properties!.bannedNodes).toMatchObject({ anyOf: [{ type: 'integer' }, { type: 'null' }] });
    expect(restCoverageGaps(extended)).toEqual([]);
  });

  it('a new object field is reported until it is selected or omitted on purpose', () => {
    const extended = with_('extend type Session { exitNode: VpnNode } extend type Provider { payouts(first: Int): [Claim!]! }');
    expect(restCoverageGaps(extended)).toEqual(['Provider.payouts', 'Session.exitNode']);
  });

  it('a new filter field becomes a query parameter of its type', () => {
    const extended = with_('extend input NodeFilter { country: String, wireguardOnly: Boolean }');
    const api = restOpenApi(extended, buildRestRoutes(extended)) as OpenApi;
    const params = api.paths['/nodes'].get.parameters;
    expect(params.find((p) => p.name === 'country')).toMatchObject({ in: 'query', schema: { type: 'string' } });
    expect(params.find((p) => p.name === 'wireguardOnly')).toMatchObject({ in: 'query', schema: { type: 'boolean' } });
  });

  it('the routes keep the query parameters REST had before it was generated', () => {
    const api = restOpenApi(schema, buildRestRoutes(schema)) as OpenApi;
    const names = (path: string) => api.paths[path].get.parameters.map((p) => p.name).sort();
    const page = ['after', 'before', 'direction', 'first', 'last', 'orderBy'];
    expect(names('/nodes')).toEqual(
      ['region', 'regions', 'provider', 'active', 'minPrice', 'maxPrice', 'minPriceToken', 'maxPriceToken', 'acceptsSol', 'acceptsToken', 'minReputation', 'minFreeCapacity', 'hasFreeCapacity', ...page].sort(),
    );
    expect(names('/sessions')).toEqual(['user', 'node', 'provider', 'state', 'mode', 'currency', 'from', 'to', ...page].sort());
    for (const path of ['/nodes/{pubkey}', '/sessions/{pubkey}', '/providers/{pubkey}']) expect(names(path)).toEqual(['pubkey']);
    expect(names('/stats')).toEqual([]);
    expect(Object.keys(api.paths).sort()).toEqual(REST_ROUTE_SPECS.map((r) => r.path).sort());
  });

  it('each route stays within the cost limit at the largest page a client may ask for', () => {
    for (const r of buildRestRoutes(schema)) {
      const variableValues = { ...(r.kind === 'list' ? { first: 100 } : {}), ...(r.params.some((p) => p.in === 'path') ? { pubkey: '11111111111111111111111111111112' } : {}) };
      expect(complexityErrors({ schema, document: parse(r.document), operationName: r.operation, variableValues }, DEFAULT_MAX_COST), r.path).toEqual([]);
    }
  });
});

describe('the API serves it', () => {
  const prisma = createPrismaClient('postgres://unused@127.0.0.1:9/none');
  const bus = createBus();
  const api = createApi({ prisma, bus, logger: silentLogger, responseCache: false });
  const get = (path: string) => api.fetch(`http://127.0.0.1${path}`);

  it('GET /openapi.json: the OpenAPI 3.1 document of the routes it answers', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as OpenApi & { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/nodes', '/nodes/{pubkey}', '/providers/{pubkey}', '/sessions', '/sessions/{pubkey}', '/stats']);
    expect(doc.paths['/sessions'].get.parameters.find((p) => p.name === 'state')!.schema).toMatchObject({ type: 'array', items: { enum: expect.arrayContaining(['ACTIVE', 'CLOSING']) } });
  });

  it('parameters are read by their GraphQL type: a bad one is a 400 naming it, with no stack', async () => {
    for (const [path, message] of [
      ['/nodes?active=maybe', 'query parameter "active" must be true or false, got "maybe"'],
      ['/nodes?minReputation=high', 'query parameter "minReputation" must be an integer, got "high"'],
      ['/nodes?first=1.5', 'query parameter "first" must be an integer, got "1.5"'],
      ['/nodes?direction=DESC', '"direction" needs "orderBy"'],
      ['/sessions?direction=asc', '"direction" needs "orderBy"'],
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).errors[0], path).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
      expect(text).not.toMatch(/\bat .*\.ts:\d+/);
    }
    // Values GraphQL's own coercion refuses (an enum value, an amount, a key) are 400s too.
    for (const path of ['/sessions?state=bogus', '/nodes?orderBy=nearest', '/nodes?minPrice=cheap', '/nodes/not-a-key']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect((await res.json()).errors[0].message, path).toMatch(/^Variable "\$/);
    }
  });
  afterAll(async () => {
    await bus.close();
    await prisma.$disconnect();
  });
});
