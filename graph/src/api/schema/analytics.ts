// The analyst views (prisma/migrations/*_analytics_views: daily_volume,
// provider_earnings, node_utilisation) in GraphQL, for analysts who never touch
// SQL. Each field reads its view with plain SQL (exact numeric sums, no
// floats); each costs as much as an aggregate (complexity.ts).
import { Prisma, type PrismaClient } from '../../generated/prisma/index.js';
import { builder, type IntegerLike } from '../builder.js';
import { aggregateCost } from '../complexity.js';
import { badInput, Currency, currencyOf, SOL_MINT } from './scalars.js';

type Int = IntegerLike;
const MAX_ROWS = 1000;

function rowLimit(limit: number | null | undefined, fallback: number): number {
  const n = limit ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ROWS) throw badInput(`limit must be within 1..${MAX_ROWS}`);
  return n;
}

function mintFilter(column: Prisma.Sql, currency: 'SOL' | 'TOKEN' | null | undefined): Prisma.Sql {
  if (!currency) return Prisma.empty;
  return currency === 'SOL' ? Prisma.sql`AND ${column} = ${SOL_MINT}` : Prisma.sql`AND ${column} <> ${SOL_MINT}`;
}

function regionFilter(column: Prisma.Sql, regions: readonly string[] | null | undefined): Prisma.Sql {
  if (!regions || regions.length === 0) return Prisma.empty;
  if (regions.length > 100) throw badInput('regions takes at most 100 values');
  return Prisma.sql`AND ${column} IN (${Prisma.join([...regions])})`;
}

// ---------------------------------------------------------------------------
// daily_volume

interface DailyVolumeRow {
  day: Date;
  region: string;
  payment_mint: string;
  sessions_opened: Int;
  escrow_volume: Int;
  payments: Int;
  paid_volume: Int;
  provider_volume: Int;
  fee_volume: Int;
  refund_volume: Int;
}

export async function loadDailyVolume(
  prisma: PrismaClient,
  o: { from?: Date | null; to?: Date | null; regions?: readonly string[] | null; currency?: 'SOL' | 'TOKEN' | null; limit?: number | null },
): Promise<DailyVolumeRow[]> {
  const limit = rowLimit(o.limit, 366);
  if (o.from && o.to && o.from > o.to) throw badInput('from must not be after to');
  const from = o.from ? Prisma.sql`AND "day" >= (${o.from}::timestamptz AT TIME ZONE 'UTC')::date` : Prisma.empty;
  const to = o.to ? Prisma.sql`AND "day" < (${o.to}::timestamptz AT TIME ZONE 'UTC')::date` : Prisma.empty;
  return prisma.$queryRaw<DailyVolumeRow[]>`
    SELECT * FROM "daily_volume"
    WHERE true ${from} ${to} ${regionFilter(Prisma.sql`"region"`, o.regions)} ${mintFilter(Prisma.sql`"payment_mint"`, o.currency)}
    ORDER BY "day" DESC, "region", "payment_mint"
    LIMIT ${limit}`;
}

const DailyVolume = builder.objectRef<DailyVolumeRow>('DailyVolume').implement({
  description:
    'One UTC day, node region and payment mint: sessions opened and the escrow they locked, and payments out of escrow ' +
    '(gross = provider + fee). Amounts in the mint\'s base units. The view `daily_volume`.',
  fields: (t) => ({
    day: t.string({ description: 'UTC day, YYYY-MM-DD.', resolve: (r) => r.day.toISOString().slice(0, 10) }),
    region: t.exposeString('region'),
    paymentMint: t.field({ type: 'Pubkey', resolve: (r) => r.payment_mint }),
    currency: t.field({ type: Currency, resolve: (r) => currencyOf(r.payment_mint) }),
    sessionsOpened: t.field({ type: 'BigInt', resolve: (r) => r.sessions_opened }),
    escrowVolume: t.field({ type: 'BigInt', resolve: (r) => r.escrow_volume }),
    payments: t.field({ type: 'BigInt', description: 'Payments with a non-zero amount.', resolve: (r) => r.payments }),
    paidVolume: t.field({ type: 'BigInt', resolve: (r) => r.paid_volume }),
    providerVolume: t.field({ type: 'BigInt', resolve: (r) => r.provider_volume }),
    feeVolume: t.field({ type: 'BigInt', resolve: (r) => r.fee_volume }),
    refundVolume: t.field({ type: 'BigInt', resolve: (r) => r.refund_volume }),
  }),
});

builder.queryField('dailyVolume', (t) =>
  t.field({
    type: [DailyVolume],
    complexity: aggregateCost,
    description: 'Volume per UTC day, region and mint, newest day first (the analyst view `daily_volume`).',
    args: {
      from: t.arg({ type: 'DateTime', description: 'Days from this one (UTC).' }),
      to: t.arg({ type: 'DateTime', description: 'Days before this one (UTC).' }),
      regions: t.arg.stringList({ description: 'Only these regions.' }),
      currency: t.arg({ type: Currency }),
      limit: t.arg.int({ defaultValue: 366, description: `Rows kept (1..${MAX_ROWS}).` }),
    },
    resolve: (_root, a, ctx) => loadDailyVolume(ctx.prisma, a),
  }),
);

// ---------------------------------------------------------------------------
// provider_earnings

interface ProviderEarningsRow {
  provider: string;
  authority: string;
  payment_mint: string;
  payments: Int;
  sessions: Int;
  gross_amount: Int;
  earned_amount: Int;
  fee_amount: Int;
  first_payment_at: Date;
  last_payment_at: Date;
}

