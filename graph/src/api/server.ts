// The API on a node:http server: yoga (GraphQL over HTTP + SSE, GraphiQL,
// REST, health, metrics) and graphql-ws on the same path (/graphql), with a
// start()/stop() pair. Nothing here decides what the API answers; yoga.ts does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createRateLimiter, isLimitedPath, rateLimitMessage, type RateLimitOptions } from './rate-limit.js';
import { createApi, type ApiOptions, type ApiYoga } from './yoga.js';

export interface ApiServerOptions extends ApiOptions {
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest request body accepted, by Content-Length (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest WebSocket message accepted (default 1 MiB). */
  maxWsPayloadBytes?: number;
  /** Per-client request rate limit (see rate-limit.ts); false: none. */
  rateLimit?: RateLimitOptions | false;
}

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

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const yoga = createApi(opts);
  const { metrics, logger } = yoga.api;
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const limiter = opts.rateLimit === false ? null : createRateLimiter(opts.rateLimit);
  const limited = async (req: IncomingMessage): Promise<number | null> => {
    if (!limiter) return null;
    const retryAfter = await limiter.take(req);
    if (retryAfter !== null) metrics.refused.inc({ rule: 'RATE_LIMITED' });
    return retryAfter;
  };

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBody) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: `request body larger than ${maxBody} bytes` }] }));
      req.resume();
      return;
    }
    void Promise.resolve()
      .then(() => (isLimitedPath(req.url) ? limited(req) : null))
      .then((retryAfter) => {
        if (retryAfter === null) return yoga.requestListener(req, res);
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
        res.end(JSON.stringify({ errors: [{ message: rateLimitMessage(retryAfter), extensions: { code: 'RATE_LIMITED', retryAfter } }] }));
        req.resume();
      })
      .catch((err: unknown) => {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    });
  });

  const wss = new WebSocketServer({ server: http, path: GRAPHQL_PATH, maxPayload: opts.maxWsPayloadBytes ?? 1024 * 1024 });
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
        // onClose runs for every socket; count only the ones onConnect counted.
        if (ctx.acknowledged) metrics.wsConnections.dec();
      },
      onSubscribe: async (ctx, _id, payload) => {
        const retryAfter = await limited(ctx.extra.request);
        if (retryAfter !== null) {
          return [new GraphQLError(rateLimitMessage(retryAfter), { extensions: { code: 'RATE_LIMITED', retryAfter } })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          transport: 'ws',
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError('Syntax error in the GraphQL document')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
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
