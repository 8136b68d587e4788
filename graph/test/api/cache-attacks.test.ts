// An outside audit of the caching layer (response-cache.ts, persisted.ts):
// each test is an attack on a promise of docs/API.md "Caching". Real
// Postgres, real redis-server, real HTTP; no chain: the indexer's commits are
// what they are to the API, a moved checkpoint row (written here with SQL),
// and the queries attacked read only the schema (__typename, @include) or
// fail validation, so no indexed data is needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, type Bus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { loadManifest } from '../../src/api/persisted.js';
import { wsClient } from './setup.js';
import { startDatabase, startRedis, type TestDatabase, type TestRedis } from '../helpers.js';

const manifest = loadManifest();
const idOf = (name: string) => [...manifest.values()].find((o) => o.name === name)!.id;
const ext = (name: string) => JSON.stringify({ persistedQuery: { version: 1, sha256Hash: idOf(name) } });

let db: TestDatabase;
let redis: TestRedis;
let prisma: PrismaClient;
const buses: Bus[] = [];
const apis: ApiServer[] = [];

async function replica(opts: Partial<ApiServerOptions> = {}): Promise<ApiServer> {
  const bus = createBus({ redisUrl: redis.url, logger: silentLogger });
  await bus.ready();
  buses.push(bus);
  const api = createApiServer({ prisma, bus, port: 0, logger: silentLogger, rpc: null, rateLimit: false, costBudget: false, ...opts });
  await api.start();
  apis.push(api);
  return api;
}

/** What the indexer's commit does to what the API reads as its version. */
async function commit(): Promise<void> {
  await db.query(
    `INSERT INTO checkpoints (id, slot, signature, head_slot, head_signature, events_applied, change_seq)
     VALUES ('audit', 1, 's', 1, 's', 1, 1)
     ON CONFLICT (id) DO UPDATE SET change_seq = checkpoints.change_seq + 1, head_slot = checkpoints.head_slot + 1,
       events_applied = checkpoints.events_applied + 1`,
  );
}

const json = { accept: 'application/graphql-response+json' };
const getText = (base: string, query: string, variables?: unknown, extra = '', headers: Record<string, string> = json) =>
  fetch(`${base}/graphql?query=${encodeURIComponent(query)}${variables === undefined ? '' : `&variables=${encodeURIComponent(JSON.stringify(variables))}`}${extra}`, {
    headers,
  });

beforeAll(async () => {
  [db, redis] = await Promise.all([startDatabase(), startRedis()]);
  prisma = createPrismaClient(db.url, { max: 4 });
  await commit();
});

afterAll(async () => {
  for (const api of apis) await api.stop().catch(() => undefined);
  for (const bus of buses) await bus.close().catch(() => undefined);
  await prisma?.$disconnect();
  await redis?.stop();
  await db?.stop();
});

describe('persisted operations: bypass attempts (allow-get)', () => {
  it('GET with query text is refused whatever Accept lists after JSON (text/event-stream is no pass for a JSON answer)', async () => {
    const api = await replica();
    for (const accept of ['application/json, text/event-stream', 'application/graphql-response+json;q=1, text/event-stream;q=0.1', '*/*, text/event-stream']) {
      const res = await getText(api.url, '{ __typename }', undefined, '', { accept });
      // Either refused, or the SSE stream it claimed to want; never a JSON answer to a text query over GET.
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) {
        expect(res.headers.get('cache-control')).toBe('no-store');
        await res.body?.cancel();
      } else {
        expect(res.status, accept).toBe(400);
        expect((await res.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
      }
    }
    // EventSource's own Accept still streams a subscription's text.
    const controller = new AbortController();
    const sse = await fetch(`${api.url}/graphql?query=${encodeURIComponent('subscription { events { seq } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
  });

  it('GET with an id and a different query text runs neither', async () => {
    const api = await replica();
    const res = await fetch(
      `${api.url}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}&query=${encodeURIComponent('query PlatformStats { __typename }')}`,
      { headers: json },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('HEAD with query text executes nothing', async () => {
    const api = await replica();
    const res = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { method: 'HEAD', headers: json });
    expect(res.status).not.toBe(200);
    expect(res.headers.get('etag')).toBeNull();
  });

  it('only: an SSE GET and a form-encoded POST with query text are refused too', async () => {
    const api = await replica({ persistedOperations: 'only' });
    const sse = await fetch(`${api.url}/graphql?query=${encodeURIComponent('subscription { events { seq } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: AbortSignal.timeout(10_000),
    });
    expect(await sse.text()).toContain('PERSISTED_QUERY_ONLY');
    const form = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...json },
      body: new URLSearchParams({ query: '{ __typename }' }).toString(),
    });
    expect((await form.text())).not.toContain('"__typename"');
  });

  it('only: POST with an id and a different query text is refused', async () => {
    const api = await replica({ persistedOperations: 'only' });
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...json },
      body: JSON.stringify({ query: '{ __typename }', operationName: 'PlatformStats', extensions: JSON.parse(ext('PlatformStats')) }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
  });
});

