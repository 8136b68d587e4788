// Everything a command needs: cluster connection, signer, output mode, sending.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  Connection,
  Keypair,
  SendTransactionError,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type PublicKey,
  type TransactionInstruction,
} from '@solana/web3.js';
import {
  TokenAccountNotFoundError,
  TokenInvalidAccountOwnerError,
  TokenInvalidAccountSizeError,
  getMint,
  type Mint,
} from '@solana/spl-token';
import { DVPN_PROGRAM_ID, fetchConfig, parseEvents, programErrorFrom, type ConfigAccount, type DvpnEvent } from '@dvpn/sdk';
import { loadKeypair } from '@dvpn/sdk/node';
import { CliError, TxFailedError } from './errors.js';
import { formatRows, toJson, type Row } from './format.js';

export const DEFAULT_RPC_URL = 'http://127.0.0.1:8899';

export interface GlobalOptions {
  url?: string;
  wsUrl?: string;
  keypair?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface TxResult {
  signature: string;
  logs: string[];
  events: DvpnEvent[];
}

const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);

/** Reads a Solana CLI keypair file (a JSON array of 64 numbers) through the SDK. */
export function readKeypairFile(path: string): Keypair {
  const file = resolve(expandHome(path));
  if (!existsSync(file)) throw new CliError(`keypair file not found: ${file}`);
  try {
    return loadKeypair(file);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
}

export class Context {
  readonly connection: Connection;
  readonly rpcUrl: string;
  readonly json: boolean;
  readonly verbose: boolean;
  private readonly keypairPath: string | undefined;
  private signerCache: Keypair | undefined;
  private configCache: ConfigAccount | null | undefined;
  private readonly decimalsCache = new Map<string, number>();

  constructor(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env) {
    // Empty values count as unset.
    this.rpcUrl = opts.url || env.SOLANA_RPC_URL || DEFAULT_RPC_URL;
    const wsUrl = opts.wsUrl || env.SOLANA_WS_URL || undefined;
    this.connection = new Connection(this.rpcUrl, {
      commitment: 'confirmed',
      ...(wsUrl ? { wsEndpoint: wsUrl } : {}),
    });
    this.json = !!opts.json;
    this.verbose = !!opts.verbose;
    this.keypairPath = opts.keypair || env.DVPN_KEYPAIR || undefined;
  }

  /** The signing keypair: --keypair, then DVPN_KEYPAIR, then ~/.config/solana/id.json. */
  get signer(): Keypair {
    if (!this.signerCache) {
      const path = this.keypairPath ?? join(homedir(), '.config/solana/id.json');
      if (!this.keypairPath && !existsSync(path)) {
        throw new CliError(
          'no keypair: pass --keypair PATH, set DVPN_KEYPAIR, or create ~/.config/solana/id.json (solana-keygen new)',
        );
      }
      this.signerCache = readKeypairFile(path);
    }
    return this.signerCache;
  }

  async config(): Promise<ConfigAccount> {
    if (this.configCache === undefined) this.configCache = await fetchConfig(this.connection);
    if (!this.configCache) throw new CliError('the dvpn Config is not initialized on this cluster (run: dvpn config init)');
    return this.configCache;
  }

  async mintDecimals(mint: PublicKey): Promise<number> {
    const key = mint.toBase58();
    if (!this.decimalsCache.has(key)) this.decimalsCache.set(key, (await this.mint(mint)).decimals);
    return this.decimalsCache.get(key)!;
  }

  /** The SPL mint account; a clear error when this cluster has no such mint (e.g. mainnet USDC on make dev). */
  async mint(mint: PublicKey): Promise<Mint> {
    try {
      return await getMint(this.connection, mint);
    } catch (err) {
      if (err instanceof TokenAccountNotFoundError || err instanceof TokenInvalidAccountOwnerError || err instanceof TokenInvalidAccountSizeError) {
        throw new CliError(
          `mint ${mint.toBase58()} does not exist on this cluster (${this.rpcUrl}); ` +
            'on make dev use its dev USDC mint (printed at start, and in `dvpn config show`)',
        );
      }
      throw err;
    }
  }

  /** The cluster's Clock sysvar unix_timestamp (what the program compares against). */
  async clockNow(): Promise<bigint> {
    const info = await this.connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY);
    if (!info) throw new CliError('cannot read the Clock sysvar');
    return info.data.readBigInt64LE(32); // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp
  }

  /** Signs with the CLI keypair (fee payer unless `feePayer`) and any extra signers, sends, confirms, returns logs and dvpn events. */
  async send(ixs: TransactionInstruction[], extraSigners: Keypair[] = [], feePayer?: Keypair): Promise<TxResult> {
    const payer = feePayer ?? this.signer;
    const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash('confirmed');
    const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(...ixs);
    tx.sign(payer, ...extraSigners.filter((k) => !k.publicKey.equals(payer.publicKey)));
    let signature: string;
    try {
      signature = await this.connection.sendRawTransaction(tx.serialize(), { preflightCommitment: 'confirmed' });
    } catch (err) {
      let logs: string[] = [];
      if (err instanceof SendTransactionError) logs = err.logs ?? (await err.getLogs(this.connection).catch(() => [])) ?? [];
      const message = err instanceof Error ? err.message : String(err);
      throw new TxFailedError(message, logs, programErrorFrom(logs) ?? programErrorFrom(err));
    }
    const statusErr = await this.confirm(signature, lastValidBlockHeight);
    let logs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const got = await this.connection.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
      if (got?.meta) {
        logs = got.meta.logMessages ?? [];
        if (got.meta.err) throw new TxFailedError(`transaction failed: ${JSON.stringify(got.meta.err)}`, logs, programErrorFrom(logs) ?? programErrorFrom(got.meta.err));
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (statusErr) {
      throw new TxFailedError(`transaction failed: ${JSON.stringify(statusErr)}`, logs, programErrorFrom(logs) ?? programErrorFrom(statusErr));
    }
    return { signature, logs, events: parseEvents(logs, DVPN_PROGRAM_ID) };
  }

  /**
   * Waits for 'confirmed' by polling the signature status (no websocket needed);
   * gives up only when the blockhash has expired and a last status check still
   * finds nothing. Returns the transaction error, null on success.
   */
  async confirm(signature: string, lastValidBlockHeight: number): Promise<unknown> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      const st = (await this.connection.getSignatureStatuses([signature])).value[0];
      if (st && (st.confirmationStatus === 'confirmed' || st.confirmationStatus === 'finalized')) return st.err;
      if ((await this.connection.getBlockHeight('confirmed')) > lastValidBlockHeight) {
        const last = (await this.connection.getSignatureStatuses([signature], { searchTransactionHistory: true })).value[0];
        if (last && last.confirmationStatus !== 'processed') return last.err;
        throw new CliError(`transaction ${signature} expired before it was confirmed (blockhash too old); nothing was changed, try again`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Prints a result: `value` as JSON with --json, else the human text. */
  print(value: unknown, human: string): void {
    out(this.json ? toJson(value) : human);
  }

  /** Prints a titled set of rows (human) or `value` (JSON). */
  printRows(value: unknown, title: string | null, rows: Row[]): void {
    this.print(value, formatRows(title, rows));
  }
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
