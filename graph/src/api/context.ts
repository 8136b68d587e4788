// What every resolver receives: the Prisma client and the change bus (plus
// what yoga adds per request). createApi() builds it; nothing here is global.
import type { YogaInitialContext } from 'graphql-yoga';
import type { Bus } from '../bus.js';
import type { ChangeFeed } from '../feed.js';
import type { PrismaClient } from '../generated/prisma/index.js';
import type { HotReads } from './hot-reads.js';
import type { IngestionStatus } from './ingestion.js';

export interface ApiServices {
  prisma: PrismaClient;
  bus: Bus;
  /** The change feed (seq order, exactly once, resumable): what subscriptions read. */
  feed: ChangeFeed;
  /** How fresh the indexed data is (for `_meta`); cached for about a second. */
  freshness?: () => Promise<IngestionStatus>;
  /** Hot reads in one SQL statement through pg (hot-reads.ts); null: everything through Prisma. */
  hot?: HotReads | null;
}

export type ApiContext = ApiServices & Partial<YogaInitialContext>;
