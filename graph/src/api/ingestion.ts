// What the API knows about ingestion, for /readyz and /metrics.
//
// In the process that runs the indexer, the indexer's own metrics (registered
// by Indexer.start() in ingest/metrics.ts) are the source. An API replica
// without an indexer derives the same facts from Postgres (the checkpoint the indexer writes) and
// the RPC (the newest signature of the program): lag in slots is how far the
// program's newest transaction is ahead of the checkpoint, and ingestion is
// stalled when that gap has stayed open with no checkpoint progress for
// `stallAfterMs`.
import type { PrismaClient } from '../generated/prisma/index.js';
import { collectIndexerMetrics, type IndexerMetrics } from '../ingest/metrics.js';

export interface IngestionStatus {
  /** Slots between the newest program transaction seen on chain and the newest applied. */
  lagSlots: number | null;
  /** Newest slot applied (the checkpoint). */
  indexedSlot: number | null;
  /** Newest slot of a program transaction on chain (confirmed), when known. */
  chainSlot: number | null;
  eventsApplied: number | null;
  /** Backfill progress 0..1 when a backfill runs (1 when idle), null when unknown. */
  backfillProgress: number | null;
  /** True when ingestion is behind and not moving. */
  stalled: boolean;
  /** Free-form facts shown on /readyz. */
  detail?: Record<string, unknown>;
}

export interface IngestionSource {
  status(): Promise<IngestionStatus> | IngestionStatus;
}

export interface RpcProbe {
  /** Current confirmed slot (throws when the RPC is unreachable). */
  getSlot(): Promise<number>;
  /** Slot of the program's newest confirmed transaction (null when none). */
  newestProgramSlot(): Promise<number | null>;
}

/** A JSON-RPC probe over fetch (no web3.js connection kept open). */
export function createRpcProbe(rpcUrl: string, programId: string, timeoutMs = 3000): RpcProbe {
  let id = 0;
  async function call<T>(method: string, params: unknown[]): Promise<T> {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`RPC ${method}: HTTP ${res.status}`);
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`RPC ${method}: ${body.error.message}`);
    return body.result as T;
  }
  return {
    getSlot: () => call<number>('getSlot', [{ commitment: 'confirmed' }]),
    async newestProgramSlot() {
      const sigs = await call<{ slot: number; err: unknown }[]>('getSignaturesForAddress', [
        programId,
        { limit: 1, commitment: 'confirmed' },
      ]);
      return sigs.length > 0 ? sigs[0].slot : null;
    },
  };
}

/** Ingestion status from the checkpoint table and the RPC (for API replicas). */
export function databaseIngestionSource(
  prisma: PrismaClient,
  rpc: RpcProbe | null,
  opts: { stallAfterMs?: number; programId?: string } = {},
): IngestionSource {
  const stallAfterMs = opts.stallAfterMs ?? 10_000;
  let behindSince: number | null = null;
  let behindAtSlot: number | null = null;
  return {
    async status() {
      const cp = opts.programId
        ? await prisma.checkpoint.findUnique({ where: { id: opts.programId } })
        : await prisma.checkpoint.findFirst({ orderBy: { headSlot: 'desc' } });
      const indexedSlot = cp ? Number(cp.headSlot) : null;
      let chainSlot: number | null = null;
      if (rpc) chainSlot = await rpc.newestProgramSlot();
      // Lag is known only when the chain side is: without an RPC it is null
      // (never "0", which would tell a client the data is fresh); with one and
      // no program transaction on chain there is nothing to index (0).
      const lagSlots = chainSlot !== null ? Math.max(0, chainSlot - (indexedSlot ?? 0)) : rpc ? 0 : null;
      let stalled = false;
      if (lagSlots !== null && lagSlots > 0) {
        if (behindSince === null || behindAtSlot !== indexedSlot) {
          behindSince = Date.now();
          behindAtSlot = indexedSlot;
        }
        stalled = Date.now() - behindSince >= stallAfterMs;
      } else {
        behindSince = null;
        behindAtSlot = null;
      }
      return {
        lagSlots,
        indexedSlot,
        chainSlot,
        eventsApplied: cp ? Number(cp.eventsApplied) : null,
        backfillProgress: null,
        stalled,
        detail: {
          source: 'database',
          watermarkSlot: cp ? Number(cp.slot) : null,
          checkpointUpdatedAt: cp?.updatedAt.toISOString() ?? null,
        },
      };
    },
  };
}

/** Status from an in-process indexer's metrics snapshot. */
export function statusFromIndexer(m: IndexerMetrics, stallAfterMs: number, since: number): IngestionStatus {
  const lastProgress = m.lastAppliedAt ?? since;
  const stalled = m.role === 'leader' && m.lagSlots > 0 && Date.now() - lastProgress >= stallAfterMs;
  return {
    lagSlots: m.lagSlots,
    indexedSlot: m.headSlot,
    chainSlot: m.chainSlot,
    eventsApplied: m.eventsApplied,
    backfillProgress: m.backfill.total === 0 ? 1 : m.backfill.done / m.backfill.total,
    stalled,
    detail: {
      source: 'indexer',
      role: m.role,
      liveConnected: m.live.connected,
      queueDepth: m.queueDepth,
      backfillRunning: m.backfill.running,
    },
  };
}

/**
 * The default source: the indexer running in this process when there is one
 * (its leader, else any), otherwise the checkpoint table and the RPC. /metrics
 * reports it as `dvpn_ingest_*` (api/metrics.ts); an indexer in the process
 * also adds its own `dvpn_indexer_*` (ingest/metrics.ts).
 */
export function defaultIngestionSource(
  prisma: PrismaClient,
  rpc: RpcProbe | null,
  opts: { stallAfterMs?: number; programId?: string } = {},
): IngestionSource {
  const stallAfterMs = opts.stallAfterMs ?? 10_000;
  const since = Date.now();
  const db = databaseIngestionSource(prisma, rpc, opts);
  const local = () => {
    const all = collectIndexerMetrics();
    return all.find((m) => m.role === 'leader') ?? all[0];
  };
  return {
    async status() {
      const m = local();
      if (m && m.role !== 'standby' && m.role !== 'stopped') return statusFromIndexer(m, stallAfterMs, since);
      return db.status();
    },
  };
}
