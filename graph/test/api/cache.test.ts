// The cacheable public API: persisted operations over GET, Cache-Control /
// ETag / 304 tied to the indexed position, and the server-side response
// cache, which never answers older than a commit a client was told about.
// Real chain, real Postgres, real redis-server, real HTTP; three API replicas
// in this process, each with its own Redis connection and its own cache:
//   A  strict, on Redis: the subscribers
//   B  strict, on Redis: the one queried right after a notification
//   C  `bus` freshness whose bus never hears from Redis (an in-process bus, a
//      change-log poll of an hour): a replica whose bus lags; `minSeq` must
//      still get fresh answers from it
//   D  strict, with the same deaf bus as C: strict freshness owes nothing to
//      the bus
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { startChain, type Chain } from '../../../tests/harness/surfnet.js';
import { createNode, createProvider, initConfig, closeSessionIx, openTimeSession, type ConfigCtx, type NodeCtx } from '../../../tests/harness/fixtures.js';
import { createBus, type Bus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { createIndexer, type Indexer } from '../../src/indexer.js';
import { silentLogger } from '../../src/log.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { createRpcProbe } from '../../src/api/ingestion.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { MANIFEST_PATH, loadManifest } from '../../src/api/persisted.js';
import { indexerConfig, startDatabase, startRedis, waitFor, type TestDatabase, type TestRedis } from '../helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './setup.js';
// @ts-expect-error plain .mjs script without types
import { manifestText } from '../../scripts/persisted-operations.mjs';

const manifest = loadManifest();
const idOf = (name: string) => [...manifest.values()].find((o) => o.name === name)!.id;

let chain: Chain;
let db: TestDatabase;
let redis: TestRedis;
let indexer: Indexer;
let prisma: PrismaClient;
const buses: Bus[] = [];
const apis: ApiServer[] = [];
let A: ApiServer;
let B: ApiServer;
let C: ApiServer;
let D: ApiServer;
let cfg: ConfigCtx;
let node: NodeCtx;

async function replica(opts: Partial<ApiServerOptions> & { redis?: boolean } = {}): Promise<ApiServer> {
  const bus = createBus({ redisUrl: opts.redis === false ? undefined : redis.url, logger: silentLogger });
  await bus.ready();
  buses.push(bus);
  const api = createApiServer({
    prisma,
    bus,
    port: 0,
    logger: silentLogger,
    rpc: createRpcProbe(chain.rpcUrl, DVPN_PROGRAM_ID.toBase58()),
    rateLimit: false,
    costBudget: false,
    ...opts,
  });
  await api.start();
  apis.push(api);
  return api;
}

/** GET /graphql with a persisted operation id (Apollo style). */
function persistedUrl(base: string, name: string, variables: Record<string, unknown> = {}, extra = ''): string {
  const qs = new URLSearchParams({
    operationName: name,
    variables: JSON.stringify(variables),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: idOf(name) } }),
  });
  return `${base}/graphql?${qs}${extra}`;
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { accept: 'application/graphql-response+json', ...headers } });

beforeAll(async () => {
  [chain, db, redis] = await Promise.all([startChain(), startDatabase(), startRedis()]);
  indexer = createIndexer(indexerConfig(chain, db.url, { redisUrl: redis.url }), { logger: silentLogger });
  await indexer.start();
  await indexer.whenLeader();
  await indexer.whenIdle();
  await indexer.bus.ready();
  prisma = createPrismaClient(db.url, { max: 6 });
  A = await replica();
  B = await replica();
  C = await replica({ redis: false, feedPollMs: 3_600_000, responseCache: { freshness: 'bus' } });
  D = await replica({ redis: false, feedPollMs: 3_600_000 });

  cfg = await initConfig(chain);
  const provider = await createProvider(chain);
  node = await createNode(chain, provider, { region: 'eu-west', maxCapacity: 4 });
  await waitFor(async () => (await (await get(persistedUrl(B.url, 'NodeDetails', { pubkey: node.node.toBase58() }))).json()).data?.node, {
    what: 'node indexed',
  });
});

afterAll(async () => {
  for (const api of apis) await api.stop().catch(() => undefined);
  for (const bus of buses) await bus.close().catch(() => undefined);
  await prisma?.$disconnect();
  await indexer?.stop();
  await redis?.stop();
  await db?.stop();
  chain?.close();
});

