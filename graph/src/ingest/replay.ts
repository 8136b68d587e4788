// Replay: ingests recorded transactions (JSON fixtures of real getTransaction
// results) into Postgres without any RPC, through the same decoder, processor
// and writer as live ingestion, in large batches (one database transaction
// and one multi-row statement per table per batch). The benchmark and the
// replay tests use it; `graph/bin/replay.ts <file>` runs it by hand.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { PublicKey } from '@solana/web3.js';
import type { Bus } from '../bus.js';
import { silentLogger, type Logger } from '../log.js';
import { Writer } from '../store/writer.js';
import { decodeTransaction, fromGetTransaction, type DecodedTransaction, type GetTransactionResult } from './decode.js';

export interface ReplayOptions {
  databaseUrl: string;
  programId?: string;
  /** Transactions per database transaction (default 500). */
  batchSize?: number;
  /** Publish after each commit (default: no bus). */
  bus?: Bus;
  logger?: Logger;
  /** Take the writer's advisory lock first (default true: never race a running indexer). */
  lock?: boolean;
  /** Wait for the WAL flush at each commit (default false, as the indexer). */
  synchronousCommit?: boolean;
}

export interface ReplayResult {
  transactions: number;
  events: number;
  newEvents: number;
  ms: number;
  eventsPerSecond: number;
}

/** Reads a recording: a JSON array (or NDJSON) of getTransaction results, optionally gzipped (.gz). */
export async function readRecording(path: string): Promise<GetTransactionResult[]> {
  let buf = await readFile(path);
  if (path.endsWith('.gz')) buf = gunzipSync(buf);
  const text = buf.toString('utf8').trim();
  if (text.startsWith('[')) return JSON.parse(text) as GetTransactionResult[];
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as GetTransactionResult);
}

export async function replay(recording: readonly GetTransactionResult[], opts: ReplayOptions): Promise<ReplayResult> {
  const programId = opts.programId ?? DVPN_PROGRAM_ID.toBase58();
  const program = new PublicKey(programId);
  const batchSize = opts.batchSize ?? 500;
  const logger = opts.logger ?? silentLogger;
  const writer = new Writer(opts.databaseUrl, programId, logger, opts.synchronousCommit ?? false);
  let failure: Error | null = null;
  await writer.connect((err) => {
    failure = err;
  });
  const started = performance.now();
  let events = 0;
  let newEvents = 0;
  try {
    if (opts.lock ?? true) {
      await writer.acquireLock({ pollMs: 200, signal: new AbortController().signal });
    }
    let pending: Promise<void> | null = null;
    for (let i = 0; i < recording.length; i += batchSize) {
      const slice = recording.slice(i, i + batchSize);
      // Decode this batch while the previous one is being written.
      const decoded: DecodedTransaction[] = [];
      for (const r of slice) {
        const d = decodeTransaction(fromGetTransaction(r), program);
        if (d) {
          decoded.push(d);
          events += d.events.length;
        }
      }
      const last = slice[slice.length - 1];
      const watermark = { signature: last.transaction.signatures[0], slot: BigInt(last.slot) };
      if (pending) await pending;
      if (failure) throw failure;
      pending = writer.apply(decoded, watermark).then(async (res) => {
        newEvents += res.newEvents;
        if (opts.bus && res.messages.length > 0) await opts.bus.publishMany(res.messages);
      });
    }
    if (pending) await pending;
  } finally {
    await writer.close();
  }
  const ms = performance.now() - started;
  return { transactions: recording.length, events, newEvents, ms, eventsPerSecond: (newEvents / ms) * 1000 };
}
