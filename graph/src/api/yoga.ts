// The API as a yoga app: GraphQL (HTTP + SSE) and GraphiQL at /graphql, the
// REST paths, /healthz, /readyz and /metrics. It opens no socket: server.ts
// listens (and adds graphql-ws on the same path); tests can call
// `yoga.fetch(...)` in process.
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { exampleTabs, renderGraphiQL } from './graphiql.js';
import pino, { type Logger } from 'pino';
import type { Bus } from '../bus.js';
import { ChangeFeed, createChangeFeed } from '../feed.js';
import type pg from 'pg';
import { poolOf } from '../db/client.js';
import type { PrismaClient } from '../generated/prisma/index.js';
import { useCompiledReads } from './compiled-reads.js';
import { createHotReads } from './hot-reads.js';
import type { ApiServices } from './context.js';
import { defaultIngestionSource, type IngestionSource, type RpcProbe } from './ingestion.js';
import { ApiMetrics } from './metrics.js';
import { schema } from './schema/index.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { useArmor, type ArmorOptions } from './use-armor.js';
import { createReadiness, useHealth, type Readiness } from './use-health.js';
import { useMetrics } from './use-metrics.js';
import { useOperationLimits } from './use-operation-limits.js';
import { useResponseSizeLimit } from './use-response-size-limit.js';
import { useRest } from './use-rest.js';
import { usePersisted, type PersistedMode } from './persisted.js';
import { ResponseCache, useResponseCache, type ResponseCacheOptions } from './response-cache.js';
import { useSharedSubscriptions } from './use-shared-subscriptions.js';

export interface ApiLimits extends Omit<ArmorOptions, 'onRefused'> {
  /** Largest operation cost allowed (default 10000, see complexity.ts). */
  maxCost?: number;
  /** Largest first/last (default 100). */
  maxPageSize?: number;
  /** Largest JSON result of one query, in bytes (default 4 MiB); larger answers RESPONSE_TOO_LARGE. */
  maxResponseBytes?: number;
}

export interface ApiOptions {
  prisma: PrismaClient;
  /**
   * The pg pool the hot reads use (hot-reads.ts). Default: the pool under a
   * client made by createPrismaClient; without one every read goes through Prisma.
   */
  pool?: pg.Pool;
  bus: Bus;
  logger?: Logger;
  /** Program whose checkpoint /readyz and /metrics read (default: the SDK's program id). */
  programId?: string;
  /** The RPC probe for /readyz (createRpcProbe(rpcUrl, programId)); null: not checked. */
  rpc?: RpcProbe | null;
  /**
   * Where lag, events applied and backfill progress come from. Default: the
   * indexer running in this process (ingest/metrics.ts), else the checkpoint
   * table and the RPC (see ingestion.ts).
   */
  ingestion?: IngestionSource | null;
  /** Ingestion is reported stalled after this long behind with no progress (default 10 s). */
  stallAfterMs?: number;
  limits?: ApiLimits;
  metrics?: ApiMetrics;
  /**
   * Per-client budget of query cost (default 100000 per 10 s): each operation
   * takes its cost (complexity.ts) from it; false: none.
   */
  costBudget?: RateLimitOptions | false;
  /** GraphiQL at /graphql (default true). */
  graphiql?: boolean;
  /** Change-log poll of this replica's change feed (default 1000 ms; see src/feed.ts). */
  feedPollMs?: number;
  /**
   * Origins allowed to read answers from a browser (CORS). Default: any origin,
   * never with credentials (the API reads public data and takes no cookies).
   */
  corsOrigin?: string | string[];
  /** Persisted (allow-listed) operations: off, allow-get (default: GET runs only listed ones), only. See persisted.ts. */
  persistedOperations?: PersistedMode;
  /** Response cache and HTTP caching headers (response-cache.ts); false: neither. */
  responseCache?: ResponseCacheOptions | false;
  /**
   * yoga's request body cap (default 25 MB). false: the caller bounds bodies
   * before yoga sees them (server.ts does: Content-Length checked up front,
   * chunked bodies read with a cap), and yoga's per-request stream wrapper,
   * a TransformStream and a second Request for every POST, is skipped.
   */
  maxRequestBodySize?: number | false;
  /** The hot query shapes answered without graphql-js (compiled-reads.ts); default true. */
  compiledReads?: boolean;
}

