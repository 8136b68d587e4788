// Opening a session, shared by `dvpn session open` and `dvpn connect`: the
// next free session id, the open instruction (SOL or token), and for usage
// sessions the hash chain whose secret is stored before the transaction is
// sent (so a crash after it lands loses nothing) and removed if the program
// refuses the open.
import type { PublicKey, TransactionInstruction } from '@solana/web3.js';
import { getAssociatedTokenAddressSync } from '@solana/spl-token';
import {
  SessionMode,
  createHashChain,
  findSessionPda,
  ix,
  type ConfigAccount,
  type HashChain,
  type NodeAccount,
} from '@dvpn/sdk';
import { listSessions } from './accounts.js';
import type { Context, TxResult } from './context.js';
import { TxFailedError } from './errors.js';
import { hex } from './format.js';
import { removeSessionState, writeSessionState } from './state.js';

export interface OpenSessionRequest {
  node: PublicKey;
  nodeAcc: NodeAccount;
  sessionId: bigint;
  durationMinutes: number;
  /** Pay in the Config token (USDC) when given, else SOL. */
  config?: ConfigAccount;
  usage?: { maxTicks: bigint; tickAmount: bigint };
}

export interface OpenSessionPlan {
  session: PublicKey;
  instruction: TransactionInstruction;
  /** Usage sessions: the chain whose secret is now in $DVPN_HOME. */
  hashChain: HashChain | null;
  /** Where that secret was written. */
  statePath?: string;
}

/** One past the highest session id the signer has used on this node. */
export async function nextSessionId(ctx: Context, node: PublicKey): Promise<bigint> {
  const mine = await listSessions(ctx, { user: ctx.signer.publicKey, node });
  return mine.reduce((max, s) => (s.account.sessionId >= max ? s.account.sessionId + 1n : max), 0n);
}

/** Builds the open instruction; for a usage session also creates and stores the hash chain. */
export function planOpenSession(ctx: Context, r: OpenSessionRequest): OpenSessionPlan {
  const user = ctx.signer.publicKey;
  const [session] = findSessionPda(r.node, user, r.sessionId);
  let hashChain: HashChain | null = null;
  let statePath: string | undefined;
  if (r.usage) {
    hashChain = createHashChain(Number(r.usage.maxTicks));
    statePath = writeSessionState({
      version: 1,
      session: session.toBase58(),
      node: r.node.toBase58(),
      user: user.toBase58(),
      provider: r.nodeAcc.provider.toBase58(),
      sessionId: r.sessionId.toString(),
      paymentMint: r.config ? r.config.tokenMint.toBase58() : null,
      maxTicks: r.usage.maxTicks.toString(),
      tickAmount: r.usage.tickAmount.toString(),
      seed: hex(hashChain.seed),
      root: hex(hashChain.root),
      rpcUrl: ctx.rpcUrl,
      createdAt: new Date().toISOString(),
    });
  }
  const params = {
    user,
    provider: r.nodeAcc.provider,
    node: r.node,
    sessionId: r.sessionId,
    mode: r.usage ? SessionMode.Usage : SessionMode.Time,
    durationMinutes: r.durationMinutes,
    ...(r.usage && hashChain
      ? { tickAmount: r.usage.tickAmount, maxTicks: r.usage.maxTicks, hashChainRoot: hashChain.root }
      : {}),
  };
  const instruction = r.config
    ? ix.openSessionSpl({
        ...params,
        tokenMint: r.config.tokenMint,
        userToken: getAssociatedTokenAddressSync(r.config.tokenMint, user, true),
      })
    : ix.openSession(params);
  return { session, instruction, hashChain, statePath };
}

/** Sends the open; a refused open takes its stored secret with it. */
export async function sendOpenSession(ctx: Context, plan: OpenSessionPlan): Promise<TxResult> {
  try {
    return await ctx.send([plan.instruction]);
  } catch (err) {
    if (plan.statePath && err instanceof TxFailedError) removeSessionState(plan.session.toBase58());
    throw err;
  }
}
