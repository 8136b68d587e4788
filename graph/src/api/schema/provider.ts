// Providers: stake, reputation, lifetime counters, and their nodes and sessions.
import type { Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';
import { NodeFilter, NodeOrder, nodeOrderBy, nodeWhere } from './node.js';
import { badInput, OrderDirection } from './scalars.js';

export const Provider = builder.prismaObject('Provider', {
  // Select mode: a query loads the columns its fields ask for.
  select: { pubkey: true },
  description: 'A provider (account `Provider`, PDA "provider", authority).',
  fields: (t) => ({
    pubkey: t.expose('pubkey', { type: 'Pubkey', description: 'Provider account address.' }),
    authority: t.expose('authority', { type: 'Pubkey', description: "The provider's wallet." }),
    stakeVault: t.expose('stakeVault', { type: 'Pubkey' }),
    nodeCount: t.expose('nodeCount', { type: 'BigInt' }),
    stakeLamports: t.expose('stakeLamports', { type: 'BigInt' }),
    unstakingLamports: t.expose('unstakingLamports', { type: 'BigInt' }),
    unstakeAt: t.expose('unstakeAt', { type: 'DateTime', nullable: true }),
    slashedLamports: t.expose('slashedLamports', { type: 'BigInt' }),
    ratingSum: t.expose('ratingSum', { type: 'BigInt' }),
    ratingCount: t.expose('ratingCount', { type: 'BigInt' }),
    reputationScore: t.exposeInt('reputationScore', { description: '0..2000; 1000 until the first rating.' }),
    totalUptimeSeconds: t.expose('totalUptimeSeconds', { type: 'BigInt' }),
    totalSessions: t.expose('totalSessions', { type: 'BigInt' }),
    totalEarnedLamports: t.expose('totalEarnedLamports', { type: 'BigInt', description: 'Net payouts of SOL sessions.' }),
    totalEarnedToken: t.expose('totalEarnedToken', { type: 'BigInt', description: 'Net payouts of token sessions.' }),
    registeredAt: t.expose('registeredAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastSlot: t.expose('lastSlot', { type: 'BigInt' }),
    nodes: t.relatedConnection(
      'nodes',
      {
        cursor: 'pubkey',
        totalCount: true,
        args: { filter: t.arg({ type: NodeFilter }), orderBy: t.arg({ type: NodeOrder }) },
        query: (args) => ({ where: nodeWhere(args.filter), orderBy: nodeOrderBy(args.orderBy) }),
      },
      { name: 'ProviderNodeConnection' },
      { name: 'ProviderNodeEdge' },
    ),
  }),
});

export const ProviderFilter = builder.inputType('ProviderFilter', {
  fields: (t) => ({
    minReputation: t.int(),
    minStakeLamports: t.field({ type: 'BigInt' }),
    hasActiveNodes: t.boolean({ description: 'true: at least one active node.' }),
  }),
});

export const ProviderOrderField = builder.enumType('ProviderOrderField', {
  values: {
    REPUTATION: { value: 'reputationScore' },
    STAKE: { value: 'stakeLamports' },
    TOTAL_SESSIONS: { value: 'totalSessions' },
    TOTAL_EARNED_LAMPORTS: { value: 'totalEarnedLamports' },
    REGISTERED_AT: { value: 'registeredAt' },
  } as const,
});

export const ProviderOrder = builder.inputType('ProviderOrder', {
  fields: (t) => ({
    field: t.field({ type: ProviderOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: 'desc' }),
  }),
});

function providerWhere(f: typeof ProviderFilter.$inferInput | null | undefined): Prisma.ProviderWhereInput {
  if (!f) return {};
  const where: Prisma.ProviderWhereInput = {};
  if (f.minReputation != null) where.reputationScore = { gte: f.minReputation };
  if (f.minStakeLamports != null) {
    if (f.minStakeLamports < 0n) throw badInput('minStakeLamports must not be negative');
    where.stakeLamports = { gte: f.minStakeLamports.toString() };
  }
  if (f.hasActiveNodes != null) {
    where.nodes = f.hasActiveNodes ? { some: { isActive: true } } : { none: { isActive: true } };
  }
  return where;
}

function providerOrderBy(o: typeof ProviderOrder.$inferInput | null | undefined): Prisma.ProviderOrderByWithRelationInput[] {
  if (!o) return [{ pubkey: 'asc' }];
  const direction = (o.direction ?? 'desc') as 'asc' | 'desc';
  return [{ [o.field]: direction }, { pubkey: direction }];
}

builder.queryFields((t) => ({
  provider: t.prismaField({
    type: 'Provider',
    nullable: true,
    description: 'One provider by its account address or by its authority (wallet).',
    args: { pubkey: t.arg({ type: 'Pubkey' }), authority: t.arg({ type: 'Pubkey' }) },
    resolve: (query, _root, args, ctx) => {
      if ((args.pubkey == null) === (args.authority == null)) throw badInput('provider needs exactly one of pubkey or authority');
      return ctx.prisma.provider.findUnique({
        ...query,
        where: args.pubkey ? { pubkey: args.pubkey } : { authority: args.authority! },
      });
    },
  }),
  providers: t.prismaConnection(
    {
      type: 'Provider',
      cursor: 'pubkey',
      args: { filter: t.arg({ type: ProviderFilter }), orderBy: t.arg({ type: ProviderOrder }) },
      resolve: (query, _root, args, ctx) =>
        ctx.prisma.provider.findMany({ ...query, where: providerWhere(args.filter), orderBy: providerOrderBy(args.orderBy) }),
      totalCount: (_root, args, ctx) => ctx.prisma.provider.count({ where: providerWhere(args.filter) }),
    },
    { name: 'ProviderConnection' },
    { name: 'ProviderEdge' },
  ),
}));
