// The indexer: chain -> Postgres -> bus.
//
//   datasources (ingest/live.ts, ingest/backfill.ts)  raw transactions
//     -> decoder (ingest/decode.ts, @dvpn/sdk parseEvents)
//     -> processor (ingest/processor.ts -> ingest/handlers/, one handler per event) + storage (store/writer.ts), one DB transaction per batch
//     -> bus (bus.ts), after commit
//
// One writer at a time: the Postgres advisory lock. A second indexer waits on
// it (standby) and takes over when the first one's connection goes away.
// Everything that writes runs on one serial loop: live batches, backfill
// windows, reconciliation.
//
//   const indexer = createIndexer(configFromEnv());
//   await indexer.start();   // returns at once; indexer.whenLeader() resolves with the lock
//   ...
//   await indexer.stop();
import { PublicKey } from '@solana/web3.js';
import { createBus, type Bus, type BusMessage } from './bus.js';
import { backfill, type BackfillProgress } from './ingest/backfill.js';
import { decodeTransaction, type DecodedTransaction, type RawTransaction } from './ingest/decode.js';
import { LiveSource } from './ingest/live.js';
import { parseIndexerConfig, type IndexerConfig, type IndexerConfigInput } from './ingest/config.js';
import { AsyncPublisher } from './ingest/publisher.js';
import { registerMetricsSource, type IndexerMetrics } from './ingest/metrics.js';
import { fetchSnapshot, repairFromSnapshot, type RepairRecord } from './ingest/reconcile.js';
import { Rpc } from './ingest/rpc.js';
import { createLogger, type Logger } from './log.js';
import { Writer, type Watermark } from './store/writer.js';

export { ConfigError, DEFAULTS, INDEXER_ENV, configFromEnv, defaultWsUrl, parseIndexerConfig } from './ingest/config.js';
export type { IndexerConfig, IndexerConfigInput } from './ingest/config.js';

export interface IndexerDeps {
  /** Publish here instead of a bus of its own (e.g. the API's bus when both run in one process). */
  bus?: Bus;
  logger?: Logger;
}

export class Indexer {
  readonly config: IndexerConfig;
  readonly bus: Bus;
  readonly logger: Logger;
  private readonly ownBus: boolean;
  private readonly rpc: Rpc;
  private readonly publisher: AsyncPublisher;
  private writer: Writer | null = null;
  private live: LiveSource | null = null;
  private running = false;
  private abort = new AbortController();
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private fatal: Error | null = null;
  private queue: RawTransaction[] = [];
  private backfillRequested = false;
  private reconcileRequested = false;
  private targeted = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private leaderWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private unregisterMetrics: (() => void) | null = null;
  private lastSlotNotice = 0;
  private pruneRequested = false;
  /** Live notifications dropped from a full queue (left to the backfill). */
  private liveDropped = 0;

  private readonly m: IndexerMetrics;
  private readonly progress: BackfillProgress = {
    running: false,
    total: 0,
    done: 0,
    runs: 0,
    lastRunAt: null,
    lastRunMs: null,
    lastRunTransactions: 0,
    fetchedTotal: 0,
  };

  constructor(config: IndexerConfig, deps: IndexerDeps = {}) {
    this.config = config;
    this.logger = deps.logger ?? createLogger({ level: config.logLevel, name: 'dvpn-indexer' });
    this.bus = deps.bus ?? createBus({ redisUrl: config.redisUrl, logger: this.logger.child({ sub: 'bus' }) });
    this.ownBus = !deps.bus;
    this.publisher = new AsyncPublisher(this.bus, this.logger.child({ sub: 'bus' }));
    this.rpc = new Rpc(config.rpcUrl);
    this.m = {
      programId: config.programId,
      role: 'stopped',
      chainSlot: 0,
      headSlot: 0,
      watermarkSlot: 0,
      lagSlots: 0,
      eventsApplied: 0,
      transactionsApplied: 0,
      queueDepth: 0,
      lastAppliedAt: null,
      live: { connected: false, reconnects: 0, notifications: 0, failedSkipped: 0, dropped: 0 },
      backfill: this.progress,
      reconcile: { runs: 0, repairs: 0, lastSlot: null, lastRunAt: null },
      publishErrors: 0,
    };
  }

