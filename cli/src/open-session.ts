// Opening a session, shared by `dvpn session open` and `dvpn connect`: the
// session id the program requires (the node's total_sessions), the limits
// checked before sending, the open instruction (SOL or token), and for usage
// sessions the hash chain whose secret is stored before the transaction is
// sent (so a crash after it lands loses nothing) and removed if the program
// refuses the open.
import type { PublicKey, TransactionInstruction } from '@solana/web3.js';
import { getAssociatedTokenAddressSync } from '@solana/spl-token';
import {
  MAX_TIME_SESSION_MINUTES,
  MAX_USAGE_SESSION_MINUTES,
  SessionMode,
  createHashChain,
  errorFromName,
  fetchNextSessionId,
  fetchNode,
  findSessionPda,
  ix,
  type ConfigAccount,
  type HashChain,
  type NodeAccount,
} from '@dvpn/sdk';
import type { Context, TxResult } from './context.js';
import { CliError, TxFailedError } from './errors.js';
import { formatSol, formatUnits, hex } from './format.js';
import { removeSessionState, writeSessionState } from './state.js';

/** The options that open a session, as both `session open` and `connect` take them (commander's strings). */
export interface OpenSessionFlags {
  sol?: boolean;
  usdc?: boolean;
  minutes?: string;
  usage?: boolean;
  ticks?: string;
  tickAmount?: string;
}

export interface OpenSessionRequest {
  node: PublicKey;
  nodeAcc: NodeAccount;
  sessionId: bigint;
  durationMinutes: number;
  /** Time sessions: the node's price per minute the user agrees to (PriceMismatch if it changed). */
  minutePrice: bigint;
  /** Pay in the Config token (USDC) when given, else SOL. */
  config?: ConfigAccount;
  usage?: { maxTicks: bigint; tickAmount: bigint };
}

export interface OpenSessionPlan {
  session: PublicKey;
  sessionId: bigint;
  instruction: TransactionInstruction;
  /** Usage sessions: the chain whose secret is now in $DVPN_HOME. */
  hashChain: HashChain | null;
  /** Where that secret was written. */
  statePath?: string;
}

/** What a user asks for; the id and the usage price come from the node. */
export interface OpenSessionWish {
  node: PublicKey;
  durationMinutes: number;
  config?: ConfigAccount;
  /** Token decimals when paying in the Config token (for messages). */
  decimals?: number;
  /** Usage session: ticks escrowed, and optionally the price per tick the user expects (must be the node's). */
  usage?: { maxTicks: bigint; tickAmount?: bigint };
}

/** Refuses a duration the program would refuse with SessionTooLong, before anything is sent. */
export function checkDuration(minutes: number, usage: boolean): void {
  const max = usage ? MAX_USAGE_SESSION_MINUTES : MAX_TIME_SESSION_MINUTES;
  if (minutes > max) {
    throw new CliError(
      `SessionTooLong — --minutes ${minutes} is above the limit for ${usage ? 'usage' : 'time'} sessions: at most ${max} minutes (${usage ? '30' : '366'} days)`,
    );
  }
}

/** The node's price per tick in the chosen currency; refuses a --tick-amount that differs (PriceMismatch). */
export function usagePrice(nodeAcc: NodeAccount, token: boolean, decimals: number, wanted?: bigint): bigint {
  const price = token ? nodeAcc.pricePerTickToken : nodeAcc.pricePerTick;
  const fmt = (v: bigint) => (token ? `${formatUnits(v, decimals)} USDC` : formatSol(v));
  if (price === 0n) throw new CliError(`the node offers no usage sessions paid in ${token ? 'USDC' : 'SOL'} (its price per tick is 0)`);
  if (wanted !== undefined && wanted !== price) {
    throw new CliError(`PriceMismatch — --tick-amount ${fmt(wanted)} is not the node's price per tick (${fmt(price)}); omit --tick-amount to pay the node's price`);
  }
  return price;
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
      : { tickAmount: r.minutePrice }),
  };
  const instruction = r.config
    ? ix.openSessionSpl({
        ...params,
        tokenMint: r.config.tokenMint,
        userToken: getAssociatedTokenAddressSync(r.config.tokenMint, user, true),
      })
    : ix.openSession(params);
  return { session, sessionId: r.sessionId, instruction, hashChain, statePath };
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

async function loadNode(ctx: Context, node: PublicKey): Promise<NodeAccount> {
  const acc = await fetchNode(ctx.connection, node);
  if (!acc) throw new CliError(`node ${node.toBase58()} not found`);
  return acc;
}

/** Refuses, before paying, a node the program would refuse: inactive, or at its capacity limit. */
export function checkNodeOpen(node: PublicKey, acc: NodeAccount): void {
  // --json keeps the program error's name, code and message, as if the program had refused it.
  if (!acc.isActive) throw new CliError(`NodeInactive — node ${node.toBase58()} is not accepting sessions`, { ...errorFromName('NodeInactive') });
  if (acc.activeSessions >= acc.maxCapacity) {
    throw new CliError(`NodeFull — node ${node.toBase58()} is at its capacity limit: ${acc.activeSessions} of ${acc.maxCapacity} sessions active`, {
      ...errorFromName('NodeFull'),
    });
  }
}

/**
 * Opens a session with the id the program requires (the user's
 * UserState.next_session_id) and the node's current price (per minute, or per
 * tick for usage sessions). Another open by the same wallet between our read
 * and our transaction makes the program answer InvalidSessionId: the id and
 * the node are read again and the open retried once.
 */
export async function openSessionOnNode(
  ctx: Context,
  w: OpenSessionWish,
  nodeAcc?: NodeAccount,
): Promise<{ plan: OpenSessionPlan; res: TxResult; nodeAcc: NodeAccount; usage?: { maxTicks: bigint; tickAmount: bigint } }> {
  checkDuration(w.durationMinutes, !!w.usage);
  let acc = nodeAcc ?? (await loadNode(ctx, w.node));
  for (let attempt = 0; ; attempt++) {
    checkNodeOpen(w.node, acc);
    const usage = w.usage
      ? { maxTicks: w.usage.maxTicks, tickAmount: usagePrice(acc, !!w.config, w.decimals ?? 0, w.usage.tickAmount) }
      : undefined;
    const sessionId = await fetchNextSessionId(ctx.connection, ctx.signer.publicKey);
    const minutePrice = w.config ? acc.pricePerMinuteToken : acc.pricePerMinute;
    const plan = planOpenSession(ctx, { node: w.node, nodeAcc: acc, sessionId, durationMinutes: w.durationMinutes, minutePrice, config: w.config, usage });
    try {
      const res = await sendOpenSession(ctx, plan);
      return { plan, res, nodeAcc: acc, usage };
    } catch (err) {
      if (attempt > 0 || !(err instanceof TxFailedError) || err.program?.name !== 'InvalidSessionId') throw err;
      acc = await loadNode(ctx, w.node);
    }
  }
}
