// Test harness on the embedded Solana runtime (surfpool-sdk-linux-x64-gnu).
//
// One chain per test file: `const chain = await startChain()` in beforeAll,
// `chain.close()` in afterAll. The five traps of ../../../shared/STACK-NOTES.md
// are handled here, so tests never touch the Surfnet object directly:
//   1. the Surfnet object is referenced by the Chain (and a module-level set)
//      until close(), so it is not garbage-collected (which stops the server);
//   2. drainEvents() runs every 100 ms on an unref'd timer, stopped by close();
//   3. the Connection gets wsEndpoint = surfnet.wsUrl;
//   4. every transaction gets a fresh 'confirmed' blockhash (and the web3.js
//      cache is disabled for any other caller);
//   5. the runtime is always started offline, with no remote RPC.
// And one more found here: left alone, the runtime's slots follow the wall
// clock (~13/s) and the Clock sysvar's unix_timestamp creeps forward by a
// second now and then, so "elapsed seconds" in a test drift. The harness
// pauses the clock (surfnet_pauseClock): then every transaction makes exactly
// one slot (and a new blockhash) and time moves only by warpSeconds/setTime.
// Pass { realClock: true } to keep the wall-clock behaviour.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ComputeBudgetProgram,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SendTransactionError,
  SystemProgram,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type TransactionInstruction,
} from '@solana/web3.js';
import {
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
  createAssociatedTokenAccountIdempotentInstruction,
  createInitializeMint2Instruction,
  createMintToInstruction,
  getAssociatedTokenAddressSync,
} from '@solana/spl-token';
import { DVPN_PROGRAM_ID, parseEvents, programErrorFrom, type DvpnEvent } from '@dvpn/sdk';
import { programSoPath } from '@dvpn/sdk/node';
import type { Surfnet as SurfnetInstance, SimnetEventValue } from 'surfpool-sdk-linux-x64-gnu';

