// The API's Prometheus metrics (prom-client). Each ApiMetrics has a registry
// of its own for the `dvpn_api_*` and `dvpn_ingest_*` names (several API
// servers may run in one process, in tests); /metrics serves it merged with
// the process registry (../metrics.ts: default process and Node.js metrics,
// and the indexer's `dvpn_indexer_*` when an indexer runs in this process).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus } from '../bus.js';
import { processRegistry } from '../metrics.js';
import type { IngestionStatus } from './ingestion.js';
import type { Readiness } from './use-health.js';

export type Transport = 'ws' | 'sse';

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private readonly active: Record<Transport, number> = { ws: 0, sse: 0 };
  private bus: Bus | null = null;
  private ingestion: IngestionStatus | null = null;
  private readiness: Readiness | null = null;

  readonly operationDuration = new Histogram({
    name: 'dvpn_api_graphql_duration_seconds',
    help: 'GraphQL query/mutation execution time (from parse to result), by operation type.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: this.registers,
  });
  readonly operations = new Counter({
    name: 'dvpn_api_graphql_operations_total',
    help: 'GraphQL operations, by type and outcome (ok, error).',
    labelNames: ['operation', 'outcome'] as const,
    registers: this.registers,
  });
  readonly refused = new Counter({
    name: 'dvpn_api_graphql_refused_total',
    help: 'Requests refused by a protection rule (tokens, aliases, depth, directives, cost, page size, response size, statement timeout, rate limit), by rule.',
    labelNames: ['rule'] as const,
    registers: this.registers,
  });
  readonly compiledReads = new Counter({
    name: 'dvpn_api_compiled_reads_total',
    help: 'Queries of the compiled hot shapes (compiled-reads.ts), by outcome: answered without graphql-js, or handed back to it at run time.',
    labelNames: ['outcome'] as const,
    registers: this.registers,
  });
  readonly subscriptions = new Gauge({
    name: 'dvpn_api_subscriptions_active',
    help: 'GraphQL subscriptions running now, by transport (ws, sse).',
    labelNames: ['transport'] as const,
    registers: this.registers,
  });
  readonly wsConnections = new Gauge({
    name: 'dvpn_api_ws_connections',
    help: 'graphql-ws WebSocket connections open now.',
    registers: this.registers,
  });
  readonly subscriptionEvents = new Counter({
    name: 'dvpn_api_subscription_events_total',
    help: 'Subscription results sent to clients, by field.',
    labelNames: ['field'] as const,
    registers: this.registers,
  });
  readonly restRequests = new Counter({
    name: 'dvpn_api_rest_requests_total',
    help: 'REST requests, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: this.registers,
  });

  readonly responseCache = new Counter({
    name: 'dvpn_api_response_cache_requests_total',
    help: 'Cacheable GraphQL queries and REST answers by cache result: hit (answered from the server cache), miss, not_modified (If-None-Match matched: 304).',
    labelNames: ['result'] as const,
    registers: this.registers,
  });
  readonly responseCacheEvictions = new Counter({
    name: 'dvpn_api_response_cache_evictions_total',
    help: 'Response cache entries dropped to stay within its byte and entry bounds (entries of a version the indexer moved past are dropped too, not counted here).',
    registers: this.registers,
  });
  private responseCacheSize: (() => { entries: number; bytes: number }) | null = null;

  constructor() {
    const self = this;
    new Gauge({
      name: 'dvpn_api_response_cache_entries',
      help: 'Answers held by the response cache.',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.responseCacheSize) this.set(self.responseCacheSize().entries);
      },
    });
    new Gauge({
      name: 'dvpn_api_response_cache_bytes',
      help: 'Approximate memory held by the response cache (UTF-16 bytes of the answers plus overhead).',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.responseCacheSize) this.set(self.responseCacheSize().bytes);
      },
    });
    new Gauge({
      name: 'dvpn_api_subscribers_connected',
      help: 'Subscribers connected (GraphQL subscriptions over WebSocket and SSE).',
      registers: this.registers,
      collect() {
        this.set(self.subscribersConnected());
      },
    });
    new Gauge({
      name: 'dvpn_api_ready',
      help: '1 when /readyz would answer 200 (database, RPC and ingestion checks pass).',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.readiness) this.set(self.readiness.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dvpn_api_dependency_up',
      help: 'Readiness check per dependency (database, rpc, ingestion): 1 passing, 0 failing.',
      labelNames: ['dependency'] as const,
      registers: this.registers,
      collect() {
        this.reset();
        for (const [dependency, check] of Object.entries(self.readiness?.checks ?? {})) this.set({ dependency }, check.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dvpn_api_bus_connected',
      help: '1 while the change bus transport is connected (Redis: publisher and subscriber ready; in-process: always).',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.bus) this.set(self.bus.connected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dvpn_api_bus_subscribers',
      help: 'Subscribers registered on the change bus in this process.',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.bus) this.set(self.bus.subscriberCount());
      },
    });
    // What the API knows about ingestion (ingestion.ts), set before each scrape.
    const ingest = (name: string, help: string, read: (s: IngestionStatus) => number | null) =>
      new Gauge({
        name: `dvpn_ingest_${name}`,
        help,
        registers: this.registers,
        collect() {
          this.reset();
          const v = self.ingestion ? read(self.ingestion) : null;
          if (v !== null) this.set(v);
        },
      });
    ingest('lag_slots', 'Slots between the newest program transaction on chain and the newest applied.', (s) => s.lagSlots);
    ingest('indexed_slot', 'Newest slot applied (checkpoint).', (s) => s.indexedSlot);
    ingest('chain_slot', 'Slot of the newest program transaction on chain.', (s) => s.chainSlot);
    ingest('backfill_progress', 'Backfill progress, 0..1 (1 when idle).', (s) => s.backfillProgress);
    ingest('stalled', '1 when ingestion is behind and not moving.', (s) => (s.stalled ? 1 : 0));
    new Counter({
      name: 'dvpn_ingest_events_applied_total',
      help: 'Program events applied to the database.',
      registers: this.registers,
      collect() {
        this.reset();
        if (self.ingestion?.eventsApplied != null) this.inc(self.ingestion.eventsApplied);
      },
    });
  }

  /** The response cache whose size /metrics reports. */
  watchResponseCache(size: () => { entries: number; bytes: number }): void {
    this.responseCacheSize = size;
  }

  /** The bus whose subscribers /metrics reports. */
  watchBus(bus: Bus): void {
    this.bus = bus;
  }

  /** The readiness checks the next scrape reports (null: unknown). */
  setReadiness(r: Readiness | null): void {
    this.readiness = r;
  }

  /** The ingestion status the next scrape reports (null: unknown). */
  setIngestion(status: IngestionStatus | null): void {
    this.ingestion = status;
  }

  subscriptionStarted(transport: Transport): void {
    this.active[transport]++;
    this.subscriptions.inc({ transport });
  }

  subscriptionEnded(transport: Transport): void {
    this.active[transport]--;
    this.subscriptions.dec({ transport });
  }

  /** Subscribers connected: subscriptions over every transport. */
  subscribersConnected(): number {
    return this.active.ws + this.active.sse;
  }

  /** Prometheus text: this API's metrics and the process registry's. */
  text(): Promise<string> {
    return Registry.merge([processRegistry, this.registry]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
