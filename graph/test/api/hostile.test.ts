// Hostile clients (issue 11, findings 4 and 6): one anonymous request must not
// stall the API. Real Postgres, the API on a real socket, fetch as the client.
// The API's Prisma client is the real one with a query counter added
// ($extends), so a test can tell that a refused request ran no resolver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createBus, type Bus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import type { PrismaClient } from '../../src/generated/prisma/index.js';
import { silentLogger } from '../../src/log.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../src/api/server.js';
import { startDatabase, type TestDatabase } from '../helpers.js';
import { gql, wsClient, wsSubscribe } from './setup.js';
import { waitFor } from '../helpers.js';

const KEY = '11111111111111111111111111111112';

let db: TestDatabase;
let base: PrismaClient;
let prisma: PrismaClient;
let bus: Bus;
let queries = 0;
const servers: ApiServer[] = [];

async function start(opts: Partial<ApiServerOptions> = {}): Promise<string> {
  // No periodic change-log poll (the in-memory bus loses nothing): it would count as queries.
  const api = createApiServer({ prisma, bus, port: 0, logger: silentLogger, feedPollMs: 3_600_000, ...opts });
  servers.push(api);
  const { url } = await api.start();
  // The change feed reads its position from the change log at start (a query
  // of its own, not a resolver's): let it finish so the counts below see only
  // what requests cause.
  await api.yoga.api.feed.ready();
  return url;
}

beforeAll(async () => {
  db = await startDatabase();
  base = createPrismaClient(db.url, { max: 4, statementTimeoutMs: 500 });
  prisma = base.$extends({
    query: {
      async $allOperations({ args, query }) {
        queries++;
        return query(args);
      },
    },
  }) as unknown as PrismaClient;
  bus = createBus();
});

afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  await bus?.close().catch(() => undefined);
  await base?.$disconnect().catch(() => undefined);
  await db?.stop().catch(() => undefined);
});

const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

