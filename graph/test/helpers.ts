// Test helpers for graph/: a migrated Postgres per test file (embedded, or a
// fresh database on DATABASE_URL's server), a real redis-server child process,
// a TCP proxy that can cut a websocket, chain <-> database comparisons.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { DVPN_PROGRAM_ID, parseEvents } from '@dvpn/sdk';
import { startEmbeddedPostgres, freePort } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { decodeTransaction, eventDataToJson, fromGetTransaction } from '../src/ingest/decode.js';
import { compareWithSnapshot, snapshotFromProgramAccounts, type RepairRecord } from '../src/ingest/reconcile.js';
import { Rpc } from '../src/ingest/rpc.js';
import type { IndexerConfigInput } from '../src/indexer.js';
import type { Chain } from '../../tests/harness/surfnet.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    await sleep(opts.intervalMs ?? 50);
  }
}

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Another fresh, migrated database on the same server. */
  another(): Promise<TestDatabase>;
  stop(): Promise<void>;
}

/** A migrated database: a new one on DATABASE_URL's server when set, else an embedded PostgreSQL. */
export async function startDatabase(): Promise<TestDatabase> {
  let adminUrl: string;
  let stopServer: () => Promise<void> = async () => undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const embedded = await startEmbeddedPostgres({ durable: false });
    adminUrl = embedded.url;
    stopServer = () => embedded.stop();
  }
  const created: TestDatabase[] = [];
  const make = async (): Promise<TestDatabase> => {
    const name = `dvpn_test_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    const url = u.toString();
    await migrate(url);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined); // connections ended by DROP DATABASE … FORCE at teardown
    const db: TestDatabase = {
      url,
      pool,
      async query(text, values) {
        return (await pool.query(text, values)).rows;
      },
      another: make,
      async stop() {
        await pool.end().catch(() => undefined);
        const a = new pg.Client({ connectionString: adminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
        await a.end();
      },
    };
    created.push(db);
    return db;
  };
  const first = await make();
  const stopAll = async () => {
    for (const d of created) await d.stop().catch(() => undefined);
    await stopServer();
  };
  return { ...first, stop: stopAll };
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server child process on a free port, no persistence. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** A TCP proxy in front of a websocket endpoint: cut() drops every connection and refuses new ones until resume(). */
export async function startProxy(targetUrl: string): Promise<{ url: string; cut(): void; resume(): void; close(): Promise<void> }> {
  const target = new URL(targetUrl);
  const port = await freePort();
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const u = new URL(targetUrl);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return {
    url: u.toString(),
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    resume() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What the tests change from the indexer's defaults (createIndexer fills in the rest). */
export function indexerConfig(chain: Chain, databaseUrl: string, overrides: Partial<IndexerConfigInput> = {}): IndexerConfigInput {
  return {
    rpcUrl: chain.rpcUrl,
    wsUrl: chain.wsUrl,
    databaseUrl,
    backfillIntervalMs: 0,
    reconcileIntervalMs: 0,
    reconcileOnStart: false,
    lockPollMs: 100,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
}

export interface ChainEvent {
  signature: string;
  slot: number;
  ixIndex: number;
  eventIndex: number;
  name: string;
  data: Record<string, unknown>;
}

/** Every dvpn event on chain, from getSignaturesForAddress + getTransaction (the chain's own record). */
export async function chainEvents(chain: Chain): Promise<ChainEvent[]> {
  const rpc = new Rpc(chain.rpcUrl);
  const sigs: { signature: string; err: unknown }[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await rpc.getSignaturesForAddress(DVPN_PROGRAM_ID.toBase58(), { before, limit: 1000 });
    sigs.push(...page);
    if (page.length < 1000) break;
    before = page[page.length - 1].signature;
  }
  const out: ChainEvent[] = [];
  for (const s of sigs.reverse()) {
    if (s.err) continue;
    const tx = await rpc.getTransaction(s.signature);
    if (!tx) throw new Error(`missing transaction ${s.signature}`);
    const decoded = decodeTransaction(fromGetTransaction(tx));
    if (!decoded) continue;
    // Cross-check the decoder against the SDK on the whole log.
    const all = parseEvents(tx.meta?.logMessages ?? []);
    if (all.length !== decoded.events.length) throw new Error(`decoder split lost events in ${s.signature}`);
    for (const e of decoded.events) {
      out.push({
        signature: s.signature,
        slot: tx.slot,
        ixIndex: e.ixIndex,
        eventIndex: e.eventIndex,
        name: e.event.name,
        data: eventDataToJson(e.event.data as Record<string, unknown>),
      });
    }
  }
  // Execution order: program clock, then slot (the embedded runtime's time
  // travel can number slots backwards; see graph/README.md).
  const ts = (e: ChainEvent) => BigInt(e.data.timestamp as string);
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (ts(a.e) !== ts(b.e) ? (ts(a.e) < ts(b.e) ? -1 : 1) : a.e.slot - b.e.slot || a.i - b.i))
    .map((x) => x.e);
}

/** Events stored in the database, in the same shape as chainEvents(). */
export async function dbEvents(db: TestDatabase): Promise<ChainEvent[]> {
  const rows = await db.query<{ signature: string; slot: string; ix_index: number; event_index: number; name: string; data: Record<string, unknown> }>(
    'SELECT signature, slot::text, ix_index, event_index, name, data FROM events ORDER BY id',
  );
  return rows.map((r) => ({ signature: r.signature, slot: Number(r.slot), ixIndex: r.ix_index, eventIndex: r.event_index, name: r.name, data: r.data }));
}

export const eventKey = (e: { signature: string; ixIndex: number; eventIndex: number }) => `${e.signature}/${e.ixIndex}/${e.eventIndex}`;

/** Differences between the tables and the program accounts (empty when they agree). */
export async function diffWithChain(chain: Chain, db: TestDatabase): Promise<RepairRecord[]> {
  const rpc = new Rpc(chain.rpcUrl);
  const { slot, accounts } = await rpc.getProgramAccounts(DVPN_PROGRAM_ID.toBase58());
  const client = await db.pool.connect();
  try {
    return await compareWithSnapshot(client, snapshotFromProgramAccounts(slot, accounts));
  } finally {
    client.release();
  }
}

export async function countEvents(db: TestDatabase): Promise<number> {
  const [r] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
  return Number(r.n);
}
