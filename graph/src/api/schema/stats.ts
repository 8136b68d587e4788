// Aggregates: platform totals, totals by region, and provider earnings in time
// buckets. Plain SQL over the indexed tables (exact numeric sums, no floats).
import { Prisma } from '../../generated/prisma/index.js';
import type { PrismaClient } from '../../generated/prisma/index.js';
import { builder, type IntegerLike } from '../builder.js';
import { aggregateCost } from '../complexity.js';
import { badInput, SOL_MINT } from './scalars.js';

type Int = IntegerLike;

interface TotalsRow {
  providers: Int;
  nodes: Int;
  active_nodes: Int;
  total_capacity: Int;
  active_sessions: Int;
  free_capacity: Int;
  sessions: Int;
  open_sessions: Int;
  escrow_locked_lamports: Int;
  escrow_locked_token: Int;
  volume_lamports: Int;
  volume_token: Int;
  fees_lamports: Int;
  fees_token: Int;
  indexed_slot: Int | null;
  events_applied: Int | null;
}

interface RegionRow {
  region: string;
  nodes: Int;
  active_nodes: Int;
  total_capacity: Int;
  active_sessions: Int;
  free_capacity: Int;
  min_price_per_minute: Int | null;
  min_price_per_minute_token: Int | null;
  sessions: Int;
  open_sessions: Int;
  volume_lamports: Int;
  volume_token: Int;
}

const OPEN_STATES = Prisma.sql`('ACTIVE', 'CLOSING', 'DISPUTED')`;

export async function loadTotals(prisma: PrismaClient): Promise<TotalsRow> {
  const rows = await prisma.$queryRaw<TotalsRow[]>`
    WITH n AS (
      SELECT count(*)::bigint AS nodes,
             (count(*) FILTER (WHERE "is_active"))::bigint AS active_nodes,
             COALESCE(sum("max_capacity") FILTER (WHERE "is_active"), 0)::bigint AS total_capacity,
             COALESCE(sum("active_sessions"), 0)::bigint AS active_sessions,
             COALESCE(sum(GREATEST("free_capacity", 0)) FILTER (WHERE "is_active"), 0)::bigint AS free_capacity
      FROM "nodes"
    ), s AS (
      SELECT count(*)::bigint AS sessions,
             (count(*) FILTER (WHERE "state"::text IN ${OPEN_STATES}))::bigint AS open_sessions,
             COALESCE(sum("remaining_balance") FILTER (WHERE "state"::text IN ${OPEN_STATES} AND "payment_mint" = ${SOL_MINT}), 0)::numeric AS escrow_locked_lamports,
             COALESCE(sum("remaining_balance") FILTER (WHERE "state"::text IN ${OPEN_STATES} AND "payment_mint" <> ${SOL_MINT}), 0)::numeric AS escrow_locked_token
      FROM "sessions"
    ), c AS (
      SELECT COALESCE(sum("amount") FILTER (WHERE "payment_mint" = ${SOL_MINT}), 0)::numeric AS volume_lamports,
             COALESCE(sum("amount") FILTER (WHERE "payment_mint" <> ${SOL_MINT}), 0)::numeric AS volume_token,
             COALESCE(sum("fee") FILTER (WHERE "payment_mint" = ${SOL_MINT}), 0)::numeric AS fees_lamports,
             COALESCE(sum("fee") FILTER (WHERE "payment_mint" <> ${SOL_MINT}), 0)::numeric AS fees_token
      FROM "claims"
    ), p AS (
      SELECT count(*)::bigint AS providers FROM "providers"
    ), k AS (
      SELECT max("head_slot") AS indexed_slot, sum("events_applied")::bigint AS events_applied FROM "checkpoints"
    )
    SELECT * FROM n, s, c, p, k`;
  return rows[0];
}

