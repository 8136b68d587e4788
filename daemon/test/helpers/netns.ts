// What the real-tunnel tests share: the prerequisites check (skip with the
// reason, or fail when CI sets DVPN_REQUIRE_TUNNEL_TESTS=1), commands in
// network namespaces, and the child processes a test starts (killed by pid).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, openSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What this machine lacks for a real-tunnel test (empty: it can run). Prints
 * the reason when it cannot; with DVPN_REQUIRE_TUNNEL_TESTS=1 (CI) the caller
 * must fail instead of skipping (see `requireTunnel`).
 */
export function tunnelPrerequisites(name: string, bins: string[]): { skip: boolean; missing: string[]; required: boolean } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not running as root');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun is missing');
  for (const bin of bins) if (!onPath(bin)) missing.push(`${bin} not installed`);
  if (!existsSync(resolve(REPO, 'target/deploy/dvpn.so'))) missing.push('target/deploy/dvpn.so not built (make program)');
  const required = process.env.DVPN_REQUIRE_TUNNEL_TESTS === '1';
  if (missing.length > 0) {
    console.warn(`[${name}] ${required ? 'CANNOT RUN (DVPN_REQUIRE_TUNNEL_TESTS=1: failing)' : 'skipped'}: ${missing.join('; ')}`);
  }
  return { skip: missing.length > 0, missing, required };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const run = (bin: string, args: string[], timeoutMs = 20_000, input?: string) =>
  new Promise<string>((res, rej) => {
    const child = execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? rej(new Error(`${bin} ${args.join(' ')}: ${stderr || err.message}`)) : res(String(stdout)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });

export const inNs = (ns: string, args: string[], timeoutMs?: number, input?: string) => run('ip', ['netns', 'exec', ns, ...args], timeoutMs, input);

/** Child processes a test started, stopped by pid at the end. */
export class Procs {
  readonly children: ChildProcess[] = [];

  start(ns: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; log?: string; cwd?: string } = {}): ChildProcess {
    const out = opts.log ? openSync(opts.log, 'a') : 'ignore';
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', opts.log ? out : 'pipe', opts.log ? out : 'pipe'],
    });
    this.children.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    for (const child of [...this.children].reverse()) await stop(child);
  }
}

export function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

export async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Kills whatever still runs in the namespaces (all started by the test) and deletes them. */
export async function removeNamespaces(names: string[]): Promise<void> {
  for (const ns of names) {
    const pids = await run('ip', ['netns', 'pids', ns]).catch(() => '');
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}