  /** Starts the loop (returns at once: the lock may be held by another indexer). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.m.role = 'starting';
    this.unregisterMetrics = registerMetricsSource(() => this.metrics());
    this.loopDone = this.supervise();
  }

  /** Resolves when this indexer holds the writer lock. */
  whenLeader(): Promise<void> {
    if (this.m.role === 'leader') return Promise.resolve();
    return new Promise((resolve) => this.leaderWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or running and the live subscription is up (tests, make dev). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Graceful stop: finishes the batch in hand, releases the lock, closes connections. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loopDone?.catch(() => undefined);
    this.cleanupTimers();
    this.unregisterMetrics?.();
    this.m.role = 'stopped';
    await this.publisher.flush();
    if (this.ownBus) await this.bus.close();
  }

  /** Abrupt stop, as if the process died: sockets dropped, nothing flushed (tests). */
  kill(): void {
    this.running = false;
    this.abort.abort();
    this.cleanupTimers();
    this.live?.stop();
    this.live = null;
    this.writer?.destroy();
    this.writer = null;
    this.queue = [];
    this.publisher.clear();
    this.wake?.();
    this.unregisterMetrics?.();
    this.m.role = 'stopped';
    if (this.ownBus) void this.bus.close();
  }

  /** Drops the websocket (it reconnects and backfills the gap): tests. */
  dropWebsocket(): void {
    this.live?.drop();
  }

  /** Queues a full reconciliation and waits for it. */
  async reconcileNow(): Promise<RepairRecord[]> {
    return new Promise((resolve, reject) => {
      this.reconcileWaiters.push({ resolve, reject });
      this.reconcileRequested = true;
      this.wake?.();
    });
  }
  private reconcileWaiters: { resolve: (r: RepairRecord[]) => void; reject: (e: unknown) => void }[] = [];

  /** Queues a backfill pass and waits for it (tests). */
  async backfillNow(): Promise<void> {
    return new Promise((resolve) => {
      this.backfillWaiters.push(resolve);
      this.backfillRequested = true;
      this.wake?.();
    });
  }
  private backfillWaiters: (() => void)[] = [];

  metrics(): IndexerMetrics {
    const idle = this.isIdle();
    this.m.queueDepth = this.queue.length;
    this.m.live.connected = this.live?.connected ?? false;
    this.m.live.reconnects = this.live?.reconnects ?? this.m.live.reconnects;
    this.m.live.notifications = this.live?.notifications ?? this.m.live.notifications;
    this.m.live.failedSkipped = this.live?.failedSkipped ?? this.m.live.failedSkipped;
    this.m.live.dropped = this.liveDropped;
    this.m.lagSlots = idle ? 0 : Math.max(0, this.m.chainSlot - this.m.headSlot);
    this.m.publishErrors = this.publisher.stats.errors + this.publisher.stats.dropped;
    return { ...this.m, live: { ...this.m.live }, backfill: { ...this.progress }, reconcile: { ...this.m.reconcile } };
  }

  // -------------------------------------------------------------------------

  private isIdle(): boolean {
    return (
      this.m.role === 'leader' &&
      this.queue.length === 0 &&
      !this.backfillRequested &&
      !this.reconcileRequested &&
      this.targeted.size === 0 &&
      !this.busy &&
      (this.live?.connected ?? false)
    );
  }
  private busy = false;

  private cleanupTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Holds the lock, runs the loop, and starts over after a failure (connection lost, RPC down). */
  private async supervise(): Promise<void> {
    const log = this.logger.child({ sub: 'indexer' });
    while (this.running) {
      try {
        await this.term();
      } catch (err) {
        if (!this.running) break;
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'indexer failed; restarting in 1 s');
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        this.cleanupTimers();
        this.live?.stop();
        this.live = null;
        if (this.writer) await this.writer.close();
        this.writer = null;
        if (this.running) this.m.role = 'starting';
      }
    }
  }