export async function loadRegions(prisma: PrismaClient, regions?: readonly string[] | null): Promise<RegionRow[]> {
  const only = regions && regions.length > 0 ? Prisma.sql`WHERE "region" IN (${Prisma.join([...regions])})` : Prisma.empty;
  return prisma.$queryRaw<RegionRow[]>`
    WITH n AS (
      SELECT "region",
             count(*)::bigint AS nodes,
             (count(*) FILTER (WHERE "is_active"))::bigint AS active_nodes,
             COALESCE(sum("max_capacity") FILTER (WHERE "is_active"), 0)::bigint AS total_capacity,
             COALESCE(sum("active_sessions"), 0)::bigint AS active_sessions,
             COALESCE(sum(GREATEST("free_capacity", 0)) FILTER (WHERE "is_active"), 0)::bigint AS free_capacity,
             min("price_per_minute") FILTER (WHERE "is_active" AND "price_per_minute" > 0) AS min_price_per_minute,
             min("price_per_minute_token") FILTER (WHERE "is_active" AND "price_per_minute_token" > 0) AS min_price_per_minute_token
      FROM "nodes" ${only}
      GROUP BY "region"
    ), s AS (
      SELECT nd."region",
             count(*)::bigint AS sessions,
             (count(*) FILTER (WHERE se."state"::text IN ${OPEN_STATES}))::bigint AS open_sessions
      FROM "sessions" se JOIN "nodes" nd ON nd."pubkey" = se."node"
      GROUP BY nd."region"
    ), c AS (
      SELECT nd."region",
             COALESCE(sum(cl."amount") FILTER (WHERE cl."payment_mint" = ${SOL_MINT}), 0)::numeric AS volume_lamports,
             COALESCE(sum(cl."amount") FILTER (WHERE cl."payment_mint" <> ${SOL_MINT}), 0)::numeric AS volume_token
      FROM "claims" cl JOIN "nodes" nd ON nd."pubkey" = cl."node"
      GROUP BY nd."region"
    )
    SELECT n.*,
           COALESCE(s.sessions, 0)::bigint AS sessions,
           COALESCE(s.open_sessions, 0)::bigint AS open_sessions,
           COALESCE(c.volume_lamports, 0)::numeric AS volume_lamports,
           COALESCE(c.volume_token, 0)::numeric AS volume_token
    FROM n LEFT JOIN s ON s."region" = n."region" LEFT JOIN c ON c."region" = n."region"
    ORDER BY n."region"`;
}

const RegionStats = builder.objectRef<RegionRow>('RegionStats').implement({
  description: 'Totals of the nodes of one region (volume: gross payments out of escrow).',
  fields: (t) => ({
    region: t.exposeString('region'),
    nodes: t.field({ type: 'BigInt', resolve: (r) => r.nodes }),
    activeNodes: t.field({ type: 'BigInt', resolve: (r) => r.active_nodes }),
    totalCapacity: t.field({ type: 'BigInt', description: 'Sum of max capacity of active nodes.', resolve: (r) => r.total_capacity }),
    activeSessions: t.field({ type: 'BigInt', resolve: (r) => r.active_sessions }),
    freeCapacity: t.field({ type: 'BigInt', description: 'Free slots on active nodes.', resolve: (r) => r.free_capacity }),
    minPricePerMinute: t.field({ type: 'BigInt', nullable: true, resolve: (r) => r.min_price_per_minute }),
    minPricePerMinuteToken: t.field({ type: 'BigInt', nullable: true, resolve: (r) => r.min_price_per_minute_token }),
    sessions: t.field({ type: 'BigInt', resolve: (r) => r.sessions }),
    openSessions: t.field({ type: 'BigInt', resolve: (r) => r.open_sessions }),
    volumeLamports: t.field({ type: 'BigInt', resolve: (r) => r.volume_lamports }),
    volumeToken: t.field({ type: 'BigInt', resolve: (r) => r.volume_token }),
  }),
});

interface StatsShape {
  totals: () => Promise<TotalsRow>;
}

function totalsField<K extends keyof TotalsRow>(key: K) {
  return async (s: StatsShape) => (await s.totals())[key];
}

