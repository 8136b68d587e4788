// Attacks on compiled reads (src/api/compiled-reads.ts) and the prepared hot
// reads (src/api/hot-reads.ts), from outside: HTTP only, against two API
// servers on one real Postgres, one with the compiled path and one without.
// Every query must come back with the same status and bytes from both; the
// compiled server must keep answering correctly and stay bounded.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus.js';
import { createPrismaClient, poolOf, type PrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { MANIFEST_PATH } from '../../src/api/persisted.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';
import { startDatabase, type TestDatabase } from '../helpers.js';
import { key, seedReadFixture } from './read-fixture.js';

let db: TestDatabase;
let prisma: PrismaClient;
let compiled: ApiServer;
let plain: ApiServer;

const common = {
  logger: silentLogger,
  rpc: null,
  port: 0,
  rateLimit: false as const,
  costBudget: false as const,
  responseCache: false as const,
  persistedOperations: 'off' as const,
};

beforeAll(async () => {
  db = await startDatabase();
  await seedReadFixture(db.url);
  prisma = createPrismaClient(db.url, { max: 4 });
  compiled = createApiServer({ ...common, prisma, bus: createBus({ logger: silentLogger }) });
  plain = createApiServer({ ...common, prisma, bus: createBus({ logger: silentLogger }), compiledReads: false });
  await compiled.start();
  await plain.start();
}, 120_000);

afterAll(async () => {
  await compiled?.stop();
  await plain?.stop();
  await prisma?.$disconnect();
  await db?.stop();
});

async function post(server: ApiServer, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function outcome(server: ApiServer, which: 'answered' | 'handed_back'): Promise<number> {
  const m = await server.yoga.api.metrics.compiledReads.get();
  return m.values.find((v) => v.labels.outcome === which)?.value ?? 0;
}

/** Same status and bytes from both servers; whether the compiled path answered, and the answer. */
async function same(body: Record<string, unknown>): Promise<{ compiled: boolean; status: number; text: string }> {
  const before = await outcome(compiled, 'answered');
  const a = await post(compiled, body);
  const b = await post(plain, body);
  expect(a.text, JSON.stringify(body)).toBe(b.text);
  expect(a.status, JSON.stringify(body)).toBe(b.status);
  return { compiled: (await outcome(compiled, 'answered')) > before, status: a.status, text: a.text };
}

describe('operation selection', () => {
  it('an empty operationName names no operation, on both paths, whatever was asked before', async () => {
    const query = '{ nodes(first: 1) { totalCount } }';
    // Compiled first without a name (the plan is cached), then with "": graphql-js says no such operation.
    expect((await same({ query })).compiled).toBe(true);
    const r = await same({ query, operationName: '' });
    expect(r.text).toContain('"errors"');
    expect(r.compiled).toBe(false);
    // And the other way round on a fresh document.
    const q2 = '{ nodes(first: 2) { totalCount } }';
    expect((await same({ query: q2, operationName: '' })).text).toContain('"errors"');
    expect((await same({ query: q2 })).compiled).toBe(true);
  });

  it('operation names that are not in the document do not grow the server without bound', async () => {
    const query = '{ nodes(first: 1) { nodes { pubkey } } }';
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = async () => {
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
      return process.memoryUsage().heapUsed;
    };
    // Warm up (parser cache, plans, connections).
    for (let i = 0; i < 20; i++) await post(compiled, { query, operationName: `warm${i}` });
    const before = await heap();
    const pad = 'x'.repeat(100_000);
    const N = 300; // 300 x 100 kB of names: 30 MB if each is kept
    for (let i = 0; i < N; i++) {
      const r = await post(compiled, { query, operationName: `${pad}${i}` });
      expect(r.text).toContain('Could not determine what operation to execute');
    }
    const grown = (await heap()) - before;
    expect(grown, `heap grew ${grown} bytes`).toBeLessThan(10_000_000);
  }, 120_000);

  it('multiple operations, a named one chosen, an unknown one, a mutation or subscription named', async () => {
    const doc = `query A { nodes(first: 1) { nodes { pubkey } } } query B { sessions(first: 2) { totalCount } } subscription S { nodeCapacity { region } }`;
    expect((await same({ query: doc, operationName: 'A' })).compiled).toBe(true);
    expect((await same({ query: doc, operationName: 'B' })).compiled).toBe(true);
    expect((await same({ query: doc })).text).toContain('"errors"');
    expect((await same({ query: doc, operationName: 'C' })).text).toContain('"errors"');
    expect((await same({ query: doc, operationName: 'a' })).text).toContain('"errors"');
  });
});

describe('shapes graphql-js answers its own way', () => {
  it('aliases, __typename, the same relation twice, aliases named like other fields', async () => {
    const pk = key('s', 4);
    for (const query of [
      `{ session(pubkey: "${pk}") { node { region } n: node { pubkey provider { pubkey } } provider { __typename } } }`,
      `{ session(pubkey: "${pk}") { region: pubkey pubkey: region2: generation node: provider { pubkey } provider: node { region } } }`.replace('region2: ', ''),
      `{ session(pubkey: "${pk}") { node { region } node { pubkey } } }`,
      `{ session(pubkey: "${pk}") { pubkey pubkey } }`,
      `{ session(pubkey: "${pk}") { pubkey: generation pubkey } }`,
      `{ nodes(first: 2) { totalCount: nodes { pubkey } nodes: totalCount __typename: totalCount } }`,
      `{ nodes(first: 2) { a: nodes { pubkey } b: nodes { region } } }`,
      `{ nodes: sessions(first: 1) { totalCount } sessions: nodes(first: 1) { totalCount } }`,
      `{ __typename nodes(first: 1) { totalCount } }`,
      `{ t: __typename }`,
      `{ nodes(first: 1) { nodes { __typename t: __typename p: provider { __typename } } } __schema { queryType { name } } }`,
      `{ node(pubkey: "${key('n', 99)}") { pubkey provider { pubkey } } }`,
      `{ session(pubkey: "${key('s', 99)}") { pubkey } node(pubkey: "${key('n', 1)}") { region } }`,
      `{ nodes(first: 1) { nodes { pubkey unknownField } } }`,
      `{ nodes(first: 1) { nodes { provider } } }`,
      `{ nodes(first: 1) { nodes { pubkey { x } } } }`,
      `{ nodes(first: 1) { nodes } }`,
      `{ nodes(first: 1) }`,
      `{ nodes(first: 1) { pageInfo { hasNextPage } totalCount } }`,
      `{ nodes(first: 1) { nodes { pubkey } nodes { region } } }`,
      `{ nodes(first: 1) { nodes { pubkey(x: 1) } } }`,
    ]) {
      await same({ query });
    }
  });

  it('one relation twice, its own relation under each with different fields', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`UPDATE providers SET unstake_at = '2026-04-01T00:00:00Z'`);
      const pk = key('s', 6);
      for (const query of [
        `{ session(pubkey: "${pk}") { a: node { provider { unstakeAt } } b: node { provider { pubkey } } } }`,
        `{ session(pubkey: "${pk}") { a: node { region provider { unstakeAt pubkey } } b: node { provider { reputationScore } } } }`,
        `{ sessions(first: 3) { nodes { x: node { provider { unstakeAt } } y: node { provider { pubkey } } z: provider { unstakeAt } } } }`,
      ]) {
        const r = await same({ query });
        expect(r.text, query).toContain('"unstakeAt":"2026-04-01T00:00:00.000Z"');
        expect(r.text).not.toContain('"unstakeAt":null');
        expect(r.compiled, query).toBe(true);
      }
    } finally {
      await c.query(`UPDATE providers SET unstake_at = NULL`);
      await c.end();
    }
  });

  it('response keys that are special to JavaScript objects (__proto__, constructor)', async () => {
    const pk = key('s', 5);
    for (const query of [
      `{ nodes(first: 2) { nodes { __proto__: pubkey region } } }`,
      `{ nodes(first: 2) { nodes { pubkey __proto__: provider { pubkey } } } }`,
      `{ nodes(first: 2) { __proto__: nodes { pubkey } totalCount } }`,
      `{ __proto__: nodes(first: 1) { totalCount } }`,
      `{ __proto__: session(pubkey: "${pk}") { pubkey } }`,
      `{ session(pubkey: "${pk}") { constructor: pubkey toString: generation hasOwnProperty: node { valueOf: region } } }`,
    ]) {
      const r = await same({ query });
      expect(r.text).not.toContain('"errors"');
      expect(r.compiled, query).toBe(true);
    }
  });

  it('first as every kind of value, in the text and in variables', async () => {
    const values: unknown[] = [0, 1, 100, 101, -1, -0, 1.5, 2.0, '3', null, true, 2 ** 31, -(2 ** 31) - 1, 1e300, 'x', [], {}, [1]];
    for (const v of values) {
      await same({ query: 'query($n: Int) { nodes(first: $n) { totalCount nodes { pubkey } } }', variables: { n: v } });
      await same({ query: 'query($n: Int = 2) { nodes(first: $n) { nodes { pubkey } } }', variables: { n: v } });
      await same({ query: `{ sessions(first: ${JSON.stringify(v)}) { totalCount nodes { pubkey } } }` });
    }
    // Omitted vs null with a default.
    const omitted = await same({ query: 'query($n: Int = 2) { nodes(first: $n) { nodes { pubkey } } }', variables: {} });
    expect(JSON.parse(omitted.text).data.nodes.nodes).toHaveLength(2);
    expect(omitted.compiled).toBe(true);
    await same({ query: 'query($n: Int = 2) { nodes(first: $n) { nodes { pubkey } } }', variables: { n: null } });
    await same({ query: 'query($n: Int! = 2) { nodes(first: $n) { nodes { pubkey } } }', variables: { n: null } });
    await same({ query: 'query($n: Int) { nodes(first: $n) { nodes { pubkey } } }', variables: { n: 1, extra: 'x' } });
    await same({ query: 'query { nodes(first: $n) { nodes { pubkey } } }', variables: { n: 1 } });
    // The other page arguments given as null, empty, or with first.
    for (const args of ['first: 2, last: null, after: null, before: null', 'last: null', 'first: 2, after: ""', 'first: 2, last: 2', 'first: null, last: 2', 'first: 2, before: "x"']) {
      await same({ query: `{ nodes(${args}) { totalCount nodes { pubkey } } sessions(${args}) { nodes { pubkey generation } } }` });
    }
    // A variable named like Object.prototype's own keys.
    await same({ query: 'query($__proto__: Int) { nodes(first: $__proto__) { nodes { pubkey } } }', variables: JSON.parse('{"__proto__": 1}') });
    await same({ query: 'query($constructor: Int = 3) { nodes(first: $constructor) { nodes { pubkey } } }', variables: {} });
    await same({ query: 'query($constructor: Int = 3) { nodes(first: $constructor) { nodes { pubkey } } }', variables: { constructor: 1 } });
    // Variables inside input object literals: given, null, omitted, with and without defaults.
    const nested = 'query($r: String, $a: Boolean = true, $d: OrderDirection, $u: Pubkey) { nodes(first: 4, filter: { region: $r, active: $a }, orderBy: { field: REPUTATION, direction: $d }) { totalCount nodes { pubkey } } sessions(first: 2, filter: { user: $u, states: [ACTIVE] }) { totalCount } }';
    for (const variables of [{}, { r: null }, { r: 'eu-west' }, { a: null }, { a: false, r: 'us-east' }, { d: null }, { d: 'DESC' }, { u: key('u', 1) }, { u: null }]) {
      const r = await same({ query: nested, variables });
      expect(r.compiled, JSON.stringify(variables)).toBe(true);
    }
  });

  it('filter values at the edges: enums as strings, BigInt, DateTime, Pubkey, from > to', async () => {
    const sq = 'query($f: SessionFilter, $o: SessionOrder) { sessions(first: 5, filter: $f, orderBy: $o) { totalCount nodes { pubkey generation state mode startTs } } }';
    const nq = 'query($f: NodeFilter, $o: NodeOrder) { nodes(first: 5, filter: $f, orderBy: $o) { totalCount nodes { pubkey pricePerMinute } } }';
    const sessionFilters: unknown[] = [
      { states: 'ACTIVE' },
      { states: ['ACTIVE', 'active'] },
      { states: [] },
      { states: [null] },
      { mode: 'USAGE' },
      { currency: 'SOL' },
      { currency: 'TOKEN', user: key('u', 1) },
      { from: '2026-03-01T00:03:00Z', to: '2026-03-01T00:02:00Z' },
      { from: '2026-03-01T00:03:00Z', to: '2026-03-01T00:03:00Z' },
      { from: '2026-02-30T00:00:00Z' },
      { from: 'yesterday' },
      { from: '2026-03-01' },
      { from: 0 },
      { from: '+275760-09-13T00:00:00.000Z' },
      { from: '2026-03-01T00:03:00+05:00' },
      { user: 'x' },
      { user: '' },
      { user: '1'.repeat(32) },
      { user: key('u', 0), node: key('n', 3), provider: key('p', 3) },
      { user: 12 },
      { unknown: 1 },
      JSON.parse('{"__proto__": {"user": "x"}, "states": ["ACTIVE"]}'),
      JSON.parse('{"constructor": 1}'),
    ];
    for (const f of sessionFilters) await same({ query: sq, variables: { f } });
    for (const o of [{ field: 'START_TS' }, { field: 'START_TS', direction: 'asc' }, { field: 'startTs' }, { field: 'ESCROW_AMOUNT', direction: 'ASC' }, { direction: 'ASC' }, null]) {
      await same({ query: sq, variables: { f: null, o } });
    }
    const nodeFilters: unknown[] = [
      { minPricePerMinute: '-1' },
      { minPricePerMinute: -1 },
      { minPricePerMinute: '1.5' },
      { minPricePerMinute: 1.5 },
      { minPricePerMinute: '18446744073709551616' },
      { minPricePerMinute: '9223372036854775808' },
      { maxPricePerMinute: '9223372036854775807' },
      { minPricePerMinute: '1050', maxPricePerMinute: '1000' },
      { minPricePerMinute: ' 1000' },
      { minPricePerMinute: '0x10' },
      { minPricePerMinute: 1e21 },
      { minReputation: 2001 },
      { minReputation: -1 },
      { minFreeCapacity: -1 },
      { minFreeCapacity: 2 ** 31 },
      { regions: Array.from({ length: 101 }, (_, i) => `r${i}`) },
      { regions: Array.from({ length: 100 }, (_, i) => `r${i}`) },
      { regions: [] },
      { region: '' },
      { region: "'; DROP TABLE nodes; --" },
      { region: 'eu-west\u0000' },
      { provider: key('p', 1), hasFreeCapacity: false },
    ];
    for (const f of nodeFilters) await same({ query: nq, variables: { f } });
    for (const o of [{ field: 'REPUTATION', direction: 'DESC' }, { field: 'pricePerMinute' }, { field: 'FREE_CAPACITY', direction: 'desc' }]) {
      await same({ query: nq, variables: { o } });
    }
    // node / session lookups with odd keys and generations.
    for (const pk of [key('n', 1), 'x', '', 12, null, '1'.repeat(44)]) {
      await same({ query: 'query($pk: Pubkey!) { node(pubkey: $pk) { pubkey region } }', variables: { pk } });
    }
    for (const g of [0, 1, 2, -1, 2 ** 31 - 1, 2 ** 31, '1', 1.5, null]) {
      await same({ query: 'query($pk: Pubkey!, $g: Int) { session(pubkey: $pk, generation: $g) { pubkey generation } }', variables: { pk: key('s', 2), g } });
    }
  });
});

