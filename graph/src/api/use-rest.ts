// REST paths answered by the GraphQL schema itself: each route is a fixed
// GraphQL document run through the same envelop pipeline (same resolvers,
// same limits, same metrics), so REST and GraphQL cannot drift apart.
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
//
// Lists answer { items, pageInfo, totalCount }; one object answers the object
// (404 when unknown). Field names and values are exactly GraphQL's (amounts
// as decimal strings). Bad parameters answer 400 with GraphQL-style errors.
import type { IncomingMessage } from 'node:http';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ApiMetrics } from './metrics.js';
import { REFUSAL_CODES } from './use-metrics.js';
import { BadMinSeq, MinSeqAhead, revalidated, type CacheState, type ResponseCache } from './response-cache.js';

const NODE_FIELDS = `pubkey providerPubkey nodeId endpoint region pricePerMinute pricePerMinuteToken wgServerPubkey
  maxCapacity activeSessions freeCapacity isActive providerReputation totalUptimeSeconds totalSessions createdAt updatedAt lastSlot`;
const PROVIDER_FIELDS = `pubkey authority stakeVault nodeCount stakeLamports unstakingLamports unstakeAt slashedLamports
  ratingSum ratingCount reputationScore totalUptimeSeconds totalSessions totalEarnedLamports totalEarnedToken registeredAt updatedAt lastSlot`;
const SESSION_FIELDS = `pubkey generation user nodePubkey providerPubkey sessionId mode state paymentMint currency escrowAmount remainingBalance
  claimedAmount feeAmount refundedAmount bytesUsed lastTick tickAmount maxTicks hashChainRoot startTs endTs closedAt settledAt
  capacityReleased rated openedSignature updatedAt lastSlot lastSignature`;
const CLAIM_FIELDS = `id kind signature slot ixIndex eventIndex sessionPubkey nodePubkey providerPubkey user paymentMint currency
  tick bytesUsed amount providerAmount fee refund timestamp`;
const PAGE = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const STATS_FIELDS = `providers nodes activeNodes totalCapacity activeSessions freeCapacity sessions openSessions
  escrowLockedLamports escrowLockedToken volumeLamports volumeToken feesLamports feesToken indexedSlot eventsApplied
  byRegion { region nodes activeNodes totalCapacity activeSessions freeCapacity minPricePerMinute minPricePerMinuteToken
    sessions openSessions volumeLamports volumeToken }`;

export const REST_DOCUMENTS = {
  nodes: `query RestNodes($filter: NodeFilter, $orderBy: NodeOrder, $first: Int, $after: String, $last: Int, $before: String) {
    nodes(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      ${PAGE} nodes { ${NODE_FIELDS} } } }`,
  node: `query RestNode($pubkey: Pubkey!) { node(pubkey: $pubkey) { ${NODE_FIELDS} provider { ${PROVIDER_FIELDS} } } }`,
  sessions: `query RestSessions($filter: SessionFilter, $orderBy: SessionOrder, $first: Int, $after: String, $last: Int, $before: String) {
    sessions(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      ${PAGE} nodes { ${SESSION_FIELDS} } } }`,
  session: `query RestSession($pubkey: Pubkey!) { session(pubkey: $pubkey) { ${SESSION_FIELDS}
    claims(first: 100) { totalCount nodes { ${CLAIM_FIELDS} } }
    dispute { raisedBy reason raisedAt resolved resolver providerAmount fee refund slashedLamports resolvedAt }
    rating { rating reputationScore ratingCount timestamp } } }`,
  provider: `query RestProvider($pubkey: Pubkey!) {
    byPubkey: provider(pubkey: $pubkey) { ...RestProviderFields }
    byAuthority: provider(authority: $pubkey) { ...RestProviderFields } }
    fragment RestProviderFields on Provider { ${PROVIDER_FIELDS} nodes(first: 100) { totalCount nodes { ${NODE_FIELDS} } } }`,
  stats: `query RestStats { stats { ${STATS_FIELDS} } }`,
} as const;

class BadRequest extends Error {}

type Query = URLSearchParams;

function str(q: Query, name: string): string | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : v;
}
function list(q: Query, name: string): string[] | undefined {
  const v = str(q, name);
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}
function bool(q: Query, name: string): boolean | undefined {
  const v = str(q, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new BadRequest(`query parameter "${name}" must be true or false, got "${v.slice(0, 40)}"`);
}
function int(q: Query, name: string): number | undefined {
  const v = str(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(v)) throw new BadRequest(`query parameter "${name}" must be an integer, got "${v.slice(0, 40)}"`);
  return Number(v);
}
function upper(q: Query, name: string): string | undefined {
  return str(q, name)?.toUpperCase();
}
function compact<T extends Record<string, unknown>>(o: T): T | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(out).length > 0 ? out : undefined;
}
function page(q: Query) {
  return { first: int(q, 'first'), after: str(q, 'after'), last: int(q, 'last'), before: str(q, 'before') };
}
function order(q: Query) {
  const field = upper(q, 'orderBy');
  const direction = upper(q, 'direction');
  if (!field) {
    if (direction) throw new BadRequest('"direction" needs "orderBy"');
    return undefined;
  }
  return compact({ field, direction });
}

