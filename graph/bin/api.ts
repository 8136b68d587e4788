#!/usr/bin/env -S node --import tsx
// dvpn GraphQL API (one replica): GraphQL + SSE + graphql-ws at /graphql,
// REST, /healthz, /readyz, /metrics. Configuration from the environment:
//   DATABASE_URL (required), REDIS_URL (needed when the indexer runs in
//   another process), SOLANA_RPC_URL (for /readyz), PROGRAM_ID, PORT, HOST,
//   the API_* limits (tokens, aliases, depth, directives, cost, page size,
//   response size, statement timeout, rate limit, subscriptions and
//   WebSocket connections per client), API_PERSISTED_OPERATIONS, the
//   response cache (API_RESPONSE_CACHE*, API_CACHE_*), CORS_ORIGIN, LOG_LEVEL
//   (see .env.example and docs/API.md).
// SIGINT/SIGTERM stop it gracefully.
import { createBus } from '../src/bus.js';
import { createPrismaClient } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { apiConfigFromEnv } from '../src/api/config.js';
import { createRpcProbe } from '../src/api/ingestion.js';
import { createApiServer } from '../src/api/server.js';

async function main(): Promise<void> {
  const config = apiConfigFromEnv();
  const logger = createLogger({ level: config.logLevel, name: 'dvpn-api' });
  const prisma = createPrismaClient(config.databaseUrl, { max: config.dbPool, statementTimeoutMs: config.statementTimeoutMs });
  const bus = createBus({ redisUrl: config.redisUrl, logger: logger.child({ sub: 'bus' }) });
  if (!config.redisUrl) logger.warn('REDIS_URL is not set: subscriptions only see changes published in this process');
  const server = createApiServer({
    prisma,
    bus,
    logger,
    port: config.port,
    host: config.host,
    programId: config.programId,
    rpc: config.rpcUrl ? createRpcProbe(config.rpcUrl, config.programId) : null,
    stallAfterMs: config.stallAfterMs,
    limits: {
      maxTokens: config.maxTokens,
      maxAliases: config.maxAliases,
      maxDepth: config.maxDepth,
      maxDirectives: config.maxDirectives,
      maxCost: config.maxCost,
      maxPageSize: config.maxPageSize,
      maxResponseBytes: config.maxResponseBytes,
    },
    costBudget: config.costBudget > 0 ? { points: config.costBudget, durationSeconds: config.rateWindowSeconds, trustProxy: config.trustProxy } : false,
    rateLimit: config.rateLimit > 0 ? { points: config.rateLimit, durationSeconds: config.rateWindowSeconds, trustProxy: config.trustProxy } : false,
    maxSubscriptionsPerClient: config.maxSubscriptionsPerClient,
    maxWsConnectionsPerClient: config.maxWsConnectionsPerClient,
    trustProxy: config.trustProxy,
    corsOrigin: config.corsOrigin,
    persistedOperations: config.persistedOperations,
    responseCache: config.responseCache,
    ...(config.app ? { app: config.app } : {}),
  });
  const { url } = await server.start();
  if (config.app) logger.info({ dir: config.app.dir, url: `${url}${config.app.path}` }, 'serving the web app');
  process.send?.({ type: 'listening', url });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server
      .stop()
      .then(() => Promise.all([bus.close(), prisma.$disconnect()]))
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
