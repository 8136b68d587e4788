// Looking up dvpn accounts for commands: addresses from arguments, lists
// through getProgramAccounts, and the token accounts a settlement needs.
import { PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction } from '@solana/spl-token';
import {
  ACCOUNT_OFFSETS,
  fetchAll,
  fetchNode,
  fetchProvider,
  fetchSession,
  findNodePda,
  findProviderPda,
  pubkeyFilter,
  splSettleAccounts,
  type NodeAccount,
  type ProviderAccount,
  type SessionAccount,
  type SplSettleAccounts,
} from '@dvpn/sdk';
import type { Context } from './context.js';
import { CliError } from './errors.js';
import { parseInteger, parsePubkey } from './format.js';

/** Provider from an argument that is either a provider authority (wallet) or a Provider account; default: the CLI keypair. */
export async function resolveProvider(
  ctx: Context,
  arg?: string,
): Promise<{ address: PublicKey; account: ProviderAccount }> {
  const key = arg ? parsePubkey(arg, 'provider') : ctx.signer.publicKey;
  const direct = await fetchProvider(ctx.connection, key).catch(() => null);
  if (direct) return { address: key, account: direct };
  const [pda] = findProviderPda(key);
  const account = await fetchProvider(ctx.connection, pda);
  if (!account) {
    throw new CliError(
      arg ? `no provider registered for ${key.toBase58()}` : `no provider registered for your keypair ${key.toBase58()} (run: dvpn provider register)`,
    );
  }
  return { address: pda, account };
}

/** Node from a Node address, or a node id (0, 1, ...) of the CLI keypair's provider. */
export async function resolveNode(ctx: Context, arg: string): Promise<{ address: PublicKey; account: NodeAccount }> {
  let address: PublicKey;
  if (/^\d+$/.test(arg.trim()) && arg.trim().length < 20) {
    const [provider] = findProviderPda(ctx.signer.publicKey);
    [address] = findNodePda(provider, parseInteger(arg, 'node id'));
  } else {
    address = parsePubkey(arg, 'node');
  }
  const account = await fetchNode(ctx.connection, address).catch((e: unknown) => {
    throw new CliError(`${address.toBase58()} is not a dvpn Node (${e instanceof Error ? e.message : String(e)})`);
  });
  if (!account) throw new CliError(`node ${address.toBase58()} not found`);
  return { address, account };
}

export async function loadSession(ctx: Context, arg: string): Promise<{ address: PublicKey; account: SessionAccount }> {
  const address = parsePubkey(arg, 'session');
  const account = await fetchSession(ctx.connection, address).catch((e: unknown) => {
    throw new CliError(`${address.toBase58()} is not a dvpn Session (${e instanceof Error ? e.message : String(e)})`);
  });
  if (!account) {
    throw new CliError(`session ${address.toBase58()} not found (never opened, or already settled and closed)`);
  }
  return { address, account };
}

/** A token session pays in a mint; a SOL session stores the default (all-zero) key. */
export const isTokenSession = (s: SessionAccount) => !s.paymentMint.equals(PublicKey.default);

/** Nodes, optionally of one Provider (memcmp on Node.provider, offset from the SDK). */
export const listNodes = (ctx: Context, f: { provider?: PublicKey }) =>
  fetchAll(ctx.connection, 'Node', {
    filters: f.provider ? [pubkeyFilter(ACCOUNT_OFFSETS.Node.provider, f.provider)] : [],
  });

/** Sessions filtered by user / node / provider (memcmp filters, offsets from the SDK). */
export const listSessions = (ctx: Context, f: { user?: PublicKey; node?: PublicKey; provider?: PublicKey }) =>
  fetchAll(ctx.connection, 'Session', {
    filters: [
      ...(f.user ? [pubkeyFilter(ACCOUNT_OFFSETS.Session.user, f.user)] : []),
      ...(f.node ? [pubkeyFilter(ACCOUNT_OFFSETS.Session.node, f.node)] : []),
      ...(f.provider ? [pubkeyFilter(ACCOUNT_OFFSETS.Session.provider, f.provider)] : []),
    ],
  });

/** Token accounts of a token session's settlement, plus idempotent ATA creations for the receivers. */
export function splSettle(
  ctx: Context,
  session: PublicKey,
  s: SessionAccount,
  providerAuthority: PublicKey,
  treasury: PublicKey,
): { accounts: SplSettleAccounts; prepare: TransactionInstruction[] } {
  const mint = s.paymentMint;
  const accounts = splSettleAccounts({ session, mint, user: s.user, providerAuthority, treasury, vault: s.vault });
  const payer = ctx.signer.publicKey;
  const prepare = [
    createAssociatedTokenAccountIdempotentInstruction(payer, accounts.userToken, s.user, mint),
    createAssociatedTokenAccountIdempotentInstruction(payer, accounts.providerToken, providerAuthority, mint),
    createAssociatedTokenAccountIdempotentInstruction(payer, accounts.treasuryToken, treasury, mint),
  ];
  return { accounts, prepare };
}