describe('cache-key confusion (API_PERSISTED_OPERATIONS=off: GET runs any text)', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await replica({ persistedOperations: 'off' });
  });
  const twoOps = 'query A { a: __typename } query B { b: __typename }';
  const includeQ = 'query Q($x: Boolean!, $y: Boolean! = true) { a: __typename @include(if: $x) b: __typename @include(if: $y) }';

  it('operationName picks its own cached answer', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await (await getText(api.url, twoOps, undefined, '&operationName=A')).json()).data).toEqual({ a: 'Query' });
      expect((await (await getText(api.url, twoOps, undefined, '&operationName=B')).json()).data).toEqual({ b: 'Query' });
    }
  });

  it('variables: value, JSON type, presence and duplicate parameters each get the answer to their own question', async () => {
    const ask = async (variables: unknown, extra = '') => {
      const res = await getText(api.url, includeQ, variables, extra);
      return { status: res.status, body: await res.json(), etag: res.headers.get('etag'), cc: res.headers.get('cache-control') };
    };
    for (let i = 0; i < 2; i++) {
      const t = await ask({ x: true });
      expect(t.body.data).toEqual({ a: 'Query', b: 'Query' });
      const f = await ask({ x: false });
      expect(f.body.data).toEqual({ b: 'Query' });
      expect(f.etag).not.toBe(t.etag);
      // Explicit false for the defaulted variable.
      expect((await ask({ x: true, y: false })).body.data).toEqual({ a: 'Query' });
      // Same question, keys in another order: same answer (and the same entry).
      const swapped = await ask({ y: false, x: true });
      expect(swapped.body.data).toEqual({ a: 'Query' });
      // A string is not a Boolean: refused, never the cached answer of true.
      const str = await ask({ x: 'true' });
      expect(str.body.errors?.[0]).toBeDefined();
      expect(str.body.data).toBeUndefined();
      expect(str.cc).toBe('no-store');
      // Null for a non-null variable: refused.
      expect((await ask({ x: null })).body.errors?.[0]).toBeDefined();
      // Duplicate `variables` parameters: the answer is to the one yoga ran.
      const dup = await ask({ x: false }, `&variables=${encodeURIComponent(JSON.stringify({ x: true }))}`);
      expect(dup.body.data).toEqual({ b: 'Query' });
    }
  });

  it('a 304 needs the ETag of the same variables at the same version; a commit ends every 304', async () => {
    const t = await getText(api.url, includeQ, { x: true });
    const etag = t.headers.get('etag')!;
    expect((await getText(api.url, includeQ, { x: true }, '', { ...json, 'if-none-match': etag })).status).toBe(304);
    expect((await getText(api.url, includeQ, { x: false }, '', { ...json, 'if-none-match': etag })).status).toBe(200);
    await commit();
    const after = await getText(api.url, includeQ, { x: true }, '', { ...json, 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
  });

  it('errors with data, and refusals by the armor or the cost limit, are never publicly cacheable', async () => {
    // A field error next to data: `nodes` with an unreadable cursor.
    const partial = await getText(api.url, '{ a: __typename nodes(first: 1, after: "!!not-a-cursor!!") { totalCount } }');
    const body = await partial.json();
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(partial.headers.get('cache-control')).toBe('no-store');
    expect(partial.headers.get('etag')).toBeNull();

    const strict = await replica({ persistedOperations: 'off', limits: { maxDepth: 2, maxCost: 5 } });
    const deep = await getText(strict.url, '{ nodes(first: 1) { edges { node { pubkey } } } }');
    expect((await deep.json()).errors?.length).toBeGreaterThan(0);
    expect(deep.headers.get('cache-control')).toBe('no-store');
    const costly = await getText(strict.url, '{ nodes(first: 100) { totalCount } }');
    expect((await costly.json()).errors?.length).toBeGreaterThan(0);
    expect(costly.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the cost budget: hits and revalidations are operations too', () => {
  it('GraphQL: 304s and hits take the query cost from the budget; the refusal is RATE_LIMITED and no-store', async () => {
    const api = await replica({ costBudget: { points: 1000, durationSeconds: 600 } });
    const url = `${api.url}/graphql?operationName=DiscoverNodes&variables=${encodeURIComponent(JSON.stringify({ first: 5 }))}&extensions=${encodeURIComponent(ext('DiscoverNodes'))}`;
    const first = await fetch(url, { headers: json });
    expect((await first.clone().json()).data).toBeTruthy();
    const etag = first.headers.get('etag')!;
    const statuses: number[] = [];
    let refused: Response | null = null;
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await fetch(url, { headers: { ...json, 'if-none-match': etag } });
      statuses.push(r.status);
      if (r.status !== 304) refused = r;
    }
    // The budget (1000 points) cannot pay 40 revalidations of a query that costs 141.
    expect(refused, `statuses ${statuses.join(',')}`).not.toBeNull();
    expect(statuses.filter((s) => s === 304).length).toBeGreaterThan(0);
    expect(refused!.headers.get('cache-control')).toBe('no-store');
    expect(refused!.headers.get('etag')).toBeNull();
    expect((await refused!.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    // A plain hit is refused as well.
    const hit = await fetch(url, { headers: json });
    expect((await hit.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
  });

  it('REST: 304s take the cost too; the refusal is a no-store 429', async () => {
    const api = await replica({ costBudget: { points: 1000, durationSeconds: 600 } });
    const url = `${api.url}/nodes?first=5`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const statuses: number[] = [];
    for (let i = 0; i < 60 && statuses.at(-1) !== 429; i++) statuses.push((await fetch(url, { headers: { 'if-none-match': etag } })).status);
    expect(statuses.at(-1), statuses.join(',')).toBe(429);
    expect(statuses[0]).toBe(304);
    const refused = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('retry-after')).toBeTruthy();
  });
});

describe('minSeq: bad or impossible values answer a clear error at once', () => {
  it('GraphQL (first run and known operation) and REST', async () => {
    const api = await replica();
    const bus = await replica({ responseCache: { freshness: 'bus' } });
    const bad = ['NaN', '-1', '18446744073709551616', '1e3', '0x10', ' 1', '1.5'];
    for (const base of [api.url, bus.url]) {
      for (let round = 0; round < 2; round++) {
        for (const v of [...bad, '999999999999']) {
          const url = `${base}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}&minSeq=${encodeURIComponent(v)}`;
          const res = await fetch(url, { headers: json, signal: AbortSignal.timeout(10_000) });
          expect(res.status, v).toBe(400);
          const code = (await res.json()).errors[0].extensions.code;
          expect(code).toBe(v === '999999999999' ? 'MIN_SEQ_AHEAD' : 'BAD_USER_INPUT');
          expect(res.headers.get('cache-control')).toBe('no-store');
          // (fetch trims header values: ' 1' arrives as '1')
          if (v === ' 1') continue;
          const byHeader = await fetch(`${base}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}`, {
            headers: { ...json, 'x-dvpn-min-seq': v },
            signal: AbortSignal.timeout(10_000),
          });
          expect(byHeader.status, `header ${v}`).toBe(400);
          const rest = await fetch(`${base}/stats?minSeq=${encodeURIComponent(v)}`, { signal: AbortSignal.timeout(10_000) });
          expect(rest.status, `REST ${v}`).toBe(400);
          expect(rest.headers.get('cache-control')).toBe('no-store');
        }
        // Warm it: the second round is the known-operation path.
        expect((await fetch(`${base}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}`, { headers: json })).status).toBe(200);
      }
    }
  });
});

describe('memory bound under a flood of unique variables', () => {
  it('the bytes and entries bounds hold and eviction keeps serving', async () => {
    const api = await replica({ persistedOperations: 'off', responseCache: { maxBytes: 20_000, maxEntries: 1_000 } });
    // Variables the operation does not declare are ignored by the execution, not by the key: each is a new entry.
    const q = 'query F($x: Boolean!) { a: __typename @include(if: $x) }';
    for (let i = 0; i < 300; i++) {
      const res = await getText(api.url, q, { x: true, [`pad${i}`]: 'z'.repeat(200) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    const bytes = Number(/^dvpn_api_response_cache_bytes (\d+)/m.exec(metrics)?.[1]);
    const entries = Number(/^dvpn_api_response_cache_entries (\d+)/m.exec(metrics)?.[1]);
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(300);
    expect(Number(/^dvpn_api_response_cache_evictions_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
  });
});

describe('REST query strings', () => {
  it('parameter order and case variants never share an entry with a different question', async () => {
    const api = await replica();
    const a = await fetch(`${api.url}/nodes?first=2&region=eu-west`);
    const b = await fetch(`${api.url}/nodes?region=eu-west&first=2`);
    expect(a.status).toBe(200);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    const other = await fetch(`${api.url}/nodes?first=3&region=eu-west`);
    expect(other.headers.get('etag')).not.toBe(a.headers.get('etag'));
    // Duplicate parameters: the first one counts, as for the query it runs.
    const dup = await fetch(`${api.url}/nodes?first=3&first=2&region=eu-west`);
    expect(dup.headers.get('etag')).toBe(other.headers.get('etag'));
    const bad = await fetch(`${api.url}/nodes?first=abc`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('cache-control')).toBe('no-store');
  });
});

describe('minSeq on requests the cache does not take', () => {
  it('with Authorization, over POST with the cache off, and on SSE streams: a bad or impossible minSeq is still a clear 400', async () => {
    const api = await replica();
    const off = await replica({ responseCache: { enabled: false } });
    const byId = (base: string, minSeq: string) =>
      `${base}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}&minSeq=${encodeURIComponent(minSeq)}`;
    for (const [minSeq, code] of [
      ['NaN', 'BAD_USER_INPUT'],
      ['999999999999', 'MIN_SEQ_AHEAD'],
    ]) {
      const auth = await fetch(byId(api.url, minSeq), { headers: { ...json, authorization: 'Bearer x' } });
      expect(auth.status, `auth ${minSeq}`).toBe(400);
      expect((await auth.json()).errors[0].extensions.code).toBe(code);
      const post = await fetch(`${off.url}/graphql?minSeq=${minSeq}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...json },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(post.status, `post ${minSeq}`).toBe(400);
      expect((await post.json()).errors[0].extensions.code).toBe(code);
      const sse = await fetch(`${api.url}/graphql?minSeq=${minSeq}&query=${encodeURIComponent('subscription { events { seq } }')}`, {
        headers: { accept: 'text/event-stream' },
        signal: AbortSignal.timeout(10_000),
      });
      // Refused before any subscription starts: the answer (one error event, or JSON) ends on its own.
      expect(sse.headers.get('cache-control')).toBe('no-store');
      expect(await sse.text(), `sse ${minSeq}`).toContain(code);
    }
    // A reachable minSeq changes nothing for them.
    const ok = await fetch(byId(api.url, '0'), { headers: { ...json, authorization: 'Bearer x' } });
    expect(ok.status).toBe(200);
  });
});

describe('path variants of /graphql', () => {
  it('whatever path yoga answers GraphQL on, an error there is never publicly cacheable', async () => {
    const api = await replica();
    for (const path of ['/graphql/', '/GRAPHQL', '/graphql//', '//graphql']) {
      const res = await fetch(`${api.url}${path}?query=${encodeURIComponent('{ __typename }')}`, { headers: json });
      const cc = res.headers.get('cache-control') ?? '';
      expect(cc, path).not.toMatch(/public/);
      if (res.status === 200) expect(res.headers.get('etag'), path).not.toBeNull();
      await res.arrayBuffer();
    }
  });
});

describe('graphql-ws and the persisted-operation policy', () => {
  /** One operation over a socket: its first result, or its error. */
  async function overWs(wsUrl: string, payload: { query: string; operationName?: string; extensions?: Record<string, unknown> }) {
    const ws = wsClient(wsUrl);
    await ws.connected;
    try {
      return await new Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>((resolve) => {
        const dispose = ws.client.subscribe(payload, {
          next: (r) => {
            resolve(r as never);
            dispose();
          },
          error: (e) => resolve({ errors: Array.isArray(e) ? (e as never) : [{ extensions: { code: String(e) } }] }),
          complete: () => undefined,
        });
      });
    } finally {
      await ws.client.dispose();
    }
  }

  it('only: a query text over WebSocket is refused; an id runs', async () => {
    const only = await replica({ persistedOperations: 'only' });
    const text = await overWs(only.wsUrl, { query: '{ __typename }' });
    expect(text.data).toBeUndefined();
    expect(text.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const byId = await overWs(only.wsUrl, { query: '', operationName: 'PlatformStats', extensions: JSON.parse(ext('PlatformStats')) });
    expect((byId.data as { stats?: unknown })?.stats).toBeTruthy();
    const unknown = await overWs(only.wsUrl, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('allow-get: WebSocket is not GET, text runs', async () => {
    const api = await replica();
    expect((await overWs(api.wsUrl, { query: '{ __typename }' })).data).toEqual({ __typename: 'Query' });
  });
});

describe('cache stampede', () => {
  it('right after a commit, concurrent requests for one hot query run it once; the others get its answer', async () => {
    const api = await replica();
    const url = `${api.url}/graphql?operationName=DiscoverNodes&variables=${encodeURIComponent(JSON.stringify({ first: 7 }))}&extensions=${encodeURIComponent(ext('DiscoverNodes'))}`;
    const misses = async () => Number(/^dvpn_api_response_cache_requests_total\{result="miss"\} (\d+)/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? 0);
    expect((await fetch(url, { headers: json })).status).toBe(200); // known from now on
    for (let round = 0; round < 3; round++) {
      await commit();
      const before = await misses();
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(url, { headers: json }).then(async (r) => ({ status: r.status, etag: r.headers.get('etag'), body: await r.text() }))));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.body).toBe(answers[0].body);
      }
      expect(new Set(answers.map((a) => a.etag)).size).toBe(1);
      expect(await misses(), `round ${round}`).toBe(before + 1);
    }
  });

  it('REST too', async () => {
    const api = await replica();
    const misses = async () => Number(/^dvpn_api_response_cache_requests_total\{result="miss"\} (\d+)/m.exec(await (await fetch(`${api.url}/metrics`)).text())?.[1] ?? 0);
    for (let round = 0; round < 3; round++) {
      await commit();
      const before = await misses();
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${api.url}/nodes?first=4`).then((r) => r.status)));
      expect(answers.every((s) => s === 200)).toBe(true);
      expect(await misses(), `round ${round}`).toBe(before + 1);
    }
  });
});

describe('answers from the cache are the same HTTP answers', () => {
  it('a hit and a 304 carry the CORS headers a browser needs to read them, like the miss', async () => {
    const api = await replica();
    const url = `${api.url}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}`;
    const origin = { ...json, origin: 'https://wallet.example' };
    const miss = await fetch(url, { headers: origin });
    const hit = await fetch(url, { headers: origin });
    const notModified = await fetch(url, { headers: { ...origin, 'if-none-match': miss.headers.get('etag')! } });
    expect(notModified.status).toBe(304);
    for (const [what, r] of [['miss', miss], ['hit', hit], ['304', notModified]] as const) {
      expect(r.headers.get('access-control-allow-origin'), what).toBeTruthy();
      expect(r.headers.get('access-control-expose-headers') ?? '', what).toMatch(/etag/i);
    }
    const restMiss = await fetch(`${api.url}/stats`, { headers: { origin: 'https://wallet.example' } });
    const restHit = await fetch(`${api.url}/stats`, { headers: { origin: 'https://wallet.example' } });
    for (const [what, r] of [['REST miss', restMiss], ['REST hit', restHit]] as const) {
      expect(r.headers.get('access-control-allow-origin'), what).toBeTruthy();
    }
  });
});

describe('errors answered before yoga', () => {
  it('the request-rate 429 says no-store, on GraphQL and REST paths', async () => {
    const api = await replica({ rateLimit: { points: 2, durationSeconds: 600 } });
    const url = `${api.url}/graphql?operationName=PlatformStats&extensions=${encodeURIComponent(ext('PlatformStats'))}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(url, { headers: json })).status);
    expect(statuses[2]).toBe(429);
    const limited = await fetch(url, { headers: json });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    const rest = await fetch(`${api.url}/stats`);
    expect(rest.status).toBe(429);
    expect(rest.headers.get('cache-control')).toBe('no-store');
  });
});
