// The one Pothos SchemaBuilder of the API, with the Prisma and Relay plugins.
//
// Every file under schema/ registers its types and fields on this builder;
// schema/index.ts imports them all and builds the GraphQLSchema once. The
// builder knows no PrismaClient: resolvers get it from the request context
// (createApi({ prisma }) puts it there), so one schema serves any database.
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { ApiContext } from './context.js';
import { fieldComplexity } from './complexity.js';

/** Largest page a connection serves (first/last above it are refused by use-page-size-limit). */
export const MAX_PAGE_SIZE = 100;
/** Page size when neither first nor last is given. */
export const DEFAULT_PAGE_SIZE = 20;

/** A u64/i64 value as Prisma, the bus or the SDK hand it over. */
export type IntegerLike = bigint | number | string | { toFixed(): string };

export type Scalars = {
  BigInt: { Input: bigint; Output: IntegerLike };
  DateTime: { Input: Date; Output: Date | string | number };
  Pubkey: { Input: string; Output: string };
  JSON: { Input: unknown; Output: unknown };
};

export const builder = new SchemaBuilder<{
  Context: ApiContext;
  PrismaTypes: PrismaTypes;
  Scalars: Scalars;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin, PrismaPlugin, ComplexityPlugin],
  // Costs only: the limit is checked once per request, before any resolver
  // runs and with the variables known, by use-complexity-limit.ts.
  complexity: { fieldComplexity },
  defaultFieldNullability: false,
  relay: {
    // `node(pubkey:)` is the VPN node query; Relay's global `node(id:)` /
    // `nodes(ids:)` would take those names, so object identification is off
    // (every entity is addressed by its on-chain pubkey instead).
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    cursorType: 'String',
    nodesOnConnection: true,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    // Descriptions are written here, not copied from prisma/schema.prisma comments,
    // so the committed SDL only changes when the API does.
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
});

builder.queryType({ description: 'Reads of the indexed dvpn program state.' });
builder.subscriptionType({ description: 'Live changes, published by the indexer after each commit.' });
