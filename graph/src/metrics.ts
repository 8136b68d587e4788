// The process's Prometheus registry (prom-client): the default process and
// Node.js metrics (CPU, memory, event-loop lag, GC, handles) plus the
// indexer's `dvpn_indexer_*` (ingest/metrics.ts). One per process. An API
// keeps its own `dvpn_api_*` in a registry of its own (several API servers may
// run in one process, in tests) and serves both, merged, on /metrics.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const PROMETHEUS_CONTENT_TYPE = processRegistry.contentType;