const Stats = builder.objectRef<StatsShape>('Stats').implement({
  description: 'Platform totals. Amounts in base units: lamports (SOL sessions) or token base units.',
  fields: (t) => ({
    providers: t.field({ type: 'BigInt', resolve: totalsField('providers') }),
    nodes: t.field({ type: 'BigInt', resolve: totalsField('nodes') }),
    activeNodes: t.field({ type: 'BigInt', resolve: totalsField('active_nodes') }),
    totalCapacity: t.field({ type: 'BigInt', description: 'Sum of max capacity of active nodes.', resolve: totalsField('total_capacity') }),
    activeSessions: t.field({ type: 'BigInt', description: "Sum of nodes' active sessions.", resolve: totalsField('active_sessions') }),
    freeCapacity: t.field({ type: 'BigInt', resolve: totalsField('free_capacity') }),
    sessions: t.field({ type: 'BigInt', resolve: totalsField('sessions') }),
    openSessions: t.field({ type: 'BigInt', description: 'ACTIVE, CLOSING or DISPUTED.', resolve: totalsField('open_sessions') }),
    escrowLockedLamports: t.field({ type: 'BigInt', resolve: totalsField('escrow_locked_lamports') }),
    escrowLockedToken: t.field({ type: 'BigInt', resolve: totalsField('escrow_locked_token') }),
    volumeLamports: t.field({ type: 'BigInt', description: 'Gross payments out of SOL escrow.', resolve: totalsField('volume_lamports') }),
    volumeToken: t.field({ type: 'BigInt', resolve: totalsField('volume_token') }),
    feesLamports: t.field({ type: 'BigInt', resolve: totalsField('fees_lamports') }),
    feesToken: t.field({ type: 'BigInt', resolve: totalsField('fees_token') }),
    indexedSlot: t.field({ type: 'BigInt', nullable: true, description: 'Newest slot the indexer applied.', resolve: totalsField('indexed_slot') }),
    eventsApplied: t.field({ type: 'BigInt', nullable: true, resolve: totalsField('events_applied') }),
    byRegion: t.field({
      type: [RegionStats],
      complexity: aggregateCost,
      args: { regions: t.arg.stringList({ description: 'Only these regions.' }) },
      resolve: (_s, args, ctx) => {
        if (args.regions && args.regions.length > 100) throw badInput('regions takes at most 100 values');
        return loadRegions(ctx.prisma, args.regions);
      },
    }),
  }),
});

builder.queryField('stats', (t) =>
  t.field({
    type: Stats,
    description: 'Platform totals (each `stats` selection is one scan of the tables: it costs as much as 500 plain fields).',
    complexity: aggregateCost,
    resolve: (_root, _args, ctx) => {
      let pending: Promise<TotalsRow> | null = null;
      return { totals: () => (pending ??= loadTotals(ctx.prisma)) };
    },
  }),
);

// ---------------------------------------------------------------------------
// Earnings

export const EarningsBucketSize = builder.enumType('EarningsBucketSize', {
  values: { HOUR: { value: 'hour' }, DAY: { value: 'day' }, WEEK: { value: 'week' }, MONTH: { value: 'month' } } as const,
});

interface EarningsRow {
  bucket: Date;
  earned_lamports: Int;
  earned_token: Int;
  fees_lamports: Int;
  fees_token: Int;
  payments: Int;
  sessions: Int;
}

const MAX_BUCKETS = 1000;

