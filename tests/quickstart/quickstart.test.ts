// The README's quickstart, run as written against a started dev stack
// (scripts/dev.ts, what `make dev` runs), so it never rots. The commands are
// read from the README between the quickstart markers and run one by one in
// bash, with `dvpn` on PATH as the README says; <NODE> and <SESSION> are
// filled from the output of the commands that printed them. Each command
// must succeed, print the README's first line (addresses, numbers and times
// aside) and every labelled line the README shows. The only differences from
// a newcomer's terminal: any free ports (CI may hold 8899/8900/4000, given to
// the commands through SOLANA_RPC_URL / SOLANA_WS_URL), and a temporary HOME,
// DVPN_HOME and Postgres directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, PublicKey } from '@solana/web3.js';
import { fetchSession, SessionState } from '@dvpn/sdk';
import { REPO_ROOT, waitForProgram } from '../harness/surfnet.js';

interface Step {
  command: string;
  output: string[];
}

/** The `$ ` commands of the README's quickstart and the output lines under each. */
export function quickstartSteps(readme: string): Step[] {
  const start = readme.indexOf('<!-- quickstart:start');
  const end = readme.indexOf('<!-- quickstart:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no quickstart markers');
  const steps: Step[] = [];
  let inBlock = false;
  for (const line of readme.slice(start, end).split('\n')) {
    if (line.startsWith('```')) {
      inBlock = line.startsWith('```console');
      continue;
    }
    if (!inBlock) continue;
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
    else if (steps.length > 0 && line.trim() !== '') steps[steps.length - 1].output.push(line);
  }
  return steps;
}

/** Masks what differs between runs: base58 keys and signatures, times, numbers, paths. */
const mask = (line: string) =>
  line
    .replace(/\/\S+/g, '<PATH>')
    .replace(/\b[1-9A-HJ-NP-Za-km-z]{32,88}\b/g, '<B58>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<TIME>')
    .replace(/\d+(\.\d+)?/g, '<N>')
    .replace(/\s+/g, ' ')
    .trim();

/** "  balance    10 SOL" -> "balance"; null for a line without a label column. */
const label = (line: string) => (/^\s+(\S.*?)\s{2,}\S/.exec(line)?.[1] ?? null);

let stack: ChildProcess | undefined;
let stackLog = '';
let dir: string;
let env: NodeJS.ProcessEnv;
let rpcUrl: string;

async function startStack(): Promise<void> {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const dvpnHome = join(home, '.config', 'dvpn');
  stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--rpc-port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', DVPN_HOME: dvpnHome, DVPN_DATA_DIR: join(dir, 'data'), DVPN_APP: '0', LOG_LEVEL: 'warn', SOLANA_RPC_URL: '', SOLANA_WS_URL: '', DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (d: Buffer) => (stackLog += d.toString()));
  stack.stderr!.on('data', (d: Buffer) => (stackLog += d.toString()));
  const exports = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/export DVPN_DEV_MINT=\S+/.test(stackLog)) {
        clearInterval(timer);
        resolve(Object.fromEntries([...stackLog.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]])));
      }
    }, 200);
    stack!.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`dev stack exited ${code}:\n${stackLog}`));
    });
  });
  rpcUrl = exports.SOLANA_RPC_URL;
  const path = `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
  env = { ...process.env, HOME: home, DVPN_HOME: dvpnHome, PATH: path, NO_COLOR: '1', SOLANA_RPC_URL: exports.SOLANA_RPC_URL, SOLANA_WS_URL: exports.SOLANA_WS_URL };
  delete env.DVPN_KEYPAIR;
}

function sh(command: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: join(dir, 'work'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

beforeAll(async () => {
  if (!(await waitForProgram(0))) throw new Error('target/deploy/dvpn.so is missing: make program');
  dir = mkdtempSync(join(tmpdir(), 'dvpn-quickstart-'));
  // As root, the embedded Postgres runs as the postgres user: it must reach its data directory.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'work'));
  await startStack();
}, 300_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    const exited = new Promise((r) => stack!.once('exit', r));
    stack.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (stack.exitCode === null) stack.kill('SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('README quickstart', () => {
  const steps = quickstartSteps(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));

  it('has about ten commands, from a new keypair to a claimed session', () => {
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(steps.length).toBeLessThanOrEqual(14);
    expect(steps[0].command).toMatch(/^dvpn keygen/);
    expect(steps.map((s) => s.command)).toContainEqual(expect.stringMatching(/^dvpn session show <SESSION>/));
  });

  it('runs as written against the dev stack, each command printing what the README shows', async () => {
    const filled: Record<string, string> = {};
    for (const step of steps) {
      const command = step.command.replace(/<(NODE|SESSION)>/g, (_, name: string) => {
        if (!filled[name]) throw new Error(`<${name}> used before a command printed it: ${step.command}`);
        return filled[name];
      });
      const { code, out } = await sh(command);
      const context = `$ ${command}\n${out}\n--- dev stack log ---\n${stackLog.slice(-2000)}`;
      expect(code, context).toBe(0);
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      expect(mask(lines[0] ?? ''), context).toBe(mask(step.output[0]));
      for (const want of step.output.slice(1)) {
        const l = label(want);
        if (l) expect(lines.some((got) => label(got) === l), `${context}\nmissing the line "${l}"`).toBe(true);
      }
      const node = /^Node (\S+) registered/m.exec(out);
      if (node) filled.NODE = node[1];
      const session = /^Session (\S+) opened/m.exec(out);
      if (session) filled.SESSION = session[1];
    }
    // What the quickstart promises: an open, funded session that the provider has been paid from.
    const s = await fetchSession(new Connection(rpcUrl, 'confirmed'), new PublicKey(filled.SESSION));
    expect(s?.state).toBe(SessionState.Active);
    expect(s!.claimedAmount).toBeGreaterThan(0n);
    expect(s!.claimedAmount).toBeLessThan(s!.escrowAmount);
  }, 900_000);
});