const require = createRequire(import.meta.url);
const { Surfnet } = require('surfpool-sdk-linux-x64-gnu') as typeof import('surfpool-sdk-linux-x64-gnu');

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** target/deploy/dvpn.so, or $DVPN_PROGRAM_SO (the SDK's programSoPath()). */
export const PROGRAM_SO = programSoPath();
export const USDC_DECIMALS = 6;

/** Keeps every live Surfnet reachable until its chain is closed (trap 1). */
const LIVE = new Set<SurfnetInstance>();

export interface SendOptions {
  /** Pays the transaction fee; default: the harness payer, so the signers' lamports move only by what the program moves. */
  feePayer?: Keypair;
  /** Optional compute-unit limit instruction prepended to the transaction. */
  computeUnitLimit?: number;
}

export interface SendResult {
  signature: string;
  logs: string[];
  /** Events of the dvpn program decoded by the SDK from the "Program data:" lines. */
  events: DvpnEvent[];
  computeUnits: number | undefined;
  fee: number | undefined;
}

/** A failed transaction. `errorName`/`errorCode` come from the IDL when the program returned a custom error. */
export class ChainTxError extends Error {
  readonly errorName: string | undefined;
  readonly errorCode: number | undefined;
  readonly programMessage: string | undefined;
  readonly logs: string[];
  constructor(message: string, logs: string[], cause: unknown) {
    const parsed = programErrorFrom(logs.length > 0 ? logs : cause) ?? programErrorFrom(cause);
    super(parsed ? `${parsed.name} — ${parsed.msg}` : message, { cause });
    this.name = 'ChainTxError';
    this.errorName = parsed?.name;
    this.errorCode = parsed?.code;
    this.programMessage = parsed?.msg;
    this.logs = logs;
  }
}

export interface StartChainOptions {
  /** Deploy target/deploy/dvpn.so at the program id (default true). */
  deploy?: boolean;
  soPath?: string;
  /** SOL given to the harness payer (default 1,000,000). */
  payerSol?: number;
  /** Keep the runtime's wall-clock slots instead of pausing the clock (default false). */
  realClock?: boolean;
  /** With realClock: one slot every slotTimeMs (400 = mainnet's slot time); default: the runtime's own pace. */
  slotTimeMs?: number;
  /** The runtime's payer (fees, rent, the harness mint's authority); default: a new one. */
  payer?: Keypair;
  /** Keypair of the harness mint's account, for a mint address that is the same on every start. */
  mintKeypair?: Keypair;
}

export interface Chain {
  readonly connection: Connection;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly programId: PublicKey;
  /** Pays fees and rent for harness operations. */
  readonly payer: Keypair;
  /** USDC-like mint (6 decimals); its authority is `payer`. */
  readonly mint: PublicKey;
  /** A new keypair holding exactly `sol` SOL. */
  fundedKeypair(sol?: number): Promise<Keypair>;
  /** Sets the lamport balance of an address. */
  setLamports(address: PublicKey, lamports: bigint | number): void;
  lamports(address: PublicKey): Promise<bigint>;
  /** Associated token account of `owner` for the harness mint (or `mint`). */
  ata(owner: PublicKey, mint?: PublicKey): PublicKey;
  /** Creates the owner's ATA if needed and mints `amount` base units into it; returns the ATA. */
  fundTokens(owner: PublicKey, amount: bigint | number, mint?: PublicKey): Promise<PublicKey>;
  /** Creates the owner's ATA (idempotent); returns it. */
  createAta(owner: PublicKey, mint?: PublicKey): Promise<PublicKey>;
  /** Balance of the owner's ATA (0 when it does not exist). */
  tokenBalance(owner: PublicKey, mint?: PublicKey): Promise<bigint>;
  /** Balance of a token account (null when it does not exist). */
  tokenAccountAmount(account: PublicKey): Promise<bigint | null>;
  send(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[], opts?: SendOptions): Promise<SendResult>;
  /** Sends and expects the program to fail; returns the error (throws if the transaction succeeded). */
  sendExpectingError(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[], opts?: SendOptions): Promise<ChainTxError>;
  /**
   * Sends and expects the program to fail with the IDL error `name`; throws an
   * error that shows the actual failure and its logs otherwise.
   */
  expectError(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[], name: string, opts?: SendOptions): Promise<ChainTxError>;
  /** Creates another SPL mint (authority = payer). */
  createMint(decimals?: number): Promise<PublicKey>;
  /** Clock sysvar unix_timestamp (with the paused clock it moves only with warpSeconds/setTime). */
  now(): Promise<bigint>;
  /** Moves the clock forward by n > 0 seconds; returns the new time. */
  warpSeconds(n: number | bigint): Promise<bigint>;
  /** Moves the clock forward to unixSeconds (must not be in the past). */
  setTime(unixSeconds: number | bigint): Promise<bigint>;
  /** Buffered runtime events seen by the drain timer (bounded). */
  recentRuntimeEvents(): SimnetEventValue[];
  close(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A JSON-RPC call (for surfnet_* cheatcodes that the native binding does not expose). */
export async function rpcCall(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Starts an embedded runtime with the dvpn program deployed and a USDC-like mint. */
export async function startChain(opts: StartChainOptions = {}): Promise<Chain> {
  const soPath = opts.soPath ?? PROGRAM_SO;
  const deploy = opts.deploy ?? true;
  if (deploy && !existsSync(soPath)) {
    throw new Error(`${soPath} is missing: build the program first (make program)`);
  }

  // Trap 5: default start is offline with no remote RPC; never pass offline:false / remoteRpcUrl.
  let surfnet: SurfnetInstance | null =
    opts.slotTimeMs || opts.payer
      ? Surfnet.startWithConfig({
          ...(opts.slotTimeMs ? { blockProductionMode: 'clock' as const, slotTimeMs: opts.slotTimeMs } : {}),
          ...(opts.payer ? { payerSecretKey: [...opts.payer.secretKey] } : {}),
        })
      : Surfnet.start();
  LIVE.add(surfnet);

  const recent: SimnetEventValue[] = [];
  const processedLogs = new Map<string, string[]>();
  // Trap 2: drain regularly, on a timer that does not keep the process alive.
  const drain = () => {
    if (!surfnet) return;
    for (const ev of surfnet.drainEvents()) {
      recent.push(ev);
      if (ev.kind === 'transactionProcessed' && ev.transactionSignature && ev.logs) {
        processedLogs.set(ev.transactionSignature, ev.logs);
      }
    }
    if (recent.length > 2000) recent.splice(0, recent.length - 1000);
    if (processedLogs.size > 2000) {
      for (const key of [...processedLogs.keys()].slice(0, 1000)) processedLogs.delete(key);
    }
  };
  const timer = setInterval(drain, 100);
  timer.unref();

  const rpcUrl = surfnet.rpcUrl;
  const wsUrl = surfnet.wsUrl;
  // Trap 3: the runtime's websocket is not on RPC port + 1.
  const connection = new Connection(rpcUrl, { commitment: 'confirmed', wsEndpoint: wsUrl });
  // Trap 4: never reuse a cached blockhash (send() fetches its own anyway).
  (connection as unknown as { _disableBlockhashCaching: boolean })._disableBlockhashCaching = true;

  const live = () => {
    if (!surfnet) throw new Error('chain is closed');
    return surfnet;
  };

  if (!opts.realClock) await rpcCall(rpcUrl, 'surfnet_pauseClock');

  const payer = Keypair.fromSecretKey(Uint8Array.from(surfnet.payerSecretKey));
  surfnet.fundSol(payer.publicKey.toBase58(), (opts.payerSol ?? 1_000_000) * LAMPORTS_PER_SOL);

  const sentSignatures = new Set<string>();

  async function waitForStatus(signature: string, timeoutMs = 60_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const { value } = await connection.getSignatureStatuses([signature]);
      const st = value[0];
      if (st && (st.confirmationStatus === 'confirmed' || st.confirmationStatus === 'finalized')) return st.err;
      if (Date.now() > deadline) throw new Error(`transaction ${signature} not confirmed after ${timeoutMs} ms`);
      await sleep(delay);
    }
  }

  async function fetchLogs(signature: string): Promise<{ logs: string[]; computeUnits?: number; fee?: number; err: unknown }> {
    for (let i = 0; i < 50; i++) {
      const tx = await connection.getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
      if (tx?.meta) {
        return {
          logs: tx.meta.logMessages ?? processedLogs.get(signature) ?? [],
          computeUnits: tx.meta.computeUnitsConsumed ?? undefined,
          fee: tx.meta.fee,
          err: tx.meta.err,
        };
      }
      const fromEvents = processedLogs.get(signature);
      if (fromEvents && i > 5) return { logs: fromEvents, err: null };
      await sleep(20);
    }
    throw new Error(`transaction ${signature} not found after confirmation`);
  }

  async function send(
    ixsIn: TransactionInstruction | TransactionInstruction[],
    signers: Keypair[],
    sendOpts: SendOptions = {},
  ): Promise<SendResult> {
    const ixs = Array.isArray(ixsIn) ? ixsIn : [ixsIn];
    const feePayer = sendOpts.feePayer ?? payer;
    const allSigners = [feePayer, ...signers.filter((s) => !s.publicKey.equals(feePayer.publicKey))];
    const prefix = sendOpts.computeUnitLimit
      ? [ComputeBudgetProgram.setComputeUnitLimit({ units: sendOpts.computeUnitLimit })]
      : [];

    let tx: Transaction;
    let blockhash: string;
    let lastValidBlockHeight: number;
    // A fresh blockhash per transaction. An identical transaction that already
    // landed under the same blockhash would be refused as "already processed";
    // every landed transaction moves the runtime one slot (new blockhash), so
    // this only waits in the real-clock mode.
    let sigHex: string;
    for (let attempt = 0; ; attempt++) {
      ({ blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash('confirmed'));
      tx = new Transaction({ feePayer: feePayer.publicKey, blockhash, lastValidBlockHeight }).add(...prefix, ...ixs);
      tx.sign(...allSigners);
      sigHex = tx.signature ? Buffer.from(tx.signature).toString('hex') : '';
      if (!sentSignatures.has(sigHex)) break;
      if (attempt > 200) throw new Error('could not get a fresh blockhash for a repeated transaction');
      await sleep(25);
    }

    let signature: string;
    try {
      signature = await connection.sendRawTransaction(tx.serialize(), { preflightCommitment: 'confirmed' });
      sentSignatures.add(sigHex); // it passed preflight: the runtime executed it
    } catch (err) {
      let logs: string[] = [];
      if (err instanceof SendTransactionError) {
        logs = err.logs ?? (await err.getLogs(connection).catch(() => [])) ?? [];
      }
      throw new ChainTxError(err instanceof Error ? err.message : String(err), logs, err);
    }

    // Poll the status instead of web3's block-height strategy: the runtime's
    // blocks advance with the wall clock (~13/s, a blockhash lives ~150 of
    // them), so under a loaded machine that strategy can report a transaction
    // as expired although it landed. The runtime executes a transaction when
    // it is sent, so its status appears at once.
    const statusErr = await waitForStatus(signature);
    const meta = await fetchLogs(signature);
    if (statusErr || meta.err) {
      const err = statusErr ?? meta.err;
      throw new ChainTxError(`transaction ${signature} failed: ${JSON.stringify(err)}`, meta.logs, err);
    }
    return {
      signature,
      logs: meta.logs,
      events: parseEvents(meta.logs, DVPN_PROGRAM_ID),
      computeUnits: meta.computeUnits,
      fee: meta.fee,
    };
  }

  async function sendExpectingError(
    ixs: TransactionInstruction | TransactionInstruction[],
    signers: Keypair[],
    sendOpts?: SendOptions,
  ): Promise<ChainTxError> {
    let result: SendResult;
    try {
      result = await send(ixs, signers, sendOpts);
    } catch (err) {
      if (err instanceof ChainTxError) return err;
      throw err;
    }
    throw new Error(`expected the transaction to fail, but it succeeded: ${result.signature}\n${result.logs.join('\n')}`);
  }

  async function expectError(
    ixs: TransactionInstruction | TransactionInstruction[],
    signers: Keypair[],
    name: string,
    sendOpts?: SendOptions,
  ): Promise<ChainTxError> {
    const err = await sendExpectingError(ixs, signers, sendOpts);
    if (err.errorName !== name) {
      throw new Error(
        `expected the program error ${name}, got ${err.errorName ?? 'no dvpn error'}: ${err.message}\n  ${err.logs.join('\n  ')}`,
      );
    }
    return err;
  }

  async function createMint(decimals = USDC_DECIMALS, kp: Keypair = Keypair.generate()): Promise<PublicKey> {
    const rent = await connection.getMinimumBalanceForRentExemption(MINT_SIZE);
    await send(
      [
        SystemProgram.createAccount({
          fromPubkey: payer.publicKey,
          newAccountPubkey: kp.publicKey,
          lamports: rent,
          space: MINT_SIZE,
          programId: TOKEN_PROGRAM_ID,
        }),
        createInitializeMint2Instruction(kp.publicKey, decimals, payer.publicKey, null),
      ],
      [kp],
    );
    return kp.publicKey;
  }

  async function now(): Promise<bigint> {
    const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY, 'confirmed');
    if (!info) throw new Error('Clock sysvar missing');
    // Clock: slot u64, epoch_start_timestamp i64, epoch u64, leader_schedule_epoch u64, unix_timestamp i64.
    return info.data.readBigInt64LE(32);
  }

  async function setTime(unixSeconds: number | bigint): Promise<bigint> {
    const target = BigInt(unixSeconds);
    const current = await now();
    if (target < current) throw new Error(`setTime(${target}) is in the past (now ${current}); time travel is forward only`);
    if (target === current) return current;
    live().timeTravelToTimestamp(Number(target) * 1000);
    for (let i = 0; i < 100; i++) {
      const t = await now();
      if (t >= target) return t;
      await sleep(10);
    }
    throw new Error(`clock did not reach ${target} after time travel`);
  }

  async function warpSeconds(n: number | bigint): Promise<bigint> {
    const delta = BigInt(n);
    if (delta <= 0n) throw new Error('warpSeconds needs a positive number of seconds');
    return setTime((await now()) + delta);
  }

  if (deploy) {
    // A plain number array: the runtime refuses a Buffer.
    surfnet.deploy({ programId: DVPN_PROGRAM_ID.toBase58(), soBytes: [...readFileSync(soPath)] });
    const info = await connection.getAccountInfo(DVPN_PROGRAM_ID);
    if (!info?.executable) throw new Error('dvpn program is not executable after deploy');
  }

  // USDC-like mint, authority = payer.
  const mint = await createMint(USDC_DECIMALS, opts.mintKeypair);

  const ata = (owner: PublicKey, m: PublicKey = mint) => getAssociatedTokenAddressSync(m, owner, true);

  async function tokenAccountAmount(account: PublicKey): Promise<bigint | null> {
    const info = await connection.getAccountInfo(account, 'confirmed');
    if (!info) return null;
    // SPL Token account: mint (32), owner (32), amount u64 at 64.
    return info.data.readBigUInt64LE(64);
  }

  const chain: Chain = {
    connection,
    rpcUrl,
    wsUrl,
    programId: DVPN_PROGRAM_ID,
    payer,
    mint,
    async fundedKeypair(sol = 10) {
      const kp = Keypair.generate();
      live().fundSol(kp.publicKey.toBase58(), Math.round(sol * LAMPORTS_PER_SOL));
      return kp;
    },
    setLamports(address, lamports) {
      live().fundSol(address.toBase58(), Number(lamports));
    },
    async lamports(address) {
      return BigInt(await connection.getBalance(address, 'confirmed'));
    },
    ata,
    async createAta(owner, m = mint) {
      const account = ata(owner, m);
      await send(createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, account, owner, m), []);
      return account;
    },
    async fundTokens(owner, amount, m = mint) {
      const account = ata(owner, m);
      await send(
        [
          createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, account, owner, m),
          createMintToInstruction(m, account, payer.publicKey, BigInt(amount)),
        ],
        [],
      );
      return account;
    },
    async tokenBalance(owner, m = mint) {
      return (await tokenAccountAmount(ata(owner, m))) ?? 0n;
    },
    tokenAccountAmount,
    send,
    sendExpectingError,
    expectError,
    createMint,
    now,
    warpSeconds,
    setTime,
    recentRuntimeEvents: () => [...recent],
    close() {
      clearInterval(timer);
      if (surfnet) {
        drain();
        LIVE.delete(surfnet);
        // Dropping the last reference is how the runtime stops (there is no stop() in 1.2.0).
        surfnet = null;
      }
    },
  };
  return chain;
}

/** Waits up to timeoutMs for target/deploy/dvpn.so (the program may still be building). */
export async function waitForProgram(timeoutMs = 0, soPath = PROGRAM_SO): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(soPath)) {
    if (Date.now() >= deadline) return false;
    await sleep(1000);
  }
  return true;
}
