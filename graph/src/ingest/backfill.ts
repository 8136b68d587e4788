// Datasource: backfill. Lists the program's signatures newest-first back to
// the watermark (`getSignaturesForAddress ... until`), then fetches the
// transactions not stored yet with bounded concurrency and hands them over
// oldest first, in windows, each window with the watermark it establishes.
import type { Logger } from 'pino';
import { fromGetTransaction, type RawTransaction } from './decode.js';
import { mapLimit, type Rpc, type SignatureInfo } from './rpc.js';

export interface BackfillProgress {
  running: boolean;
  total: number;
  done: number;
  runs: number;
  lastRunAt: number | null;
  lastRunMs: number | null;
  lastRunTransactions: number;
  /** Transactions fetched by every run so far. */
  fetchedTotal: number;
}

export interface BackfillOptions {
  rpc: Rpc;
  programId: string;
  logger: Logger;
  /** getTransaction calls in flight (default 8). */
  concurrency?: number;
  /** Transactions per window / database transaction (default 100). */
  windowSize?: number;
  /** Watermark signature: history before it (and it) is applied. */
  until: string | null;
  /** Which of these signatures already have events stored. */
  known(sigs: string[]): Promise<Set<string>>;
  /** Applies a window (oldest first); `watermark` is its newest listed signature. */
  apply(txs: RawTransaction[], watermark: { signature: string; slot: bigint }): Promise<void>;
  progress: BackfillProgress;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function backfill(o: BackfillOptions): Promise<{ listed: number; fetched: number }> {
  const started = Date.now();
  o.progress.running = true;
  o.progress.total = 0;
  o.progress.done = 0;
  try {
    // 1. Newest first back to the watermark.
    const listed: SignatureInfo[] = [];
    let before: string | undefined;
    for (;;) {
      if (o.signal?.aborted) return { listed: 0, fetched: 0 };
      const page = await o.rpc.getSignaturesForAddress(o.programId, { before, until: o.until ?? undefined, limit: 1000 });
      listed.push(...page);
      if (page.length < 1000) break;
      before = page[page.length - 1].signature;
    }
    if (listed.length === 0) return { listed: 0, fetched: 0 };
    listed.reverse(); // oldest first

    // 2. Only what is not stored yet needs fetching (failed transactions are skipped).
    const known = await o.known(listed.map((s) => s.signature));
    const wanted = listed.filter((s) => (s.err === null || s.err === undefined) && !known.has(s.signature));
    o.progress.total = wanted.length;
    const windowSize = o.windowSize ?? 100;
    let fetched = 0;

    // 3. Windows over the full list, so the watermark also passes failed/known ones.
    for (let i = 0; i < listed.length; i += windowSize) {
      if (o.signal?.aborted) break;
      const window = listed.slice(i, i + windowSize);
      const todo = window.filter((s) => (s.err === null || s.err === undefined) && !known.has(s.signature));
      const txs = await mapLimit(todo, o.concurrency ?? 8, (s) => fetchTransaction(o.rpc, s.signature));
      const newest = window[window.length - 1];
      await o.apply(
        txs.filter((t) => t.err === null || t.err === undefined),
        { signature: newest.signature, slot: BigInt(newest.slot) },
      );
      fetched += txs.length;
      o.progress.done += todo.length;
      o.progress.fetchedTotal += todo.length;
    }
    o.progress.lastRunTransactions = fetched;
    if (fetched > 0) o.logger.info({ listed: listed.length, fetched, ms: Date.now() - started }, 'backfill applied');
    return { listed: listed.length, fetched };
  } finally {
    o.progress.running = false;
    o.progress.runs++;
    o.progress.lastRunAt = Date.now();
    o.progress.lastRunMs = Date.now() - started;
  }
}

async function fetchTransaction(rpc: Rpc, signature: string): Promise<RawTransaction> {
  // A signature can be listed a moment before its transaction is served.
  for (let attempt = 0; ; attempt++) {
    const result = await rpc.getTransaction(signature);
    if (result) return fromGetTransaction(result);
    if (attempt >= 20) throw new Error(`getTransaction ${signature}: not found`);
    await sleep(50 * (attempt + 1));
  }
}
