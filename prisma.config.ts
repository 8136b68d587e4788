// Prisma 6.19 CLI configuration: the WebAssembly schema engine through the pg
// driver adapter (no native engine download; see graph/README.md and
// ../shared/STACK-NOTES.md). DATABASE_URL must be set (graph/src/db/migrate.ts
// sets it, or export it yourself before `npx prisma migrate deploy`).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createMigrationAdapter } from './graph/src/db/adapter.js';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set (prisma.config.ts)');
    return createMigrationAdapter(url);
  },
});
