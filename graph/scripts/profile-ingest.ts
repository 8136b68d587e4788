// Where the ingest time goes in Postgres (dev aid): replays a recording through
// the same Writer as the indexer (batches pipelined as in replay.ts) into an
// embedded PostgreSQL with pg_stat_statements loaded, then prints per
// statement: calls, rows, execution time, planning time and WAL bytes, and the
// CPU the writer's backend used (from /proc), and the indexer's own CPU.
//
//   npx tsx graph/scripts/profile-ingest.ts <recording.json.gz> [batch 500]
//
// Add `--cpu-prof` to node (NODE_OPTIONS=--cpu-prof) for the indexer's side.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { readRecording, replay } from '../src/ingest/replay.js';

const file = process.argv[2];
const batch = Number(process.argv[3] ?? 500);
const rec = await readRecording(file);
const db = await startEmbeddedPostgres({
  durable: true,
  settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on', 'pg_stat_statements.max': '1000' },
});
await migrate(db.url);
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();
await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
await admin.query('SELECT pg_stat_statements_reset()');
const walStats = async () =>
  (await admin.query<{ b: string; r: string; f: string }>('SELECT wal_bytes::text AS b, wal_records::text AS r, wal_fpi::text AS f FROM pg_stat_wal')).rows[0];
const wal0 = await walStats();

// The writer's backend: sample its CPU just before it exits.
const ticks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
let backendCpu = 0;
// PERF=file: `perf record -g` on the writer's backend (then `perf report -i file`).
let perfStarted = false;
const timer = setInterval(async () => {
  const r = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'dvpn-indexer%'");
  for (const { pid } of r.rows) {
    if (process.env.PERF && !perfStarted) {
      perfStarted = true;
      spawn('perf', ['record', '-F', '2000', '-g', '-o', process.env.PERF, '-p', String(pid)], { stdio: 'ignore' });
    }
    try {
      backendCpu = Math.max(backendCpu, ticks(pid));
    } catch {
      // gone
    }
  }
}, 100);
const cpu0 = process.cpuUsage();
const res = await replay(rec, { databaseUrl: db.url, batchSize: batch });
const cpu = process.cpuUsage(cpu0);
clearInterval(timer);
const wal1 = await walStats();
console.log(
  `${res.newEvents} events in ${(res.ms / 1000).toFixed(2)} s (${Math.round(res.eventsPerSecond)} events/s); indexer CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; ` +
    `writer backend CPU >= ${backendCpu.toFixed(2)} s (last sample); WAL ${((Number(wal1.b) - Number(wal0.b)) / 1e6).toFixed(1)} MB ` +
    `(${Number(wal1.r) - Number(wal0.r)} records, ${Number(wal1.f) - Number(wal0.f)} full-page images)`,
);
const stats = await admin.query(
  `SELECT calls, rows, round(total_exec_time)::int AS exec_ms, round(total_plan_time)::int AS plan_ms, round(wal_bytes / 1e6, 1)::text AS wal_mb,
          shared_blks_hit + shared_blks_read AS blks, regexp_replace(query, '\\s+', ' ', 'g') AS q
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 25`,
);
console.log('   exec ms  plan ms   calls     rows  WAL MB  statement');
for (const s of stats.rows) {
  console.log(
    `${String(s.exec_ms).padStart(9)} ${String(s.plan_ms).padStart(8)} ${String(s.calls).padStart(7)} ${String(s.rows).padStart(8)} ${s.wal_mb.padStart(7)}  ${s.q.slice(0, 110)}`,
  );
}
const sizes = await admin.query(
  `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS total, pg_size_pretty(pg_relation_size(oid)) AS heap
     FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY pg_total_relation_size(oid) DESC LIMIT 8`,
);
for (const r of sizes.rows) console.log(`${r.relname}: ${r.total} (heap ${r.heap})`);
await admin.end();
await db.stop();
