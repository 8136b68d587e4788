// The Prisma client (generated from prisma/schema.prisma into
// graph/src/generated/prisma, engineType "client": no native query engine)
// over the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
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

export function createPrismaClient(databaseUrl: string, opts: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  return new PrismaClient({ adapter });
}
