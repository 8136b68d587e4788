#!/usr/bin/env -S node --import tsx
// Replays a recording (JSON array / NDJSON of getTransaction results, .gz ok)
// into DATABASE_URL without RPC:  tsx graph/bin/replay.ts <file> [--batch 500]
import { replay, readRecording } from '../src/ingest/replay.js';

const [file, ...rest] = process.argv.slice(2);
if (!file || !process.env.DATABASE_URL) {
  console.error('usage: DATABASE_URL=postgres://… tsx graph/bin/replay.ts <recording.json[.gz]> [--batch N]');
  process.exit(2);
}
const b = rest.indexOf('--batch');
const batchSize = b >= 0 ? Number(rest[b + 1]) : undefined;
const recording = await readRecording(file);
const r = await replay(recording, { databaseUrl: process.env.DATABASE_URL, batchSize, programId: process.env.PROGRAM_ID });
console.log(
  `${r.transactions} transactions, ${r.events} events (${r.newEvents} new) in ${(r.ms / 1000).toFixed(2)} s: ${Math.round(r.eventsPerSecond)} events/s`,
);