  /** One leadership term. */
  private async term(): Promise<void> {
    const log = this.logger.child({ sub: 'indexer' });
    this.fatal = null;
    const writer = new Writer(
      this.config.databaseUrl,
      this.config.programId,
      this.logger.child({ sub: 'store' }),
      this.config.synchronousCommit,
    );
    this.writer = writer;
    await writer.connect((err) => {
      this.fatal = err;
      this.wake?.();
    });
    this.m.role = 'standby';
    const got = await writer.acquireLock({
      pollMs: this.config.lockPollMs,
      signal: this.abort.signal,
      onWaiting: () => log.info('another indexer holds the writer lock; standing by'),
    });
    if (!got) return;
    this.m.role = 'leader';
    log.info({ programId: this.config.programId }, 'writer lock acquired');
    for (const w of this.leaderWaiters.splice(0)) w();

    const cp = await writer.readCheckpoint();
    if (cp) {
      this.m.headSlot = Number(cp.headSlot);
      this.m.watermarkSlot = Number(cp.slot);
      this.m.reconcile.lastSlot = cp.reconciledSlot === null ? null : Number(cp.reconciledSlot);
    }

    // Subscribe first, then backfill: nothing falls between the two.
    this.queue = [];
    this.backfillRequested = true;
    this.reconcileRequested = this.reconcileRequested || this.config.reconcileOnStart;
    this.live = new LiveSource(
      { wsUrl: this.config.wsUrl, programId: this.config.programId, logger: this.logger.child({ sub: 'live' }) },
      {
        onTransaction: (tx) => {
          if (tx.slot > this.m.chainSlot) this.m.chainSlot = tx.slot;
          if (this.queue.length >= this.config.liveQueueMax) {
            // Full: drop it; the backfill from the watermark fetches it
            // (and everything else the queue could not hold).
            this.liveDropped++;
            this.backfillRequested = true;
            this.wake?.();
            return;
          }
          this.queue.push(tx);
          this.wake?.();
        },
        onSlot: (slot) => {
          if (slot > this.m.chainSlot) this.m.chainSlot = slot;
          this.lastSlotNotice = Date.now();
        },
        onSubscribed: () => {
          // Whatever confirmed before the subscription became active (the
          // first one included: the start-up backfill may have listed before
          // it) is picked up by a backfill from the watermark.
          this.backfillRequested = true;
          this.wake?.();
        },
      },
    );
    this.live.start();
    if (this.config.backfillIntervalMs > 0) {
      this.timers.push(setInterval(() => {
        this.backfillRequested = true;
        this.wake?.();
      }, this.config.backfillIntervalMs));
    }
    if (this.config.reconcileIntervalMs > 0) {
      this.timers.push(setInterval(() => {
        this.reconcileRequested = true;
        this.wake?.();
      }, this.config.reconcileIntervalMs));
    }
    this.timers.push(setInterval(() => void this.pollSlot(), 5_000));
    if (this.config.changesRetentionHours > 0) {
      this.timers.push(setInterval(() => {
        this.pruneRequested = true;
        this.wake?.();
      }, 600_000));
    }
    for (const t of this.timers) t.unref();

    await this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.fatal) throw this.fatal;
      this.busy = true;
      try {
        if (this.backfillRequested) {
          this.backfillRequested = false;
          await this.runBackfill();
          for (const w of this.backfillWaiters.splice(0)) w();
        } else if (this.reconcileRequested) {
          this.reconcileRequested = false;
          const waiters = this.reconcileWaiters.splice(0);
          try {
            const repairs = await this.runReconcile(null);
            for (const w of waiters) w.resolve(repairs);
          } catch (err) {
            for (const w of waiters) w.reject(err);
            throw err;
          }
        } else if (this.targeted.size > 0) {
          const keys = [...this.targeted];
          this.targeted.clear();
          await this.runReconcile(keys);
        } else if (this.queue.length > 0) {
          const batch = this.queue.splice(0, this.config.liveBatchMax);
          await this.applyRaw(batch);
        } else if (this.pruneRequested) {
          this.pruneRequested = false;
          // Subscribers resuming from older cursors get CURSOR_EXPIRED (docs/API.md).
          await this.writer!.pruneChanges(this.config.changesRetentionHours);
        }
      } finally {
        this.busy = false;
      }
      if (this.isIdle()) {
        if (this.m.chainSlot < this.m.headSlot) this.m.chainSlot = this.m.headSlot;
        for (const w of this.idleWaiters.splice(0)) w();
      }
      if (!this.running) break;
      if (this.queue.length === 0 && !this.backfillRequested && !this.reconcileRequested && this.targeted.size === 0 && !this.pruneRequested && !this.fatal) {
        await new Promise<void>((resolve) => {
          this.wake = () => {
            this.wake = null;
            resolve();
          };
        });
      }
    }
  }

  private async applyRaw(raw: RawTransaction[], watermark?: Watermark): Promise<void> {
    const writer = this.writer;
    if (!writer) throw new Error('no writer');
    const decoded: DecodedTransaction[] = [];
    for (const tx of raw) {
      const d = decodeTransaction(tx, new PublicKey(this.config.programId));
      if (d) decoded.push(d);
    }
    if (decoded.length === 0 && !watermark) return;
    // Backfill windows come in getSignaturesForAddress (slot) order; apply them
    // in program-clock order, slot second (stable: same-slot order is kept).
    if (watermark) decoded.sort(byChainOrder);
    const result = await writer.apply(decoded, watermark);
    for (const tx of decoded) if (tx.slot > this.m.headSlot) this.m.headSlot = tx.slot;
    if (watermark && Number(watermark.slot) > this.m.watermarkSlot) this.m.watermarkSlot = Number(watermark.slot);
    if (this.m.headSlot > this.m.chainSlot) this.m.chainSlot = this.m.headSlot;
    this.m.eventsApplied += result.newEvents;
    this.m.transactionsApplied += result.newTransactions;
    this.m.lastAppliedAt = Date.now();
    for (const key of result.reconcile) this.targeted.add(key);
    // After commit, never awaited: ingestion does not wait on the bus.
    this.publisher.enqueue(result.messages);
  }

  private async runBackfill(): Promise<void> {
    const writer = this.writer!;
    const cp = await writer.readCheckpoint();
    await backfill({
      rpc: this.rpc,
      programId: this.config.programId,
      logger: this.logger.child({ sub: 'backfill' }),
      concurrency: this.config.backfillConcurrency,
      windowSize: this.config.backfillWindow,
      until: cp && cp.signature ? cp.signature : null,
      known: (sigs) => writer.knownSignatures(sigs),
      apply: (txs, watermark) => this.applyRaw(txs, watermark),
      progress: this.progress,
      signal: this.abort.signal,
    });
  }

  private async runReconcile(keys: string[] | null): Promise<RepairRecord[]> {
    const writer = this.writer!;
    const snap = await fetchSnapshot(this.rpc, this.config.programId, keys);
    // Everything up to the snapshot's slot must be applied before comparing.
    await this.runBackfill();
    const changes: BusMessage[] = [];
    const repairs = await writer.transaction(async (db) => {
      const r = await repairFromSnapshot(db, snap, this.logger.child({ sub: 'reconcile' }), (m) => changes.push(...m));
      // Repaired rows are committed changes too: logged and published like the others.
      await writer.logChanges(changes);
      if (keys === null) {
        await db.query('UPDATE checkpoints SET reconciled_slot = $2, reconciled_at = now() WHERE id = $1', [
          this.config.programId,
          snap.slot.toString(),
        ]);
      }
      return r;
    });
    this.publisher.enqueue(changes);
    this.m.reconcile.runs++;
    this.m.reconcile.repairs += repairs.length;
    if (keys === null) this.m.reconcile.lastSlot = Number(snap.slot);
    this.m.reconcile.lastRunAt = Date.now();
    return repairs;
  }

  private async pollSlot(): Promise<void> {
    if (Date.now() - this.lastSlotNotice < 5_000) return;
    try {
      const slot = await this.rpc.getSlot();
      if (slot > this.m.chainSlot) this.m.chainSlot = slot;
    } catch {
      // RPC down: the loop reports it when it needs the RPC
    }
  }
}

const firstTs = (tx: DecodedTransaction): bigint =>
  tx.events.length > 0 ? ((tx.events[0].event.data as { timestamp: bigint }).timestamp) : 0n;
function byChainOrder(a: DecodedTransaction, b: DecodedTransaction): number {
  const ta = firstTs(a);
  const tb = firstTs(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.slot - b.slot;
}

/** An indexer; `config` is validated and completed with the defaults (ingest/config.ts). */
export function createIndexer(config: IndexerConfigInput, deps: IndexerDeps = {}): Indexer {
  return new Indexer(parseIndexerConfig(config), deps);
}

/** create(config) as in the other packages' library classes. */
export const create = createIndexer;