interface Route {
  name: string;
  document: string;
  variables: (q: Query, param?: string) => Record<string, unknown>;
  shape: (data: Record<string, unknown>) => { status: number; body: unknown };
}

function connection(key: string) {
  return (data: Record<string, unknown>) => {
    const c = data[key] as { nodes: unknown[]; pageInfo: unknown; totalCount: number };
    return { status: 200, body: { items: c.nodes, pageInfo: c.pageInfo, totalCount: c.totalCount } };
  };
}
function single(key: string, what: string) {
  return (data: Record<string, unknown>) =>
    data[key] ? { status: 200, body: data[key] } : { status: 404, body: { errors: [{ message: `${what} not found` }] } };
}

const ROUTES: Record<string, Route> = {
  nodes: {
    name: 'nodes',
    document: REST_DOCUMENTS.nodes,
    variables: (q) => ({
      filter: compact({
        region: str(q, 'region'),
        regions: list(q, 'regions'),
        provider: str(q, 'provider'),
        active: bool(q, 'active'),
        minPricePerMinute: str(q, 'minPrice'),
        maxPricePerMinute: str(q, 'maxPrice'),
        minPricePerMinuteToken: str(q, 'minPriceToken'),
        maxPricePerMinuteToken: str(q, 'maxPriceToken'),
        acceptsSol: bool(q, 'acceptsSol'),
        acceptsToken: bool(q, 'acceptsToken'),
        minReputation: int(q, 'minReputation'),
        minFreeCapacity: int(q, 'minFreeCapacity'),
        hasFreeCapacity: bool(q, 'hasFreeCapacity'),
      }),
      orderBy: order(q),
      ...page(q),
    }),
    shape: connection('nodes'),
  },
  node: { name: 'node', document: REST_DOCUMENTS.node, variables: (_q, p) => ({ pubkey: p }), shape: single('node', 'node') },
  sessions: {
    name: 'sessions',
    document: REST_DOCUMENTS.sessions,
    variables: (q) => ({
      filter: compact({
        user: str(q, 'user'),
        node: str(q, 'node'),
        provider: str(q, 'provider'),
        states: list(q, 'state')?.map((s) => s.toUpperCase()),
        mode: upper(q, 'mode'),
        currency: upper(q, 'currency'),
        from: str(q, 'from'),
        to: str(q, 'to'),
      }),
      orderBy: order(q),
      ...page(q),
    }),
    shape: connection('sessions'),
  },
  session: {
    name: 'session',
    document: REST_DOCUMENTS.session,
    variables: (_q, p) => ({ pubkey: p }),
    shape: single('session', 'session'),
  },
  provider: {
    name: 'provider',
    document: REST_DOCUMENTS.provider,
    variables: (_q, p) => ({ pubkey: p }),
    shape: (data) => single('provider', 'provider')({ provider: data.byPubkey ?? data.byAuthority }),
  },
  stats: { name: 'stats', document: REST_DOCUMENTS.stats, variables: () => ({}), shape: single('stats', 'stats') },
};

function match(pathname: string): { route: Route; param?: string; bad?: string } | null {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
  if (parts.length === 1) {
    if (parts[0] === 'nodes') return { route: ROUTES.nodes };
    if (parts[0] === 'sessions') return { route: ROUTES.sessions };
    if (parts[0] === 'stats') return { route: ROUTES.stats };
  }
  if (parts.length === 2 && parts[1] !== '') {
    if (!['nodes', 'sessions', 'providers'].includes(parts[0])) return null;
    let param: string;
    try {
      param = decodeURIComponent(parts[1]);
    } catch {
      // A malformed percent-escape (/nodes/%ZZ) is the client's mistake.
      return { route: ROUTES[parts[0] === 'nodes' ? 'node' : parts[0] === 'sessions' ? 'session' : 'provider'], bad: 'the path has a malformed percent-escape' };
    }
    if (parts[0] === 'nodes') return { route: ROUTES.node, param };
    if (parts[0] === 'sessions') return { route: ROUTES.session, param };
    if (parts[0] === 'providers') return { route: ROUTES.provider, param };
  }
  return null;
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

export function useRest(opts: { metrics?: ApiMetrics; logger?: Logger; cache?: ResponseCache | null } = {}): RestPlugin {
  let yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>> | null = null;

  async function run(
    request: Request,
    serverContext: Record<string, unknown>,
    route: Route,
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
    return route.shape((result.data ?? {}) as Record<string, unknown>);
  }

  return {
    bind(y) {
      yoga = y;
    },
    async onRequest({ url, request, serverContext, endResponse, fetchAPI }) {
      const found = match(url.pathname);
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
        const variables = found.route.variables(url.searchParams, found.param);
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
