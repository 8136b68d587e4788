// Local state of usage sessions: the hash-chain secret (w_n) lives only here.
// ~/.config/dvpn/sessions/<session pda>.json (or $DVPN_HOME/sessions/...),
// directory 0700, file 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createHashChain, type HashChain } from '@dvpn/sdk';
import { CliError } from './errors.js';

export function dvpnHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.DVPN_HOME && env.DVPN_HOME.length > 0 ? env.DVPN_HOME : join(homedir(), '.config', 'dvpn');
}

export const sessionsDir = (env?: NodeJS.ProcessEnv) => join(dvpnHome(env), 'sessions');
export const sessionStatePath = (session: string, env?: NodeJS.ProcessEnv) => join(sessionsDir(env), `${session}.json`);

const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const u64 = z.string().regex(/^\d+$/);

export const SessionStateSchema = z.object({
  version: z.literal(1),
  session: z.string(),
  node: z.string(),
  user: z.string(),
  provider: z.string(),
  sessionId: u64,
  paymentMint: z.string().nullable(),
  maxTicks: u64,
  tickAmount: u64,
  /** w_n, the secret end of the hash chain. */
  seed: hex32,
  /** w_0, committed on chain as hash_chain_root. */
  root: hex32,
  rpcUrl: z.string(),
  createdAt: z.string(),
  /** The highest tick this machine has revealed (to a daemon or printed): the base for what it will pay next. */
  revealedTick: u64.optional(),
});
export type SessionState = z.infer<typeof SessionStateSchema>;

export function writeSessionState(state: SessionState, env?: NodeJS.ProcessEnv): string {
  const dir = sessionsDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = sessionStatePath(state.session, env);
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // mode is ignored when the file already existed
  return path;
}

export function readSessionState(session: string, env?: NodeJS.ProcessEnv): SessionState | null {
  const path = sessionStatePath(session, env);
  if (!existsSync(path)) return null;
  const parsed = SessionStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new CliError(`session state file ${path} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

export function removeSessionState(session: string, env?: NodeJS.ProcessEnv): void {
  rmSync(sessionStatePath(session, env), { force: true });
}

/** Rebuilds the session's hash chain from its stored seed, checking it against the stored root. */
export function chainFromState(state: SessionState): HashChain {
  const chain = createHashChain(Number(state.maxTicks), Buffer.from(state.seed, 'hex'));
  if (Buffer.from(chain.root).toString('hex') !== state.root) {
    throw new CliError(`session state for ${state.session}: the seed does not hash to the stored root`);
  }
  return chain;
}

/** The highest tick this machine revealed for `session` (0 when none or no local state). */
export function revealedTickOf(session: string, env?: NodeJS.ProcessEnv): bigint {
  return BigInt(readSessionState(session, env)?.revealedTick ?? '0');
}

/** Records that `tick`'s preimage left this machine (kept as the maximum). */
export function recordRevealedTick(session: string, tick: bigint, env?: NodeJS.ProcessEnv): void {
  const state = readSessionState(session, env);
  if (!state || BigInt(state.revealedTick ?? '0') >= tick) return;
  writeSessionState({ ...state, revealedTick: tick.toString() }, env);
}
