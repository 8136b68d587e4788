// Where the ingest time goes: replays a recording statement by statement with timings (dev aid).
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { readRecording } from '../src/ingest/replay.js';
import { decodeTransaction, fromGetTransaction } from '../src/ingest/decode.js';
import { Writer } from '../src/store/writer.js';
import { silentLogger } from '../src/log.js';

const file = process.argv[2];
const batch = Number(process.argv[3] ?? 500);
const rec = await readRecording(file);
const db = await startEmbeddedPostgres({ durable: true });
await migrate(db.url);
const times = new Map<string, number>();
const orig = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  const text: string = typeof args[0] === 'string' ? args[0] : args[0].text;
  const key = text.replace(/\s+/g, ' ').slice(0, 60);
  const t = performance.now();
  const p = (orig as any).apply(this, args);
  if (p && p.then) p.then(() => times.set(key, (times.get(key) ?? 0) + performance.now() - t), () => undefined);
  return p;
};
const w = new Writer(db.url, 'BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD', silentLogger);
await w.connect(() => undefined);
const decoded = rec.map((r) => decodeTransaction(fromGetTransaction(r))!).filter(Boolean);
const t0 = performance.now();
let ev = 0;
for (let i = 0; i < decoded.length; i += batch) {
  const r = await w.apply(decoded.slice(i, i + batch));
  ev += r.newEvents;
}
const ms = performance.now() - t0;
console.log(`${ev} events in ${ms.toFixed(0)} ms: ${Math.round(ev / ms * 1000)} ev/s`);
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(v.toFixed(0).padStart(7), k);
await w.close();
await db.stop();
