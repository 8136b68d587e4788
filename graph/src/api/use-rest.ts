// REST paths answered by the GraphQL schema itself: each route is a named
// operation of rest/operations.graphql run through the same envelop pipeline
// (same resolvers, same limits, same cost budget, same metrics), so REST and
// GraphQL cannot drift apart. rest/routes.ts builds the routes from the
// operations and the schema (fields, parameters and their types); the OpenAPI
// document (rest/openapi.ts) comes from the same routes.
//
//   GET /nodes              ?region=&regions=a,b&provider=&active=&minPrice=&maxPrice=
//                           &minPriceToken=&maxPriceToken=&acceptsSol=&acceptsToken=
//                           &minReputation=&minFreeCapacity=&hasFreeCapacity=
//                           &orderBy=PRICE_PER_MINUTE|PRICE_PER_MINUTE_TOKEN|REPUTATION|FREE_CAPACITY|CREATED_AT|TOTAL_SESSIONS
//                           &direction=ASC|DESC&first=&after=&last=&before=
//   GET /nodes/:pubkey      the node and its provider
//   GET /sessions           ?user=&node=&provider=&state=ACTIVE,CLOSING&mode=&currency=&from=&to=
//                           &orderBy=START_TS|END_TS|ESCROW_AMOUNT|UPDATED_AT&direction=&first=&after=&last=&before=
//   GET /sessions/:pubkey   the session with its claims (first 100), dispute and rating
//   GET /providers/:pubkey  the provider (by account address or authority) and its nodes (first 100)
//   GET /stats              platform totals and totals by region
//   GET /openapi.json       the OpenAPI 3.1 document of these routes
//
// Lists answer { items, pageInfo, totalCount }; one object answers the object
// (404 when unknown). Field names and values are exactly GraphQL's (amounts
// as decimal strings). Parameters are read by their GraphQL input type:
// Boolean true/false/1/0, Int digits, enums in any case, lists comma-separated;
// the rest goes to GraphQL's own coercion. Bad parameters answer 400 with
// GraphQL-style errors.
import type { IncomingMessage } from 'node:http';
import { getNamedType, isEnumType, isNonNullType, type ExecutionResult, type GraphQLError, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ApiMetrics } from './metrics.js';
import { REFUSAL_CODES } from './use-metrics.js';
import { BadMinSeq, MinSeqAhead, revalidated, type CacheState, type ResponseCache } from './response-cache.js';
import { buildRestRoutes, isListParam, type RestParam, type RestRoute } from './rest/routes.js';
import { restOpenApi } from './rest/openapi.js';

class BadRequest extends Error {}

type Query = URLSearchParams;

/** One value read by the GraphQL type it fills. */
function scalar(type: GraphQLInputType, name: string, v: string): unknown {
  const named = getNamedType(type);
  if (isEnumType(named)) return v.toUpperCase();
  if (named.name === 'Boolean') {
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new BadRequest(`query parameter "${name}" must be true or false, got "${v.slice(0, 40)}"`);
  }
  if (named.name === 'Int') {
    if (!/^-?\d{1,9}$/.test(v)) throw new BadRequest(`query parameter "${name}" must be an integer, got "${v.slice(0, 40)}"`);
    return Number(v);
  }
  // String and the custom scalars (Pubkey, BigInt, DateTime): GraphQL's coercion judges them.
  return v;
}

function read(q: Query, p: RestParam): unknown {
  const v = q.get(p.name);
  if (v === null || v === '') return undefined;
  if (isListParam(p.type)) return v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => scalar(p.type, p.name, s));
  return scalar(p.type, p.name, v);
}