const ProviderEarnings = builder.objectRef<ProviderEarningsRow>('ProviderEarnings').implement({
  description: "A provider's lifetime earnings in one mint, net of the protocol fee. The view `provider_earnings`.",
  fields: (t) => ({
    provider: t.field({ type: 'Pubkey', resolve: (r) => r.provider }),
    authority: t.field({ type: 'Pubkey', resolve: (r) => r.authority }),
    paymentMint: t.field({ type: 'Pubkey', resolve: (r) => r.payment_mint }),
    currency: t.field({ type: Currency, resolve: (r) => currencyOf(r.payment_mint) }),
    payments: t.field({ type: 'BigInt', resolve: (r) => r.payments }),
    sessions: t.field({ type: 'BigInt', description: 'Distinct sessions that paid.', resolve: (r) => r.sessions }),
    grossAmount: t.field({ type: 'BigInt', resolve: (r) => r.gross_amount }),
    earnedAmount: t.field({ type: 'BigInt', resolve: (r) => r.earned_amount }),
    feeAmount: t.field({ type: 'BigInt', resolve: (r) => r.fee_amount }),
    firstPaymentAt: t.field({ type: 'DateTime', resolve: (r) => r.first_payment_at }),
    lastPaymentAt: t.field({ type: 'DateTime', resolve: (r) => r.last_payment_at }),
  }),
});

builder.queryField('providerEarnings', (t) =>
  t.field({
    type: [ProviderEarnings],
    complexity: aggregateCost,
    description: 'Lifetime earnings per provider and mint, largest earners first (the analyst view `provider_earnings`).',
    args: {
      provider: t.arg({ type: 'Pubkey', description: 'Only this provider (account address).' }),
      currency: t.arg({ type: Currency }),
      limit: t.arg.int({ defaultValue: 100, description: `Rows kept (1..${MAX_ROWS}).` }),
    },
    resolve: (_root, a, ctx) => {
      const limit = rowLimit(a.limit, 100);
      const provider = a.provider ? Prisma.sql`AND "provider" = ${a.provider}` : Prisma.empty;
      return ctx.prisma.$queryRaw<ProviderEarningsRow[]>`
        SELECT * FROM "provider_earnings"
        WHERE true ${provider} ${mintFilter(Prisma.sql`"payment_mint"`, a.currency)}
        ORDER BY "earned_amount" DESC, "provider", "payment_mint"
        LIMIT ${limit}`;
    },
  }),
);

// ---------------------------------------------------------------------------
// node_utilisation

interface NodeUtilisationRow {
  node: string;
  provider: string;
  region: string;
  is_active: boolean;
  max_capacity: Int;
  active_sessions: Int;
  free_capacity: Int;
  utilisation: { toFixed(dp: number): string } | null;
  open_sessions: Int;
  total_sessions: Int;
  total_uptime_seconds: Int;
  earned_lamports: Int;
  earned_token: Int;
}

const NodeUtilisation = builder.objectRef<NodeUtilisationRow>('NodeUtilisation').implement({
  description: 'Capacity in use now and lifetime counters of one node. The view `node_utilisation`.',
  fields: (t) => ({
    node: t.field({ type: 'Pubkey', resolve: (r) => r.node }),
    provider: t.field({ type: 'Pubkey', resolve: (r) => r.provider }),
    region: t.exposeString('region'),
    isActive: t.boolean({ resolve: (r) => r.is_active }),
    maxCapacity: t.field({ type: 'BigInt', resolve: (r) => r.max_capacity }),
    activeSessions: t.field({ type: 'BigInt', resolve: (r) => r.active_sessions }),
    freeCapacity: t.field({ type: 'BigInt', resolve: (r) => r.free_capacity }),
    utilisation: t.string({
      nullable: true,
      description: 'activeSessions / maxCapacity as an exact decimal string with 4 places ("0.5000"); null when maxCapacity is 0.',
      resolve: (r) => (r.utilisation === null ? null : r.utilisation.toFixed(4)),
    }),
    openSessions: t.field({ type: 'BigInt', description: 'Sessions ACTIVE, CLOSING or DISPUTED in the index.', resolve: (r) => r.open_sessions }),
    totalSessions: t.field({ type: 'BigInt', resolve: (r) => r.total_sessions }),
    totalUptimeSeconds: t.field({ type: 'BigInt', resolve: (r) => r.total_uptime_seconds }),
    earnedLamports: t.field({ type: 'BigInt', resolve: (r) => r.earned_lamports }),
    earnedToken: t.field({ type: 'BigInt', resolve: (r) => r.earned_token }),
  }),
});

builder.queryField('nodeUtilisation', (t) =>
  t.field({
    type: [NodeUtilisation],
    complexity: aggregateCost,
    description: 'Capacity in use per node, busiest first (the analyst view `node_utilisation`).',
    args: {
      regions: t.arg.stringList({ description: 'Only these regions.' }),
      provider: t.arg({ type: 'Pubkey', description: 'Only this provider (account address).' }),
      active: t.arg.boolean({ description: 'Only active (true) or inactive (false) nodes.' }),
      limit: t.arg.int({ defaultValue: 100, description: `Rows kept (1..${MAX_ROWS}).` }),
    },
    resolve: (_root, a, ctx) => {
      const limit = rowLimit(a.limit, 100);
      const provider = a.provider ? Prisma.sql`AND "provider" = ${a.provider}` : Prisma.empty;
      const active = typeof a.active === 'boolean' ? Prisma.sql`AND "is_active" = ${a.active}` : Prisma.empty;
      return ctx.prisma.$queryRaw<NodeUtilisationRow[]>`
        SELECT * FROM "node_utilisation"
        WHERE true ${regionFilter(Prisma.sql`"region"`, a.regions)} ${provider} ${active}
        ORDER BY "utilisation" DESC NULLS LAST, "node"
        LIMIT ${limit}`;
    },
  }),
);