describe('the database misbehaving', () => {
  it('rows the schema says cannot be null: graphql-js answers with its own errors', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // A session whose node row does not exist (and a node whose provider does not): a non-null relation resolves to null.
      await c.query('ALTER TABLE sessions DISABLE TRIGGER ALL');
      await c.query('ALTER TABLE nodes DISABLE TRIGGER ALL');
      const lone = key('s', 500);
      await c.query(
        `INSERT INTO sessions (pubkey, generation, "user", node, provider, session_id, mode, state, payment_mint, escrow_amount, remaining_balance,
           tick_amount, max_ticks, hash_chain_root, start_ts, end_ts, opened_signature, updated_at, last_slot, last_signature)
         VALUES ($1, 0, $2, $3, $4, 500, 'TIME', 'ACTIVE', 'm', '1', '1', 0, 0, 'r', now(), now(), 'o', now(), 1, 's')`,
        [lone, key('u', 7), key('n', 500), key('p', 500)],
      );
      await same({ query: `{ session(pubkey: "${lone}") { pubkey node { pubkey } } }` });
      await same({ query: `{ session(pubkey: "${lone}") { pubkey provider { pubkey } n: node { region } } }` });
      await same({ query: `{ sessions(first: 3, filter: { user: "${key('u', 7)}" }) { totalCount nodes { pubkey node { pubkey } } } }` });
      await same({ query: `{ sessions(first: 3, filter: { user: "${key('u', 7)}" }) { totalCount nodes { pubkey } } }` });
      await c.query('DELETE FROM sessions WHERE pubkey = $1', [lone]);
      // Timestamps JavaScript cannot hold or graphql's DateTime cannot write.
      for (const [i, ts] of [[501, 'infinity'], [502, '-infinity'], [503, '4713-01-01 00:00:00+00 BC'], [504, '294276-12-31 00:00:00+00']] as const) {
        await c.query(
          `INSERT INTO sessions (pubkey, generation, "user", node, provider, session_id, mode, state, payment_mint, escrow_amount, remaining_balance,
             tick_amount, max_ticks, hash_chain_root, start_ts, end_ts, closed_at, opened_signature, updated_at, last_slot, last_signature)
           VALUES ($1, 0, $2, $3, $4, $5, 'TIME', 'ACTIVE', 'm', '1', '1', 0, 0, 'r', now(), $6, $6, 'o', now(), 1, 's')`,
          [key('s', i), key('u', 8), key('n', 1), key('p', 1), i, ts],
        );
        await same({ query: `{ session(pubkey: "${key('s', i)}") { pubkey endTs closedAt } }` });
      }
      await same({ query: `{ sessions(first: 10, filter: { user: "${key('u', 8)}" }, orderBy: { field: END_TS }) { totalCount nodes { pubkey endTs } } }` });
      await c.query('DELETE FROM sessions WHERE "user" = $1', [key('u', 8)]);
    } finally {
      await c.query('ALTER TABLE sessions ENABLE TRIGGER ALL').catch(() => undefined);
      await c.query('ALTER TABLE nodes ENABLE TRIGGER ALL').catch(() => undefined);
      await c.end();
    }
  });
});

