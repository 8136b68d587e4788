// Compiled reads (src/api/compiled-reads.ts) answer byte for byte what
// graphql-js answers: two API servers on one database, one with the compiled
// path and one without, asked the same queries over HTTP. The queries that
// should be compiled must be (the dvpn_api_compiled_reads_total counter
// moves), the others must not, and errors come out the same either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus.js';
import { createPrismaClient, type PrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';
import { startDatabase, type TestDatabase } from '../helpers.js';
import { key, seedReadFixture } from './read-fixture.js';

let db: TestDatabase;
let prisma: PrismaClient;
let compiled: ApiServer;
let plain: ApiServer;

beforeAll(async () => {
  db = await startDatabase();
  await seedReadFixture(db.url);
  prisma = createPrismaClient(db.url, { max: 4 });
  const common = { prisma, logger: silentLogger, rpc: null, port: 0, rateLimit: false as const, costBudget: false as const, responseCache: false as const, persistedOperations: 'off' as const };
  compiled = createApiServer({ ...common, bus: createBus({ logger: silentLogger }) });
  plain = createApiServer({ ...common, bus: createBus({ logger: silentLogger }), compiledReads: false });
  await compiled.start();
  await plain.start();
}, 120_000);

afterAll(async () => {
  await compiled?.stop();
  await plain?.stop();
  await prisma?.$disconnect();
  await db?.stop();
});

async function post(server: ApiServer, query: string, variables?: Record<string, unknown>, operationName?: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: res.status, text: await res.text() };
}

async function answered(): Promise<number> {
  const m = await compiled.yoga.api.metrics.compiledReads.get();
  return m.values.find((v) => v.labels.outcome === 'answered')?.value ?? 0;
}

/** Same status and bytes from both servers; returns whether the compiled path answered it, and the answer. */
async function same(query: string, variables?: Record<string, unknown>, operationName?: string): Promise<{ compiled: boolean; text: string }> {
  const before = await answered();
  const [a, b] = await Promise.all([post(compiled, query, variables, operationName), post(plain, query, variables, operationName)]);
  expect(a.status, query).toBe(b.status);
  expect(a.text, query).toBe(b.text);
  return { compiled: (await answered()) > before, text: a.text };
}

const NODE_FIELDS = 'pubkey providerPubkey nodeId endpoint region pricePerMinute pricePerMinuteToken pricePerTick pricePerTickToken wgServerPubkey maxCapacity activeSessions freeCapacity isActive providerReputation totalUptimeSeconds totalSessions createdAt updatedAt lastSlot';
const PROVIDER_FIELDS = 'pubkey authority stakeVault nodeCount stakeLamports unstakingLamports unstakeAt slashedLamports ratingSum ratingCount reputationScore totalUptimeSeconds totalSessions totalEarnedLamports totalEarnedToken registeredAt updatedAt lastSlot';
const SESSION_FIELDS = 'pubkey generation user nodePubkey providerPubkey sessionId mode state paymentMint escrowAmount remainingBalance claimedAmount feeAmount refundedAmount bytesUsed lastTick tickAmount maxTicks hashChainRoot startTs endTs closedAt settledAt capacityReleased rated openedSignature updatedAt lastSlot lastSignature';

