// Disputes: raised on a session, resolved by the Config admin.
import type { Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';

export const Dispute = builder.prismaObject('Dispute', {
  description: 'A dispute on a session (at most one per session); the escrow is frozen until it is resolved.',
  fields: (t) => ({
    sessionPubkey: t.expose('sessionPubkey', { type: 'Pubkey' }),
    sessionGeneration: t.exposeInt('sessionGeneration', { description: 'Which opening of the session address (Session.generation).' }),
    nodePubkey: t.expose('nodePubkey', { type: 'Pubkey' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    session: t.relation('session'),
    provider: t.relation('provider'),
    raisedBy: t.expose('raisedBy', { type: 'Pubkey' }),
    reason: t.exposeInt('reason'),
    raisedAt: t.expose('raisedAt', { type: 'DateTime' }),
    raisedSignature: t.exposeString('raisedSignature'),
    resolved: t.exposeBoolean('resolved'),
    resolver: t.expose('resolver', { type: 'Pubkey', nullable: true }),
    providerAmount: t.expose('providerAmount', { type: 'BigInt', nullable: true }),
    fee: t.expose('fee', { type: 'BigInt', nullable: true }),
    refund: t.expose('refund', { type: 'BigInt', nullable: true }),
    slashedLamports: t.expose('slashedLamports', { type: 'BigInt', nullable: true }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    resolvedSignature: t.exposeString('resolvedSignature', { nullable: true }),
  }),
});

export const DisputeFilter = builder.inputType('DisputeFilter', {
  fields: (t) => ({
    provider: t.field({ type: 'Pubkey' }),
    node: t.field({ type: 'Pubkey' }),
    resolved: t.boolean(),
  }),
});

function disputeWhere(f: typeof DisputeFilter.$inferInput | null | undefined): Prisma.DisputeWhereInput {
  if (!f) return {};
  const where: Prisma.DisputeWhereInput = {};
  if (f.provider != null) where.providerPubkey = f.provider;
  if (f.node != null) where.nodePubkey = f.node;
  if (f.resolved != null) where.resolved = f.resolved;
  return where;
}

builder.queryField('disputes', (t) =>
  t.prismaConnection(
    {
      type: 'Dispute',
      cursor: 'sessionPubkey_sessionGeneration',
      description: 'Disputes, newest first.',
      args: { filter: t.arg({ type: DisputeFilter }) },
      resolve: (query, _root, args, ctx) =>
        ctx.prisma.dispute.findMany({
          ...query,
          where: disputeWhere(args.filter),
          orderBy: [{ raisedAt: 'desc' }, { sessionPubkey: 'desc' }, { sessionGeneration: 'desc' }],
        }),
      totalCount: (_root, args, ctx) => ctx.prisma.dispute.count({ where: disputeWhere(args.filter) }),
    },
    { name: 'DisputeConnection' },
    { name: 'DisputeEdge' },
  ),
);

builder.prismaObjectField('Session', 'dispute', (t) => t.relation('dispute', { nullable: true }));

builder.prismaObjectField('Provider', 'disputes', (t) =>
  t.relatedConnection(
    'disputes',
    { cursor: 'sessionPubkey_sessionGeneration', totalCount: true, query: { orderBy: [{ raisedAt: 'desc' }, { sessionPubkey: 'desc' }, { sessionGeneration: 'desc' }] } },
    { name: 'ProviderDisputeConnection' },
    { name: 'ProviderDisputeEdge' },
  ),
);
