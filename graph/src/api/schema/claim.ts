// Claims: every payment out of a session's escrow (claim_chunk, close_session,
// claim_payout, resolve_dispute), one row per event.
import type { Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';
import { badInput, Currency, currencyOf, OrderDirection, SOL_MINT } from './scalars.js';

export const ClaimKind = builder.enumType('ClaimKind', {
  values: ['CHUNK', 'CLOSE', 'PAYOUT', 'RESOLUTION'] as const,
});

export const Claim = builder.prismaObject('Claim', {
  description: 'A payment out of escrow: amount = providerAmount + fee; refund is what went back to the user.',
  fields: (t) => ({
    id: t.expose('id', { type: 'BigInt' }),
    kind: t.expose('kind', { type: ClaimKind }),
    signature: t.exposeString('signature'),
    slot: t.expose('slot', { type: 'BigInt' }),
    ixIndex: t.exposeInt('ixIndex'),
    eventIndex: t.exposeInt('eventIndex'),
    sessionPubkey: t.expose('sessionPubkey', { type: 'Pubkey' }),
    sessionGeneration: t.exposeInt('sessionGeneration', { description: 'Which opening of the session address (Session.generation).' }),
    nodePubkey: t.expose('nodePubkey', { type: 'Pubkey' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    session: t.relation('session'),
    node: t.relation('node'),
    provider: t.relation('provider'),
    user: t.expose('user', { type: 'Pubkey', nullable: true }),
    paymentMint: t.expose('paymentMint', { type: 'Pubkey' }),
    currency: t.field({ type: Currency, select: { paymentMint: true }, resolve: (c) => currencyOf(c.paymentMint) }),
    tick: t.expose('tick', { type: 'BigInt', nullable: true }),
    bytesUsed: t.expose('bytesUsed', { type: 'BigInt', nullable: true }),
    amount: t.expose('amount', { type: 'BigInt' }),
    providerAmount: t.expose('providerAmount', { type: 'BigInt' }),
    fee: t.expose('fee', { type: 'BigInt' }),
    refund: t.expose('refund', { type: 'BigInt' }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
  }),
});

export const ClaimFilter = builder.inputType('ClaimFilter', {
  fields: (t) => ({
    session: t.field({ type: 'Pubkey' }),
    node: t.field({ type: 'Pubkey' }),
    provider: t.field({ type: 'Pubkey' }),
    user: t.field({ type: 'Pubkey' }),
    kinds: t.field({ type: [ClaimKind] }),
    currency: t.field({ type: Currency }),
    from: t.field({ type: 'DateTime' }),
    to: t.field({ type: 'DateTime' }),
  }),
});

function claimWhere(f: typeof ClaimFilter.$inferInput | null | undefined): Prisma.ClaimWhereInput {
  if (!f) return {};
  const where: Prisma.ClaimWhereInput = {};
  if (f.session != null) where.sessionPubkey = f.session;
  if (f.node != null) where.nodePubkey = f.node;
  if (f.provider != null) where.providerPubkey = f.provider;
  if (f.user != null) where.user = f.user;
  if (f.kinds != null) where.kind = { in: [...f.kinds] };
  if (f.currency != null) where.paymentMint = f.currency === 'SOL' ? SOL_MINT : { not: SOL_MINT };
  if (f.from != null || f.to != null) {
    if (f.from && f.to && f.from > f.to) throw badInput('from must not be after to');
    where.timestamp = { gte: f.from ?? undefined, lt: f.to ?? undefined };
  }
  return where;
}

builder.queryField('claims', (t) =>
  t.prismaConnection(
    {
      type: 'Claim',
      cursor: 'id',
      description: 'Payments out of escrow, newest first by default.',
      args: { filter: t.arg({ type: ClaimFilter }), direction: t.arg({ type: OrderDirection, defaultValue: 'desc' }) },
      resolve: (query, _root, args, ctx) =>
        ctx.prisma.claim.findMany({ ...query, where: claimWhere(args.filter), orderBy: { id: args.direction ?? 'desc' } }),
      totalCount: (_root, args, ctx) => ctx.prisma.claim.count({ where: claimWhere(args.filter) }),
    },
    { name: 'ClaimConnection' },
    { name: 'ClaimEdge' },
  ),
);

builder.prismaObjectField('Session', 'claims', (t) =>
  t.relatedConnection(
    'claims',
    { cursor: 'id', totalCount: true, query: { orderBy: { id: 'asc' } } },
    { name: 'SessionClaimConnection' },
    { name: 'SessionClaimEdge' },
  ),
);
