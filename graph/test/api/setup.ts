// The API test stack: an embedded chain with the program, a migrated Postgres
// (graph/test/helpers.ts), the indexer, and the API on a real socket. Clients
// talk to it over HTTP, SSE and WebSocket like any frontend.
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startChain, type Chain } from '../../../tests/harness/surfnet.js';
import { createBus, type Bus } from '../../src/bus.js';
import type { ChangeFeed } from '../../src/feed.js';
import { createPrismaClient } from '../../src/db/client.js';
import { createIndexer, type Indexer } from '../../src/indexer.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { createRpcProbe } from '../../src/api/ingestion.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { indexerConfig, startDatabase, type TestDatabase } from '../helpers.js';

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; locations?: unknown; path?: unknown }[];
  raw: string;
}

/** POST /graphql over a real socket. */
export async function gql<T = Record<string, any>>(baseUrl: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const raw = await res.text();
  let body: { data?: T; errors?: GqlResult['errors'] } = {};
  try {
    body = JSON.parse(raw);
  } catch {
    // not JSON: left to the caller (raw)
  }
  return { status: res.status, data: body.data ?? undefined, errors: body.errors, raw };
}

export async function getJson(baseUrl: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export interface ApiStack {
  chain: Chain;
  db: TestDatabase;
  prisma: PrismaClient;
  bus: Bus;
  /** The API's change feed (its subscriptions are registered here, not on the bus). */
  feed: ChangeFeed;
  indexer: Indexer;
  api: ApiServer;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Bus on Redis for the indexer and the API (default: in process, shared). */
  redisUrl?: string;
  api?: Partial<ApiServerOptions>;
  /** Start the indexer (default true). */
  indexer?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<ApiStack> {
  const [chain, db] = await Promise.all([startChain(), startDatabase()]);
  const prisma = createPrismaClient(db.url, { max: 4 });
  const bus = createBus({ redisUrl: opts.redisUrl, logger: silentLogger });
  await bus.ready();
  const testLogger = (name: string) =>
    process.env.TEST_LOG_LEVEL ? createLogger({ level: process.env.TEST_LOG_LEVEL, name }) : silentLogger;
  const indexer = createIndexer(indexerConfig(chain, db.url), { bus, logger: testLogger('dvpn-indexer') });
  if (opts.indexer !== false) {
    await indexer.start();
    await indexer.whenLeader();
    // Live subscription up before any transaction is sent (see the report: a
    // transaction confirmed between the start-up backfill and the first
    // logsSubscribe ack waits for the next backfill pass).
    await indexer.whenIdle();
  }
  const api = createApiServer({
    prisma,
    bus,
    port: 0,
    logger: testLogger('dvpn-api'),
    rpc: createRpcProbe(chain.rpcUrl, DVPN_PROGRAM_ID.toBase58()),
    ...opts.api,
  });
  const { url, wsUrl } = await api.start();
  return {
    chain,
    db,
    prisma,
    bus,
    feed: api.yoga.api.feed,
    indexer,
    api,
    url,
    wsUrl,
    async close() {
      await api.stop().catch(() => undefined);
      await indexer.stop().catch(() => undefined);
      await bus.close().catch(() => undefined);
      await prisma.$disconnect().catch(() => undefined);
      await db.stop().catch(() => undefined);
      chain.close();
    },
  };
}

/** A graphql-ws client over a real WebSocket; `connected` resolves when the server acknowledged. */
export function wsClient(wsUrl: string): { client: WsClient; connected: Promise<void> } {
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => (resolveConnected = r));
  const client = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    on: { connected: () => resolveConnected() },
  });
  return { client, connected };
}

/** Collects the results of one graphql-ws subscription. */
export function wsSubscribe(client: WsClient, query: string, variables?: Record<string, unknown>) {
  const results: any[] = [];
  const errors: unknown[] = [];
  let done = false;
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (r) => results.push(r),
      error: (e) => errors.push(e),
      complete: () => {
        done = true;
      },
    },
  );
  return { results, errors, dispose, isDone: () => done };
}

/**
 * A GraphQL-over-SSE subscription (yoga's distinct-connections mode) over a
 * real socket: POST with `accept: text/event-stream`, `event: next` frames.
 */
export function sseSubscribe(baseUrl: string, query: string, variables?: Record<string, unknown>) {
  const results: any[] = [];
  const controller = new AbortController();
  let resolveOpen!: () => void;
  const open = new Promise<void>((r) => (resolveOpen = r));
  const finished = (async () => {
    const res = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    resolveOpen();
    if (!res.ok || !res.body) throw new Error(`SSE request failed: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let idx: number;
        while ((idx = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          const lines = frame.split('\n');
          const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (event === 'next' && data) results.push(JSON.parse(data));
          if (event === 'complete') return;
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  finished.catch(() => undefined);
  return { results, open, finished, close: () => controller.abort() };
}

export interface ApiOnly {
  db: TestDatabase;
  prisma: PrismaClient;
  bus: Bus;
  feed: ChangeFeed;
  api: ApiServer;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Postgres + the API (no chain, no indexer): for protection and error tests. */
export async function startApiOnly(opts: Partial<ApiServerOptions> = {}): Promise<ApiOnly> {
  const db = await startDatabase();
  const prisma = createPrismaClient(db.url, { max: 4 });
  const bus = createBus();
  const api = createApiServer({
    prisma,
    bus,
    port: 0,
    logger: process.env.TEST_LOG_LEVEL ? createLogger({ level: process.env.TEST_LOG_LEVEL, name: 'dvpn-api' }) : silentLogger,
    ...opts,
  });
  const { url, wsUrl } = await api.start();
  return {
    db,
    prisma,
    bus,
    feed: api.yoga.api.feed,
    api,
    url,
    wsUrl,
    async close() {
      await api.stop().catch(() => undefined);
      await bus.close().catch(() => undefined);
      await prisma.$disconnect().catch(() => undefined);
      await db.stop().catch(() => undefined);
    },
  };
}
