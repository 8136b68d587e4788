// The indexer's configuration: one set of defaults, and a clear error naming
// the variable for every bad value (no chain or database needed).
import { describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { ConfigError, DEFAULTS, configFromEnv, createIndexer, parseIndexerConfig } from '../src/indexer.js';

const base = { SOLANA_RPC_URL: 'http://127.0.0.1:8899', DATABASE_URL: 'postgres://u@127.0.0.1:5432/dvpn' };

describe('indexer config', () => {
  it('fills in the defaults: ws URL on port + 1, the SDK program, the documented tuning', () => {
    const c = configFromEnv(base);
    // toEqual: redisUrl and metricsPort are unset (undefined).
    expect(c).toEqual({
      rpcUrl: 'http://127.0.0.1:8899',
      wsUrl: 'ws://127.0.0.1:8900/',
      databaseUrl: base.DATABASE_URL,
      programId: DVPN_PROGRAM_ID.toBase58(),
      redisUrl: undefined,
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
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
    });
    // Code and environment share the same defaults.
    expect(parseIndexerConfig({ rpcUrl: base.SOLANA_RPC_URL, databaseUrl: base.DATABASE_URL })).toEqual(c);
    expect(c).toMatchObject(DEFAULTS);
  });

  it('reads every variable; empty ones count as unset', () => {
    const c = configFromEnv({
      ...base,
      SOLANA_WS_URL: 'wss://rpc.example:443/ws',
      REDIS_URL: '',
      INDEXER_BACKFILL_WINDOW: ' 50 ',
      INDEXER_RECONCILE_ON_START: 'false',
      INDEXER_SYNCHRONOUS_COMMIT: '1',
      INDEXER_CHANGES_RETENTION_HOURS: '0.5',
      INDEXER_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      wsUrl: 'wss://rpc.example:443/ws',
      backfillWindow: 50,
      reconcileOnStart: false,
      synchronousCommit: true,
      changesRetentionHours: 0.5,
      metricsPort: 0,
      logLevel: 'warn',
    });
    expect(c.redisUrl).toBeUndefined();
  });

  it('names the variable, the value and the rule of every bad setting at once', () => {
    let err: unknown;
    try {
      configFromEnv({
        DATABASE_URL: 'mysql://x',
        INDEXER_BACKFILL_WINDOW: 'ten',
        INDEXER_LIVE_QUEUE_MAX: '0',
        INDEXER_LOCK_POLL_MS: '2.5',
        INDEXER_RECONCILE_ON_START: 'maybe',
        INDEXER_METRICS_PORT: '70000',
        PROGRAM_ID: 'not-a-key',
        REDIS_URL: 'localhost:6379',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toBe('invalid indexer configuration:');
    const line = (name: string) => lines.find((l) => l.trimStart().startsWith(`${name} `));
    expect(line('SOLANA_RPC_URL')).toMatch(/\(missing\): required/);
    expect(line('DATABASE_URL')).toMatch(/"mysql:\/\/x"\): must be a postgres:\/\/ URL/);
    expect(line('INDEXER_BACKFILL_WINDOW')).toMatch(/"ten"\): .*expected number/);
    expect(line('INDEXER_LIVE_QUEUE_MAX')).toMatch(/\(0\): must be greater than 0/);
    expect(line('INDEXER_LOCK_POLL_MS')).toMatch(/\(2\.5\): must be an integer/);
    expect(line('INDEXER_RECONCILE_ON_START')).toMatch(/"maybe"\): .*expected boolean/);
    expect(line('INDEXER_METRICS_PORT')).toMatch(/\(70000\): must be a port number/);
    expect(line('PROGRAM_ID')).toMatch(/must be a base58 public key/);
    expect(line('REDIS_URL')).toMatch(/must be a redis:\/\/ URL/);
    expect(line('LOG_LEVEL')).toMatch(/must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(lines).toHaveLength(11);
  });

  it('createIndexer checks a config given in code, by field name', () => {
    expect(() => createIndexer({ rpcUrl: 'http://127.0.0.1:8899', databaseUrl: 'postgres://x', liveBatchMax: -1 })).toThrow(
      /liveBatchMax \(-1\): must be greater than 0/,
    );
    expect(() =>
      createIndexer({ rpcUrl: 'http://127.0.0.1:8899', databaseUrl: 'postgres://x', ...({ backfillWindows: 5 } as object) }),
    ).toThrow(/backfillWindows: not an indexer setting/);
  });
});
