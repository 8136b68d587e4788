// The indexer's configuration in one place: one zod schema with the defaults
// (DEFAULTS), the environment variable of each field (INDEXER_ENV), and the
// two ways in: parseIndexerConfig(object) for code (tests, make dev, benches)
// and configFromEnv(env) for graph/bin/indexer.ts. Both throw a ConfigError
// naming every bad field and its variable.
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { PublicKey } from '@solana/web3.js';
import { z } from 'zod';

/** Every default of the indexer (graph/README.md lists them with their variables). */
export const DEFAULTS = {
  programId: DVPN_PROGRAM_ID.toBase58(),
  backfillConcurrency: 8,
  backfillWindow: 100,
  backfillIntervalMs: 30_000,
  reconcileIntervalMs: 300_000,
  reconcileOnStart: true,
  lockPollMs: 500,
  liveBatchMax: 200,
  liveQueueMax: 10_000,
  changesRetentionHours: 168,
  synchronousCommit: false,
  logLevel: 'info',
  metricsHost: '127.0.0.1',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const url = (schemes: RegExp, what: string) =>
  z.string().refine((v) => {
    try {
      return schemes.test(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a ${what} URL`);
const positiveInt = (d: number) => z.number().int('must be an integer').positive('must be greater than 0').default(d);
const nonNegativeInt = (d: number) => z.number().int('must be an integer').nonnegative('must be 0 or more').default(d);

const Schema = z
  .object({
    rpcUrl: url(/^https?:$/, 'http(s)'),
    /** PubSub endpoint; default: the RPC URL with the ws scheme and port + 1, as Solana validators serve it. */
    wsUrl: url(/^wss?:$/, 'ws(s)').optional(),
    databaseUrl: url(/^(postgres(ql)?|socket):$/, 'postgres://'),
    /** Redis pub/sub for the bus (in process when absent). */
    redisUrl: url(/^rediss?:$/, 'redis://').optional(),
    programId: z
      .string()
      .refine((v) => {
        try {
          return new PublicKey(v).toBase58() === v;
        } catch {
          return false;
        }
      }, 'must be a base58 public key')
      .default(DEFAULTS.programId),
    /** getTransaction calls in flight during backfill. */
    backfillConcurrency: positiveInt(DEFAULTS.backfillConcurrency),
    /** Transactions per backfill window (one DB transaction each). */
    backfillWindow: positiveInt(DEFAULTS.backfillWindow),
    /** Periodic backfill pass (catches notifications the websocket never delivered); 0 disables. */
    backfillIntervalMs: nonNegativeInt(DEFAULTS.backfillIntervalMs),
    /** Periodic full reconciliation; 0 disables (it still runs once after the first backfill unless reconcileOnStart is false). */
    reconcileIntervalMs: nonNegativeInt(DEFAULTS.reconcileIntervalMs),
    reconcileOnStart: z.boolean().default(DEFAULTS.reconcileOnStart),
    /** Advisory lock poll interval while standing by. */
    lockPollMs: positiveInt(DEFAULTS.lockPollMs),
    /** Live notifications applied per DB transaction at most. */
    liveBatchMax: positiveInt(DEFAULTS.liveBatchMax),
    /** Live notifications waiting at most; beyond it they are dropped and a backfill (from the watermark) fetches them. */
    liveQueueMax: positiveInt(DEFAULTS.liveQueueMax),
    /** Change-log rows (subscription resume window) kept this long; 0 keeps them forever. */
    changesRetentionHours: z.number().nonnegative('must be 0 or more').default(DEFAULTS.changesRetentionHours),
    /** Wait for the WAL flush at every commit (default off: see store/writer.ts). */
    synchronousCommit: z.boolean().default(DEFAULTS.synchronousCommit),
    logLevel: z
      .string()
      .refine((v) => (LOG_LEVELS as readonly string[]).includes(v), `must be one of ${LOG_LEVELS.join(', ')}`)
      .default(DEFAULTS.logLevel),
    /** graph/bin/indexer.ts serves /metrics and /healthz on this port (absent: not served). */
    metricsPort: z.number().int('must be an integer').min(0, 'must be a port number').max(65535, 'must be a port number').optional(),
    metricsHost: z.string().min(1).default(DEFAULTS.metricsHost),
  })
  .strict()
  .transform((c) => ({ ...c, wsUrl: c.wsUrl ?? defaultWsUrl(c.rpcUrl) }));

export type IndexerConfig = z.output<typeof Schema>;
/** What callers pass: the URLs, anything else to override a default. */
export type IndexerConfigInput = z.input<typeof Schema>;

type Kind = 'string' | 'number' | 'boolean';
/** The environment variable of each field, and how its text is read. */
export const INDEXER_ENV = {
  rpcUrl: ['SOLANA_RPC_URL', 'string'],
  wsUrl: ['SOLANA_WS_URL', 'string'],
  databaseUrl: ['DATABASE_URL', 'string'],
  redisUrl: ['REDIS_URL', 'string'],
  programId: ['PROGRAM_ID', 'string'],
  backfillConcurrency: ['INDEXER_BACKFILL_CONCURRENCY', 'number'],
  backfillWindow: ['INDEXER_BACKFILL_WINDOW', 'number'],
  backfillIntervalMs: ['INDEXER_BACKFILL_INTERVAL_MS', 'number'],
  reconcileIntervalMs: ['INDEXER_RECONCILE_INTERVAL_MS', 'number'],
  reconcileOnStart: ['INDEXER_RECONCILE_ON_START', 'boolean'],
  lockPollMs: ['INDEXER_LOCK_POLL_MS', 'number'],
  liveBatchMax: ['INDEXER_LIVE_BATCH_MAX', 'number'],
  liveQueueMax: ['INDEXER_LIVE_QUEUE_MAX', 'number'],
  changesRetentionHours: ['INDEXER_CHANGES_RETENTION_HOURS', 'number'],
  synchronousCommit: ['INDEXER_SYNCHRONOUS_COMMIT', 'boolean'],
  logLevel: ['LOG_LEVEL', 'string'],
  metricsPort: ['INDEXER_METRICS_PORT', 'number'],
  metricsHost: ['INDEXER_METRICS_HOST', 'string'],
} as const satisfies { [K in keyof IndexerConfigInput]-?: readonly [string, Kind] };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Ws URL from the RPC URL when none is given (http->ws, port + 1 as Solana validators do). */
export function defaultWsUrl(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (u.port) u.port = String(Number(u.port) + 1);
  return u.toString();
}

/** Validates a config object and fills in the defaults; throws a ConfigError naming every bad field. */
export function parseIndexerConfig(input: IndexerConfigInput, shown: (key: string) => string = (k) => k): IndexerConfig {
  const parsed = Schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `  ${i.keys.join(', ')}: not an indexer setting`;
    const key = String(i.path[0] ?? '');
    const value = (input as Record<string, unknown>)[key];
    const got = value === undefined ? 'missing' : JSON.stringify(value);
    const message = value === undefined && i.code === 'invalid_type' ? 'required' : i.message;
    return `  ${shown(key)} (${got}): ${message}`;
  });
  throw new ConfigError(`invalid indexer configuration:\n${lines.join('\n')}`);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN: Record<string, boolean> = { '1': true, true: true, yes: true, on: true, '0': false, false: false, no: false, off: false };

/** The indexer's configuration from the environment (empty variables count as unset). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): IndexerConfig {
  const input: Record<string, unknown> = {};
  for (const [key, [name, kind]] of Object.entries(INDEXER_ENV) as [string, readonly [string, Kind]][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    // Text that is not a number or a boolean stays text: the schema then names the variable and the value.
    if (kind === 'number') input[key] = NUMBER.test(raw) ? Number(raw) : raw;
    else if (kind === 'boolean') input[key] = BOOLEAN[raw.toLowerCase()] ?? raw;
    else input[key] = raw;
  }
  return parseIndexerConfig(input as IndexerConfigInput, (key) => INDEXER_ENV[key as keyof typeof INDEXER_ENV]?.[0] ?? key);
}
