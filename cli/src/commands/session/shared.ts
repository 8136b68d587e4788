// What the `dvpn session` subcommands share: names of modes and states, the
// session's currency, its JSON view, the accounts settling it, event data.
import type { PublicKey, TransactionInstruction } from '@solana/web3.js';
import { SessionMode, SessionState, fetchProvider, type SessionAccount } from '@dvpn/sdk';
import { isTokenSession, splSettle } from '../../accounts.js';
import type { Context, TxResult } from '../../context.js';
import { CliError } from '../../errors.js';
import { formatSol, formatUnits, parseSol, parseUnits } from '../../format.js';

export const modeName = (m: number) => SessionMode[m] ?? String(m);
export const stateName = (s: number) => SessionState[s] ?? String(s);

export interface Money {
  symbol: string;
  decimals: number;
  format(v: bigint): string;
  parse(text: string, what: string): bigint;
}

export const SOL_MONEY: Money = {
  symbol: 'SOL',
  decimals: 9,
  format: formatSol,
  parse: (t, w) => parseSol(t, w),
};

export async function tokenMoney(ctx: Context, mint: PublicKey): Promise<Money> {
  const decimals = await ctx.mintDecimals(mint);
  let symbol = 'tokens';
  try {
    if ((await ctx.config()).tokenMint.equals(mint)) symbol = 'USDC';
  } catch {
    /* no config: generic name */
  }
  return {
    symbol,
    decimals,
    format: (v) => `${formatUnits(v, decimals)} ${symbol}`,
    parse: (t, w) => parseUnits(t, decimals, w),
  };
}

export const moneyOf = (ctx: Context, s: SessionAccount) => (isTokenSession(s) ? tokenMoney(ctx, s.paymentMint) : Promise.resolve(SOL_MONEY));

export function sessionJson(address: PublicKey, s: SessionAccount, extra: Record<string, unknown> = {}) {
  return {
    address,
    ...s,
    mode: modeName(s.mode),
    state: stateName(s.state),
    paymentMint: isTokenSession(s) ? s.paymentMint : null,
    ...extra,
  };
}

/** The accounts every settlement instruction of a session needs. */
export async function settlement(ctx: Context, address: PublicKey, s: SessionAccount) {
  const config = await ctx.config();
  const provider = await fetchProvider(ctx.connection, s.provider);
  if (!provider) throw new CliError(`provider ${s.provider.toBase58()} of the session not found`);
  const base = {
    provider: s.provider,
    node: s.node,
    session: address,
    providerAuthority: provider.authority,
    treasury: config.treasury,
  };
  if (!isTokenSession(s)) return { base, spl: undefined, prepare: [] as TransactionInstruction[], config, provider };
  const { accounts, prepare } = splSettle(ctx, address, s, provider.authority, config.treasury);
  return { base, spl: accounts, prepare, config, provider };
}

export function eventData<T>(res: TxResult, name: string): T | undefined {
  return res.events.find((e) => e.name === name)?.data as T | undefined;
}