export async function loadEarnings(
  prisma: PrismaClient,
  provider: string,
  opts: { bucket: 'hour' | 'day' | 'week' | 'month'; from?: Date | null; to?: Date | null; limit?: number | null },
): Promise<EarningsRow[]> {
  const limit = opts.limit ?? 366;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BUCKETS) throw badInput(`limit must be within 1..${MAX_BUCKETS}`);
  if (opts.from && opts.to && opts.from > opts.to) throw badInput('from must not be after to');
  const from = opts.from ? Prisma.sql`AND c."timestamp" >= ${opts.from}` : Prisma.empty;
  const to = opts.to ? Prisma.sql`AND c."timestamp" < ${opts.to}` : Prisma.empty;
  const rows = await prisma.$queryRaw<EarningsRow[]>`
    SELECT (date_trunc(${opts.bucket}, c."timestamp" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS bucket,
           COALESCE(sum(c."provider_amount") FILTER (WHERE c."payment_mint" = ${SOL_MINT}), 0)::numeric AS earned_lamports,
           COALESCE(sum(c."provider_amount") FILTER (WHERE c."payment_mint" <> ${SOL_MINT}), 0)::numeric AS earned_token,
           COALESCE(sum(c."fee") FILTER (WHERE c."payment_mint" = ${SOL_MINT}), 0)::numeric AS fees_lamports,
           COALESCE(sum(c."fee") FILTER (WHERE c."payment_mint" <> ${SOL_MINT}), 0)::numeric AS fees_token,
           (count(*) FILTER (WHERE c."amount" > 0))::bigint AS payments,
           count(DISTINCT c."session")::bigint AS sessions
    FROM "claims" c
    WHERE c."provider" = ${provider} ${from} ${to}
    GROUP BY 1
    ORDER BY 1 DESC
    LIMIT ${limit}`;
  return rows.reverse();
}

const EarningsBucket = builder.objectRef<EarningsRow>('EarningsBucket').implement({
  description: "A provider's earnings in one time bucket (UTC), net of the protocol fee.",
  fields: (t) => ({
    start: t.field({ type: 'DateTime', resolve: (r) => r.bucket }),
    earnedLamports: t.field({ type: 'BigInt', resolve: (r) => r.earned_lamports }),
    earnedToken: t.field({ type: 'BigInt', resolve: (r) => r.earned_token }),
    feesLamports: t.field({ type: 'BigInt', resolve: (r) => r.fees_lamports }),
    feesToken: t.field({ type: 'BigInt', resolve: (r) => r.fees_token }),
    payments: t.field({ type: 'BigInt', description: 'Payments with a non-zero amount.', resolve: (r) => r.payments }),
    sessions: t.field({ type: 'BigInt', description: 'Distinct sessions that paid.', resolve: (r) => r.sessions }),
  }),
});

const earningsArgs = {
  bucket: { type: EarningsBucketSize, defaultValue: 'day' as const },
  from: { type: 'DateTime' as const },
  to: { type: 'DateTime' as const },
  limit: { type: 'Int' as const, defaultValue: 366, description: `Latest buckets kept (1..${MAX_BUCKETS}).` },
};

builder.queryField('earnings', (t) =>
  t.field({
    type: [EarningsBucket],
    complexity: aggregateCost,
    description: "A provider's earnings per hour/day/week/month (buckets with payments only, oldest first).",
    args: {
      provider: t.arg({ type: 'Pubkey', required: true }),
      bucket: t.arg(earningsArgs.bucket),
      from: t.arg(earningsArgs.from),
      to: t.arg(earningsArgs.to),
      limit: t.arg(earningsArgs.limit),
    },
    resolve: (_root, args, ctx) =>
      loadEarnings(ctx.prisma, args.provider, { bucket: args.bucket ?? 'day', from: args.from, to: args.to, limit: args.limit }),
  }),
);

builder.prismaObjectField('Provider', 'earnings', (t) =>
  t.field({
    type: [EarningsBucket],
    complexity: aggregateCost,
    select: { pubkey: true },
    args: {
      bucket: t.arg(earningsArgs.bucket),
      from: t.arg(earningsArgs.from),
      to: t.arg(earningsArgs.to),
      limit: t.arg(earningsArgs.limit),
    },
    resolve: (p, args, ctx) =>
      loadEarnings(ctx.prisma, p.pubkey, { bucket: args.bucket ?? 'day', from: args.from, to: args.to, limit: args.limit }),
  }),
);
