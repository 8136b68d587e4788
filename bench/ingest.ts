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
// least 5,000 events/s on 2 cores. Not part of the tests.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
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
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ durable: true });
    adminUrl = embedded.url;
    stop = () => embedded.stop();
  }
  const rates: number[] = [];
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
      const r = await replay(recording, { databaseUrl: u.toString(), batchSize: batch, synchronousCommit });
      rates.push(r.eventsPerSecond);
      console.log(
        `run ${run}: ${r.newEvents} events, ${r.transactions} transactions in ${(r.ms / 1000).toFixed(2)} s ` +
          `(batch ${batch}${synchronousCommit ? ', synchronous commit' : ''}): ${Math.round(r.eventsPerSecond)} events/s`,
      );
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } finally {
    await stop();
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(`ingest: ${Math.round(median)} events/s (median of ${runs}; ${cpus().length} cores; target >= 5000)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
