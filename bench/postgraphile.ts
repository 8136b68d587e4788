// Our API side by side with PostGraphile 5 on the same database (not part of
// the tests): prints figures, writes bench/results/postgraphile-<date>.json,
// stops by itself.
//
//   npx tsx bench/postgraphile.ts          (make bench; needs `make build` and Node >= 22)
//
// 1. One embedded Postgres, seeded with the data set of issue 12 times
//    BENCH_SCALE (default 0.1: 200 providers, 10,000 nodes, 100,000 sessions;
//    1 is 2,000 / 100,000 / 1,000,000 and takes several minutes to seed).
// 2. PostGraphile 5.1.5 (bench/postgraphile-server.mjs, with the connection
//    filter plugin) and our API as production runs it (graph/dist/api.js,
//    NODE_ENV=production, every limit on; only the per-client request and cost
//    budgets are off, since the one load generator is one client), each in its
//    own process with a pool of 10 connections to that database.
// 3. For each query shape: both answers must hold the same rows (else exit 1),
//    then autocannon (c=20, BENCH_DURATION s per run, default 5) runs against
//    one server then the other, BENCH_PAIRS pairs (default 3), the first server
//    alternating pair to pair; every response must be the exact expected body.
//    Prints req/s, p50 and p99 per run, the server process's CPU per request
//    (from /proc: what other jobs on a shared machine distort least) and the
//    median of the per-pair ratios.
//
// 4. The cached case (issue 12 "beyond PostGraphile"): the discovery shapes
//    against a third process, our API with its response cache on (strict
//    freshness: one shared version read per request batch; and `bus`
//    freshness: none), compared with PostGraphile's median on the same shape.
//    The comparison runs above use API_RESPONSE_CACHE=off: no indexer commits
//    here, so a cache would answer every request of those runs.
//
// BENCH_DATABASE_URL: use that database instead (seeded here if empty).
// BENCH_CACHED=0: skip the cached case.
// BENCH_ONLY: only the shapes whose name contains this text.
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../graph/src/db/embedded.js';
import { migrate } from '../graph/src/db/migrate.js';
import { describeForPostGraphile, seed, shapes, sizes } from './dataset.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCALE = Number(process.env.BENCH_SCALE ?? 0.1);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = 20;

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`PostGraphile 5 needs Node >= 22 (this is ${process.version}); run it through make, which puts Node 24 first on PATH.`);
  process.exit(1);
}
if (!(SCALE > 0) || !(PAIRS >= 1) || !(DURATION >= 1)) {
  console.error('BENCH_SCALE must be > 0, BENCH_PAIRS >= 1, BENCH_DURATION >= 1');
  process.exit(1);
}

