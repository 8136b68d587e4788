// The API on a node:http server: yoga (GraphQL over HTTP + SSE, GraphiQL,
// REST, health, metrics) and graphql-ws on the same path (/graphql), with a
// start()/stop() pair. Nothing here decides what the API answers; yoga.ts does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import {
  CONNECTION_LIMIT_CODE,
  SUBSCRIPTION_LIMIT_CODE,
  connectionLimitMessage,
  createClientSlots,
  subscriptionLimitMessage,
} from './client-slots.js';
import { createRateLimiter, isLimitedPath, rateLimitMessage, type RateLimitOptions } from './rate-limit.js';
import { loadManifest, persistedWsQuery } from './persisted.js';
import { createAppStatic, type AppStaticOptions } from './app-static.js';
import { createApi, type ApiOptions, type ApiYoga } from './yoga.js';

export interface ApiServerOptions extends ApiOptions {
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest request body accepted, by Content-Length and by the bytes actually read (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest WebSocket message accepted (default 1 MiB). */
  maxWsPayloadBytes?: number;
  /** Per-client request rate limit (see rate-limit.ts); false: none. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Subscriptions one client may hold at once: SSE streams and graphql-ws
   * subscriptions together (default 50; 0: unlimited). See client-slots.ts.
   */
  maxSubscriptionsPerClient?: number;
  /** WebSocket connections one client may hold at once (default 20; 0: unlimited). */
  maxWsConnectionsPerClient?: number;
  /** Tell clients apart by X-Forwarded-For for the per-client caps (default: the rate limit's setting). */
  trustProxy?: boolean;
  /** The web app's production build, served under a path (API_APP_DIR / API_APP_PATH; see app-static.ts). */
  app?: AppStaticOptions;
}

export const CLIENT_LIMIT_DEFAULTS = { maxSubscriptions: 50, maxWsConnections: 20 } as const;

export interface ApiServer {
  readonly yoga: ApiYoga;
  readonly http: Server;
  /** http://host:port (after start). */
  readonly url: string;
  /** ws://host:port/graphql (after start). */
  readonly wsUrl: string;
  start(): Promise<{ port: number; url: string; wsUrl: string }>;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

class BodyTooLarge extends Error {}

/**
 * The request body, refused past `max` bytes actually read (a chunked body has
 * no Content-Length to check). Listeners rather than for-await: breaking out
 * of an async iterator destroys the request, and with it the socket the 413
 * must be written to.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new Error('the client closed the request before its body was read'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

function isSseRequest(req: IncomingMessage): boolean {
  return (req.url ?? '').split('?')[0] === GRAPHQL_PATH && /text\/event-stream/i.test(String(req.headers.accept ?? ''));
}

function jsonError(res: ServerResponse, status: number, message: string, extensions?: Record<string, unknown>, headers: Record<string, string> = {}) {
  // Refusals answered before yoga (rate limit, body size, caps): never kept by a shared cache either.
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message, ...(extensions ? { extensions } : {}) }] }));
}

/** A GraphQL error safe to send: ours or graphql-js's, not one wrapping a thrown internal error. */
function isClientSafe(e: GraphQLError): boolean {
  let o: unknown = e.originalError;
  while (o) {
    if (!(o instanceof GraphQLError)) return false;
    o = o.originalError;
  }
  return true;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  // Bodies are bounded here (maxBody, below) before yoga reads them.
  const yoga = createApi({ ...opts, maxRequestBodySize: false });
  // graphql-ws does not pass through yoga's onParams: the persisted-operation policy is applied here too.
  const persistedMode = opts.persistedOperations ?? 'allow-get';
  const manifest = loadManifest();
  const { metrics, logger } = yoga.api;
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const limiter = opts.rateLimit === false ? null : createRateLimiter(opts.rateLimit);
  const limited = async (req: IncomingMessage): Promise<number | null> => {
    if (!limiter) return null;
    const retryAfter = await limiter.take(req);
    if (retryAfter !== null) metrics.refused.inc({ rule: 'RATE_LIMITED' });
    return retryAfter;
  };

  const trustProxy = opts.trustProxy ?? (opts.rateLimit ? opts.rateLimit.trustProxy : undefined) ?? false;
  const subscriptionSlots = createClientSlots(opts.maxSubscriptionsPerClient ?? CLIENT_LIMIT_DEFAULTS.maxSubscriptions, trustProxy);
  const wsSlots = createClientSlots(opts.maxWsConnectionsPerClient ?? CLIENT_LIMIT_DEFAULTS.maxWsConnections, trustProxy);

  const app = opts.app ? createAppStatic(opts.app) : null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The app's static files: no database, no GraphQL; the per-client limits are for the API.
    if (app?.(req, res)) return;
    const retryAfter = isLimitedPath(req.url) ? await limited(req) : null;
    if (retryAfter !== null) {
      jsonError(res, 429, rateLimitMessage(retryAfter), { code: 'RATE_LIMITED', retryAfter }, { 'retry-after': String(retryAfter) });
      req.resume();
      return;
    }
    if (req.headers['transfer-encoding'] !== undefined) {
      // No Content-Length to check up front: read the body here, counting
      // bytes, and hand yoga the buffer (it would buffer it whole anyway).
      try {
        (req as IncomingMessage & { body?: Buffer }).body = await readBody(req, maxBody);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        metrics.refused.inc({ rule: 'BODY_TOO_LARGE' });
        res.setHeader('connection', 'close');
        jsonError(res, 413, `request body larger than ${maxBody} bytes`, { code: 'BODY_TOO_LARGE' });
        req.resume();
        return;
      }
    }
    // An SSE request holds its socket for as long as its stream runs: it takes
    // one of the client's subscription slots until the response closes.
    if (isSseRequest(req)) {
      const release = subscriptionSlots.acquire(req);
      if (!release) {
        metrics.refused.inc({ rule: SUBSCRIPTION_LIMIT_CODE });
        jsonError(res, 429, subscriptionLimitMessage(subscriptionSlots.max), { code: SUBSCRIPTION_LIMIT_CODE, max: subscriptionSlots.max });
        req.resume();
        return;
      }
      res.once('close', release);
    }
    await yoga.requestListener(req, res);
  };

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBody) {
      metrics.refused.inc({ rule: 'BODY_TOO_LARGE' });
      res.setHeader('connection', 'close');
      jsonError(res, 413, `request body larger than ${maxBody} bytes`, { code: 'BODY_TOO_LARGE' });
      req.resume();
      return;
    }
    handle(req, res).catch((err: unknown) => {
      if (req.destroyed || res.destroyed) {
        logger.debug({ err }, 'request aborted by the client');
        return;
      }
      logger.error({ err }, 'request failed');
      if (!res.headersSent) jsonError(res, 500, 'Unexpected error.', { code: 'INTERNAL_SERVER_ERROR' });
      else res.end();
    });
  });

  const wss = new WebSocketServer({
    server: http,
    path: GRAPHQL_PATH,
    maxPayload: opts.maxWsPayloadBytes ?? 1024 * 1024,
    // A client past its WebSocket connection cap is refused at the upgrade
    // (HTTP 429); an accepted one holds its slot until its TCP socket closes.
    verifyClient: (info, done) => {
      const release = wsSlots.acquire(info.req);
      if (!release) {
        metrics.refused.inc({ rule: CONNECTION_LIMIT_CODE });
        done(false, 429, connectionLimitMessage(wsSlots.max));
        return;
      }
      info.req.socket.once('close', release);
      done(true);
    },
  });
  // graphql-ws subscriptions of each socket holding a subscription slot, by operation id.
  const wsHeld = new WeakMap<object, Map<string, () => void>>();
  const releaseWs = (ctx: object, id?: string) => {
    const held = wsHeld.get(ctx);
    if (!held) return;
    for (const [key, release] of held) {
      if (id !== undefined && key !== id) continue;
      release();
      held.delete(key);
    }
  };
  type Roots = { execute: (a: ExecutionArgs) => unknown; subscribe: (a: ExecutionArgs) => unknown };

  const graphqlWs: Disposable = useServer(
    {
      isProd: true,
      execute: (args) => (args.rootValue as Roots).execute(args) as never,
      subscribe: (args) => (args.rootValue as Roots).subscribe(args) as never,
      onConnect: async (ctx) => {
        if ((await limited(ctx.extra.request)) !== null) return false; // closes with 4403 Forbidden
        metrics.wsConnections.inc();
        return true;
      },
      onClose: (ctx) => {
        releaseWs(ctx);
        // onClose runs for every socket; count only the ones onConnect counted.
        if (ctx.acknowledged) metrics.wsConnections.dec();
      },
      onComplete: (ctx, id) => releaseWs(ctx, id),
      // Errors a stream threw end here as graphql-ws errors carrying the
      // thrown error's message: send only ours, log the rest.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          if (isClientSafe(e)) return e.toJSON();
          logger.error({ err: e.originalError ?? e }, 'subscription failed');
          return { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
        }),
      onSubscribe: async (ctx, id, payload) => {
        const retryAfter = await limited(ctx.extra.request);
        if (retryAfter !== null) {
          return [new GraphQLError(rateLimitMessage(retryAfter), { extensions: { code: 'RATE_LIMITED', retryAfter } })];
        }
        // Every operation over the socket holds a slot while it runs (a query
        // for an instant, a subscription until it completes or the socket closes).
        const release = subscriptionSlots.acquire(ctx.extra.request);
        if (!release) {
          metrics.refused.inc({ rule: SUBSCRIPTION_LIMIT_CODE });
          return [
            new GraphQLError(subscriptionLimitMessage(subscriptionSlots.max), {
              extensions: { code: SUBSCRIPTION_LIMIT_CODE, max: subscriptionSlots.max },
            }),
          ];
        }
        let held = wsHeld.get(ctx);
        if (!held) wsHeld.set(ctx, (held = new Map()));
        held.get(id)?.();
        held.set(id, release);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          transport: 'ws',
        });
        const query = persistedWsQuery(persistedMode, manifest, payload);
        if (typeof query !== 'string') {
          releaseWs(ctx, id);
          return [query];
        }
        let document;
        try {
          document = parse(query);
        } catch (err) {
          releaseWs(ctx, id);
          return [err instanceof GraphQLError ? err : new GraphQLError('Syntax error in the GraphQL document')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          releaseWs(ctx, id);
          return errors;
        }
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory({ transport: 'ws' }),
          rootValue: { execute, subscribe } satisfies Roots,
        };
        return args;
      },
    },
    wss,
  );

  let address: { port: number; url: string; wsUrl: string } | null = null;

  return {
    yoga,
    http,
    get url() {
      if (!address) throw new Error('API server not started');
      return address.url;
    },
    get wsUrl() {
      if (!address) throw new Error('API server not started');
      return address.wsUrl;
    },
    start() {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(opts.port ?? 4000, opts.host ?? '127.0.0.1', () => {
          http.off('error', reject);
          const a = http.address() as AddressInfo;
          const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          address = { port: a.port, url: `http://${host}:${a.port}`, wsUrl: `ws://${host}:${a.port}${GRAPHQL_PATH}` };
          logger.info({ url: `${address.url}${GRAPHQL_PATH}` }, 'API listening');
          resolve(address);
        });
      });
    },
    async stop() {
      yoga.api.cache?.close();
      await yoga.api.feed.close();
      for (const socket of wss.clients) socket.terminate();
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await yoga.dispose?.();
      address = null;
    },
  };
}
