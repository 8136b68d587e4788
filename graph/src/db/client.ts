// The Prisma client (generated from prisma/schema.prisma into
// graph/src/generated/prisma, engineType "client": no native query engine)
// over the pg driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/index.js';

export { Prisma, PrismaClient };

export function createPrismaClient(databaseUrl: string, opts: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.max ?? 10 });
  return new PrismaClient({ adapter });
}