export type ApiYoga = YogaServerInstance<Record<string, unknown>, ApiServices> & {
  readonly api: {
    metrics: ApiMetrics;
    readiness: () => Promise<Readiness>;
    logger: Logger;
    bus: Bus;
    feed: ChangeFeed;
    cache: ResponseCache | null;
  };
};

function yogaLogger(log: Logger) {
  return {
    debug: (...args: unknown[]) => log.debug(args.length === 1 ? args[0] : { args }, 'yoga'),
    info: (...args: unknown[]) => log.info(args.length === 1 ? args[0] : { args }, 'yoga'),
    warn: (...args: unknown[]) => log.warn(args.length === 1 ? args[0] : { args }, 'yoga'),
    error: (...args: unknown[]) => log.error(args.length === 1 ? args[0] : { args }, 'yoga'),
  };
}

/** Postgres cancelled the statement (SQLSTATE 57014: statement_timeout) somewhere in the error's causes. */
function isStatementTimeout(error: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { message?: unknown; code?: unknown; originalCode?: unknown; cause?: unknown; originalError?: unknown };
    if (o.code === '57014' || o.originalCode === '57014') return true;
    if (typeof o.message === 'string' && o.message.includes('canceling statement due to statement timeout')) return true;
    e = o.originalError ?? o.cause;
  }
  return false;
}

/** `load()` at most once per `ms` (concurrent callers share one call). */
function cachedFor<T>(ms: number, load: () => Promise<T> | T): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!last || Date.now() - last.at > ms) {
      const value = Promise.resolve().then(load);
      last = { at: Date.now(), value };
      value.catch(() => {
        if (last?.value === value) last = null;
      });
    }
    return last.value;
  };
}

/**
 * yoga's request parser puts the parser's own error object into
 * `extensions.originalError` (e.g. invalid JSON: { name: "SyntaxError", ... }):
 * the message is enough for a client. Removed in place, so yoga neither logs
 * it as unexpected nor loses the 400 it carries (`http.spec` would let the
 * JSON answer fall back to 200).
 */
function stripOriginalError(error: GraphQLError): GraphQLError {
  const ext = error.extensions as Record<string, unknown> & { http?: Record<string, unknown> };
  if (ext && 'originalError' in ext) {
    delete ext.originalError;
    if (ext.http) delete ext.http.spec;
  }
  return error;
}

/**
 * An exception thrown by a plugin's onRequest (REST, health, metrics) would
 * reach @whatwg-node/server, which answers 500 with the error's stack: file
 * paths of the server. Each hook answers a short JSON 500 instead and logs.
 */
function guardOnRequest<P extends Plugin<any, any, any>>(plugin: P, logger: Logger): P {
  const hook = plugin.onRequest;
  if (!hook) return plugin;
  return {
    ...plugin,
    // Not async: a hook that passes a request by synchronously adds no promise to await.
    onRequest(payload: Parameters<NonNullable<P['onRequest']>>[0]) {
      const fail = (err: unknown) => {
        logger.error({ err }, 'request failed');
        payload.endResponse(
          new payload.fetchAPI.Response(JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }), {
            status: 500,
            headers: { 'content-type': 'application/json; charset=utf-8' },
          }),
        );
      };
      try {
        const out = (hook as (p: typeof payload) => unknown)(payload);
        if (out && typeof (out as Promise<unknown>).then === 'function') return (out as Promise<unknown>).then(undefined, fail) as never;
        return out as never;
      } catch (err) {
        fail(err);
      }
    },
  };
}