describe('alias and cost attacks', () => {
  it('1,000 aliased stats in one 60 KB request are refused before any resolver runs; a normal query at the same time is answered', async () => {
    const url = await start({ rateLimit: false });
    const attack = `{ ${Array.from({ length: 1000 }, (_, i) => `s${i}: stats { providers nodes sessions volumeLamports }`).join(' ')} }`;
    expect(attack.length).toBeGreaterThan(50_000);

    // the attack alone, four at once: refused, and not one database query
    const before = queries;
    const refused = await Promise.all(Array.from({ length: 4 }, () => gql(url, attack)));
    expect(queries - before).toBe(0);
    for (const r of refused) {
      expect(r.status).toBeLessThan(500);
      expect(r.data).toBeUndefined();
      expect(codes(r)).toEqual(['TOKEN_LIMIT_EXCEEDED']);
      expect(r.errors![0].message).toBe('Token limit of 5000 exceeded.');
    }

    // fewer tokens, still 100 aliases: the alias limit
    const aliases = await gql(url, `{ ${Array.from({ length: 100 }, (_, i) => `s${i}: stats { nodes }`).join(' ')} }`);
    expect(codes(aliases)).toEqual(['ALIAS_LIMIT_EXCEEDED']);
    expect(aliases.errors![0].message).toBe('Aliases limit of 15 exceeded, found 100.');
    expect(queries - before).toBe(0);

    // attacks and ordinary queries at once: every ordinary query is answered
    const mixed = await Promise.all([
      ...Array.from({ length: 4 }, () => gql(url, attack)),
      gql(url, 'query($k: Pubkey!) { node(pubkey: $k) { pubkey } }', { k: KEY }),
      gql(url, '{ stats { nodes sessions } nodes(first: 5) { totalCount } }'),
    ]);
    expect(mixed.slice(0, 4).map((r) => codes(r)[0])).toEqual(Array(4).fill('TOKEN_LIMIT_EXCEEDED'));
    expect(mixed[4].errors).toBeUndefined();
    expect(mixed[4].data).toEqual({ node: null });
    expect(mixed[5].errors).toBeUndefined();
    expect(mixed[5].data).toEqual({ stats: { nodes: '0', sessions: '0' }, nodes: { totalCount: 0 } });
    expect(queries - before).toBeGreaterThan(0); // the ordinary queries did reach the database

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/dvpn_api_graphql_refused_total\{rule="TOKEN_LIMIT_EXCEEDED"\} 8/);
    expect(metrics).toMatch(/dvpn_api_graphql_refused_total\{rule="ALIAS_LIMIT_EXCEEDED"\} 1/);
  });

  it('too many directives are refused', async () => {
    const url = await start({ rateLimit: false });
    const r = await gql(url, `{ __typename ${'@include(if: true) '.repeat(60)} }`);
    expect(codes(r)).toContain('DIRECTIVE_LIMIT_EXCEEDED');
    expect(r.errors!.find((e) => e.extensions?.code === 'DIRECTIVE_LIMIT_EXCEEDED')!.message).toBe('Directives limit of 50 exceeded, found 60.');
  });

  it('a result larger than the response limit is replaced by RESPONSE_TOO_LARGE', async () => {
    const url = await start({ rateLimit: false, limits: { maxResponseBytes: 2000 } });
    const r = await gql(url, '{ __schema { types { name description } } }');
    expect(r.data).toBeUndefined();
    expect(codes(r)).toEqual(['RESPONSE_TOO_LARGE']);
    expect(r.errors![0].message).toMatch(/^The result is \d+ bytes, above the limit of 2000; ask for smaller pages or fewer fields\.$/);
    expect((await gql(url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

describe('database statement timeout', () => {
  it('a query Postgres cancels answers QUERY_TIMEOUT, and the API serves the next one', async () => {
    const url = await start({ rateLimit: false });
    // Another session holds an exclusive lock on nodes: the API's count waits until its 500 ms statement timeout.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "nodes" IN ACCESS EXCLUSIVE MODE');
      const r = await gql(url, '{ nodes { totalCount } }');
      expect(r.data).toBeUndefined();
      expect(codes(r)).toEqual(['QUERY_TIMEOUT']);
      expect(r.errors![0].message).toMatch(/^The database query took too long and was cancelled \(statement timeout\)/);
      expect(r.raw).not.toMatch(/node_modules|prisma|\/work\//i);
      await locker.query('ROLLBACK');
      const ok = await gql(url, '{ nodes { totalCount } }');
      expect(ok.errors).toBeUndefined();
      expect(ok.data).toEqual({ nodes: { totalCount: 0 } });
    } finally {
      await locker.end();
    }
  });
});

describe('per-client rate limit', () => {
  it('past its budget a client gets 429 with Retry-After; probes and other clients are not limited', async () => {
    const url = await start({ rateLimit: { points: 5, durationSeconds: 60, trustProxy: true } });
    const asClient = (ip: string) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await asClient('198.51.100.7')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await asClient('198.51.100.7');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await limited.json();
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0].message).toMatch(/^Too many requests from this client; retry in \d+ s\.$/);
    expect((await asClient('198.51.100.8')).status).toBe(200);
    expect((await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(200);
    const rest = await fetch(`${url}/stats`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(rest.status).toBe(429);
    // Behind the proxy, what the client writes into X-Forwarded-For is left of what the proxy appends:
    // a limited client cannot get a fresh budget by inventing addresses.
    for (let i = 0; i < 3; i++) expect((await asClient(`203.0.113.${i}, 198.51.100.7`)).status).toBe(429);
  });
});

describe('per-client rate limit on WebSocket', () => {
  it('the connection and each subscribe message count; past the budget a subscribe gets RATE_LIMITED', async () => {
    const url = await start({ rateLimit: { points: 2, durationSeconds: 60 } });
    const ws = wsClient(url.replace('http', 'ws') + '/graphql');
    await ws.connected; // takes 1
    const first = wsSubscribe(ws.client, 'subscription { nodeCapacity(region: "x") { region } }'); // takes 1
    const second = wsSubscribe(ws.client, 'subscription { nodeCapacity(region: "y") { region } }'); // over
    await waitFor(() => second.errors.length > 0, { what: 'the second subscription refused' });
    const err = (second.errors[0] as { message: string; extensions?: { code?: string } }[])[0];
    expect(err.extensions?.code).toBe('RATE_LIMITED');
    expect(err.message).toMatch(/^Too many requests from this client; retry in \d+ s\.$/);
    expect(first.errors).toEqual([]);
    first.dispose();
    await ws.client.dispose();
  });
});

describe('per-client cost budget', () => {
  it('each operation takes its cost from its client\'s budget; past it the client gets RATE_LIMITED, others do not', async () => {
    const url = await start({ rateLimit: false, costBudget: { points: 2500, durationSeconds: 60, trustProxy: true } });
    const asClient = async (ip: string, query: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    };
    // stats { nodes } costs 501: four fit in 2500, the fifth does not
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await asClient('198.51.100.9', '{ stats { nodes } }'));
    expect(answers.slice(0, 4).map((a) => a.data?.stats.nodes)).toEqual(['0', '0', '0', '0']);
    const over = answers[4];
    expect(over.data).toBeUndefined();
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    expect(over.errors![0].message).toMatch(/^This client has spent its query budget \(cost 2500 per 60 s\); retry in \d+ s\.$/);
    expect((await asClient('198.51.100.10', '{ stats { nodes } }')).data?.stats.nodes).toBe('0');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^dvpn_api_graphql_refused_total\{rule="RATE_LIMITED"\} 1$/m);
  });
});

describe('BigInt input', () => {
  it('every bad value is BAD_USER_INPUT with one HTTP status; u64 max is accepted', async () => {
    const url = await start({ rateLimit: false });
    const q = 'query($p: BigInt) { nodes(filter: { minPricePerMinute: $p }) { totalCount } }';
    const bad = ['-1', '1e999', '18446744073709551616', '99999999999999999999999', '1.5', 'abc', -1, 2 ** 60];
    const results = await Promise.all(bad.map((p) => gql(url, q, { p })));
    const statuses = new Set(results.map((r) => r.status));
    expect(statuses.size).toBe(1);
    expect([...statuses][0]).toBeLessThan(500);
    results.forEach((r, i) => {
      expect(r.data, String(bad[i])).toBeUndefined();
      expect(codes(r), String(bad[i])).toEqual(['BAD_USER_INPUT']);
    });
    expect(results[0].errors![0].message).toMatch(/BigInt input must be an integer within 0\.\.18446744073709551615 \(u64\), got "-1"/);
    expect(results[2].errors![0].message).toMatch(/BigInt input must be an integer within 0\.\.18446744073709551615 \(u64\), got "18446744073709551616"/);
    expect(results[1].errors![0].message).toMatch(/BigInt must be a string of decimal digits, got "1e999"/);
    // the same values as literals: refused alike
    const literal = await gql(url, '{ nodes(filter: { minPricePerMinute: "18446744073709551616" }) { totalCount } }');
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    const max = await gql(url, q, { p: '18446744073709551615' });
    expect(max.errors).toBeUndefined();
    expect(max.data).toEqual({ nodes: { totalCount: 0 } });
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('by default any origin may read, never with credentials', async () => {
    const url = await start({ rateLimit: false });
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const pre = await preflight(url, 'https://evil.example');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('configured origins: only those are allowed', async () => {
    const url = await start({ rateLimit: false, corsOrigin: ['https://app.example', 'https://explorer.example'] });
    const ok = await preflight(url, 'https://app.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await preflight(url, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(other.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
