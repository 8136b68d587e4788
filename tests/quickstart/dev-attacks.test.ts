// A careless user against `make chain` / `make dev` (scripts/dev-chain.ts,
// scripts/dev.ts), run as the real processes: ports already taken, two stacks
// on one DVPN_HOME, SIGTERM, and export lines that must survive `source`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitForProgram } from '../harness/surfnet.js';
import { exportLines } from '../../scripts/dev-chain.js';

let dir: string;
const servers: Server[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!(await waitForProgram(0))) throw new Error('target/deploy/dvpn.so is missing: make program');
  dir = mkdtempSync(join(tmpdir(), 'dvpn-dev-attacks-'));
  // As root, the embedded Postgres runs as the postgres user: it must reach its data directory.
  chmodSync(dir, 0o755);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Another program holding a loopback port (e.g. a validator already running). */
async function holdPort(port = 0): Promise<number> {
  const server = createServer();
  await new Promise<void>((r, j) => server.once('error', j).listen(port, '127.0.0.1', () => r()));
  servers.push(server);
  const a = server.address();
  return typeof a === 'object' && a ? a.port : port;
}

/** A port whose next port is free too, both held by nobody. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await holdPort();
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    const next = createServer();
    const ok = await new Promise<boolean>((r) => next.once('error', () => r(false)).listen(p + 1, '127.0.0.1', () => r(true)));
    if (ok) {
      await new Promise((r) => next.close(r));
      return p;
    }
  }
}

interface Run {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

function start(script: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SOLANA_RPC_URL: '', SOLANA_WS_URL: '', DATABASE_URL: '', REDIS_URL: '', DVPN_RPC_PORT: '', DVPN_WS_PORT: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, log: () => log, exited };
}

async function waitFor(run: Run, re: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const m = re.exec(run.log());
    if (m) return m;
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode} before ${re}:\n${run.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the user sees: the reason and the way out, no stack trace. */
const clearRefusal = (log: string, port: number, what: string, flag: string) => {
  expect(log).toContain(`port ${port} (${what}) is already in use`);
  expect(log).toContain(flag);
  expect(log).not.toMatch(/\n\s+at /);
};

describe('export lines', () => {
  it('survive `source` in bash: a DATABASE_URL with ?a&b, a password with $ and quotes, spaces', () => {
    const values: [string, string][] = [
      ['SOLANA_RPC_URL', 'http://127.0.0.1:8899'],
      ['DATABASE_URL', "postgres://u:p$HOME'x@db.example:5432/dvpn?sslmode=require&connection_limit=5"],
      ['DVPN_PATH', '/tmp/with space/and;semicolon'],
      ['EMPTY', ''],
    ];
    const file = join(dir, 'env');
    writeFileSync(file, `${exportLines(values)}\n`);
    const script = `source ${JSON.stringify(file)}; ${values.map(([k]) => `printf '%s\\0' "$${k}"`).join('; ')}`;
    const res = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/home/nobody' } });
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\0').slice(0, -1)).toEqual(values.map(([, v]) => v));
    // Plain values stay unquoted (what the README and `export` lines show).
    expect(exportLines([values[0]])).toBe('export SOLANA_RPC_URL=http://127.0.0.1:8899');
  });
});

describe('ports already taken', () => {
  it('make chain refuses a taken RPC port and a taken websocket port (RPC + 1), naming the port and the override', async () => {
    const rpc = await holdPort();
    const a = start('scripts/dev-chain.ts', ['--rpc-port', String(rpc)], { DVPN_HOME: join(dir, 'home-a') });
    expect(await a.exited).toBe(1);
    clearRefusal(a.log(), rpc, 'Solana RPC', '--rpc-port / DVPN_RPC_PORT');

    const pair = await freePortPair();
    await holdPort(pair + 1);
    const b = start('scripts/dev-chain.ts', [], { DVPN_HOME: join(dir, 'home-b'), DVPN_RPC_PORT: String(pair) });
    expect(await b.exited).toBe(1);
    clearRefusal(b.log(), pair + 1, 'Solana RPC websocket', '--ws-port / DVPN_WS_PORT');
    // The RPC port it had taken is free again.
    await holdPort(pair);
  }, 120_000);

  it('make dev refuses a taken API port before starting anything (no chain, no Postgres)', async () => {
    const api = await holdPort();
    const data = join(dir, 'data-api');
    const run = start('scripts/dev.ts', ['--rpc-port', '0'], { PORT: String(api), DVPN_HOME: join(dir, 'home-api'), DVPN_DATA_DIR: data });
    expect(await run.exited).toBe(1);
    clearRefusal(run.log(), api, 'the API', 'PORT=');
    expect(existsSync(join(data, 'postgres'))).toBe(false);
    expect(existsSync(join(dir, 'home-api', 'dev'))).toBe(false);
  }, 120_000);

  it('make dev refuses a taken node-daemon port the same way', async () => {
    const daemon = await holdPort();
    const data = join(dir, 'data-daemon');
    const run = start('scripts/dev.ts', ['--rpc-port', '0'], { PORT: '0', DVPN_DAEMON_PORT: String(daemon), DVPN_HOME: join(dir, 'home-d'), DVPN_DATA_DIR: data });
    expect(await run.exited).toBe(1);
    clearRefusal(run.log(), daemon, 'the dev node daemon', 'DVPN_DAEMON_PORT=');
    expect(existsSync(join(data, 'postgres'))).toBe(false);
  }, 120_000);
});