describe('compiled reads answer what graphql-js answers', () => {
  it('node discovery: every filter and ordering, every column, the provider, counts, aliases and __typename', async () => {
    const filters = [
      null,
      { region: 'eu-west', active: true, hasFreeCapacity: true },
      { regions: ['eu-west', 'ap-south'], minPricePerMinute: '1020', maxPricePerMinute: '1050' },
      { acceptsToken: false, minReputation: 1000 },
      { minFreeCapacity: 2, provider: key('p', 1), acceptsSol: true },
      { region: 'nowhere' },
    ];
    const orders = [null, ...['PRICE_PER_MINUTE', 'PRICE_PER_MINUTE_TOKEN', 'REPUTATION', 'FREE_CAPACITY', 'CREATED_AT', 'TOTAL_SESSIONS'].flatMap((field) => [
      { field, direction: 'ASC' },
      { field, direction: 'DESC' },
    ])];
    const query = `query($filter: NodeFilter, $orderBy: NodeOrder, $first: Int) {
      nodes(first: $first, filter: $filter, orderBy: $orderBy) { __typename totalCount nodes { ${NODE_FIELDS} __typename provider { ${PROVIDER_FIELDS} } } }
      cheap: nodes(first: 3, orderBy: { field: PRICE_PER_MINUTE, direction: ASC }) { list: nodes { id: pubkey price: pricePerMinute p: provider { score: reputationScore } } }
    }`;
    let nonEmpty = 0;
    for (const filter of filters) {
      for (const orderBy of orders) {
        for (const first of [null, 7]) {
          const r = await same(query, { filter, orderBy, first });
          expect(r.compiled, JSON.stringify({ filter, orderBy, first })).toBe(true);
          if (!r.text.includes('"nodes":[]')) nonEmpty++;
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(orders.length * 2 * 4);
  });

  it('sessions, a session and a node by pubkey: every column, nested relations two deep, nulls, missing rows', async () => {
    const users = [key('u', 0), key('u', 1), key('u', 2), key('u', 9)];
    for (const user of users) {
      for (const states of [null, ['ACTIVE', 'DISPUTED'], ['CLOSED']]) {
        const r = await same(
          `query($f: SessionFilter) { sessions(first: 25, filter: $f) { totalCount nodes { ${SESSION_FIELDS} node { region provider { reputationScore } } provider { pubkey } } } }`,
          { f: { user, states } },
        );
        expect(r.compiled).toBe(true);
      }
    }
    for (let s = 0; s < 32; s += 3) {
      for (const generation of [null, 0, 1]) {
        const r = await same(
          `query($pk: Pubkey!, $g: Int) { session(pubkey: $pk, generation: $g) { ${SESSION_FIELDS} node { ${NODE_FIELDS} } provider { ${PROVIDER_FIELDS} } } node(pubkey: $pk) { pubkey } }`,
          { pk: key('s', s), g: generation },
        );
        expect(r.compiled).toBe(true);
      }
      const n = await same(`query($pk: Pubkey!) { node(pubkey: $pk) { __typename ${NODE_FIELDS} provider { pubkey } } }`, { pk: key('n', s % 30) });
      expect(n.compiled).toBe(true);
      expect(n.text).toContain(key('n', s % 30));
    }
    // Nothing but __typename: a row or null all the same.
    const typename = await same(`{ session(pubkey: "${key('s', 13)}") { __typename } none: session(pubkey: "${key('s', 99)}") { __typename } nodes(first: 2) { nodes { __typename } } }`);
    expect(typename.compiled).toBe(true);
    expect(typename.text).toBe('{"data":{"session":{"__typename":"Session"},"none":null,"nodes":{"nodes":[{"__typename":"VpnNode"},{"__typename":"VpnNode"}]}}}');
    // A closed session (closedAt set) and one never seen (null).
    expect((await same(`{ session(pubkey: "${key('s', 13)}") { closedAt state } }`)).text).toContain('"closedAt":"2026-03-01T00:00:00.000Z"');
    expect((await same(`{ session(pubkey: "${key('s', 99)}") { pubkey } }`)).text).toBe('{"data":{"session":null}}');
  });

  it('errors come out as graphql-js writes them (bad arguments, bad variables, page sizes)', async () => {
    for (const [query, variables] of [
      ['query($f: SessionFilter) { sessions(filter: $f) { nodes { pubkey } } }', { f: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' } }],
      ['query($pk: Pubkey!) { session(pubkey: $pk) { pubkey } }', { pk: 'not a key' }],
      ['query($pk: Pubkey!) { session(pubkey: $pk) { pubkey } }', {}],
      ['{ nodes(first: 101) { nodes { pubkey } } }', undefined],
      ['{ nodes(first: -1) { nodes { pubkey } } }', undefined],
      ['query($n: Int) { nodes(first: $n) { nodes { pubkey } } }', { n: 'x' }],
    ] as const) {
      const r = await same(query, variables as Record<string, unknown> | undefined);
      expect(r.text, query).toContain('"errors"');
    }
    // An empty page is an answer, not an error, on both paths.
    const counts = await same('{ nodes(first: 0) { totalCount nodes { pubkey } } sessions(first: 0, filter: { states: [ACTIVE] }) { totalCount } }');
    expect(counts.compiled).toBe(true);
    expect(counts.text).toBe('{"data":{"nodes":{"totalCount":30,"nodes":[]},"sessions":{"totalCount":10}}}');
  });

  it('hands every other shape to graphql-js: fragments, directives, cursors, edges, computed fields, other roots', async () => {
    const first = JSON.parse((await same('{ nodes(first: 2) { edges { cursor } } }')).text).data.nodes.edges[0].cursor as string;
    for (const [query, variables, operationName] of [
      ['{ nodes(first: 2) { edges { cursor node { pubkey } } pageInfo { hasNextPage endCursor } } }'],
      [`{ nodes(first: 2, after: "${first}") { nodes { pubkey } } }`],
      ['{ nodes(last: 2) { nodes { pubkey } } }'],
      ['query { nodes(first: 2) { nodes { ...F } } } fragment F on VpnNode { pubkey region }'],
      ['query($x: Boolean!) { nodes(first: 2) { nodes { pubkey region @include(if: $x) } } }', { x: false }],
      [`{ session(pubkey: "${key('s', 3)}") { currency openings { generation } } }`],
      [`{ session(pubkey: "${key('s', 3)}") { pubkey claims(first: 2) { totalCount } } }`],
      ['{ nodes(first: 2) { nodes { pubkey sessions(first: 1) { totalCount } } } }'],
      ['{ providers(first: 2) { nodes { pubkey } } _meta { __typename } }'],
      ['{ nodes(first: 2) { nodes { pubkey } } providers(first: 1) { totalCount } }'],
      ['query A { nodes(first: 1) { nodes { pubkey } } } query B { nodes(first: 2) { nodes { region } } }', undefined, 'B'],
    ] as Array<[string, Record<string, unknown>?, string?]>) {
      const r = await same(query, variables, operationName);
      // Operation B of a two-operation document is compiled (it is the one chosen); the rest are not.
      expect(r.compiled, query).toBe(operationName === 'B');
    }
  });
});
