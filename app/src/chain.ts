// The chain from the page: one Connection (with the cluster's websocket for confirmations),
// and sending the SDK's instructions signed by the connected wallet.
import { Connection, PublicKey, SendTransactionError, Transaction, type TransactionInstruction } from '@solana/web3.js';
import { errorFromCode } from '@dvpn/sdk';
import type { AppConfig } from './config.js';
import { retryingFetch } from './net.js';
import type { AppWallet } from './wallet.js';

export function connectionFor(cfg: AppConfig): Connection {
  return new Connection(cfg.rpcUrl, { commitment: 'confirmed', wsEndpoint: cfg.rpcWsUrl, fetch: (url, init) => retryingFetch(url, init) });
}

/** A program error's name and message from a failed transaction (custom error code -> the IDL's). */
export function explainTxError(err: unknown, logs?: string[] | null): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
  const hex = /custom program error: 0x([0-9a-f]+)/i.exec(`${text}\n${(logs ?? []).join('\n')}`);
  const custom = hex ? Number.parseInt(hex[1], 16) : (/"Custom":(\d+)/.exec(text)?.[1] ?? null);
  if (custom !== null) {
    const info = errorFromCode(Number(custom));
    if (info) return `${info.name}: ${info.msg}`;
  }
  return text;
}

/** Signs with the wallet, sends, waits for `confirmed`; a refused transaction throws with the program's error. */
export async function sendInstructions(connection: Connection, wallet: AppWallet, ixs: TransactionInstruction[]): Promise<string> {
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash('confirmed');
  const tx = new Transaction({ feePayer: wallet.publicKey, blockhash, lastValidBlockHeight }).add(...ixs);
  const signed = await wallet.signTransaction(tx);
  let signature: string;
  try {
    signature = await connection.sendRawTransaction(signed.serialize(), { preflightCommitment: 'confirmed' });
  } catch (err) {
    const logs = err instanceof SendTransactionError ? err.logs : null;
    throw new Error(explainTxError(err, logs));
  }
  const res = await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight }, 'confirmed');
  if (res.value.err) throw new Error(explainTxError(res.value.err));
  return signature;
}

export async function tokenBalance(connection: Connection, owner: PublicKey, ata: PublicKey): Promise<bigint> {
  try {
    const b = await connection.getTokenAccountBalance(ata);
    return BigInt(b.value.amount);
  } catch {
    return 0n;
  }
}
