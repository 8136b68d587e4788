// The cost model of the API (@pothos/plugin-complexity): what one field of a
// query costs. use-complexity-limit.ts refuses an operation whose total cost
// is above the limit, before any resolver runs.
//
// Every selected field counts, so aliases and repeated fragments count once
// per occurrence:
//   - a field costs 1 (a leaf too), unless it names its own cost below;
//   - a connection (a field taking first/last) multiplies its whole selection
//     by the page asked for (first ?? last ?? DEFAULT_PAGE_SIZE, at least 1):
//     its `edges` / `nodes` lists do not multiply again, and its totalCount and
//     pageInfo are multiplied too (an overestimate, on purpose: simple and safe);
//   - another list multiplies its selection by its `limit` argument, else 10;
//   - `totalCount` costs TOTAL_COUNT_COST (a count(*) per connection);
//   - the aggregate fields (stats, byRegion, earnings, dailyVolume,
//     providerEarnings, nodeUtilisation) cost AGGREGATE_COST each: each scans
//     whole tables (about 8 ms each on a small database, measured).
// So nodes(first: 100) { nodes { pubkey region } } costs 1 + 100 * 3 = 301,
// `{ a: stats { nodes } b: stats { nodes } }` costs 2 * (AGGREGATE_COST + 1),
// and at most DEFAULT_MAX_COST / AGGREGATE_COST = 20 aggregates fit in one request.
import { getNamedType, getNullableType, isLeafType, isListType, type GraphQLField } from 'graphql';
import { DEFAULT_PAGE_SIZE } from './builder.js';

export const DEFAULT_MAX_COST = 10_000;
export const AGGREGATE_COST = 500;
export const TOTAL_COUNT_COST = 10;
const LIST_SIZE = 10;

type Cost = number | { field: number; multiplier: number };

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Default cost of a field (fields with their own `complexity` option skip this). */
export function fieldComplexity(args: Record<string, unknown>, _ctx: unknown, field: GraphQLField<unknown, any>): Cost {
  if (field.name === 'totalCount') return TOTAL_COUNT_COST;
  const takesPage = field.args.some((a) => a.name === 'first' || a.name === 'last');
  if (takesPage) return { field: 1, multiplier: Math.max(1, count(args.first) ?? count(args.last) ?? DEFAULT_PAGE_SIZE) };
  if (isListType(getNullableType(field.type)) && !isLeafType(getNamedType(field.type))) {
    // The edges / nodes of a connection: the connection field multiplied already.
    if ((field.name === 'edges' || field.name === 'nodes') && field.args.length === 0) return { field: 1, multiplier: 1 };
    return { field: 1, multiplier: count(args.limit) ?? LIST_SIZE };
  }
  return 1;
}

/** The `complexity` option of an aggregate field: a fixed cost, its selection counted once. */
export const aggregateCost = { field: AGGREGATE_COST, multiplier: 1 } as const;