/** Both servers write timestamps their own way (…000Z vs …+00:00): compare instants. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return new Date(v).toISOString();
  return v;
}

/** Rows in the answer (list items, single objects) plus non-zero counts: an empty answer proves nothing. */
function rowCount(data: unknown): number {
  let n = 0;
  for (const v of Object.values(data as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') continue;
    const o = v as { nodes?: unknown[]; totalCount?: number };
    if (Array.isArray(o.nodes)) n += o.nodes.length;
    else if (!('totalCount' in o)) n += 1;
    if (typeof o.totalCount === 'number' && o.totalCount > 0) n += 1;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Servers

interface Server {
  name: 'ours' | 'postgraphile' | 'ours-cached' | 'ours-cached-bus';
  url: string;
  child: ChildProcess;
}

async function waitForGraphQL(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer at ${url} within 60 s`);
}

async function startServer(name: Server['name'], databaseUrl: string): Promise<Server> {
  const port = await freePort();
  const script = name === 'postgraphile' ? join(ROOT, 'bench/postgraphile-server.mjs') : join(ROOT, 'graph/dist/api.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DB_POOL: '10',
    API_DB_POOL: '10',
    // One load generator is one client: the per-client budgets would refuse it by design.
    API_RATE_LIMIT: '0',
    API_COST_BUDGET: '0',
    API_RESPONSE_CACHE: name.startsWith('ours-cached') ? 'on' : 'off',
    API_RESPONSE_CACHE_FRESHNESS: name === 'ours-cached-bus' ? 'bus' : 'strict',
  };
  delete env.REDIS_URL;
  // Plain node (no tsx loader) for both, as production starts them.
  const child = fork(script, [], { env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitForGraphQL(url, child, name);
  return { name, url, child };
}

async function ask(url: string, query: string, variables: Record<string, unknown>): Promise<{ text: string; json: { data?: unknown; errors?: unknown } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  return { text, json: JSON.parse(text) };
}

// ---------------------------------------------------------------------------
// Load

/** Clock ticks per second of /proc/<pid>/stat. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** CPU seconds of every Postgres process now running, by pid (backends of the pools live through a run). */
function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      out.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Postgres CPU seconds used since `before` (a backend that started since counts from zero). */
function postgresCpuSince(before: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of postgresCpu()) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

interface Run {
  server: Server['name'];
  pair: number;
  /** Server process CPU per answered request: what a loaded shared machine distorts least. */
  cpuMsPerRequest: number;
  /** Postgres CPU per answered request: the other half of the machine's work for an answer. */
  dbCpuMsPerRequest: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

async function load(srv: Server, query: string, variables: Record<string, unknown>, expectBody: string): Promise<Omit<Run, 'server' | 'pair'>> {
  const cpu0 = cpuSeconds(srv.child.pid!);
  const db0 = postgresCpu();
  const r = await autocannon({
    url: srv.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    connections: CONNECTIONS,
    duration: DURATION,
    expectBody,
  });
  const cpu = cpuSeconds(srv.child.pid!) - cpu0;
  const dbCpu = postgresCpuSince(db0);
  return {
    cpuMsPerRequest: r.requests.total > 0 ? (1000 * cpu) / r.requests.total : NaN,
    dbCpuMsPerRequest: r.requests.total > 0 ? (1000 * dbCpu) / r.requests.total : NaN,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts + r.non2xx + (r.mismatches ?? 0),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  let db: EmbeddedDatabase | null = null;
  const servers: Server[] = [];
  const stop = async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)))));
    await db?.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const s = sizes(SCALE);
    let databaseUrl = process.env.BENCH_DATABASE_URL;
    if (!databaseUrl) {
      db = await startEmbeddedPostgres({ durable: false });
      databaseUrl = db.url;
    }
    await migrate(databaseUrl);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM providers');
    if (rows[0].n === '0') await seed(client, s);
    else console.log(`database already seeded (${rows[0].n} providers): seeding skipped`);
    await describeForPostGraphile(client);
    const pick = {
      region: 'eu-west',
      user: (await client.query<{ user: string }>(`SELECT "user" FROM sessions ORDER BY pubkey LIMIT 1`)).rows[0].user,
      session: (await client.query<{ pubkey: string }>(`SELECT pubkey FROM sessions ORDER BY pubkey OFFSET 1 LIMIT 1`)).rows[0].pubkey,
    };
    await client.end();

    servers.push(await startServer('ours', databaseUrl), await startServer('postgraphile', databaseUrl));
    const [ours, theirs] = servers;
    console.log(`our API (graph/dist/api.js, NODE_ENV=production) and PostGraphile 5.1.5 on Node ${process.versions.node}; ` +
      `autocannon c=${CONNECTIONS}, ${DURATION} s runs, ${PAIRS} pairs per shape, alternating`);

    const results: Array<{ shape: string; rows: number; runs: Run[]; median: Record<string, { reqPerSec: number; p50: number; p99: number; cpuMsPerRequest: number; dbCpuMsPerRequest: number }>; ratio: number; p99Ratio: number; cpuRatio: number }> = [];
    const only = process.env.BENCH_ONLY;
    for (const shape of shapes(pick).filter((x) => !only || x.name.includes(only))) {
      const a = await ask(ours.url, shape.ours, shape.variables);
      const b = await ask(theirs.url, shape.postgraphile, shape.variables);
      if (a.json.errors || b.json.errors || !a.json.data || !b.json.data) {
        throw new Error(`${shape.name}: an error answer\n  ours: ${a.text.slice(0, 500)}\n  postgraphile: ${b.text.slice(0, 500)}`);
      }
      if (!isDeepStrictEqual(normalise(a.json.data), normalise(b.json.data))) {
        throw new Error(`${shape.name}: the servers return different rows\n  ours: ${a.text.slice(0, 800)}\n  postgraphile: ${b.text.slice(0, 800)}`);
      }
      const rowsSeen = rowCount(a.json.data);
      if (rowsSeen === 0) throw new Error(`${shape.name}: both answers are empty; the comparison would prove nothing`);
      console.log(`\n${shape.name}: same rows from both (${rowsSeen} rows and non-zero counts)`);
      // Warm-up: JIT, plan caches, connection pools.
      await load(ours, shape.ours, shape.variables, a.text);
      await load(theirs, shape.postgraphile, shape.variables, b.text);
      const runs: Run[] = [];
      for (let pair = 0; pair < PAIRS; pair++) {
        const order = pair % 2 === 0 ? [ours, theirs] : [theirs, ours];
        for (const srv of order) {
          const isOurs = srv === ours;
          const r = await load(srv, isOurs ? shape.ours : shape.postgraphile, shape.variables, isOurs ? a.text : b.text);
          runs.push({ server: srv.name, pair, ...r });
          console.log(
            `  pair ${pair + 1} ${srv.name.padEnd(12)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  ${r.cpuMsPerRequest.toFixed(2)} CPU ms/req, Postgres ${r.dbCpuMsPerRequest.toFixed(2)}` +
              (r.errors ? `  ${r.errors} errors/unexpected bodies` : ''),
          );
        }
      }
      const of = (name: Server['name']) => runs.filter((r) => r.server === name);
      const ratios = Array.from({ length: PAIRS }, (_, p) => {
        const o = runs.find((r) => r.pair === p && r.server === 'ours')!;
        const t = runs.find((r) => r.pair === p && r.server === 'postgraphile')!;
        return { rps: o.reqPerSec / t.reqPerSec, p99: o.p99 / Math.max(1, t.p99), cpu: o.cpuMsPerRequest / t.cpuMsPerRequest };
      });
      const med = (name: Server['name']) => ({
        reqPerSec: median(of(name).map((r) => r.reqPerSec)),
        p50: median(of(name).map((r) => r.p50)),
        p99: median(of(name).map((r) => r.p99)),
        cpuMsPerRequest: median(of(name).map((r) => r.cpuMsPerRequest)),
        dbCpuMsPerRequest: median(of(name).map((r) => r.dbCpuMsPerRequest)),
      });
      const entry = {
        shape: shape.name,
        rows: rowsSeen,
        runs,
        median: { ours: med('ours'), postgraphile: med('postgraphile') },
        ratio: median(ratios.map((r) => r.rps)),
        p99Ratio: median(ratios.map((r) => r.p99)),
        cpuRatio: median(ratios.map((r) => r.cpu)),
      };
      results.push(entry);
      console.log(`  median: ours ${entry.median.ours.reqPerSec.toFixed(0)} req/s p99 ${entry.median.ours.p99} ms, ` +
        `PostGraphile ${entry.median.postgraphile.reqPerSec.toFixed(0)} req/s p99 ${entry.median.postgraphile.p99} ms; ` +
        `ratio (ours / PostGraphile, median of pairs) ${entry.ratio.toFixed(2)}x req/s, ${entry.p99Ratio.toFixed(2)}x p99, ` +
        `${entry.cpuRatio.toFixed(2)}x server CPU per request`);
    }

    // The cached case: discovery, answered from the response cache.
    const cached: Array<{ shape: string; server: string; runs: Run[]; median: { reqPerSec: number; p50: number; p99: number; cpuMsPerRequest: number }; ratioToPostGraphile: number }> = [];
    if (process.env.BENCH_CACHED !== '0') {
      for (const name of ['ours-cached', 'ours-cached-bus'] as const) {
        const srv = await startServer(name, databaseUrl);
        servers.push(srv);
        for (const shape of shapes(pick).filter((x) => x.name.startsWith('node discovery') && (!only || x.name.includes(only)))) {
          const a = await ask(srv.url, shape.ours, shape.variables);
          const expected = results.find((r) => r.shape === shape.name);
          console.log(`\n${shape.name}, ${name}:`);
          await load(srv, shape.ours, shape.variables, a.text);
          const runs: Run[] = [];
          for (let pair = 0; pair < PAIRS; pair++) {
            const r = await load(srv, shape.ours, shape.variables, a.text);
            runs.push({ server: name, pair, ...r });
            console.log(
              `  run ${pair + 1} ${name.padEnd(16)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  ${r.cpuMsPerRequest.toFixed(3)} CPU ms/req` +
                (r.errors ? `  ${r.errors} errors/unexpected bodies` : ''),
            );
          }
          const med = {
            reqPerSec: median(runs.map((r) => r.reqPerSec)),
            p50: median(runs.map((r) => r.p50)),
            p99: median(runs.map((r) => r.p99)),
            cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
          };
          const ratioToPostGraphile = expected ? med.reqPerSec / expected.median.postgraphile.reqPerSec : NaN;
          cached.push({ shape: shape.name, server: name, runs, median: med, ratioToPostGraphile });
        }
        srv.child.kill('SIGTERM');
        await new Promise((r) => (srv.child.exitCode !== null ? r(null) : srv.child.once('exit', r)));
        servers.splice(servers.indexOf(srv), 1);
      }
    }

    console.log('\nshape                                 ours req/s  PG req/s  ratio  ours p99  PG p99  CPU ms/req ours / PG  Postgres ours / PG');
    for (const r of results) {
      console.log(
        `${r.shape.padEnd(36)} ${r.median.ours.reqPerSec.toFixed(0).padStart(10)} ${r.median.postgraphile.reqPerSec.toFixed(0).padStart(9)} ` +
          `${r.ratio.toFixed(2).padStart(5)}x ${String(r.median.ours.p99).padStart(6)} ms ${String(r.median.postgraphile.p99).padStart(4)} ms  ` +
          `${r.median.ours.cpuMsPerRequest.toFixed(2)} / ${r.median.postgraphile.cpuMsPerRequest.toFixed(2)}       ` +
          `${r.median.ours.dbCpuMsPerRequest.toFixed(2)} / ${r.median.postgraphile.dbCpuMsPerRequest.toFixed(2)}`,
      );
    }
    for (const c of cached) {
      const pgMedian = results.find((r) => r.shape === c.shape)?.median.postgraphile;
      console.log(
        `${`${c.shape} (${c.server.replace('ours-', '')})`.padEnd(36)} ${c.median.reqPerSec.toFixed(0).padStart(10)} ${(pgMedian ? pgMedian.reqPerSec.toFixed(0) : '-').padStart(9)} ` +
          `${c.ratioToPostGraphile.toFixed(2).padStart(5)}x ${String(c.median.p99).padStart(6)} ms ${(pgMedian ? String(pgMedian.p99) : '-').padStart(4)} ms  ` +
          `${c.median.cpuMsPerRequest.toFixed(2)} / ${pgMedian ? pgMedian.cpuMsPerRequest.toFixed(2) : '-'}`,
      );
    }
    const date = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
    const out = join(ROOT, 'bench/results', `postgraphile-${date}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, note: 'shared machine: other jobs ran at the same time' },
          dataSet: { scale: SCALE, ...s },
          settings: {
            connections: CONNECTIONS,
            durationSeconds: DURATION,
            pairs: PAIRS,
            ours: 'graph/dist/api.js NODE_ENV=production, limits on, per-client budgets off, response cache off',
            cached: 'graph/dist/api.js as ours with the response cache on (strict, and bus freshness); no commits during the runs',
            postgraphile: '5.1.5 + connection-filter 4.0.1, Amber preset, NODE_ENV=production',
          },
          results,
          cached,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nwrote ${out.slice(ROOT.length + 1)}`);
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
