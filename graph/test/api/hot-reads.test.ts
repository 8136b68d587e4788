// The API's hot reads in SQL (src/api/hot-reads.ts) answer exactly what
// Prisma answers for the same arguments: filters, orderings, pages forwards
// and backwards from a cursor, the nested to-one relations; and hand back
// null (so Prisma answers) for what they do not express.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHotReads, type FindManyArgs, type HotReads } from '../../src/api/hot-reads.js';
import { nodeOrderBy, nodeWhere } from '../../src/api/schema/node.js';
import { sessionOrderBy, sessionWhere } from '../../src/api/schema/session.js';
import { createPrismaClient, poolOf, type PrismaClient } from '../../src/db/client.js';
import { startDatabase, type TestDatabase } from '../helpers.js';
import { key, seedReadFixture } from './read-fixture.js';


let db: TestDatabase;
let prisma: PrismaClient;
let hot: HotReads;

/** Prisma's Decimal / bigint / Date and pg's strings / Date compared as the API serializes them. */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    if (typeof (v as { toFixed?: unknown }).toFixed === 'function' && !(typeof v === 'number')) return (v as { toFixed(): string }).toFixed();
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

beforeAll(async () => {
  db = await startDatabase();
  prisma = createPrismaClient(db.url, { max: 2 });
  const pool = poolOf(prisma)!;
  hot = createHotReads(pool, prisma)!;
  await seedReadFixture(db.url);
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

async function same(model: 'Node' | 'Session', args: FindManyArgs): Promise<unknown[]> {
  const delegate = (model === 'Node' ? prisma.node : prisma.session) as unknown as { findMany(a: unknown): Promise<unknown[]> };
  const [ours, theirs] = await Promise.all([hot.findMany(model, args), delegate.findMany(args)]);
  expect(ours, JSON.stringify(args)).not.toBeNull();
  expect(plain(ours)).toEqual(plain(theirs));
  return theirs;
}

describe('hot reads in SQL answer what Prisma answers', () => {
  it('node discovery: every filter, every ordering, with the provider', async () => {
    const filters = [
      undefined,
      { region: 'eu-west' },
      { regions: ['eu-west', 'ap-south'], active: true },
      { minPricePerMinute: 1020n, maxPricePerMinute: 1050n },
      { acceptsToken: true, hasFreeCapacity: true },
      { acceptsToken: false, minReputation: 1000 },
      { minFreeCapacity: 2, provider: key('p', 1) },
      { hasFreeCapacity: false, acceptsSol: true },
    ];
    const orders = [undefined, ...(['pricePerMinute', 'pricePerMinuteToken', 'providerReputation', 'freeCapacity', 'createdAt', 'totalSessions'] as const).flatMap((field) => [
      { field, direction: 'asc' as const },
      { field, direction: 'desc' as const },
    ])];
    let nonEmpty = 0;
    for (const filter of filters) {
      for (const orderBy of orders) {
        const rows = await same('Node', { where: nodeWhere(filter), orderBy: nodeOrderBy(orderBy), take: 7, skip: 0, include: { provider: true } });
        if (rows.length > 0) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(orders.length * 5);
  });

  it('pages from a cursor, forwards and backwards, cursor row included or skipped', async () => {
    const orderBy = nodeOrderBy({ field: 'pricePerMinute', direction: 'desc' });
    const all = (await prisma.node.findMany({ orderBy })) as Array<{ pubkey: string }>;
    for (const at of [0, 5, 17, 29]) {
      const cursor = { pubkey: all[at].pubkey };
      for (const take of [4, -4, 31, -31]) {
        for (const skip of [0, 1]) await same('Node', { where: {}, orderBy, take, skip, cursor });
      }
    }
    const backwards = await same('Node', { orderBy, take: -3, skip: 0 });
    expect(backwards.map((n) => (n as { pubkey: string }).pubkey)).toEqual(all.slice(-3).map((n) => n.pubkey));
  });

  it("sessions: one user's newest first with the node, state and time filters, both openings of an address", async () => {
    for (const filter of [
      { user: key('u', 1) },
      { states: ['ACTIVE', 'DISPUTED'] as const },
      { currency: 'SOL' as const, node: key('n', 3) },
      { currency: 'TOKEN' as const },
      { from: new Date('2026-03-01T00:03:00Z'), to: new Date('2026-03-01T00:07:00Z'), provider: key('p', 2) },
    ]) {
      for (const orderBy of [undefined, { field: 'startTs' as const, direction: 'asc' as const }]) {
        await same('Session', { where: sessionWhere(filter as never), orderBy: sessionOrderBy(orderBy as never), take: 21, skip: 0, include: { node: true, provider: true } });
      }
    }
    const latest = await hot.findFirst('Session', { where: { pubkey: key('s', 2) }, orderBy: { generation: 'desc' }, include: { node: true } });
    expect(plain(latest)).toEqual(plain(await prisma.session.findFirst({ where: { pubkey: key('s', 2) }, orderBy: { generation: 'desc' }, include: { node: true } })));
    expect((latest as { generation: number }).generation).toBe(1);
    const first = await hot.findFirst('Session', { where: { pubkey: key('s', 2), generation: 0 } });
    expect((first as { generation: number }).generation).toBe(0);
    expect(await hot.findFirst('Session', { where: { pubkey: key('s', 99) } })).toBeNull();
  });

  it('counts as Prisma counts', async () => {
    for (const filter of [undefined, { region: 'us-east', active: true }, { minFreeCapacity: 1, acceptsToken: true }]) {
      expect(await hot.count('Node', nodeWhere(filter))).toBe(await prisma.node.count({ where: nodeWhere(filter) }));
    }
    const where = sessionWhere({ states: ['SETTLED'] } as never);
    expect(await hot.count('Session', where)).toBe(await prisma.session.count({ where }));
  });

  it('selects only what is asked (Pothos select mode): scalars, nested to-one relations, a relation under a select', async () => {
    const orderBy = nodeOrderBy({ field: 'pricePerMinute', direction: 'asc' });
    for (const select of [
      { pubkey: true, region: true },
      { pubkey: true, provider: { select: { reputationScore: true } } },
      { freeCapacity: true, provider: true },
      { pubkey: true, provider: { select: { pubkey: true, nodeCount: true } }, isActive: false },
    ]) {
      await same('Node', { where: nodeWhere({ region: 'eu-west' }), orderBy, take: 5, select });
    }
    const sessionSelect = { pubkey: true, generation: true, state: true, node: { select: { region: true, provider: { select: { reputationScore: true } } } }, provider: { include: {} } };
    await same('Session', { where: sessionWhere({ user: key('u', 2) } as never), orderBy: sessionOrderBy(undefined), take: 10, select: sessionSelect });
    const one = await hot.findFirst('Session', { where: { pubkey: key('s', 4) }, orderBy: { generation: 'desc' }, select: { escrowAmount: true, node: { select: { endpoint: true } } } });
    expect(Object.keys(one as object).sort()).toEqual(['escrowAmount', 'node']);
    expect(Object.keys((one as { node: object }).node)).toContain('endpoint');
  });

  it('leaves to Prisma what it does not express (nested lists, relation filters, counts)', async () => {
    expect(await hot.findMany('Node', { include: { provider: { include: { nodes: true } } } })).toBeNull();
    expect(await hot.findMany('Node', { include: { sessions: true } })).toBeNull();
    expect(await hot.findMany('Provider', { where: { nodes: { some: { isActive: true } } } })).toBeNull();
    expect(await hot.findMany('Node', { select: { pubkey: true, _count: { select: { sessions: true } } } })).toBeNull();
    expect(await hot.findMany('Node', { select: { pubkey: true, provider: { select: { pubkey: true }, where: { pubkey: 'x' } } } })).toBeNull();
    expect(await hot.findMany('Node', { select: { pubkey: true, sessions: { select: { pubkey: true } } } })).toBeNull();
    expect(await hot.count('Provider', { nodes: { none: {} } })).toBeNull();
  });
});