export function createApi(opts: ApiOptions): ApiYoga {
  const logger = (opts.logger ?? pino({ name: 'dvpn-api', level: process.env.LOG_LEVEL ?? 'info' })).child({ subsystem: 'api' });
  const metrics = opts.metrics ?? new ApiMetrics();
  const ingestion = opts.ingestion ?? defaultIngestionSource(opts.prisma, opts.rpc ?? null, {
      stallAfterMs: opts.stallAfterMs,
      programId: opts.programId ?? DVPN_PROGRAM_ID.toBase58(),
    });
  const readiness = createReadiness({ prisma: opts.prisma, rpc: opts.rpc, ingestion, logger });
  const limits = opts.limits ?? {};
  // Subscriptions read the change feed: the bus in seq order, with what it
  // lost read back from the change log, resumable by seq.
  const feed =
    opts.bus instanceof ChangeFeed
      ? opts.bus
      : createChangeFeed(opts.bus, (text, values) => opts.prisma.$queryRawUnsafe(text, ...values), {
          logger: logger.child({ sub: 'feed' }),
          pollMs: opts.feedPollMs,
        });
  const budget =
    opts.costBudget === false ? null : createRateLimiter({ points: 100_000, durationSeconds: 10, ...opts.costBudget });
  const pool = opts.pool ?? poolOf(opts.prisma);
  const cache =
    opts.responseCache === false
      ? null
      : new ResponseCache(
          pool ? async (text, values) => (await pool.query(text, values)).rows : (text, values) => opts.prisma.$queryRawUnsafe(text, ...values),
          feed,
          metrics,
          { ...opts.responseCache, budget },
        );
  const rest = useRest({ schema, metrics, logger, cache });
  const persisted = usePersisted(opts.persistedOperations ?? 'allow-get');
  const services: ApiServices = {
    prisma: opts.prisma,
    bus: feed,
    feed,
    freshness: cachedFor(1000, () => ingestion.status()),
    hot: pool ? createHotReads(pool, opts.prisma) : null,
  };

  const yoga = createYoga<Record<string, unknown>, ApiServices>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: opts.graphiql === false ? false : { title: 'DVPN GraphQL', subscriptionsProtocol: 'SSE', defaultTabs: exampleTabs() },
    renderGraphiQL,
    landingPage: false,
    healthCheckEndpoint: '/yoga-health',
    cors: {
      origin: opts.corsOrigin ?? '*',
      credentials: false,
      maxAge: 600,
      // Browsers may read the freshness of an answer (docs/API.md, "Caching").
      exposedHeaders: ['etag', 'x-dvpn-seq', 'x-dvpn-slot'],
    },
    logging: yogaLogger(logger),
    batching: false,
    maxRequestBodySize: opts.maxRequestBodySize,
    context: () => services,
    maskedErrors: {
      isDev: false,
      maskError: (error, message) => {
        if (isStatementTimeout(error)) {
          return new GraphQLError(
            'The database query took too long and was cancelled (statement timeout); ask for less: smaller pages, narrower filters, fewer aggregates.',
            { extensions: { code: 'QUERY_TIMEOUT' } },
          );
        }
        if (error instanceof GraphQLError) stripOriginalError(error);
        const masked = maskError(error, message, false);
        if (masked !== error) {
          const original = (error as { originalError?: unknown }).originalError ?? error;
          logger.error({ err: original }, 'unexpected error while resolving');
        }
        return masked;
      },
    },
    plugins: [
      guardOnRequest(useHealth(readiness), logger),
      guardOnRequest(useMetrics({ metrics, bus: feed, ingestion, readiness }), logger),
      guardOnRequest(rest, logger),
      // onParams, in this order: an id becomes its query text, then the cache looks it up.
      persisted,
      ...(cache ? [useResponseCache(cache)] : []),
      // Refusals are counted by useMetrics from the error codes of the answers.
      useArmor(limits),
      // Page size and cost in one validation pass, cached per document and variables.
      useOperationLimits({ maxPageSize: limits.maxPageSize, maxCost: limits.maxCost, budget }),
      useResponseSizeLimit({ maxBytes: limits.maxResponseBytes }),
      // After every check: a compiled read answers without graphql-js (compiled-reads.ts).
      ...(opts.compiledReads === false ? [] : [useCompiledReads(metrics)]),
      // Last: it wraps the subscribe step the limits above may have stopped.
      useSharedSubscriptions(),
    ],
  });
  rest.bind(yoga as unknown as Parameters<typeof rest.bind>[0]);
  return Object.assign(yoga, { api: { metrics, readiness, logger, bus: opts.bus, feed, cache } }) as ApiYoga;
}
