#!/usr/bin/env -S node --import tsx
// dvpn indexer: chain -> Postgres -> bus. Configuration from the environment:
//   SOLANA_RPC_URL (required), SOLANA_WS_URL, DATABASE_URL (required), REDIS_URL, PROGRAM_ID,
//   INDEXER_* tuning (see graph/README.md), LOG_LEVEL; read and checked by src/ingest/config.ts.
// MIGRATE=1 applies the migrations first. SIGINT/SIGTERM stop it gracefully.
// INDEXER_METRICS_PORT (and INDEXER_METRICS_HOST, default 127.0.0.1) serve
// /metrics and /healthz for Prometheus.
import { ConfigError, configFromEnv, createIndexer } from '../src/indexer.js';
import { migrate } from '../src/db/migrate.js';
import { startIndexerMetricsServer } from '../src/ingest/metrics-server.js';

async function main(): Promise<void> {
  const config = configFromEnv();
  if (process.env.MIGRATE === '1') await migrate(config.databaseUrl);
  const indexer = createIndexer(config);
  if (config.metricsPort !== undefined) {
    const m = await startIndexerMetricsServer(config.metricsPort, config.metricsHost);
    indexer.logger.info({ port: m.port }, 'metrics on /metrics');
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    indexer.logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    indexer.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await indexer.start();
  indexer.whenLeader().then(() => process.send?.({ type: 'leader' }));
}

main().catch((err) => {
  // A bad setting is the operator's to fix: its message names the variable, no stack.
  console.error(err instanceof ConfigError ? err.message : err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