/** The operation's variables from the path parameter and the query string. */
function variablesFor(route: RestRoute, q: Query, pathParam?: string): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  const given = new Map<string, string[]>();
  for (const p of route.params) {
    const value = p.in === 'path' ? pathParam : read(q, p);
    if (value === undefined) continue;
    const [top, field] = p.target;
    if (field === undefined) variables[top] = value;
    else {
      ((variables[top] ??= {}) as Record<string, unknown>)[field] = value;
      given.set(top, [...(given.get(top) ?? []), p.name]);
    }
  }
  // An input object given in part must have its required fields ("direction" needs "orderBy").
  for (const [top, names] of given) {
    const missing = route.params.find((p) => p.target[0] === top && p.target.length === 2 && isNonNullType(p.type) && !names.includes(p.name));
    if (missing) throw new BadRequest(`"${names[0]}" needs "${missing.name}"`);
  }
  return variables;
}

function match(routes: Map<string, RestRoute>, pathname: string): { route: RestRoute; param?: string; bad?: string } | null {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
  if (parts.length === 1) {
    const route = routes.get(`/${parts[0]}`);
    return route ? { route } : null;
  }
  if (parts.length === 2 && parts[1] !== '') {
    const route = [...routes.values()].find((r) => r.path.startsWith(`/${parts[0]}/{`));
    if (!route) return null;
    try {
      return { route, param: decodeURIComponent(parts[1]) };
    } catch {
      // A malformed percent-escape (/nodes/%ZZ) is the client's mistake.
      return { route, bad: 'the path has a malformed percent-escape' };
    }
  }
  return null;
}

function shape(route: RestRoute, data: Record<string, unknown>): { status: number; body: unknown } {
  if (route.kind === 'list') {
    const c = data[route.roots[0]] as { nodes: unknown[]; pageInfo: unknown; totalCount: number };
    return { status: 200, body: { items: c.nodes, pageInfo: c.pageInfo, totalCount: c.totalCount } };
  }
  const found = route.roots.map((r) => data[r]).find((v) => v !== null && v !== undefined);
  return found ? { status: 200, body: found } : { status: 404, body: { errors: [{ message: `${route.name} not found` }] } };
}

function errorJson(errors: readonly GraphQLError[] | readonly { message: string }[]) {
  return {
    errors: errors.map((e) => {
      const { http: _http, ...extensions } = ('extensions' in e && e.extensions ? e.extensions : {}) as Record<string, unknown>;
      return { message: e.message, ...(Object.keys(extensions).length ? { extensions } : {}) };
    }),
  };
}

export interface RestPlugin extends Plugin {
  /** Gives the plugin the yoga instance whose pipeline it runs documents through. */
  bind(yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>>): void;
}

