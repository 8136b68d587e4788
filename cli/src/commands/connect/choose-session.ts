// Which session `dvpn connect` uses: the one given (--session), your newest
// usable one on the node, or a new one it opens and pays.
import type { PublicKey } from '@solana/web3.js';
import { SessionMode, SessionState, type HashChain, type NodeAccount, type SessionAccount } from '@dvpn/sdk';
import { listSessions, loadSession } from '../../accounts.js';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { parseInteger, parseSol, parseUnits } from '../../format.js';
import { checkDuration, openSessionOnNode } from '../../open-session.js';
import { chainFromState, readSessionState } from '../../state.js';
import type { ConnectOptions } from './shared.js';

export interface Chosen {
  address: PublicKey;
  account: SessionAccount;
  hashChain: HashChain | null;
  opened: boolean;
}

export async function chooseSession(ctx: Context, node: PublicKey, nodeAcc: NodeAccount, o: ConnectOptions): Promise<Chosen> {
  const user = ctx.signer.publicKey;
  const now = await ctx.clockNow();
  const usable = (s: SessionAccount) => s.state === SessionState.Active && s.endTs > now && s.remainingBalance > 0n;
  const secret = (address: PublicKey, s: SessionAccount): HashChain | null => {
    if (s.mode !== SessionMode.Usage) return null;
    const state = readSessionState(address.toBase58());
    return state ? chainFromState(state) : null;
  };
  if (o.session) {
    const { address, account } = await loadSession(ctx, o.session);
    if (!account.user.equals(user)) throw new CliError(`session ${address.toBase58()} belongs to ${account.user.toBase58()}, not to your keypair`);
    if (!account.node.equals(node)) throw new CliError(`session ${address.toBase58()} is on node ${account.node.toBase58()}, not ${node.toBase58()}`);
    if (!usable(account)) throw new CliError(`session ${address.toBase58()} is not usable (state ${SessionState[account.state]}, ends ${account.endTs}, now ${now})`);
    const hashChain = secret(address, account);
    if (account.mode === SessionMode.Usage && !hashChain) throw new CliError(`no local hash-chain secret for usage session ${address.toBase58()}`);
    return { address, account, hashChain, opened: false };
  }
  if (!o.new) {
    const mine = (await listSessions(ctx, { user, node }))
      .filter(({ account }) => usable(account))
      .filter(({ address, account }) => account.mode === SessionMode.Time || secret(address, account) !== null)
      .sort((a, b) => (a.account.startTs > b.account.startTs ? -1 : 1));
    if (mine.length > 0) {
      const { address, account } = mine[0];
      return { address, account, hashChain: secret(address, account), opened: false };
    }
  }
  return openSession(ctx, node, nodeAcc, o);
}

async function openSession(ctx: Context, node: PublicKey, nodeAcc: NodeAccount, o: ConnectOptions): Promise<Chosen> {
  if (!o.sol && !o.usdc) throw new CliError('no usable session on this node: to open one, choose how to pay (--sol or --usdc) and --minutes');
  if (!o.minutes) throw new CliError('--minutes is required to open a session');
  const durationMinutes = Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn));
  if (o.usage && !o.ticks) throw new CliError('--usage needs --ticks N');
  checkDuration(durationMinutes, !!o.usage);
  const config = o.usdc ? await ctx.config() : undefined;
  const decimals = config ? await ctx.mintDecimals(config.tokenMint) : 9;
  let usage: { maxTicks: bigint; tickAmount?: bigint } | undefined;
  if (o.usage) {
    const maxTicks = parseInteger(o.ticks!, '--ticks', 1n, BigInt(Number.MAX_SAFE_INTEGER));
    const tickAmount =
      o.tickAmount === undefined ? undefined : config ? parseUnits(o.tickAmount, decimals, '--tick-amount') : parseSol(o.tickAmount, '--tick-amount');
    usage = { maxTicks, tickAmount };
  }
  const { plan } = await openSessionOnNode(ctx, { node, durationMinutes, config, decimals, usage }, nodeAcc);
  const { session, hashChain } = plan;
  const { account } = await loadSession(ctx, session.toBase58());
  return { address: session, account, hashChain, opened: true };
}
