// Our API's CPU per GraphQL request, in process (not part of the tests): the
// five query shapes of bench/postgraphile.ts sent through `yoga.fetch` (no
// socket, no load generator sharing the cores), process CPU time (user +
// system) divided by requests. On a shared, loaded machine this is the
// steadier figure; req/s are not.
//
//   npx tsx bench/api-cpu.ts [--requests 2000] [--rounds 5]
//   BENCH_BASELINE=<another checkout> npx tsx bench/api-cpu.ts
//
// One embedded Postgres seeded with the data set of issue 12 times BENCH_SCALE
// (default 0.1), or BENCH_DATABASE_URL. Each build (this checkout, and
// BENCH_BASELINE's when given: a tree with graph/src and its generated Prisma
// client) runs in its own child process with NODE_ENV=production, every limit
// on, the response cache and per-client budgets off, a pool of 10. Per shape
// and round the builds alternate; each run sends --requests requests, 20 in
// flight, after a warm-up, and checks every answer is the first one. Prints
// the median CPU ms per request per shape and build.
//
// BENCH_CPU_PROF=<dir>: the children run with --cpu-prof into that directory.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { describeForPostGraphile, seed, shapes, sizes } from './dataset.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const IN_FLIGHT = 20;

interface Job {
  query: string;
  variables: Record<string, unknown>;
  requests: number;
}

// ---------------------------------------------------------------------------
// Child: one build's API in this process.

async function child(root: string, databaseUrl: string): Promise<void> {
  const src = (p: string) => import(pathToFileURL(join(root, 'graph/src', p)).href);
  const { createPrismaClient } = await src('db/client.ts');
  const { createBus } = await src('bus.ts');
  const { silentLogger } = await src('log.ts');
  const { createApi } = await src('api/yoga.ts');
  const prisma = createPrismaClient(databaseUrl, { max: 10 });
  const bus = createBus({ logger: silentLogger });
  const yoga = createApi({ prisma, bus, logger: silentLogger, rpc: null, graphiql: false, responseCache: false, costBudget: false,
    // As server.ts runs it: bodies are bounded before yoga (a baseline without the option ignores it).
    maxRequestBodySize: false });
  const send = async (body: string) => {
    const res = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return res.text();
  };
  process.on('message', async (job: Job) => {
    const body = JSON.stringify({ query: job.query, variables: job.variables });
    const expected = await send(body);
    let bad = expected.includes('"errors"') ? 1 : 0;
    const run = async (n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next++ < n) if ((await send(body)) !== expected) bad++;
        }),
      );
    };
    await run(Math.min(500, job.requests)); // warm-up: JIT, pools, plan caches
    const c0 = process.cpuUsage();
    await run(job.requests);
    const c = process.cpuUsage(c0);
    process.send!({ cpuMsPerRequest: (c.user + c.system) / 1000 / job.requests, bad, sample: expected.slice(0, 300) });
  });
  process.once('disconnect', async () => {
    await prisma.$disconnect();
    process.exit(0);
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------------------
// Parent

async function main(): Promise<void> {
  const { startEmbeddedPostgres } = await import('../graph/src/db/embedded.js');
  const { migrate } = await import('../graph/src/db/migrate.js');
  const requests = opt('requests', 2000);
  const rounds = opt('rounds', 5);
  const scale = Number(process.env.BENCH_SCALE ?? 0.1);
  let db: { url: string; stop(): Promise<void> } | null = null;
  const kids: ChildProcess[] = [];
  try {
    let url = process.env.BENCH_DATABASE_URL;
    if (!url) {
      db = await startEmbeddedPostgres({ durable: false });
      url = db!.url;
    }
    await migrate(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM providers');
    if (rows[0].n === '0') await seed(client, sizes(scale));
    await describeForPostGraphile(client);
    const pick = {
      region: 'eu-west',
      user: (await client.query<{ user: string }>(`SELECT "user" FROM sessions ORDER BY pubkey LIMIT 1`)).rows[0].user,
      session: (await client.query<{ pubkey: string }>(`SELECT pubkey FROM sessions ORDER BY pubkey OFFSET 1 LIMIT 1`)).rows[0].pubkey,
    };
    await client.end();

    const builds = [{ name: 'this', root: ROOT }];
    if (process.env.BENCH_BASELINE) builds.push({ name: 'baseline', root: resolve(process.env.BENCH_BASELINE) });
    const prof = process.env.BENCH_CPU_PROF;
    const procs = await Promise.all(
      builds.map(
        (b) =>
          new Promise<ChildProcess>((ok, fail) => {
            const c = fork(fileURLToPath(import.meta.url), ['--child', b.root, url!], {
              env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn' },
              execArgv: ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${b.name}.cpuprofile`] : [])],
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            kids.push(c);
            c.once('message', () => ok(c));
            c.once('exit', (code) => fail(new Error(`${b.name} exited (${code})`)));
          }),
      ),
    );
    const ask = (c: ChildProcess, job: Job) =>
      new Promise<{ cpuMsPerRequest: number; bad: number; sample: string }>((ok) => {
        c.once('message', ok as (m: unknown) => void);
        c.send(job);
      });
    console.log(`CPU per request in process (yoga.fetch, NODE_ENV=production, ${requests} requests x ${rounds} rounds, ${IN_FLIGHT} in flight, builds alternating)`);
    const only = process.env.BENCH_ONLY;
    for (const shape of shapes(pick).filter((s) => !only || s.name.includes(only))) {
      const per: number[][] = builds.map(() => []);
      for (let r = 0; r < rounds; r++) {
        const order = builds.map((_, i) => i);
        if (r % 2) order.reverse();
        for (const i of order) {
          const out = await ask(procs[i], { query: shape.ours, variables: shape.variables, requests });
          if (out.bad) throw new Error(`${shape.name} (${builds[i].name}): ${out.bad} answers differ from the first or hold errors: ${out.sample}`);
          per[i].push(out.cpuMsPerRequest);
        }
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      console.log(`${shape.name.padEnd(36)} ${builds.map((b, i) => `${b.name} ${med(per[i]).toFixed(2)} ms (${per[i].map((x) => x.toFixed(2)).join(' ')})`).join('   ')}`);
    }
  } finally {
    for (const k of kids) if (k.connected) k.disconnect();
    await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null ? r(null) : k.once('exit', r)))));
    await db?.stop();
  }
}

if (argv[0] === '--child') await child(argv[1], argv[2]);
else
  await main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