describe('persisted operations', () => {
  it('the committed manifest is what graph/operations generate (run node graph/scripts/persisted-operations.mjs)', () => {
    expect(readFileSync(MANIFEST_PATH, 'utf8')).toBe(manifestText());
  });

  it('GET runs a listed operation by id; GET with query text and unknown ids are refused; POST takes any query', async () => {
    const ok = await get(persistedUrl(B.url, 'PlatformStats'));
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.stats.nodes).toBe('1');

    const text = await get(`${B.url}/graphql?query=${encodeURIComponent('{ stats { nodes } }')}`);
    expect(text.status).toBe(400);
    expect((await text.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    expect(text.headers.get('cache-control')).toBe('no-store');

    // An SSE stream over GET (what a browser's EventSource sends) may carry its text: never cached.
    const controller = new AbortController();
    const sse = await fetch(`${B.url}/graphql?query=${encodeURIComponent('subscription { events { seq } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('cache-control')).toBe('no-store');
    controller.abort();

    const unknown = await get(
      `${B.url}/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } }))}`,
    );
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const post = await fetch(`${B.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ stats { nodes } }' }),
    });
    expect(post.status).toBe(200);
    expect((await post.json()).data.stats.nodes).toBe('1');
    // POST answers carry the position but are never kept by a shared cache.
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(Number(post.headers.get('x-dvpn-seq'))).toBeGreaterThan(0);
  });

  it('API_PERSISTED_OPERATIONS=only refuses query text over POST too, and still runs ids', async () => {
    const only = await replica({ persistedOperations: 'only' });
    const post = await fetch(`${only.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ stats { nodes } }' }),
    });
    expect(post.status).toBe(400);
    expect((await post.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    const byId = await fetch(`${only.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operationName: 'PlatformStats', extensions: { persistedQuery: { version: 1, sha256Hash: idOf('PlatformStats') } } }),
    });
    expect(byId.status).toBe(200);
    expect((await byId.json()).data.stats.nodes).toBe('1');
  });

  it('API_PERSISTED_OPERATIONS=off lets GET run query text', async () => {
    const off = await replica({ persistedOperations: 'off' });
    const res = await get(`${off.url}/graphql?query=${encodeURIComponent('{ stats { nodes } }')}`);
    expect(res.status).toBe(200);
    expect((await res.json()).data.stats.nodes).toBe('1');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=1, stale-while-revalidate=5$/);
  });
});

