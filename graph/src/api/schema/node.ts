// VPN nodes (Prisma model Node; GraphQL `VpnNode` because Relay owns `Node`):
// the discovery query with filters and ordering, and the capacity feed.
import type { NodeCapacityChange } from '../../bus.js';
import type { Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';
import { AFTER_DESCRIPTION, changeStream, unlessGap } from '../subscriptions.js';
import { badInput, OrderDirection } from './scalars.js';

export const VpnNode = builder.prismaObject('Node', {
  // Select mode: a query loads the columns its fields ask for (hot-reads.ts turns the selection into one SELECT).
  select: { pubkey: true },
  name: 'VpnNode',
  description: 'A WireGuard node registered on chain by a provider (account `Node`, PDA "node", provider, node_id).',
  fields: (t) => ({
    pubkey: t.expose('pubkey', { type: 'Pubkey', description: 'Node account address.' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    provider: t.relation('provider'),
    nodeId: t.expose('nodeId', { type: 'BigInt' }),
    endpoint: t.exposeString('endpoint', { description: 'host:port of the WireGuard endpoint.' }),
    region: t.exposeString('region'),
    pricePerMinute: t.expose('pricePerMinute', { type: 'BigInt', description: 'Lamports per minute (0: SOL sessions disabled).' }),
    pricePerMinuteToken: t.expose('pricePerMinuteToken', {
      type: 'BigInt',
      description: 'Token base units per minute (0: token sessions disabled).',
    }),
    pricePerTick: t.expose('pricePerTick', {
      type: 'BigInt',
      description: 'Lamports per hash-chain tick of a usage session (0: SOL usage sessions disabled).',
    }),
    pricePerTickToken: t.expose('pricePerTickToken', {
      type: 'BigInt',
      description: 'Token base units per tick of a usage session (0: token usage sessions disabled).',
    }),
    wgServerPubkey: t.exposeString('wgServerPubkey', { description: 'WireGuard server public key, base64.' }),
    maxCapacity: t.expose('maxCapacity', { type: 'BigInt' }),
    activeSessions: t.expose('activeSessions', { type: 'BigInt' }),
    freeCapacity: t.expose('freeCapacity', {
      type: 'BigInt',
      description: 'maxCapacity - activeSessions (negative when the capacity was lowered below the sessions in flight).',
    }),
    isActive: t.exposeBoolean('isActive'),
    providerReputation: t.exposeInt('providerReputation', { description: "The provider's reputation score (0..2000)." }),
    totalUptimeSeconds: t.expose('totalUptimeSeconds', { type: 'BigInt' }),
    totalSessions: t.expose('totalSessions', { type: 'BigInt' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastSlot: t.expose('lastSlot', { type: 'BigInt', description: 'Slot of the last event applied to this row.' }),
  }),
});

// ---------------------------------------------------------------------------
// Filters and ordering

export const NodeFilter = builder.inputType('NodeFilter', {
  description: 'Node discovery filters; every given field must match.',
  fields: (t) => ({
    region: t.string({ description: 'Exact region, e.g. "eu-west".' }),
    regions: t.stringList({ description: 'Any of these regions.' }),
    provider: t.field({ type: 'Pubkey', description: 'Provider account address.' }),
    active: t.boolean({ description: 'is_active flag (default: no filter).' }),
    minPricePerMinute: t.field({ type: 'BigInt', description: 'Lamports per minute, inclusive.' }),
    maxPricePerMinute: t.field({ type: 'BigInt', description: 'Lamports per minute, inclusive.' }),
    minPricePerMinuteToken: t.field({ type: 'BigInt', description: 'Token base units per minute, inclusive.' }),
    maxPricePerMinuteToken: t.field({ type: 'BigInt', description: 'Token base units per minute, inclusive.' }),
    acceptsSol: t.boolean({ description: 'true: pricePerMinute > 0 (SOL sessions possible).' }),
    acceptsToken: t.boolean({ description: 'true: pricePerMinuteToken > 0 (token sessions possible).' }),
    minReputation: t.int({ description: "Provider reputation score at least this (0..2000)." }),
    minFreeCapacity: t.int({ description: 'At least this many free session slots.' }),
    hasFreeCapacity: t.boolean({ description: 'true: at least one free slot; false: full.' }),
  }),
});

export const NodeOrderField = builder.enumType('NodeOrderField', {
  values: {
    PRICE_PER_MINUTE: { value: 'pricePerMinute' },
    PRICE_PER_MINUTE_TOKEN: { value: 'pricePerMinuteToken' },
    REPUTATION: { value: 'providerReputation' },
    FREE_CAPACITY: { value: 'freeCapacity' },
    CREATED_AT: { value: 'createdAt' },
    TOTAL_SESSIONS: { value: 'totalSessions' },
  } as const,
});

export const NodeOrder = builder.inputType('NodeOrder', {
  fields: (t) => ({
    field: t.field({ type: NodeOrderField, required: true, description: 'Sort field (ties broken by pubkey).' }),
    direction: t.field({ type: OrderDirection, defaultValue: 'asc', description: 'ASC (default) or DESC.' }),
  }),
});

type NodeFilterShape = typeof NodeFilter.$inferInput;

function nonNegative(name: string, v: bigint | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v < 0n) throw badInput(`${name} must not be negative`);
  return v.toString();
}

export function nodeWhere(f: NodeFilterShape | null | undefined): Prisma.NodeWhereInput {
  if (!f) return {};
  const where: Prisma.NodeWhereInput = {};
  const and: Prisma.NodeWhereInput[] = [];
  if (f.region != null) where.region = f.region;
  if (f.regions != null) {
    if (f.regions.length > 100) throw badInput('regions takes at most 100 values');
    and.push({ region: { in: f.regions } });
  }
  if (f.provider != null) where.providerPubkey = f.provider;
  if (f.active != null) where.isActive = f.active;
  const minP = nonNegative('minPricePerMinute', f.minPricePerMinute);
  const maxP = nonNegative('maxPricePerMinute', f.maxPricePerMinute);
  if (minP !== undefined || maxP !== undefined) where.pricePerMinute = { gte: minP, lte: maxP };
  const minT = nonNegative('minPricePerMinuteToken', f.minPricePerMinuteToken);
  const maxT = nonNegative('maxPricePerMinuteToken', f.maxPricePerMinuteToken);
  if (minT !== undefined || maxT !== undefined) where.pricePerMinuteToken = { gte: minT, lte: maxT };
  if (f.acceptsSol != null) and.push(f.acceptsSol ? { pricePerMinute: { gt: 0 } } : { pricePerMinute: 0 });
  if (f.acceptsToken != null) and.push(f.acceptsToken ? { pricePerMinuteToken: { gt: 0 } } : { pricePerMinuteToken: 0 });
  if (f.minReputation != null) {
    if (f.minReputation < 0 || f.minReputation > 2000) throw badInput('minReputation must be within 0..2000');
    where.providerReputation = { gte: f.minReputation };
  }
  if (f.minFreeCapacity != null) {
    if (f.minFreeCapacity < 0) throw badInput('minFreeCapacity must not be negative');
    and.push({ freeCapacity: { gte: f.minFreeCapacity } });
  }
  if (f.hasFreeCapacity != null) and.push(f.hasFreeCapacity ? { freeCapacity: { gt: 0 } } : { freeCapacity: { lte: 0 } });
  if (and.length > 0) where.AND = and;
  return where;
}

export function nodeOrderBy(order: typeof NodeOrder.$inferInput | null | undefined): Prisma.NodeOrderByWithRelationInput[] {
  // pubkey breaks ties so cursors are stable.
  if (!order) return [{ pubkey: 'asc' }];
  const direction = (order.direction ?? 'asc') as 'asc' | 'desc';
  return [{ [order.field]: direction }, { pubkey: direction }];
}

/** What `nodes(filter, orderBy)` reads (its resolver and compiled-reads.ts). */
export function nodeQuery(args: { filter?: typeof NodeFilter.$inferInput | null; orderBy?: typeof NodeOrder.$inferInput | null }) {
  return { where: nodeWhere(args.filter), orderBy: nodeOrderBy(args.orderBy) };
}

builder.queryFields((t) => ({
  node: t.prismaField({
    type: 'Node',
    nullable: true,
    description: 'One node by its account address.',
    args: { pubkey: t.arg({ type: 'Pubkey', required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const q = { ...query, where: { pubkey: args.pubkey } };
      const hot = await ctx.hot?.findFirst('Node', q);
      return hot !== undefined ? (hot as never) : ctx.prisma.node.findUnique(q);
    },
  }),
  nodes: t.prismaConnection(
    {
      type: 'Node',
      cursor: 'pubkey',
      description: 'Node discovery: filter by region, price (SOL or token), reputation, active flag and free capacity; Relay cursor pagination (first/last at most 100).',
      args: {
        filter: t.arg({ type: NodeFilter }),
        orderBy: t.arg({ type: NodeOrder }),
      },
      resolve: async (query, _root, args, ctx) => {
        const q = { ...query, ...nodeQuery(args) };
        return ((await ctx.hot?.findMany('Node', q)) as never) ?? ctx.prisma.node.findMany(q);
      },
      totalCount: async (_root, args, ctx) => {
        const where = nodeWhere(args.filter);
        return (await ctx.hot?.count('Node', where)) ?? ctx.prisma.node.count({ where });
      },
    },
    { name: 'VpnNodeConnection' },
    { name: 'VpnNodeEdge' },
  ),
}));

// ---------------------------------------------------------------------------
// Live capacity

export const NodeCapacity = builder.objectRef<NodeCapacityChange>('NodeCapacity').implement({
  description: "A node's capacity and availability right after an event changed them.",
  fields: (t) => ({
    nodePubkey: t.field({ type: 'Pubkey', resolve: (c) => c.node }),
    providerPubkey: t.field({ type: 'Pubkey', resolve: (c) => c.provider }),
    region: t.exposeString('region'),
    // BigInt like VpnNode's counters (u32 does not fit GraphQL's 32-bit signed Int).
    maxCapacity: t.field({ type: 'BigInt', resolve: (c) => c.maxCapacity }),
    activeSessions: t.field({ type: 'BigInt', resolve: (c) => c.activeSessions }),
    freeCapacity: t.field({ type: 'BigInt', resolve: (c) => c.freeCapacity }),
    isActive: t.exposeBoolean('isActive'),
    pricePerMinute: t.field({ type: 'BigInt', resolve: (c) => c.pricePerMinute }),
    pricePerMinuteToken: t.field({ type: 'BigInt', resolve: (c) => c.pricePerMinuteToken }),
    seq: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Change-log position (resume with `after: seq`); null only on changes published outside the indexer.',
      resolve: (c) => c.seq ?? null,
    }),
    cause: t.exposeString('cause', { description: 'Name of the program event that made the change.' }),
    signature: t.exposeString('signature'),
    slot: t.field({ type: 'BigInt', resolve: (c) => BigInt(c.slot) }),
    timestamp: t.field({ type: 'DateTime', resolve: (c) => c.timestamp }),
    node: t.prismaField({
      type: 'Node',
      nullable: true,
      description: 'The node row as indexed now (a database read).',
      resolve: (query, c, _args, ctx) => ctx.prisma.node.findUnique({ ...query, where: { pubkey: c.node } }),
    }),
  }),
});

builder.subscriptionField('nodeCapacity', (t) =>
  t.field({
    type: NodeCapacity,
    description: 'Capacity changes (sessions opened or ended, node registered or updated), by node, region or provider.',
    args: {
      node: t.arg({ type: 'Pubkey' }),
      region: t.arg.string(),
      provider: t.arg({ type: 'Pubkey' }),
      after: t.arg({ type: 'BigInt', description: AFTER_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) =>
      changeStream(ctx, 'nodeCapacity', {
        ...(args.node ? { node: args.node } : {}),
        ...(args.region ? { region: args.region } : {}),
        ...(args.provider ? { provider: args.provider } : {}),
      }, args.after),
    resolve: (item) => unlessGap(item, (change) => change),
  }),
);
