// /readyz while Postgres is down: 503 with a short reason, never a driver's
// message (Prisma's embeds its minified runtime and file paths). Postgres is
// "down" for real: nothing listens on the port the client is given.
import { afterAll, describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { freePort } from '../../src/db/embedded.js';
import { silentLogger } from '../../src/log.js';
import { createApi } from '../../src/api/yoga.js';

const bus = createBus();
let prisma: ReturnType<typeof createPrismaClient> | null = null;

afterAll(async () => {
  await prisma?.$disconnect().catch(() => undefined);
  await bus.close();
});

describe('/readyz with the database down', () => {
  it('answers 503 with a short reason and no internals', async () => {
    const port = await freePort();
    prisma = createPrismaClient(`postgres://dvpn@127.0.0.1:${port}/dvpn`, { max: 1 });
    const yoga = createApi({ prisma, bus, logger: silentLogger, rpc: null });
    try {
      const res = await yoga.fetch('http://localhost/readyz');
      const text = await res.text();
      expect(res.status).toBe(503);
      const body = JSON.parse(text);
      expect(body.ready).toBe(false);
      expect(body.checks.database).toEqual({ ok: false, error: 'database unreachable' });
      expect(body.checks.ingestion.ok).toBe(false);
      expect(text.length).toBeLessThan(400);
      expect(text).not.toMatch(/prisma|node_modules|\/work\/|at \w+ \(/i);
    } finally {
      await yoga.api.feed.close();
    }
  });
});
