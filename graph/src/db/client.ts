// The Prisma client (generated from prisma/schema.prisma into
// graph/src/generated/prisma, engineType "client": no native query engine)
// over the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from '../generated/prisma/index.js';

export { Prisma, PrismaClient };

export interface PrismaClientOptions {
  /** Pool size (default 10). */
  max?: number;
  /**
   * Postgres cancels any statement of this client running longer than this
   * (the `statement_timeout` of every pooled connection; default: none). The
   * API sets it so no request holds a connection for long; the indexer does not.
   */
  statementTimeoutMs?: number;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

export function createPrismaClient(databaseUrl: string, opts: PrismaClientOptions = {}): PrismaClient {
  // Our own pool, handed to the adapter: the API's hot reads (api/hot-reads.ts)
  // query it with plain `pg`, under the same size and statement timeout.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/** The pg pool under a client made by createPrismaClient (undefined for other clients). */
export function poolOf(prisma: PrismaClient): pg.Pool | undefined {
  return pools.get(prisma);
}
