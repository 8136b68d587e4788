// Sessions: escrowed VPN sessions between a user and a node, their filters,
// and the live feed of their state changes.
import type { SessionChange as SessionChangePayload } from '../../bus.js';
import type { Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';
import { AFTER_DESCRIPTION, changeStream, unlessGap } from '../subscriptions.js';
import { badInput, Currency, currencyOf, OrderDirection, SOL_MINT } from './scalars.js';

export const SessionState = builder.enumType('SessionState', {
  description: 'On-chain session states, plus SETTLED: claim_payout paid out and closed the Session account.',
  values: ['ACTIVE', 'CLOSING', 'CLOSED', 'DISPUTED', 'RESOLVED', 'SETTLED'] as const,
});

export const SessionMode = builder.enumType('SessionMode', {
  description: 'TIME: pro-rata by elapsed time; USAGE: hash-chain ticks (PayWord).',
  values: ['TIME', 'USAGE'] as const,
});

export const Session = builder.prismaObject('Session', {
  // Select mode: a query loads the columns its fields ask for (hot-reads.ts turns the selection into one SELECT).
  select: { pubkey: true, generation: true },
  description: 'A session (account `Session`, PDA "session", node, user, session_id) and its escrow.',
  fields: (t) => ({
    pubkey: t.expose('pubkey', { type: 'Pubkey', description: 'Session account address.' }),
    generation: t.exposeInt('generation', {
      description: 'Which opening of this address: 0 for the first, then 1, 2, ... (a closed address can be opened again; each opening is its own session).',
    }),
    openings: t.prismaField({
      type: ['Session'],
      description: 'Every opening of this address, newest first (this one included).',
      resolve: (query, s, _args, ctx) =>
        ctx.prisma.session.findMany({ ...query, where: { pubkey: s.pubkey }, orderBy: { generation: 'desc' }, take: 100 }),
    }),
    user: t.expose('user', { type: 'Pubkey' }),
    nodePubkey: t.expose('nodePubkey', { type: 'Pubkey' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    node: t.relation('node'),
    provider: t.relation('provider'),
    sessionId: t.expose('sessionId', { type: 'BigInt' }),
    mode: t.expose('mode', { type: SessionMode }),
    state: t.expose('state', { type: SessionState }),
    paymentMint: t.expose('paymentMint', { type: 'Pubkey', description: 'Token mint, or the system program id for SOL.' }),
    currency: t.field({ type: Currency, select: { paymentMint: true }, resolve: (s) => currencyOf(s.paymentMint) }),
    escrowAmount: t.expose('escrowAmount', { type: 'BigInt' }),
    remainingBalance: t.expose('remainingBalance', { type: 'BigInt' }),
    claimedAmount: t.expose('claimedAmount', { type: 'BigInt', description: 'Provider payouts + fees so far.' }),
    feeAmount: t.expose('feeAmount', { type: 'BigInt' }),
    refundedAmount: t.expose('refundedAmount', { type: 'BigInt' }),
    bytesUsed: t.expose('bytesUsed', { type: 'BigInt' }),
    lastTick: t.expose('lastTick', { type: 'BigInt' }),
    tickAmount: t.expose('tickAmount', { type: 'BigInt' }),
    maxTicks: t.expose('maxTicks', { type: 'BigInt' }),
    hashChainRoot: t.exposeString('hashChainRoot', { description: 'w_0 of the usage hash chain, hex (zeros for time sessions).' }),
    startTs: t.expose('startTs', { type: 'DateTime' }),
    endTs: t.expose('endTs', { type: 'DateTime' }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true }),
    settledAt: t.expose('settledAt', { type: 'DateTime', nullable: true }),
    capacityReleased: t.exposeBoolean('capacityReleased'),
    rated: t.exposeBoolean('rated'),
    openedSignature: t.exposeString('openedSignature'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastSlot: t.expose('lastSlot', { type: 'BigInt' }),
    lastSignature: t.exposeString('lastSignature'),
  }),
});

export const SessionFilter = builder.inputType('SessionFilter', {
  description: 'Session filters; every given field must match. from/to bound the start time.',
  fields: (t) => ({
    user: t.field({ type: 'Pubkey', description: 'User wallet.' }),
    node: t.field({ type: 'Pubkey', description: 'Node account address.' }),
    provider: t.field({ type: 'Pubkey', description: 'Provider account address.' }),
    states: t.field({ type: [SessionState], description: 'Any of these states.' }),
    mode: t.field({ type: SessionMode, description: 'TIME or USAGE.' }),
    currency: t.field({ type: Currency, description: 'SOL or TOKEN.' }),
    from: t.field({ type: 'DateTime', description: 'Started at or after.' }),
    to: t.field({ type: 'DateTime', description: 'Started before.' }),
  }),
});

export const SessionOrderField = builder.enumType('SessionOrderField', {
  values: {
    START_TS: { value: 'startTs' },
    END_TS: { value: 'endTs' },
    ESCROW_AMOUNT: { value: 'escrowAmount' },
    UPDATED_AT: { value: 'updatedAt' },
  } as const,
});

export const SessionOrder = builder.inputType('SessionOrder', {
  fields: (t) => ({
    field: t.field({ type: SessionOrderField, required: true, description: 'Sort field (ties broken by pubkey).' }),
    direction: t.field({ type: OrderDirection, defaultValue: 'desc', description: 'DESC (default) or ASC.' }),
  }),
});

type SessionFilterShape = typeof SessionFilter.$inferInput;

export function sessionWhere(f: SessionFilterShape | null | undefined): Prisma.SessionWhereInput {
  if (!f) return {};
  const where: Prisma.SessionWhereInput = {};
  if (f.user != null) where.user = f.user;
  if (f.node != null) where.nodePubkey = f.node;
  if (f.provider != null) where.providerPubkey = f.provider;
  if (f.states != null) where.state = { in: [...f.states] };
  if (f.mode != null) where.mode = f.mode;
  if (f.currency != null) where.paymentMint = f.currency === 'SOL' ? SOL_MINT : { not: SOL_MINT };
  if (f.from != null || f.to != null) {
    if (f.from && f.to && f.from > f.to) throw badInput('from must not be after to');
    where.startTs = { gte: f.from ?? undefined, lt: f.to ?? undefined };
  }
  return where;
}

export function sessionOrderBy(o: typeof SessionOrder.$inferInput | null | undefined): Prisma.SessionOrderByWithRelationInput[] {
  if (!o) return [{ startTs: 'desc' }, { pubkey: 'desc' }, { generation: 'desc' }];
  const direction = (o.direction ?? 'desc') as 'asc' | 'desc';
  return [{ [o.field]: direction }, { pubkey: direction }, { generation: direction }];
}

/** What `session(pubkey, generation)` reads: the given opening, else the latest (its resolver and compiled-reads.ts). */
export function sessionLookup(args: { pubkey: string; generation?: number | null }) {
  return args.generation == null
    ? { where: { pubkey: args.pubkey }, orderBy: { generation: 'desc' as const } }
    : { where: { pubkey: args.pubkey, generation: args.generation } };
}

/** What `sessions(filter, orderBy)` reads (its resolver and compiled-reads.ts). */
export function sessionQuery(args: { filter?: SessionFilterShape | null; orderBy?: typeof SessionOrder.$inferInput | null }) {
  return { where: sessionWhere(args.filter), orderBy: sessionOrderBy(args.orderBy) };
}

builder.queryFields((t) => ({
  session: t.prismaField({
    type: 'Session',
    nullable: true,
    description: 'The session at this address: its latest opening (older ones: `openings`, or `generation`).',
    args: {
      pubkey: t.arg({ type: 'Pubkey', required: true }),
      generation: t.arg.int({ description: 'A given opening of the address (default: the latest).' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const hot = await ctx.hot?.findFirst('Session', { ...query, ...sessionLookup(args) });
      if (hot !== undefined) return hot as never; // the row Prisma would return (hot-reads.ts)
      return args.generation == null
        ? ctx.prisma.session.findFirst({ ...query, where: { pubkey: args.pubkey }, orderBy: { generation: 'desc' } })
        : ctx.prisma.session.findUnique({ ...query, where: { pubkey_generation: { pubkey: args.pubkey, generation: args.generation } } });
    },
  }),
  sessions: t.prismaConnection(
    {
      type: 'Session',
      cursor: 'pubkey_generation',
      description: 'Sessions by user, node, provider, state, mode, currency and start time; newest first by default.',
      args: { filter: t.arg({ type: SessionFilter }), orderBy: t.arg({ type: SessionOrder }) },
      resolve: async (query, _root, args, ctx) => {
        const q = { ...query, ...sessionQuery(args) };
        return ((await ctx.hot?.findMany('Session', q)) as never) ?? ctx.prisma.session.findMany(q);
      },
      totalCount: async (_root, args, ctx) => {
        const where = sessionWhere(args.filter);
        return (await ctx.hot?.count('Session', where)) ?? ctx.prisma.session.count({ where });
      },
    },
    { name: 'SessionConnection' },
    { name: 'SessionEdge' },
  ),
}));

builder.prismaObjectField('Node', 'sessions', (t) =>
  t.relatedConnection(
    'sessions',
    {
      cursor: 'pubkey_generation',
      totalCount: true,
      args: { filter: t.arg({ type: SessionFilter }), orderBy: t.arg({ type: SessionOrder }) },
      query: (args) => ({ where: sessionWhere(args.filter), orderBy: sessionOrderBy(args.orderBy) }),
    },
    { name: 'NodeSessionConnection' },
    { name: 'NodeSessionEdge' },
  ),
);

builder.prismaObjectField('Provider', 'sessions', (t) =>
  t.relatedConnection(
    'sessions',
    {
      cursor: 'pubkey_generation',
      totalCount: true,
      args: { filter: t.arg({ type: SessionFilter }), orderBy: t.arg({ type: SessionOrder }) },
      query: (args) => ({ where: sessionWhere(args.filter), orderBy: sessionOrderBy(args.orderBy) }),
    },
    { name: 'ProviderSessionConnection' },
    { name: 'ProviderSessionEdge' },
  ),
);

// ---------------------------------------------------------------------------
// Live session changes

export const SessionChange = builder.objectRef<SessionChangePayload>('SessionChange').implement({
  description: "A session's state right after an event changed it (opened, claimed, closed, paid out, disputed, resolved, rated).",
  fields: (t) => ({
    sessionPubkey: t.field({ type: 'Pubkey', resolve: (c) => c.session }),
    generation: t.int({ description: 'Which opening of the address (see Session.generation).', resolve: (c) => c.generation ?? 0 }),
    user: t.field({ type: 'Pubkey', resolve: (c) => c.user }),
    nodePubkey: t.field({ type: 'Pubkey', resolve: (c) => c.node }),
    providerPubkey: t.field({ type: 'Pubkey', resolve: (c) => c.provider }),
    mode: t.field({ type: SessionMode, resolve: (c) => c.mode }),
    state: t.field({ type: SessionState, resolve: (c) => c.state }),
    previousState: t.field({ type: SessionState, nullable: true, resolve: (c) => c.previousState }),
    paymentMint: t.field({ type: 'Pubkey', resolve: (c) => c.paymentMint }),
    currency: t.field({ type: Currency, resolve: (c) => currencyOf(c.paymentMint) }),
    escrowAmount: t.field({ type: 'BigInt', resolve: (c) => c.escrowAmount }),
    remainingBalance: t.field({ type: 'BigInt', resolve: (c) => c.remainingBalance }),
    claimedAmount: t.field({ type: 'BigInt', resolve: (c) => c.claimedAmount }),
    feeAmount: t.field({ type: 'BigInt', resolve: (c) => c.feeAmount }),
    refundedAmount: t.field({ type: 'BigInt', resolve: (c) => c.refundedAmount }),
    bytesUsed: t.field({ type: 'BigInt', resolve: (c) => c.bytesUsed }),
    lastTick: t.field({ type: 'BigInt', resolve: (c) => c.lastTick }),
    rated: t.exposeBoolean('rated'),
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
    session: t.prismaField({
      type: 'Session',
      nullable: true,
      description: 'The session row as indexed now (a database read).',
      resolve: (query, c, _args, ctx) =>
        c.generation == null
          ? ctx.prisma.session.findFirst({ ...query, where: { pubkey: c.session }, orderBy: { generation: 'desc' } })
          : ctx.prisma.session.findUnique({ ...query, where: { pubkey_generation: { pubkey: c.session, generation: c.generation } } }),
    }),
  }),
});

builder.subscriptionField('sessionChanged', (t) =>
  t.field({
    type: SessionChange,
    description: 'Session state changes, by session, user, node or provider (all given filters must match).',
    args: {
      session: t.arg({ type: 'Pubkey' }),
      user: t.arg({ type: 'Pubkey' }),
      node: t.arg({ type: 'Pubkey' }),
      provider: t.arg({ type: 'Pubkey' }),
      after: t.arg({ type: 'BigInt', description: AFTER_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) =>
      changeStream(ctx, 'session', {
        ...(args.session ? { session: args.session } : {}),
        ...(args.user ? { user: args.user } : {}),
        ...(args.node ? { node: args.node } : {}),
        ...(args.provider ? { provider: args.provider } : {}),
      }, args.after),
    resolve: (item) => unlessGap(item, (change) => change),
  }),
);
