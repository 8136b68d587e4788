// Runs the real `dvpn` launcher (cli/bin/dvpn.js) as a child process against a
// harness chain, with keypair files and DVPN_HOME in a temporary directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Keypair } from '@solana/web3.js';
import { REPO_ROOT, type Chain } from '../../tests/harness/surfnet.js';

export const DVPN_BIN = resolve(REPO_ROOT, 'cli/bin/dvpn.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  dir: string;
  /** Writes the keypair as a Solana CLI JSON file in the temp dir and returns its path. */
  keypairFile(kp: Keypair, name?: string): string;
  /** Runs `dvpn <args> --url <rpc> --ws-url <ws> [--keypair <file>]`; never throws on a non-zero exit. */
  run(args: string[], opts?: { keypair?: Keypair; home?: string; env?: Record<string, string>; url?: string }): Promise<CliResult>;
  /** Runs with --json, expects exit code 0 and returns the parsed stdout. */
  json<T = Record<string, unknown>>(args: string[], opts?: { keypair?: Keypair; home?: string }): Promise<T>;
  cleanup(): void;
}

export function cliEnv(chain: Chain): CliEnv {
  const dir = mkdtempSync(join(tmpdir(), 'dvpn-cli-test-'));
  const files = new Map<string, string>();
  const keypairFile = (kp: Keypair, name?: string) => {
    const key = kp.publicKey.toBase58();
    if (!files.has(key)) {
      const path = join(dir, `${name ?? key}.json`);
      writeFileSync(path, JSON.stringify([...kp.secretKey]), { mode: 0o600 });
      files.set(key, path);
    }
    return files.get(key)!;
  };

  const cleanEnv = { ...process.env };
  for (const k of ['DVPN_KEYPAIR', 'SOLANA_RPC_URL', 'SOLANA_WS_URL', 'DVPN_HOME']) delete cleanEnv[k];

  const run: CliEnv['run'] = (args, opts = {}) =>
    new Promise((resolvePromise, reject) => {
      const argv = [DVPN_BIN, ...args, '--url', opts.url ?? chain.rpcUrl, '--ws-url', opts.url ? opts.url.replace(/^http/, 'ws') : chain.wsUrl];
      if (opts.keypair) argv.push('--keypair', keypairFile(opts.keypair));
      // Asynchronous spawn: the harness keeps draining runtime events meanwhile.
      const child = spawn(process.execPath, argv, {
        cwd: REPO_ROOT,
        env: {
          ...cleanEnv,
          HOME: dir, // never touch the real ~/.config
          DVPN_HOME: opts.home ?? join(dir, 'dvpn-home'),
          NO_COLOR: '1',
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });

  return {
    dir,
    keypairFile,
    run,
    async json<T>(args: string[], opts?: { keypair?: Keypair; home?: string }) {
      const res = await run([...args, '--json'], opts);
      if (res.code !== 0) {
        throw new Error(`dvpn ${args.join(' ')} exited ${res.code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
      }
      try {
        return JSON.parse(res.stdout) as T;
      } catch {
        throw new Error(`dvpn ${args.join(' ')} printed no JSON:\n${res.stdout}\n${res.stderr}`);
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
