// API configuration from the environment, in one place (see .env.example).
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { z } from 'zod';
import { normalizeAppPath } from './app-static.js';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required'),
  REDIS_URL: z.string().optional(),
  SOLANA_RPC_URL: z.string().url().optional(),
  PROGRAM_ID: z.string().optional(),
  LOG_LEVEL: z.string().default('info'),
  API_MAX_TOKENS: z.coerce.number().int().positive().default(5000),
  API_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  API_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  API_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  API_MAX_RESPONSE_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  API_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  API_RATE_LIMIT: z.coerce.number().int().min(0).default(300),
  API_COST_BUDGET: z.coerce.number().int().min(0).default(100_000),
  API_RATE_WINDOW_SECONDS: z.coerce.number().int().positive().default(10),
  API_MAX_SUBSCRIPTIONS_PER_CLIENT: z.coerce.number().int().min(0).default(50),
  API_MAX_WS_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).default(20),
  API_TRUST_PROXY: z.enum(['0', '1', 'true', 'false']).default('0'),
  API_MAX_COST: z.coerce.number().int().positive().default(10_000),
  API_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  API_STALL_AFTER_MS: z.coerce.number().int().positive().default(10_000),
  API_DB_POOL: z.coerce.number().int().positive().default(10),
  CORS_ORIGIN: z.string().optional(),
  API_PERSISTED_OPERATIONS: z.enum(['off', 'allow-get', 'only']).default('allow-get'),
  API_RESPONSE_CACHE: z.enum(['0', '1', 'true', 'false', 'on', 'off']).default('1'),
  API_RESPONSE_CACHE_FRESHNESS: z.enum(['strict', 'bus']).default('strict'),
  API_RESPONSE_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(64 * 1024 * 1024),
  API_RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).default(10_000),
  API_CACHE_MAX_AGE: z.coerce.number().int().min(0).max(3600).default(1),
  API_CACHE_STALE_WHILE_REVALIDATE: z.coerce.number().int().min(0).max(86_400).default(5),
  API_APP_DIR: z.string().optional(),
  API_APP_PATH: z.string().default('/app/'),
});

export interface ApiConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl?: string;
  rpcUrl?: string;
  programId: string;
  logLevel: string;
  maxTokens: number;
  maxAliases: number;
  maxDepth: number;
  maxDirectives: number;
  maxResponseBytes: number;
  /** 0: none. */
  statementTimeoutMs: number;
  /** Requests per client per window; 0: no limit. */
  rateLimit: number;
  /** Query cost per client per window; 0: no budget. */
  costBudget: number;
  rateWindowSeconds: number;
  /** Subscriptions (SSE + graphql-ws) one client may hold at once; 0: no cap. */
  maxSubscriptionsPerClient: number;
  /** WebSocket connections one client may hold at once; 0: no cap. */
  maxWsConnectionsPerClient: number;
  trustProxy: boolean;
  maxCost: number;
  maxPageSize: number;
  stallAfterMs: number;
  dbPool: number;
  corsOrigin?: string[];
  persistedOperations: 'off' | 'allow-get' | 'only';
  responseCache: {
    enabled: boolean;
    freshness: 'strict' | 'bus';
    maxBytes: number;
    maxEntries: number;
    maxAge: number;
    staleWhileRevalidate: number;
  };
  /** The web app's build served under a path (API_APP_DIR, API_APP_PATH); unset: none. */
  app?: { dir: string; path: string };
}

export function apiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = Env.parse(env);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL || undefined,
    rpcUrl: e.SOLANA_RPC_URL,
    programId: e.PROGRAM_ID || DVPN_PROGRAM_ID.toBase58(),
    logLevel: e.LOG_LEVEL,
    maxTokens: e.API_MAX_TOKENS,
    maxAliases: e.API_MAX_ALIASES,
    maxDepth: e.API_MAX_DEPTH,
    maxDirectives: e.API_MAX_DIRECTIVES,
    maxResponseBytes: e.API_MAX_RESPONSE_BYTES,
    statementTimeoutMs: e.API_STATEMENT_TIMEOUT_MS,
    rateLimit: e.API_RATE_LIMIT,
    costBudget: e.API_COST_BUDGET,
    rateWindowSeconds: e.API_RATE_WINDOW_SECONDS,
    maxSubscriptionsPerClient: e.API_MAX_SUBSCRIPTIONS_PER_CLIENT,
    maxWsConnectionsPerClient: e.API_MAX_WS_CONNECTIONS_PER_CLIENT,
    trustProxy: e.API_TRUST_PROXY === '1' || e.API_TRUST_PROXY === 'true',
    maxCost: e.API_MAX_COST,
    maxPageSize: e.API_MAX_PAGE_SIZE,
    stallAfterMs: e.API_STALL_AFTER_MS,
    dbPool: e.API_DB_POOL,
    corsOrigin: e.CORS_ORIGIN ? e.CORS_ORIGIN.split(',').map((s) => s.trim()) : undefined,
    persistedOperations: e.API_PERSISTED_OPERATIONS,
    responseCache: {
      enabled: ['1', 'true', 'on'].includes(e.API_RESPONSE_CACHE),
      freshness: e.API_RESPONSE_CACHE_FRESHNESS,
      maxBytes: e.API_RESPONSE_CACHE_MAX_BYTES,
      maxEntries: e.API_RESPONSE_CACHE_MAX_ENTRIES,
      maxAge: e.API_CACHE_MAX_AGE,
      staleWhileRevalidate: e.API_CACHE_STALE_WHILE_REVALIDATE,
    },
    app: e.API_APP_DIR ? { dir: e.API_APP_DIR, path: normalizeAppPath(e.API_APP_PATH) } : undefined,
  };
}