describe('one DVPN_HOME, two stacks', () => {
  it('a second make chain on the same DVPN_HOME is refused and leaves the first one as it was; SIGTERM stops the first cleanly', async () => {
    const home = join(dir, 'shared-home');
    const first = start('scripts/dev-chain.ts', ['--rpc-port', '0'], { DVPN_HOME: home });
    const [, firstRpc] = await waitFor(first, /^export SOLANA_RPC_URL=(\S+)$/m);
    const envFile = join(home, 'dev', 'env');
    const envBefore = readFileSync(envFile, 'utf8');

    const second = start('scripts/dev-chain.ts', ['--rpc-port', '0'], { DVPN_HOME: home });
    expect(await second.exited).toBe(1);
    expect(second.log()).toContain(`${home} (DVPN_HOME) is in use by another dev stack (pid ${first.child.pid})`);
    expect(second.log()).not.toMatch(/\n\s+at /);
    expect(readFileSync(envFile, 'utf8')).toBe(envBefore);

    // The first still answers.
    const res = await fetch(firstRpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' });
    expect(((await res.json()) as { result?: string }).result).toBe('ok');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(home, 'dev', 'lock'))).toBe(false);
    const port = Number(new URL(firstRpc).port);
    const refused = await new Promise<boolean>((r) => connect(port, '127.0.0.1').once('error', () => r(true)).once('connect', () => r(false)));
    expect(refused).toBe(true);
  }, 300_000);

  it('a lock left by a killed stack (its process gone) does not block the next one', async () => {
    const home = join(dir, 'stale-home');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(home, 'dev'), { recursive: true });
    writeFileSync(join(home, 'dev', 'lock'), `${gone}\n`);
    const run = start('scripts/dev-chain.ts', ['--rpc-port', '0'], { DVPN_HOME: home });
    await waitFor(run, /^export SOLANA_RPC_URL=(\S+)$/m);
    expect(readFileSync(join(home, 'dev', 'lock'), 'utf8').trim()).toBe(String(run.child.pid));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 300_000);
});

describe('stopping make dev', () => {
  /** Postgres processes serving this data directory (an orphan would keep it locked for the next start). */
  const postgresOf = (data: string) =>
    spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(data) && l.includes('postgres'));
  const noPostgresLeft = async (data: string) => {
    for (let i = 0; i < 50 && postgresOf(data).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    return postgresOf(data);
  };
  // No node daemon (it is in process anyway, and 51820 may be held by other tests).
  const devEnv = (name: string) => ({ PORT: '0', DVPN_DEV_DAEMON: '0', DVPN_HOME: join(dir, `home-${name}`), DVPN_DATA_DIR: join(dir, `data-${name}`), LOG_LEVEL: 'info' });

  it('SIGTERM while it is still starting (Postgres up, the API not yet) leaves no Postgres and no lock behind', async () => {
    const env = devEnv('term-early');
    const run = start('scripts/dev.ts', ['--rpc-port', '0'], env);
    await waitFor(run, /migrations applied/);
    expect(postgresOf(env.DVPN_DATA_DIR).length).toBeGreaterThan(0);
    run.child.kill('SIGTERM');
    await run.exited;
    expect(await noPostgresLeft(env.DVPN_DATA_DIR)).toEqual([]);
    expect(existsSync(join(env.DVPN_HOME, 'dev', 'lock'))).toBe(false);
  }, 300_000);

  it('SIGTERM once it is up stops everything: exit 0, no Postgres, no lock, the RPC port free', async () => {
    const env = devEnv('term-up');
    const run = start('scripts/dev.ts', ['--rpc-port', '0'], env);
    const [, rpc] = await waitFor(run, /^export SOLANA_RPC_URL=(\S+)$/m);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(await noPostgresLeft(env.DVPN_DATA_DIR)).toEqual([]);
    expect(existsSync(join(env.DVPN_HOME, 'dev', 'lock'))).toBe(false);
    const port = Number(new URL(rpc).port);
    const refused = await new Promise<boolean>((r) => connect(port, '127.0.0.1').once('error', () => r(true)).once('connect', () => r(false)));
    expect(refused).toBe(true);
  }, 300_000);
});