describe('HTTP caching of GET answers', () => {
  it('public answers carry Cache-Control, an ETag and the position; If-None-Match gets 304 until the indexer commits', async () => {
    const url = persistedUrl(B.url, 'NodeDetails', { pubkey: node.node.toBase58() });
    const first = await get(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=1, stale-while-revalidate=5');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    const seq = Number(first.headers.get('x-dvpn-seq'));
    const slot = Number(first.headers.get('x-dvpn-slot'));
    expect(seq).toBeGreaterThan(0);
    expect(slot).toBeGreaterThan(0);
    const body = await first.text();

    // Same answer again (from the cache), byte for byte, same ETag.
    const again = await get(url);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe(body);

    const notModified = await get(url, { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('x-dvpn-seq')).toBe(String(seq));

    // A commit (a session opens on this node) moves the position: new ETag, new data.
    const sess = await openTimeSession(chain, node, 5);
    const changed = await waitFor(async () => {
      const r = await get(url, { 'if-none-match': etag });
      return r.status === 200 ? r : null;
    }, { what: 'a new version after the commit' });
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(Number(changed.headers.get('x-dvpn-seq'))).toBeGreaterThan(seq);
    const data = (await changed.json()).data.node;
    await waitFor(async () => {
      const r = (await (await get(url)).json()).data.node;
      return r.activeSessions === '1' ? r : null;
    }, { what: 'the session counted' });
    expect(data.pubkey).toBe(node.node.toBase58());
    await chain.send(closeSessionIx(chain, sess, cfg.treasury.publicKey), [sess.user]);
    await waitFor(async () => (await (await get(url)).json()).data.node.activeSessions === '0', { what: 'the close indexed' });
  });

  it('errors, _meta, SSE streams and requests with credentials are never publicly cacheable', async () => {
    const bad = await get(persistedUrl(B.url, 'NodeDetails', { pubkey: 'not-a-key' }));
    expect((await bad.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.headers.get('cache-control')).toBe('no-store');
    expect(bad.headers.get('etag')).toBeNull();

    const meta = await fetch(`${B.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _meta { slot lagSlots time } }' }),
    });
    expect(meta.status).toBe(200);
    expect(meta.headers.get('cache-control')).toBe('no-store');
    expect(meta.headers.get('x-dvpn-seq')).toBeNull();

    const withAuth = await get(persistedUrl(B.url, 'PlatformStats'), { authorization: 'Bearer x' });
    expect(withAuth.status).toBe(200);
    expect(withAuth.headers.get('cache-control')).toBe('no-store');
    expect(withAuth.headers.get('etag')).toBeNull();
    const withCookie = await get(persistedUrl(B.url, 'PlatformStats'), { cookie: 'a=b' });
    expect(withCookie.headers.get('cache-control')).toBe('no-store');

    const controller = new AbortController();
    const sse = await fetch(`${B.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { events { seq } }' }),
      signal: controller.signal,
    });
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sse.headers.get('cache-control')).toBe('no-store');
    controller.abort();

    const minSeqAhead = await get(persistedUrl(B.url, 'PlatformStats', {}, '&minSeq=999999999'));
    expect(minSeqAhead.status).toBe(400);
    expect((await minSeqAhead.json()).errors[0].extensions.code).toBe('MIN_SEQ_AHEAD');
    expect(minSeqAhead.headers.get('cache-control')).toBe('no-store');
  });

  it('REST answers: ETag, 304, position headers; a 404 is not cacheable', async () => {
    const path = `${B.url}/nodes/${node.node.toBase58()}`;
    const first = await fetch(path);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=1, stale-while-revalidate=5');
    expect(Number(first.headers.get('x-dvpn-seq'))).toBeGreaterThan(0);
    const etag = first.headers.get('etag')!;
    expect((await first.json()).pubkey).toBe(node.node.toBase58());
    const cached = await fetch(path, { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    const missing = await fetch(`${B.url}/nodes/11111111111111111111111111111112`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(missing.headers.get('etag')).toBeNull();
  });
});

describe('server-side response cache across replicas', () => {
  it('a query on another replica right after a subscriber was notified of seq N reflects N', async () => {
    const url = (base: string) => persistedUrl(base, 'NodeDetails', { pubkey: node.node.toBase58() });
    const ws = wsClient(A.wsUrl);
    await ws.connected;
    const sub = wsSubscribe(ws.client, 'subscription($n: Pubkey) { nodeCapacity(node: $n) { seq activeSessions } }', { n: node.node.toBase58() });
    await waitFor(() => A.yoga.api.feed.subscriberCount() >= 1, { what: 'subscription registered' });

    for (let round = 0; round < 3; round++) {
      // Warm B's and C's caches with the current answer (a hit the second time).
      const before = await (await get(url(B.url))).json();
      await get(url(B.url));
      await get(url(C.url));
      await get(url(D.url));
      await get(url(D.url));
      const seen = sub.results.length;
      const sess = await openTimeSession(chain, node, 5);
      await waitFor(() => sub.results.length > seen, { what: 'notified of the opening' });
      const note = sub.results[sub.results.length - 1].data.nodeCapacity;
      const n = Number(note.seq);
      // At once, no waiting: B (strict) must already answer at N.
      const fresh = await get(url(B.url));
      expect(Number(fresh.headers.get('x-dvpn-seq'))).toBeGreaterThanOrEqual(n);
      const freshNode = (await fresh.json()).data.node;
      expect(freshNode.activeSessions).toBe(note.activeSessions);
      expect(freshNode.activeSessions).not.toBe(before.data.node.activeSessions);
      // D's bus never hears about N either: strict does not need it.
      expect((await (await get(url(D.url))).json()).data.node.activeSessions).toBe(note.activeSessions);
      // C's bus never hears about N: without minSeq it answers at the version
      // it knows (what `bus` freshness trades for no database read), and says
      // so: its X-DVPN-Seq is older than N ...
      expect(Number((await get(url(C.url))).headers.get('x-dvpn-seq'))).toBeLessThan(n);
      // ... and a client that saw N says so and gets N.
      const fromC = await get(url(C.url) + `&minSeq=${n}`);
      expect(Number(fromC.headers.get('x-dvpn-seq'))).toBeGreaterThanOrEqual(n);
      expect((await fromC.json()).data.node.activeSessions).toBe(note.activeSessions);

      const seenClose = sub.results.length;
      await chain.send(closeSessionIx(chain, sess, cfg.treasury.publicKey), [sess.user]);
      await waitFor(() => sub.results.length > seenClose, { what: 'notified of the close' });
      const closeNote = sub.results[sub.results.length - 1].data.nodeCapacity;
      expect((await (await get(url(B.url))).json()).data.node.activeSessions).toBe(closeNote.activeSessions);
      // REST on B as well.
      expect((await (await fetch(`${B.url}/nodes/${node.node.toBase58()}`)).json()).activeSessions).toBe(closeNote.activeSessions);
    }
    sub.dispose();
    await ws.client.dispose();

    const metrics = await (await fetch(`${B.url}/metrics`)).text();
    expect(Number(/^dvpn_api_response_cache_requests_total\{result="hit"\} (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(Number(/^dvpn_api_response_cache_requests_total\{result="miss"\} (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(metrics).toMatch(/^dvpn_api_response_cache_entries \d+$/m);
  });

  it('a hit is the stored answer; the cache holds at most its bound', async () => {
    const small = await replica({ responseCache: { maxEntries: 2 } });
    const post = (query: string) =>
      fetch(`${small.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    for (const q of ['{ stats { nodes } }', '{ stats { providers } }', '{ stats { sessions } }', '{ stats { nodes } }']) expect((await post(q)).status).toBe(200);
    const metrics = await (await fetch(`${small.url}/metrics`)).text();
    expect(metrics).toMatch(/^dvpn_api_response_cache_entries 2$/m);
    expect(Number(/^dvpn_api_response_cache_evictions_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  });
});
