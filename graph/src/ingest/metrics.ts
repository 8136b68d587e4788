// Ingestion metrics: a snapshot object per indexer, exported as
// `dvpn_indexer_*` gauges and counters (label `program`) in the process's
// prom-client registry (../metrics.ts), read from every indexer running in
// this process when scraped. The API's /metrics serves that registry.
import { Counter, Gauge, type Registry } from 'prom-client';
import { processRegistry } from '../metrics.js';

export interface IndexerMetrics {
  programId: string;
  /** leader: holds the advisory lock and writes; standby: waits for it. */
  role: 'starting' | 'standby' | 'leader' | 'stopped';
  /** Newest chain slot seen (slotSubscribe / getSlot). */
  chainSlot: number;
  /** Slot of the newest transaction applied. */
  headSlot: number;
  /** Every program transaction up to this slot is applied. */
  watermarkSlot: number;
  /** Slots between the chain tip and what is applied: 0 when caught up (nothing queued, live connected). */
  lagSlots: number;
  /** Applied by this process. */
  eventsApplied: number;
  transactionsApplied: number;
  /** Live notifications waiting to be applied. */
  queueDepth: number;
  lastAppliedAt: number | null;
  live: { connected: boolean; reconnects: number; notifications: number; failedSkipped: number; dropped: number };
  backfill: {
    running: boolean;
    total: number;
    done: number;
    runs: number;
    lastRunAt: number | null;
    lastRunMs: number | null;
    lastRunTransactions: number;
    fetchedTotal: number;
  };
  reconcile: { runs: number; repairs: number; lastSlot: number | null; lastRunAt: number | null };
  publishErrors: number;
}

type Source = () => IndexerMetrics;
const sources = new Set<Source>();

/** Registers a metrics source (the indexer does it on start); returns the unregister function. */
export function registerMetricsSource(source: Source): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

/** Snapshots of every indexer running in this process. */
export function collectIndexerMetrics(): IndexerMetrics[] {
  return [...sources].map((s) => s());
}

/** True when an indexer runs in this process (its metrics are in the process registry). */
export function hasIndexerMetrics(): boolean {
  return sources.size > 0;
}

type Read = (m: IndexerMetrics) => number | null;

/**
 * Registers the `dvpn_indexer_*` metrics on `registry` (the process registry
 * by default), each read from every registered indexer when scraped.
 */
export function registerIndexerMetrics(registry: Registry, prefix = 'dvpn_indexer'): void {
  const metric = (name: string, type: 'gauge' | 'counter', help: string, read: Read) => {
    const each = (write: (labels: { program: string }, v: number) => void) => {
      for (const m of collectIndexerMetrics()) {
        const v = read(m);
        if (v === null || v === undefined || Number.isNaN(v)) continue;
        write({ program: m.programId }, v);
      }
    };
    const common = { name: `${prefix}_${name}`, help, labelNames: ['program'] as const, registers: [registry] };
    if (type === 'gauge') {
      new Gauge({ ...common, collect() { this.reset(); each((l, v) => this.set(l, v)); } });
    } else {
      // The indexer keeps its own running totals: the counter is rebuilt from them at each scrape.
      new Counter({ ...common, collect() { this.reset(); each((l, v) => this.inc(l, v)); } });
    }
  };
  metric('leader', 'gauge', '1 when this indexer holds the writer lock', (m) => (m.role === 'leader' ? 1 : 0));
  metric('lag_slots', 'gauge', 'Ingestion lag in slots (chain tip minus applied; 0 when caught up)', (m) => m.lagSlots);
  metric('chain_slot', 'gauge', 'Newest chain slot seen', (m) => m.chainSlot);
  metric('head_slot', 'gauge', 'Slot of the newest applied transaction', (m) => m.headSlot);
  metric('watermark_slot', 'gauge', 'Every program transaction up to this slot is applied', (m) => m.watermarkSlot);
  metric('events_applied_total', 'counter', 'Program events applied by this process', (m) => m.eventsApplied);
  metric('transactions_applied_total', 'counter', 'Transactions applied by this process', (m) => m.transactionsApplied);
  metric('queue_depth', 'gauge', 'Live notifications waiting to be applied', (m) => m.queueDepth);
  metric('last_apply_timestamp_seconds', 'gauge', 'Unix time of the last applied batch', (m) => (m.lastAppliedAt === null ? null : m.lastAppliedAt / 1000));
  metric('live_connected', 'gauge', '1 when the logs subscription is active', (m) => (m.live.connected ? 1 : 0));
  metric('live_reconnects_total', 'counter', 'Websocket reconnections', (m) => m.live.reconnects);
  metric('live_notifications_total', 'counter', 'Log notifications received', (m) => m.live.notifications);
  metric('live_failed_skipped_total', 'counter', 'Failed transactions skipped', (m) => m.live.failedSkipped);
  metric('live_dropped_total', 'counter', 'Live notifications dropped from a full queue (fetched by backfill instead)', (m) => m.live.dropped);
  metric('backfill_running', 'gauge', '1 while a backfill runs', (m) => (m.backfill.running ? 1 : 0));
  metric('backfill_total', 'gauge', 'Transactions to fetch in the current/last backfill', (m) => m.backfill.total);
  metric('backfill_done', 'gauge', 'Transactions fetched and applied in the current/last backfill', (m) => m.backfill.done);
  metric('backfill_progress_ratio', 'gauge', 'Backfill progress (1 when done)', (m) => (m.backfill.total === 0 ? 1 : m.backfill.done / m.backfill.total));
  metric('backfill_runs_total', 'counter', 'Backfill runs', (m) => m.backfill.runs);
  metric('backfill_fetched_total', 'counter', 'Transactions fetched by backfill', (m) => m.backfill.fetchedTotal);
  metric('reconcile_runs_total', 'counter', 'Reconciliation runs', (m) => m.reconcile.runs);
  metric('reconcile_repairs_total', 'counter', 'Differences repaired by reconciliation', (m) => m.reconcile.repairs);
  metric('publish_errors_total', 'counter', 'Bus publish failures', (m) => m.publishErrors);
}

registerIndexerMetrics(processRegistry);

/** Prometheus text of the process registry (default metrics and every indexer in this process). */
export function metricsText(): Promise<string> {
  return processRegistry.metrics();
}