/** Two more servers (compiled and not) on their own Prisma client, with these options; stopped by the caller. */
async function pair(opts: Record<string, unknown>, clientOpts: { statementTimeoutMs?: number } = {}) {
  const client = createPrismaClient(db.url, { max: 4, ...clientOpts });
  const a = createApiServer({ ...common, prisma: client, bus: createBus({ logger: silentLogger }), ...opts });
  const b = createApiServer({ ...common, prisma: client, bus: createBus({ logger: silentLogger }), ...opts, compiledReads: false });
  await a.start();
  await b.start();
  return {
    a,
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
      await client.$disconnect();
    },
  };
}

describe('limits and timeouts', () => {
  it('a compiled answer larger than maxResponseBytes is refused as graphql-js answers are', async () => {
    const p = await pair({ limits: { maxResponseBytes: 600 } });
    try {
      for (const query of ['{ nodes(first: 30) { nodes { pubkey region endpoint } } }', '{ nodes(first: 2) { nodes { pubkey } } }']) {
        const x = await post(p.a, { query });
        const y = await post(p.b, { query });
        expect(x.text).toBe(y.text);
        expect(x.status).toBe(y.status);
      }
      expect((await post(p.a, { query: '{ nodes(first: 30) { nodes { pubkey region endpoint } } }' })).text).toContain('RESPONSE_TOO_LARGE');
    } finally {
      await p.stop();
    }
  });

  it('a lower maxPageSize holds for compiled answers, whatever the variables are called', async () => {
    const p = await pair({ limits: { maxPageSize: 10 } });
    try {
      for (const [query, variables] of [
        ['query($__proto__: Int = 30) { nodes(first: $__proto__) { nodes { pubkey } } }', {}],
        ['query($__proto__: Int) { nodes(first: $__proto__) { nodes { pubkey } } }', JSON.parse('{"__proto__": 30}')],
        ['query($constructor: Int = 30) { nodes(first: $constructor) { nodes { pubkey } } }', {}],
        ['query($n: Int = 30) { nodes(first: $n) { nodes { pubkey } } }', {}],
        ['query($n: Int = 30) { nodes(first: $n) { nodes { pubkey } } }', { n: 10 }],
        ['query($n: Int = 3) { nodes(first: $n) { nodes { pubkey } } }', { n: 30 }],
      ] as const) {
        const x = await post(p.a, { query, variables });
        const y = await post(p.b, { query, variables });
        expect(x.text, query).toBe(y.text);
        const rows = (JSON.parse(x.text).data?.nodes?.nodes ?? []) as unknown[];
        expect(rows.length, `${query} ${JSON.stringify(variables)}`).toBeLessThanOrEqual(10);
      }
    } finally {
      await p.stop();
    }
  });

  it('a statement timeout costs the client one timeout, not one per path', async () => {
    const timeout = 600;
    const p = await pair({}, { statementTimeoutMs: timeout });
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      const query = `{ nodes(first: 3, filter: { region: "eu-west" }) { totalCount nodes { pubkey } } }`;
      // Warm both (connections open, statements prepared).
      await post(p.a, { query });
      await post(p.b, { query });
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE nodes IN ACCESS EXCLUSIVE MODE');
      const timed = async (s: ApiServer) => {
        const t0 = performance.now();
        const r = await post(s, { query });
        return { ...r, ms: performance.now() - t0 };
      };
      const x = await timed(p.a);
      const y = await timed(p.b);
      await locker.query('ROLLBACK');
      expect(y.text).toContain('QUERY_TIMEOUT');
      expect(x.text).toBe(y.text);
      expect(x.status).toBe(y.status);
      // One timeout and some slack, not two.
      expect(x.ms, `compiled ${x.ms} ms, graphql-js ${y.ms} ms`).toBeLessThan(y.ms + timeout * 0.6);
      // Statements of no columns (only __typename): answered, not an error.
      for (const q of ['{ nodes(first: 2) { nodes { __typename } } }', `{ session(pubkey: "${key('s', 2)}") { __typename } }`]) {
        const r = await post(p.a, { query: q });
        expect(r.text, q).toBe((await post(p.b, { query: q })).text);
        expect(r.text, q).not.toContain('"errors"');
      }
      // The failure stays with that request: the next ones are answered (compiled) again.
      const before = await outcome(p.a, 'answered');
      const again = await post(p.a, { query });
      expect(again.text).toBe((await post(p.b, { query })).text);
      expect(again.text).toContain('"totalCount":10');
      expect(await outcome(p.a, 'answered')).toBe(before + 1);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await p.stop();
    }
  });
});

