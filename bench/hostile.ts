// Hostile-query benchmark (not part of the tests): prints figures, stops by itself.
//
//   npx tsx bench/hostile.ts [--rounds 20]
//
// The attack of issue 11 (finding 4): 1,000 aliased `stats` fields in one
// ~60 KB request, four at once, while an ordinary `node(pubkey)` query is
// issued; and the same within the token limit (100 aliases), and 15 aliased
// stats (within the alias limit, refused by cost). Embedded Postgres, the API
// on loopback, fetch as the client. Prints the time to the refusal and the
// ordinary query's latency alone and under attack (median and worst).
import { performance } from 'node:perf_hooks';
import { createBus } from '../graph/src/bus.js';
import { createPrismaClient } from '../graph/src/db/client.js';
import { startEmbeddedPostgres } from '../graph/src/db/embedded.js';
import { migrate } from '../graph/src/db/migrate.js';
import { silentLogger } from '../graph/src/log.js';
import { createApiServer } from '../graph/src/api/server.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--rounds');
const rounds = i >= 0 ? Number(argv[i + 1]) : 20;

async function post(base: string, query: string, variables?: Record<string, unknown>) {
  const t = performance.now();
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { ms: performance.now() - t, code: body.errors?.[0]?.extensions?.code ?? 'ok' };
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, worst ${s[s.length - 1].toFixed(1)} ms`;
};

async function main() {
  const db = await startEmbeddedPostgres({ durable: false });
  await migrate(db.url);
  const prisma = createPrismaClient(db.url, { max: 10, statementTimeoutMs: 5000 });
  const bus = createBus();
  const api = createApiServer({ prisma, bus, port: 0, logger: silentLogger, rateLimit: false });
  const { url } = await api.start();
  try {
    const attack = `{ ${Array.from({ length: 1000 }, (_, n) => `s${n}: stats { providers nodes sessions volumeLamports }`).join(' ')} }`;
    const aliases = `{ ${Array.from({ length: 100 }, (_, n) => `s${n}: stats { nodes }`).join(' ')} }`;
    const costly = `{ ${Array.from({ length: 15 }, (_, n) => `s${n}: stats { nodes byRegion { region } }`).join(' ')} }`;
    const normal = 'query($k: Pubkey!) { node(pubkey: $k) { pubkey } }';
    const k = { k: '11111111111111111111111111111112' };
    console.log(`attack document: ${attack.length} bytes`);
    for (let n = 0; n < 5; n++) await post(url, normal, k); // warm-up

    const alone: number[] = [];
    for (let n = 0; n < rounds; n++) alone.push((await post(url, normal, k)).ms);
    console.log(`node(pubkey) alone: ${stat(alone)}`);

    for (const [name, doc] of [['1,000 aliases (60 KB)', attack], ['100 aliases', aliases], ['15 aliased stats', costly]] as const) {
      const refused: number[] = [];
      const underAttack: number[] = [];
      const codes = new Set<string>();
      for (let n = 0; n < rounds; n++) {
        const [a, b, c, d, ok] = await Promise.all([post(url, doc), post(url, doc), post(url, doc), post(url, doc), post(url, normal, k)]);
        for (const r of [a, b, c, d]) {
          refused.push(r.ms);
          codes.add(r.code);
        }
        if (ok.code !== 'ok') throw new Error(`the ordinary query failed: ${ok.code}`);
        underAttack.push(ok.ms);
      }
      console.log(`${name}, 4 at once: refused with ${[...codes].join(', ')} in ${stat(refused)}; node(pubkey) meanwhile: ${stat(underAttack)}`);
    }
  } finally {
    await api.stop();
    await bus.close();
    await prisma.$disconnect();
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
