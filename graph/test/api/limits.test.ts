// Protection: token, alias, depth, directive, cost, page-size and response-size
// limits refuse abusive operations with clear GraphQL errors; malformed input of every kind gets a GraphQL error,
// never a crash and never a stack trace. Real Postgres, the API on a real
// socket, HTTP, SSE and graphql-ws clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { createBus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { createApiServer } from '../../src/api/server.js';
import { gql, sseSubscribe, startApiOnly, wsClient, wsSubscribe, type ApiOnly } from './setup.js';
import { waitFor } from '../helpers.js';

let s: ApiOnly;

beforeAll(async () => {
  s = await startApiOnly();
});

afterAll(async () => {
  await s?.close();
});

const KEY = '11111111111111111111111111111112';

function expectClean(raw: string) {
  expect(raw).not.toMatch(/\bat [\w.<>]+ \(/); // no stack frames
  expect(raw).not.toMatch(/"stack"/);
  expect(raw).not.toMatch(/node_modules|\/work\//);
}

function codes(r: { errors?: { extensions?: Record<string, unknown> }[] }) {
  return (r.errors ?? []).map((e) => e.extensions?.code);
}

describe('depth limit', () => {
  it('refuses operations nested deeper than 12 levels', async () => {
    // provider > nodes > nodes > provider > nodes > nodes > provider > ... > pubkey
    let inner = 'pubkey';
    for (let i = 0; i < 5; i++) inner = `provider { nodes(first: 1) { nodes { ${inner} } } }`;
    const r = await gql(s.url, `query Deep($k: Pubkey!) { node(pubkey: $k) { ${inner} } }`, { k: KEY });
    expect(r.data).toBeUndefined();
    expect(codes(r)).toEqual(['DEPTH_LIMIT_EXCEEDED']);
    expect(r.errors![0].message).toBe('Query depth limit of 12 exceeded, found 17.');
    expectClean(r.raw);
  });

  it('counts fragments where they are spread, and lets GraphiQL introspect', async () => {
    // node > provider > [P: nodes > nodes > provider] x 4 > pubkey = 15 levels, all but 2 inside fragments
    const frag = `fragment P on Provider { nodes(first: 1) { nodes { provider { ...Q } } } }
      fragment Q on Provider { nodes(first: 1) { nodes { provider { ...R } } } }
      fragment R on Provider { nodes(first: 1) { nodes { provider { ...S } } } }
      fragment S on Provider { nodes(first: 1) { nodes { provider { pubkey } } } }`;
    const r = await gql(s.url, `query($k: Pubkey!) { node(pubkey: $k) { provider { ...P } } } ${frag}`, { k: KEY });
    expect(codes(r)).toEqual(['DEPTH_LIMIT_EXCEEDED']);
    const intro = await gql(s.url, getIntrospectionQuery());
    expect(intro.errors).toBeUndefined();
    expect(intro.data!.__schema.queryType.name).toBe('Query');
  });
});

describe('cost limit', () => {
  it('refuses nested connections whose pages multiply past the limit, with the computed cost', async () => {
    const q = `query($n: Int) { nodes(first: 100) { nodes { sessions(first: $n) { nodes { claims(first: 10) { nodes { amount } } } } } } }`;
    const r = await gql(s.url, q, { n: 100 });
    expect(r.data).toBeUndefined();
    expect(codes(r)).toEqual(['COST_LIMIT_EXCEEDED']);
    const ext = r.errors![0].extensions as { cost: number; maxCost: number };
    expect(ext.maxCost).toBe(10_000);
    expect(ext.cost).toBeGreaterThan(100_000);
    expect(r.errors![0].message).toMatch(/^Operation cost \d+ exceeds the maximum cost of 10000; ask for smaller pages/);
    // the same document with small pages is fine (variables are applied)
    const ok = await gql(s.url, q, { n: 2 });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.nodes.nodes).toEqual([]);
  });

  it('counts aliases and fragments, so repeating a field does not escape the limit', async () => {
    // 15 aliases (the alias limit) of a 100-node page: 15 * (1 + 100 * (nodes, pubkey, region, endpoint, provider, pubkey, authority)) = 15 * 701
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: nodes(first: 100) { nodes { pubkey region endpoint provider { pubkey authority } } }`).join('\n');
    const r = await gql(s.url, `{ ${aliases} }`);
    expect(codes(r)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect((r.errors![0].extensions as { cost: number }).cost).toBe(15 * 701);
    // the same selection spread from fragments, no alias: A spread 32 times (B twice A, C twice B, D twice C, E twice D)
    const frags = `{ nodes(first: 100) { ...E ...E } } fragment E on VpnNodeConnection { ...D ...D }
      fragment A on VpnNodeConnection { nodes { pubkey region provider { pubkey } } }
      fragment B on VpnNodeConnection { ...A ...A } fragment C on VpnNodeConnection { ...B ...B }
      fragment D on VpnNodeConnection { ...C ...C }`;
    const f = await gql(s.url, frags);
    expect(codes(f)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect((f.errors![0].extensions as { cost: number }).cost).toBe(1 + 100 * 32 * 5);
  });

  it('weighs aggregates: stats, earnings and totalCount cost more than plain fields', async () => {
    const stats = (n: number) => Array.from({ length: n }, (_, i) => `s${i}: stats { nodes byRegion { region } }`).join(' ');
    const earnings = Array.from({ length: 15 }, (_, i) => `e${i}: earnings(provider: "${KEY}") { start }`).join(' ');
    expect(codes(await gql(s.url, `{ ${stats(15)} ${earnings} }`))).toEqual(['ALIAS_LIMIT_EXCEEDED']); // 30 aliases
    // 5 * (stats 500 + nodes 1 + byRegion 500 + region 1) = 5010: allowed, and answered
    const five = await gql(s.url, `{ ${stats(5)} }`);
    expect(five.errors).toBeUndefined();
    expect(five.data!.s4.nodes).toBe('0');
    // 15 of them are within the alias limit, not within the cost limit
    const fifteen = await gql(s.url, `{ ${stats(15)} }`);
    expect(codes(fifteen)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect((fifteen.errors![0].extensions as { cost: number }).cost).toBe(15 * 1002);
    // totalCount (a count(*)) weighs 10: 15 pages of 100 sessions cost 15 * 401 without it, 15 * 1401 with it
    const page = (count: boolean) =>
      `{ ${Array.from({ length: 15 }, (_, i) => `c${i}: sessions(first: 100) { ${count ? 'totalCount ' : ''}nodes { pubkey state user } }`).join(' ')} }`;
    expect((await gql(s.url, page(false))).errors).toBeUndefined();
    const counted = await gql(s.url, page(true));
    expect(codes(counted)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect((counted.errors![0].extensions as { cost: number }).cost).toBe(15 * 1401);
  });
});

describe('page-size cap', () => {
  it('refuses first/last above 100 or below 0, literal or variable, at any depth', async () => {
    const lit = await gql(s.url, '{ nodes(first: 101) { totalCount } }');
    expect(codes(lit)).toEqual(['PAGE_SIZE_EXCEEDED']);
    expect(lit.errors![0].message).toBe('Argument "first" of field "nodes" is 101; pages hold 0 to 100 items.');
    const variable = await gql(s.url, 'query($n: Int) { sessions(last: $n) { totalCount } }', { n: 1000 });
    expect(codes(variable)).toEqual(['PAGE_SIZE_EXCEEDED']);
    const negative = await gql(s.url, '{ events(first: -1) { totalCount } }');
    expect(codes(negative)).toEqual(['PAGE_SIZE_EXCEEDED']);
    const nested = await gql(s.url, `query($k: Pubkey!) { provider(pubkey: $k) { nodes(first: 500) { totalCount } } }`, { k: KEY });
    expect(codes(nested)).toEqual(['PAGE_SIZE_EXCEEDED']);
    const fine = await gql(s.url, '{ nodes(first: 100) { totalCount } sessions(first: 0) { totalCount } }');
    expect(fine.errors).toBeUndefined();
  });
});

describe('malformed input gives GraphQL errors', () => {
  it('syntax errors, unknown fields, wrong types', async () => {
    const syntax = await gql(s.url, '{ nodes(first: 1) { totalCount }');
    expect(syntax.status).toBeLessThan(500);
    expect(syntax.errors![0].message).toMatch(/^Syntax Error/);
    const unknown = await gql(s.url, '{ nodes { bogus } }');
    expect(unknown.errors![0].message).toMatch(/^Cannot query field "bogus" on type "VpnNodeConnection"/);
    const wrongType = await gql(s.url, '{ nodes(first: "ten") { totalCount } }');
    expect(wrongType.errors![0].message).toMatch(/Int cannot represent non-integer value: "ten"/);
    for (const r of [syntax, unknown, wrongType]) expectClean(r.raw);
  });

  it('bad scalars: pubkeys, exact integers, dates, enums, cursors, ranges', async () => {
    const cases: [string, Record<string, unknown> | undefined, RegExp][] = [
      ['{ node(pubkey: "not-a-key") { pubkey } }', undefined, /Pubkey must be a base58-encoded 32-byte public key, got "not-a-key"/],
      ['query($k: Pubkey!) { session(pubkey: $k) { pubkey } }', { k: 'O0Il' }, /Pubkey must be a base58-encoded 32-byte public key/],
      ['query($f: NodeFilter) { nodes(filter: $f) { totalCount } }', { f: { minPricePerMinute: '1.5' } }, /BigInt must be a string of decimal digits, got "1.5"/],
      ['query($f: NodeFilter) { nodes(filter: $f) { totalCount } }', { f: { maxPricePerMinute: 1e300 } }, /BigInt must be an integer/],
      ['{ nodes(filter: { minPricePerMinute: "-5" }) { totalCount } }', undefined, /BigInt input must be an integer within 0\.\.18446744073709551615 \(u64\), got "-5"/],
      ['{ nodes(filter: { minReputation: 5000 }) { totalCount } }', undefined, /minReputation must be within 0..2000/],
      ['{ sessions(filter: { from: "yesterday" }) { totalCount } }', undefined, /DateTime must be an ISO-8601 string/],
      ['{ sessions(filter: { from: "2030-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" }) { totalCount } }', undefined, /from must not be after to/],
      ['{ sessions(filter: { states: [OPEN] }) { totalCount } }', undefined, /Value "OPEN" does not exist in "SessionState" enum/],
      ['{ nodes(after: "garbage") { totalCount nodes { pubkey } } }', undefined, /Invalid cursor/],
      [`{ earnings(provider: "${KEY}", limit: 100000) { start } }`, undefined, /limit must be within 1..1000/],
      ['{ provider { pubkey } }', undefined, /provider needs exactly one of pubkey or authority/],
      ['{ events(filter: { names: [NotAnEvent] }) { totalCount } }', undefined, /Value "NotAnEvent" does not exist in "EventName" enum/],
    ];
    for (const [query, variables, message] of cases) {
      const r = await gql(s.url, query, variables);
      expect(r.status, query).toBeLessThan(500);
      expect(r.errors?.length, query).toBeGreaterThan(0);
      expect(r.errors![0].message, query).toMatch(message);
      expect(r.errors![0].message, query).not.toBe('Unexpected error.');
      expectClean(r.raw);
    }
  });

  it('broken HTTP requests: bad JSON, no query, wrong content type, oversized body', async () => {
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${s.url}/graphql`, { method: 'POST', headers, body });
    const badJson = await post('{"query": ');
    expect(badJson.status).toBeLessThan(500);
    const badJsonBody = await badJson.text();
    expect(JSON.parse(badJsonBody).errors[0].message).toMatch(/POST body sent invalid JSON/);
    const noQuery = await post('{"variables": {}}');
    expect(noQuery.status).toBeLessThan(500);
    expect((await noQuery.json()).errors[0].message).toMatch(/Must provide query string/);
    const notObject = await post('[1, 2]');
    expect(notObject.status).toBeLessThan(500);
    expect((await notObject.json()).errors.length).toBeGreaterThan(0);
    const badVars = await post(JSON.stringify({ query: '{ __typename }', variables: 'x' }));
    expect(badVars.status).toBeLessThan(500);
    expect((await badVars.json()).errors.length).toBeGreaterThan(0);
    const big = await post(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(2 * 1024 * 1024)}` }));
    expect(big.status).toBe(413);
    for (const t of [badJsonBody]) expectClean(t);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('a failure inside a resolver is masked: "Unexpected error.", no stack, the server keeps serving', async () => {
    // An API whose database is gone: every resolver that reads fails.
    const prisma = createPrismaClient('postgres://postgres:postgres@127.0.0.1:9/none', { max: 1 });
    const bus = createBus();
    const broken = createApiServer({ prisma, bus, port: 0, logger: silentLogger });
    const { url } = await broken.start();
    try {
      const r = await gql(url, '{ nodes { totalCount } }');
      expect(r.errors!.map((e) => e.message)).toEqual(['Unexpected error.']);
      expect(r.errors![0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expectClean(r.raw);
      const rest = await fetch(`${url}/stats`);
      expect(rest.status).toBe(500);
      expectClean(await rest.text());
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.database.ok).toBe(false);
    } finally {
      await broken.stop();
      await bus.close();
      await prisma.$disconnect().catch(() => undefined);
    }
  });
});

describe('the same protection on subscriptions (graphql-ws and SSE)', () => {
  it('graphql-ws: refused and malformed subscriptions get errors and the connection lives on', async () => {
    const ws = wsClient(s.wsUrl);
    await ws.connected;
    let inner = 'pubkey';
    for (let i = 0; i < 5; i++) inner = `provider { nodes(first: 1) { nodes { ${inner} } } }`;
    const tooDeep = wsSubscribe(ws.client, `subscription { nodeCapacity { node { ${inner} } } }`);
    const tooBig = wsSubscribe(ws.client, 'subscription { nodeCapacity { node { provider { nodes(first: 100) { nodes { sessions(first: 100) { nodes { pubkey } } } } } } } }');
    const badPage = wsSubscribe(ws.client, 'subscription { nodeCapacity { node { sessions(first: 1000) { totalCount } } } }');
    const syntax = wsSubscribe(ws.client, 'subscription { sessionChanged(');
    const badArg = wsSubscribe(ws.client, 'subscription { sessionChanged(user: "nope") { state } }');
    await waitFor(() => [tooDeep, tooBig, badPage, syntax, badArg].every((x) => x.errors.length > 0 || x.results.length > 0), {
      what: 'an answer to every refused subscription',
    });
    const first = (x: { errors: unknown[]; results: any[] }) => {
      const e = x.errors[0] as { message?: string; extensions?: { code?: string } }[] | { message?: string } | undefined;
      return Array.isArray(e) ? e[0] : (x.results[0]?.errors?.[0] ?? e);
    };
    expect(first(tooDeep).extensions?.code ?? first(tooDeep).message).toMatch(/DEPTH_LIMIT_EXCEEDED|maximum depth/);
    expect(first(tooBig).extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    expect(first(badPage).extensions?.code).toBe('PAGE_SIZE_EXCEEDED');
    expect(first(syntax).message).toMatch(/Syntax Error/);
    expect(first(badArg).message).toMatch(/Pubkey must be a base58-encoded 32-byte public key/);
    // still connected: a valid subscription works and receives a published change
    const good = wsSubscribe(ws.client, 'subscription { nodeCapacity(region: "x") { region freeCapacity } }');
    await waitFor(() => s.feed.subscriberCount() === 1, { what: 'valid subscription registered' });
    await s.bus.publish('nodeCapacity', {
      node: KEY, provider: KEY, region: 'x', maxCapacity: 2, activeSessions: 1, freeCapacity: 1, isActive: true,
      pricePerMinute: '1', pricePerMinuteToken: '0', cause: 'SessionOpened', signature: 'sig', slot: 1, timestamp: new Date(0).toISOString(),
    });
    await waitFor(() => good.results.length === 1, { what: 'published change' });
    expect(good.results[0].data.nodeCapacity).toEqual({ region: 'x', freeCapacity: '1' });
    good.dispose();
    await ws.client.dispose();
  });

  it('SSE: a refused subscription answers an error event', async () => {
    const sub = sseSubscribe(s.url, 'subscription { nodeCapacity { node { sessions(first: 1000) { totalCount } } } }');
    await sub.finished.catch(() => undefined);
    const all = JSON.stringify(sub.results);
    expect(all).toMatch(/PAGE_SIZE_EXCEEDED/);
    expectClean(all);
  });
});