describe('prepared statements', () => {
  it('a flood of distinct shapes leaves the answers right and the prepared statements bounded', async () => {
    const fields = ['totalSessions', 'providerPubkey', 'nodeId', 'endpoint', 'region', 'pricePerMinute', 'pricePerMinuteToken', 'maxCapacity', 'activeSessions', 'freeCapacity', 'isActive'];
    const queryOf = (i: number) => {
      const pick = fields.filter((_, b) => (i >> b) & 1);
      return `{ nodes(first: 3, orderBy: { field: REPUTATION, direction: DESC }) { nodes { pubkey ${pick.join(' ')} } } }`;
    };
    // 620 distinct statement texts (more than the 200 each connection keeps prepared).
    for (let i = 1; i <= 620; i++) {
      const r = await post(compiled, { query: queryOf(i) });
      expect(r.text.startsWith('{"data":{"nodes":{"nodes":[{'), r.text).toBe(true);
    }
    for (const i of [1, 300, 499, 500, 501, 619, 620]) expect((await same({ query: queryOf(i) })).compiled, queryOf(i)).toBe(true);
    // No connection of the pool holds more than 200 prepared statements.
    const pool = poolOf(prisma)!;
    const held = await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT count(*)::int AS n FROM pg_prepared_statements')));
    for (const r of held) expect(r.rows[0].n).toBeLessThanOrEqual(200);
    const mem = await Promise.all(Array.from({ length: 4 }, () => pool.query(`SELECT (SELECT count(*) FROM pg_prepared_statements)::int AS n, sum(total_bytes)::int8 AS bytes, sum(total_bytes) FILTER (WHERE name IN ('CachedPlan', 'CachedPlanSource', 'CachedPlanQuery'))::int8 AS plans FROM pg_backend_memory_contexts`)));
    // Measured: ~10 MB for a backend holding 472 of them (before the per-connection bound of 200).
    for (const r of mem) expect(Number(r.rows[0].bytes)).toBeLessThan(64 * 1024 * 1024);
    expect(Math.max(...held.map((r) => r.rows[0].n))).toBeGreaterThan(0);
    // The flood evicted the first shape; used again, it is prepared again (each connection keeps the ones in use).
    await Promise.all(Array.from({ length: 8 }, () => post(compiled, { query: queryOf(1) })));
    const again = await Promise.all(
      Array.from({ length: 4 }, () =>
        pool.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT t."pubkey", t."total_sessions" FROM "nodes"%'`),
      ),
    );
    expect(Math.max(...again.map((r) => r.rows[0].n))).toBe(1);
  }, 120_000);

  it('thousands of distinct compiled documents: the heap levels off', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = async () => {
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
      return process.memoryUsage().heapUsed;
    };
    // Each text is its own document (parser cache entry) and plan; the SQL shapes repeat.
    const doc = (i: number) => `{ n${i}: nodes(first: ${i % 50}) { c${i}: totalCount nodes { k${i}: pubkey region } } }`;
    const run = async (from: number, to: number) => {
      for (let i = from; i < to; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, j) => post(compiled, { query: doc(i + j) })));
      }
    };
    const before = await outcome(compiled, 'answered');
    await run(0, 2000);
    const warm = await heap();
    await run(2000, 6000);
    const grown = (await heap()) - warm;
    expect(await outcome(compiled, 'answered')).toBe(before + 6000);
    expect(grown, `heap grew ${grown} bytes over 4000 more documents`).toBeLessThan(12_000_000);
  }, 180_000);

  it('a column type changed under prepared statements (a migration) does not break reads', async () => {
    const query = `{ nodes(first: 2, filter: { region: "us-east" }) { nodes { pubkey region endpoint providerReputation } } }`;
    const p = await pair({});
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // Prepared on every connection of the pool.
      await Promise.all(Array.from({ length: 8 }, () => post(p.a, { query })));
      const before = await post(p.a, { query });
      expect(before.text).toContain('"region":"us-east"');
      await c.query('ALTER TABLE nodes ALTER COLUMN endpoint TYPE varchar(200)');
      await c.query('ALTER TABLE nodes ALTER COLUMN provider_reputation TYPE int8');
      for (let i = 0; i < 8; i++) {
        const after = await post(p.a, { query });
        expect(after.text, `request ${i} after the migration`).toBe(before.text);
      }
    } finally {
      await c.query('ALTER TABLE nodes ALTER COLUMN endpoint TYPE text').catch(() => undefined);
      await c.query('ALTER TABLE nodes ALTER COLUMN provider_reputation TYPE int4').catch(() => undefined);
      await c.end();
      await p.stop();
    }
  });
});

