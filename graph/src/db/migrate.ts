// `npm run db:migrate -w @dvpn/graph`: applies prisma/migrations to DATABASE_URL
// with one command, on a fresh database or an existing one.
//
// It runs the Prisma 6.19 CLI (`prisma migrate deploy`) with prisma.config.ts,
// which hands the CLI a pg driver adapter so the WebAssembly schema engine does
// the work: these machines cannot download Prisma's native engines (see
// graph/README.md). It first runs `prisma generate` when the generated client
// (graph/src/generated/prisma) is missing or older than the schema.
// `--generate-only` just generates; `--status` prints `migrate status`.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PRISMA_CLI = join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
const UNREF_TIMERS = join(REPO_ROOT, 'graph', 'src', 'db', 'unref-long-timers.cjs');
const SCHEMA = join(REPO_ROOT, 'prisma', 'schema.prisma');
const GENERATED = join(REPO_ROOT, 'graph', 'src', 'generated', 'prisma', 'index.js');

export interface MigrateOptions {
  /** Echo the CLI's output (default: only on failure). */
  verbose?: boolean;
  /**
   * Run `prisma generate` first: when the client is missing (default), when it
   * is older than the schema (the db:migrate command), or never. Library
   * callers (tests, make dev) keep the default so parallel processes never
   * rewrite the generated client under each other.
   */
  generate?: 'never' | 'if-missing' | 'if-stale';
}

function runPrisma(args: string[], databaseUrl: string, verbose: boolean): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-r', UNREF_TIMERS, PRISMA_CLI, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
        PRISMA_DISABLE_WARNINGS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (verbose) process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      if (verbose) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`prisma ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

export function clientIsStale(): boolean {
  if (!existsSync(GENERATED)) return true;
  return statSync(GENERATED).mtimeMs < statSync(SCHEMA).mtimeMs;
}

/** `prisma generate` (client + Pothos types). A database URL is needed only to satisfy env("DATABASE_URL"). */
export async function generate(opts: MigrateOptions = {}): Promise<void> {
  await runPrisma(['generate'], process.env.DATABASE_URL ?? 'postgres://localhost/unused', opts.verbose ?? false);
}

/** Applies every pending migration (`prisma migrate deploy`). */
export async function migrate(databaseUrl: string, opts: MigrateOptions = {}): Promise<string> {
  const when = opts.generate ?? 'if-missing';
  if ((when === 'if-missing' && !existsSync(GENERATED)) || (when === 'if-stale' && clientIsStale())) await generate(opts);
  return runPrisma(['migrate', 'deploy'], databaseUrl, opts.verbose ?? false);
}

export async function migrateStatus(databaseUrl: string): Promise<string> {
  return runPrisma(['migrate', 'status'], databaseUrl, true);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--generate-only')) {
    await generate({ verbose: true });
    return;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set (postgres://user:pass@host:port/db)');
    process.exit(2);
  }
  if (args.includes('--status')) {
    await migrateStatus(url);
    return;
  }
  await migrate(url, { verbose: true, generate: 'if-stale' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