export function useRest(opts: { schema: GraphQLSchema; metrics?: ApiMetrics; logger?: Logger; cache?: ResponseCache | null }): RestPlugin {
  // Built once, at start: an operation the schema no longer accepts stops the server, not a request.
  const routes = new Map(buildRestRoutes(opts.schema).map((r) => [r.path, r]));
  let openApiText: string | null = null;
  let yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>> | null = null;

  async function run(
    request: Request,
    serverContext: Record<string, unknown>,
    route: RestRoute,
    variables: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    if (!yoga) throw new Error('REST plugin is not bound to a yoga instance');
    const params = { query: route.document, variables };
    // The server context carries `req` (the Node request): without it the
    // per-client cost budget (use-complexity-limit.ts) could not charge REST.
    const { parse, validate, contextFactory, execute, schema } = yoga.getEnveloped({ ...serverContext, request, params, transport: 'rest' });
    const document = parse(route.document);
    const validationErrors = validate(schema, document);
    if (validationErrors.length > 0) {
      // A fixed document the schema no longer accepts: our bug, not the client's.
      opts.logger?.error({ route: route.name, errors: validationErrors.map((e: GraphQLError) => e.message) }, 'REST document invalid');
      return { status: 500, body: { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } };
    }
    const contextValue = await contextFactory();
    const result = (await execute({ schema, document, contextValue, variableValues: variables })) as ExecutionResult;
    if (result.errors?.length) {
      const codes = new Set(result.errors.map((e) => (e.extensions as { code?: string } | undefined)?.code));
      for (const code of codes) if (code && REFUSAL_CODES.has(code)) opts.metrics?.refused.inc({ rule: code });
      const limited = result.errors.find((e) => e.extensions?.code === 'RATE_LIMITED');
      if (limited) {
        const retryAfter = Number(limited.extensions.retryAfter) || 1;
        return { status: 429, body: errorJson(result.errors), headers: { 'retry-after': String(retryAfter) } };
      }
      const clientError = result.errors.every((e) => {
        const code = (e.extensions as { code?: string } | undefined)?.code;
        return code !== undefined && code !== 'INTERNAL_SERVER_ERROR';
      });
      const coercion = result.errors.some((e) => /^Variable "\$/.test(e.message));
      return { status: clientError || coercion ? 400 : 500, body: errorJson(result.errors) };
    }
    return shape(route, (result.data ?? {}) as Record<string, unknown>);
  }

  return {
    bind(y) {
      yoga = y;
    },
    async onRequest({ url, request, serverContext, endResponse, fetchAPI }) {
      if (url.pathname === '/openapi.json') {
        if (request.method !== 'GET' && request.method !== 'HEAD') return;
        openApiText ??= JSON.stringify(restOpenApi(opts.schema, [...routes.values()]));
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : openApiText, {
            status: 200,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' },
          }),
        );
        return;
      }
      const found = match(routes, url.pathname);
      if (!found) return;
      // Answers other than a cacheable 200 are never kept by a shared cache.
      const respond = (status: number, body: unknown, headers: Record<string, string> = { 'cache-control': 'no-store' }) => {
        opts.metrics?.restRequests.inc({ route: found.route.name, status: String(status) });
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' || status === 304 ? null : text, {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
          }),
        );
      };
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        respond(405, { errors: [{ message: `${request.method} is not allowed; use GET` }] });
        return;
      }
      try {
        if (found.bad) throw new BadRequest(found.bad);
        const variables = variablesFor(found.route, url.searchParams, found.param);
        // Keyed by route and the variables it resolved to: equivalent URLs share an entry.
        let state: CacheState | null = null;
        if (opts.cache) {
          state = await opts.cache.begin(request, `rest\u0000${found.route.name}\u0000${JSON.stringify(variables)}`, url);
          if (state.hit !== undefined || state.notModified) {
            const refused = await opts.cache.charge(state, (serverContext as { req?: IncomingMessage } | undefined)?.req);
            if (refused) {
              opts.metrics?.refused.inc({ rule: 'RATE_LIMITED' });
              return respond(429, errorJson([refused]), { 'cache-control': 'no-store', 'retry-after': String(refused.extensions.retryAfter) });
            }
            if (state.notModified) return respond(304, null, opts.cache.headers(state));
            return respond(200, state.hit, opts.cache.headers(state));
          }
        }
        try {
          const { status, body, headers } = await run(request, (serverContext ?? {}) as Record<string, unknown>, found.route, variables);
          if (state && status === 200 && !headers) {
            const text = JSON.stringify(body);
            opts.cache!.store(state, text, request);
            respond(revalidated(state, request) ? 304 : 200, text, opts.cache!.headers(state));
          } else respond(status, body, headers ? { 'cache-control': 'no-store', ...headers } : undefined);
        } finally {
          // A miss answered any way releases whoever waits for it.
          if (state) opts.cache!.settle(state);
        }
      } catch (e) {
        if (e instanceof BadRequest || e instanceof BadMinSeq) respond(400, { errors: [{ message: e.message, extensions: { code: 'BAD_USER_INPUT' } }] });
        else if (e instanceof MinSeqAhead) respond(400, { errors: [{ message: e.message, extensions: { code: 'MIN_SEQ_AHEAD' } }] });
        else {
          opts.logger?.error({ err: e }, 'REST request failed');
          respond(500, { errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        }
      }
    },
  };
}