describe('cache, persisted operations and budgets around compiled answers', () => {
  it('GET of a persisted operation: same bytes and ETag as graphql-js, then a cache hit and a 304', async () => {
    const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { operations: Array<{ id: string; name: string }> };
    const op = manifest.operations.find((o) => o.name === 'AppNodes')!;
    const p = await pair({ responseCache: {}, persistedOperations: 'allow-get' });
    try {
      const url = (s: ApiServer) =>
        `${s.url}/graphql?operationName=AppNodes&extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: op.id } }))}`;
      const get = async (s: ApiServer, headers: Record<string, string> = {}) => {
        const res = await fetch(url(s), { headers: { accept: 'application/json', ...headers } });
        return { status: res.status, etag: res.headers.get('etag'), text: await res.text() };
      };
      const before = await outcome(p.a, 'answered');
      const x = await get(p.a);
      const y = await get(p.b);
      expect(await outcome(p.a, 'answered')).toBe(before + 1);
      expect(x.status).toBe(200);
      expect(x.text).toBe(y.text);
      expect(x.etag).toBe(y.etag);
      expect(x.text).toContain('"nodes":[{');
      const again = await get(p.a);
      expect(again.text).toBe(x.text);
      expect(await outcome(p.a, 'answered')).toBe(before + 1); // a hit, not executed again
      expect((await get(p.a, { 'if-none-match': x.etag! })).status).toBe(304);
      // Not listed: refused over GET on both, whatever the compiled path could answer.
      const text = await fetch(`${p.a.url}/graphql?query=${encodeURIComponent('{ nodes(first: 1) { totalCount } }')}`, { headers: { accept: 'application/json' } });
      expect(text.status).toBeGreaterThanOrEqual(400);
    } finally {
      await p.stop();
    }
  });

  it('the cost budget is taken by compiled answers as by graphql-js ones', async () => {
    const p = await pair({ costBudget: { points: 500, durationSeconds: 60 } });
    try {
      const query = '{ nodes(first: 10) { totalCount nodes { pubkey provider { pubkey } } } }';
      const seq = async (s: ApiServer) => {
        const out: string[] = [];
        for (let i = 0; i < 8; i++) {
          const r = await post(s, { query });
          out.push(`${r.status} ${r.text.includes('"errors"') ? JSON.parse(r.text).errors[0].extensions?.code : 'data'}`);
        }
        return out;
      };
      const x = await seq(p.a);
      const y = await seq(p.b);
      expect(x).toEqual(y);
      expect(x[0]).toBe('200 data');
      expect(x.some((v) => !v.endsWith('data')), x.join(', ')).toBe(true);
    } finally {
      await p.stop();
    }
  });

  it('armor limits (aliases, depth, tokens) refuse before the compiled path', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `a${i}: pubkey`).join(' ');
    await same({ query: `{ nodes(first: 1) { nodes { ${many} } } }` });
    const roots = Array.from({ length: 60 }, (_, i) => `r${i}: nodes(first: 100) { totalCount nodes { pubkey provider { pubkey } } }`).join(' ');
    const r = await same({ query: `{ ${roots} }` });
    expect(r.compiled).toBe(false);
    expect(r.text).toContain('"errors"');
  });
});

