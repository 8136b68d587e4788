// @dvpn/sdk/node: Node-only helpers (file system). Not for browser bundles.
import { Keypair } from '@solana/web3.js';
export { verifyAuthSignatureNode } from './auth.js';
export { createHashWorker, hashNNode, verifyTickNode, type HashWorker } from './hashchain.js';
export {
  BPF_LOADER_UPGRADEABLE,
  BUFFER_HEADER,
  PROGRAM_DATA_HEADER,
  executableHash,
  fetchDeployedProgram,
  fetchProgramBuffer,
  trimTrailingZeros,
  type DeployedProgram,
  type ProgramBuffer,
} from './program-hash.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (sdk/src/node -> ../../..), where target/ and programs/ live. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** ~/.config/solana/id.json, the Solana CLI's default wallet. */
export function defaultKeypairPath(): string {
  return join(homedir(), '.config', 'solana', 'id.json');
}

/** Reads a Solana CLI keypair file (a JSON array of the 64 secret key bytes). */
export function loadKeypair(path: string = defaultKeypairPath()): Keypair {
  const file = expandHome(path);
  let bytes: unknown;
  try {
    bytes = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read keypair ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(bytes) || bytes.length !== 64 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) {
    throw new Error(`${file} is not a Solana keypair file (a JSON array of 64 bytes)`);
  }
  return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
}

/**
 * Writes a keypair in the Solana CLI format (mode 0600, directories created).
 * `overwrite: false` creates the file exclusively (O_EXCL): it fails with EEXIST
 * when anything is at the path, a dangling symlink included, so a wallet is never
 * replaced nor the key written where a planted link points.
 */
export function saveKeypair(path: string, keypair: Keypair, opts: { overwrite?: boolean } = {}): void {
  const file = expandHome(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(Array.from(keypair.secretKey))}\n`, { mode: 0o600, flag: opts.overwrite === false ? 'wx' : 'w' });
  // `mode` applies only to a new file: a replaced one would keep e.g. 0644.
  chmodSync(file, 0o600);
}

/** Path of the built program: $DVPN_PROGRAM_SO, else <repo>/target/deploy/dvpn.so. */
export function programSoPath(): string {
  return process.env.DVPN_PROGRAM_SO ?? join(REPO_ROOT, 'target', 'deploy', 'dvpn.so');
}

/** The program's keypair (its address is DVPN_PROGRAM_ID). */
export function programKeypairPath(): string {
  return join(REPO_ROOT, 'programs', 'dvpn', 'dvpn-keypair.json');
}

/** Bytes of the built program (.so); run `make program` first. */
export function readProgramSo(path: string = programSoPath()): Buffer {
  if (!existsSync(path)) throw new Error(`${path} not found: build the program with \`make program\``);
  return readFileSync(path);
}
