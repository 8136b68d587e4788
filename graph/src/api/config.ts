// API configuration from the environment, in one place (see .env.example).
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { z } from 'zod';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required'),
  REDIS_URL: z.string().optional(),
  SOLANA_RPC_URL: z.string().url().optional(),
  PROGRAM_ID: z.string().optional(),
  LOG_LEVEL: z.string().default('info'),
  API_MAX_DEPTH: z.coerce.number().int().positive().default(12),
  API_MAX_COST: z.coerce.number().int().positive().default(5000),
  API_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  API_STALL_AFTER_MS: z.coerce.number().int().positive().default(10_000),
  API_DB_POOL: z.coerce.number().int().positive().default(10),
  CORS_ORIGIN: z.string().optional(),
});

export interface ApiConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl?: string;
  rpcUrl?: string;
  programId: string;
  logLevel: string;
  maxDepth: number;
  maxCost: number;
  maxPageSize: number;
  stallAfterMs: number;
  dbPool: number;
  corsOrigin?: string[];
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
    maxDepth: e.API_MAX_DEPTH,
    maxCost: e.API_MAX_COST,
    maxPageSize: e.API_MAX_PAGE_SIZE,
    stallAfterMs: e.API_STALL_AFTER_MS,
    dbPool: e.API_DB_POOL,
    corsOrigin: e.CORS_ORIGIN ? e.CORS_ORIGIN.split(',').map((s) => s.trim()) : undefined,
  };
}
