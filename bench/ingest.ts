// Indexer ingestion benchmark: replays a recorded stream of real transactions
// (raw getTransaction results from the embedded chain, replayed without RPC)
// into a fresh PostgreSQL and prints program events per second.
//
//   npx tsx bench/ingest.ts [--events 20000] [--batch 500] [--runs 3] [--sync] [--recording file.json.gz]
//
// The first run records the stream (about a minute: the embedded runtime
// confirms ~130 tx/s) into bench/.cache/ and reuses it afterwards, as long as
// the program binary is the same (the file name carries its hash: a recording
// made with another program's events would not decode). The
// database is an embedded PostgreSQL 18 with default durability (fsync on),
// or a new database on DATABASE_URL's server when that is set. Target: at
// least 10,000 events/s on 2 cores. Besides the wall-clock rate (which on a
// shared machine depends on the other jobs) it prints the CPU the indexer
// process and Postgres used, as events per CPU-second. Not part of the tests.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { startEmbeddedPostgres } from '../graph/src/db/embedded.js';
import { migrate } from '../graph/src/db/migrate.js';
import { decodeTransaction, fromGetTransaction } from '../graph/src/ingest/decode.js';
import { readRecording, replay } from '../graph/src/ingest/replay.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Short hash of the program the recording is made with (target/deploy/dvpn.so). */
function programHash(): string {
  const so = join(HERE, '..', 'target', 'deploy', 'dvpn.so');
  return existsSync(so) ? createHash('sha256').update(readFileSync(so)).digest('hex').slice(0, 12) : 'unbuilt';
}

/**
 * CPU seconds used so far by an embedded Postgres: the postmaster with its
 * waited-for children (backends that exited) plus the live ones. The wall
 * clock on a shared machine says more about the other jobs than about us;
 * CPU time per event does not.
 */
function postgresCpuSeconds(dir: string): number | null {
  const pidFile = [join(dir, 'postmaster.pid'), ...readdirSync(dir).map((d) => join(dir, d, 'postmaster.pid'))].find((f) => existsSync(f));
  if (!pidFile) return null;
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const tck = 100; // USER_HZ on Linux
  const stat = (pid: string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const f = stat(String(postmaster));
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const c = stat(pid);
      if (Number(c[1]) === postmaster) ticks += Number(c[11]) + Number(c[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / tck;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback);
}

async function main(): Promise<void> {
  const events = Number(arg('events', '20000'));
  const batch = Number(arg('batch', '500'));
  const runs = Number(arg('runs', '3'));
  const synchronousCommit = process.argv.includes('--sync') || process.env.BENCH_SYNC === '1';
  const file = arg('recording', join(HERE, '.cache', `stream-${events}-${programHash()}.json.gz`));

  if (!existsSync(file)) {
    console.log(`recording ~${events} events of real transactions into ${file} …`);
    const { recordTraffic } = await import('../graph/scripts/record.js');
    const txs = await recordTraffic(events, (s) => console.log(s));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, gzipSync(JSON.stringify(txs)));
  }
  const recording = await readRecording(file);
  let t = performance.now();
  let decoded = 0;
  for (const r of recording) decoded += decodeTransaction(fromGetTransaction(r))?.events.length ?? 0;
  const decodeMs = performance.now() - t;
  console.log(`recording: ${recording.length} transactions, ${decoded} events (${file})`);
  console.log(`decode only: ${Math.round((decoded / decodeMs) * 1000)} events/s`);

  let adminUrl = process.env.DATABASE_URL;
  let stop: () => Promise<void> = async () => undefined;
  let pgCpu: () => number | null = () => null;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ durable: true });
    adminUrl = embedded.url;
    stop = () => embedded.stop();
    pgCpu = () => postgresCpuSeconds(embedded.dir);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (${cpus().length} cores, Node ${process.version})`);
  const rates: number[] = [];
  const perCpu: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const name = `dvpn_bench_${process.pid}_${run}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(adminUrl);
      u.pathname = `/${name}`;
      await migrate(u.toString());
      t = performance.now();
      const pg0 = pgCpu();
      const node0 = process.cpuUsage();
      const r = await replay(recording, { databaseUrl: u.toString(), batchSize: batch, synchronousCommit });
      const nodeS = (() => {
        const c = process.cpuUsage(node0);
        return (c.user + c.system) / 1e6;
      })();
      // The writer's backend has just exited: let the postmaster reap it (its CPU then counts in the postmaster's children time).
      await new Promise((r) => setTimeout(r, 500));
      const pg1 = pgCpu();
      const pgS = pg0 !== null && pg1 !== null ? pg1 - pg0 : null;
      rates.push(r.eventsPerSecond);
      if (pgS !== null) perCpu.push(r.newEvents / (nodeS + pgS));
      console.log(
        `run ${run}: ${r.newEvents} events, ${r.transactions} transactions in ${(r.ms / 1000).toFixed(2)} s ` +
          `(batch ${batch}${synchronousCommit ? ', synchronous commit' : ''}): ${Math.round(r.eventsPerSecond)} events/s; ` +
          `CPU: indexer ${nodeS.toFixed(2)} s${pgS === null ? '' : ` + postgres ${pgS.toFixed(2)} s = ${Math.round(r.newEvents / (nodeS + pgS))} events per CPU-second`}; ` +
          `load average ${loadavg()[0].toFixed(1)}`,
      );
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } finally {
    await stop();
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  perCpu.sort((a, b) => a - b);
  console.log(
    `ingest: ${Math.round(median)} events/s (median of ${runs}; ${cpus().length} cores; load average ${loadavg()[0].toFixed(1)}; target >= 10000)` +
      (perCpu.length ? `; ${Math.round(perCpu[Math.floor(perCpu.length / 2)])} events per CPU-second (indexer + postgres)` : ''),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