describe('the database going away', () => {
  it('connections killed mid-query and a dropped database: same errors, no hang, the server still answers', async () => {
    const other = await db.another();
    await seedReadFixture(other.url);
    // A statement timeout so that a statement the test did not see blocked cannot hang it.
    const client = createPrismaClient(other.url, { max: 4, statementTimeoutMs: 8000 });
    const a = createApiServer({ ...common, prisma: client, bus: createBus({ logger: silentLogger }) });
    const b = createApiServer({ ...common, prisma: client, bus: createBus({ logger: silentLogger }), compiledReads: false });
    await a.start();
    await b.start();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const locker = new pg.Client({ connectionString: other.url });
    await locker.connect();
    const name = new URL(other.url).pathname.slice(1);
    try {
      // One statement per server (no totalCount): both are seen waiting on the lock before they are killed.
      const query = '{ nodes(first: 2) { nodes { pubkey provider { pubkey } } } }';
      expect((await post(a, { query })).text).toBe((await post(b, { query })).text);
      // Held by a lock, then the backends are terminated under the waiting queries.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE nodes IN ACCESS EXCLUSIVE MODE');
      const pending = [post(a, { query }), post(b, { query })];
      // Both servers' statements wait on the lock (at least one each).
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [name]);
        if (rows[0].n >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2 AND pid <> pg_backend_pid()`, [
        name,
        (await locker.query('SELECT pg_backend_pid() AS p')).rows[0].p,
      ]);
      const [x, y] = await Promise.all(pending);
      expect(x.text).toBe(y.text);
      expect(x.status).toBe(y.status);
      expect(x.text).toContain('"errors"');
      await locker.query('ROLLBACK');
      // New connections (once the pool has dropped its killed idle ones): answered again, the same.
      await new Promise((r) => setTimeout(r, 500));
      const again = await post(a, { query });
      expect(again.text).toBe((await post(b, { query })).text);
      expect(again.text).toContain('"provider":{"pubkey"');
      // The database dropped under the pool: errors, quickly, the same on both.
      await locker.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      const t0 = performance.now();
      const [gone1, gone2] = [await post(a, { query }), await post(b, { query })];
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(gone1.text).toBe(gone2.text);
      expect(gone1.text).toContain('"errors"');
      expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    } finally {
      await locker.end().catch(() => undefined);
      await admin.end();
      await a.stop();
      await b.stop();
      await client.$disconnect().catch(() => undefined);
    }
  }, 60_000);
});

describe('other ways in', () => {
  it('REST routes and SSE answers are the same with or without the compiled path', async () => {
    for (const path of [
      `/nodes/${key('n', 3)}`,
      `/nodes/${key('n', 99)}`,
      `/sessions/${key('s', 3)}`,
      '/nodes?first=3&region=eu-west',
      '/nodes?first=-1',
      '/nodes?first=1000',
      `/sessions?first=4&user=${key('u', 1)}`,
      '/sessions?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
    ]) {
      const [x, y] = await Promise.all([compiled, plain].map(async (s) => {
        const res = await fetch(`${s.url}${path}`);
        return `${res.status} ${await res.text()}`;
      }));
      expect(x, path).toBe(y);
    }
    const sse = async (s: ApiServer) => {
      const res = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: `{ nodes(first: 2) { totalCount nodes { pubkey __proto__: region } } }` }),
      });
      return `${res.status} ${await res.text()}`;
    };
    const before = await outcome(compiled, 'answered');
    const [x, y] = [await sse(compiled), await sse(plain)];
    expect(x).toBe(y);
    expect(x).toContain('"__proto__":"');
    expect(await outcome(compiled, 'answered')).toBe(before + 1);
  });
});
