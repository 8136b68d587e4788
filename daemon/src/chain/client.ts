// The daemon's view of the chain: reads (sessions with the Clock in one RPC
// call, the node, the config) and claim transactions signed by the provider
// authority. Every layout and instruction comes from @dvpn/sdk; the only raw
// read here is the Clock sysvar's unix_timestamp.
import {
  Connection,
  PublicKey,
  SendTransactionError,
  SYSVAR_CLOCK_PUBKEY,
  Transaction,
  type Commitment,
  type Keypair,
  type TransactionInstruction,
} from '@solana/web3.js';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import bs58 from 'bs58';
import type { Logger } from 'pino';
import {
  DVPN_PROGRAM_ID,
  decodeSession,
  fetchConfig,
  fetchNode,
  parseEvents,
  programErrorFrom,
  type ConfigAccount,
  type DvpnErrorInfo,
  type DvpnEvent,
  type NodeAccount,
  type SessionAccount,
} from '@dvpn/sdk';

/** A transaction the chain refused (program error when the program said why), or one that never confirmed. */
export class ChainTxError extends Error {
  constructor(
    message: string,
    readonly program: DvpnErrorInfo | undefined,
    readonly logs: string[],
    /** The transaction did not land and can be retried with a new blockhash. */
    readonly expired = false,
    /** Index of the instruction the runtime refused (a batch fails as a whole; this says whose fault it was). */
    readonly instructionIndex?: number,
  ) {
    super(program ? `${program.name}: ${program.msg}` : message);
    this.name = 'ChainTxError';
  }
}

export interface SentTx {
  signature: string;
  logs: string[];
  events: DvpnEvent[];
}

export type SessionLookup =
  | { kind: 'session'; account: SessionAccount }
  | { kind: 'missing' }
  /** The address holds something that is not a dvpn Session. */
  | { kind: 'foreign' };

export interface ChainClientOptions {
  rpcUrl: string;
  wsUrl?: string;
  commitment: Commitment;
  authority: Keypair;
  confirmTimeoutMs: number;
  /** Every JSON-RPC call gives up after this long (an RPC that accepts but never answers must not hang anything). */
  rpcTimeoutMs?: number;
  log: Logger;
  programId?: PublicKey;
}

/** The JSON-RPC method of a request body (a batch counts as its first method), for metrics. */
function rpcMethodOf(body: unknown): string {
  if (typeof body !== 'string') return 'unknown';
  const m = /"method"\s*:\s*"([A-Za-z]{1,40})"/.exec(body.slice(0, 200));
  return m ? m[1] : 'unknown';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Largest serialized transaction the network accepts (IPv6 MTU minus headers). */
export const PACKET_DATA_SIZE = 1232;

/**
 * Index of the failing instruction in a transaction error: the structured
 * `{ InstructionError: [index, ...] }` of a status or meta, or the
 * "Error processing Instruction N" text of a refused preflight.
 */
export function instructionIndexOf(err: unknown): number | undefined {
  if (err === null || err === undefined) return undefined;
  if (typeof err === 'string') {
    const m = /Error processing Instruction (\d+)/i.exec(err);
    return m ? Number(m[1]) : undefined;
  }
  if (err instanceof Error) return instructionIndexOf(err.message);
  if (typeof err === 'object') {
    const ie = (err as { InstructionError?: unknown }).InstructionError;
    if (Array.isArray(ie) && typeof ie[0] === 'number') return ie[0];
  }
  return undefined;
}

const CLOCK = SYSVAR_CLOCK_PUBKEY.toBase58();

// Any valid 32-byte base58 value: only the size of the compiled message matters.
const DUMMY_BLOCKHASH = PublicKey.default.toBase58();

/**
 * The RPC as errors name it: its origin only. A paid RPC's path or query holds its API key,
 * and these errors reach public answers (GET /session/:pda's chainError, a pending claim's
 * lastError).
 */
export function rpcLabel(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the RPC';
  }
}

export class ChainClient {
  readonly connection: Connection;
  readonly authority: Keypair;
  readonly programId: PublicKey;
  private readonly commitment: Commitment;
  private readonly confirmTimeoutMs: number;
  private readonly log: Logger;
  private configCache: { at: number; value: ConfigAccount } | null = null;
  private readonly rpcUrl: string;
  private readonly programIdText: string;
  /** fetch with the RPC timeout and metrics (web3.js's Connection uses it too). */
  private readonly rpcFetch: typeof fetch;
  private readonly rpcTimeoutMs: number;
  /** Keep-alive connections for the session reads' plain JSON-RPC posts (see postRpc). */
  private readonly rpcAgent: HttpAgent;
  /**
   * The last decoded value of each session read, by its base64 data: the poll re-reads every
   * open session each round and most have not changed, so their bytes are compared, not decoded
   * again. Bounded like the session cache.
   */
  private readonly decoded = new Map<string, { data: string; account: SessionAccount }>();
  static readonly DECODED_MAX = 20_000;
  /** Called after every JSON-RPC call (metrics): method, seconds, and why it failed or null. */
  onRpc: ((method: string, seconds: number, failure: string | null) => void) | null = null;

  constructor(opts: ChainClientOptions) {
    const rpcTimeoutMs = opts.rpcTimeoutMs ?? 10_000;
    this.rpcTimeoutMs = rpcTimeoutMs;
    this.rpcUrl = opts.rpcUrl;
    this.rpcAgent = opts.rpcUrl.startsWith('https:') ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
    this.rpcFetch = async (input, init) => {
      const timeout = AbortSignal.timeout(rpcTimeoutMs);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      const method = rpcMethodOf(init?.body);
      const started = performance.now();
      const done = (failure: string | null) => this.onRpc?.(method, (performance.now() - started) / 1000, failure);
      try {
        const res = await fetch(input, { ...init, signal });
        done(res.ok ? null : `http_${res.status}`);
        return res;
      } catch (err) {
        done(timeout.aborted ? 'timeout' : 'transport');
        if (timeout.aborted) throw new Error(`RPC ${rpcLabel(opts.rpcUrl)} did not answer within ${rpcTimeoutMs} ms`);
        throw err;
      }
    };
    this.connection = new Connection(opts.rpcUrl, {
      commitment: opts.commitment,
      ...(opts.wsUrl ? { wsEndpoint: opts.wsUrl } : {}),
      disableRetryOnRateLimit: false,
      fetch: this.rpcFetch,
    });
    // A fresh blockhash per transaction (the web3.js cache can outlive fast-moving slots).
    (this.connection as unknown as { _disableBlockhashCaching: boolean })._disableBlockhashCaching = true;
    this.authority = opts.authority;
    this.programId = opts.programId ?? DVPN_PROGRAM_ID;
    this.programIdText = this.programId.toBase58();
    this.commitment = opts.commitment;
    this.confirmTimeoutMs = opts.confirmTimeoutMs;
    this.log = opts.log;
  }

  /**
   * Sessions and the Clock's unix_timestamp, read together (batches of 99 + Clock). Addresses
   * may be given as base58 text (as the daemon holds them: no base58 round trip per address).
   */
  async readSessions(addresses: Array<PublicKey | string>): Promise<{ now: bigint; sessions: Map<string, SessionLookup> }> {
    const sessions = new Map<string, SessionLookup>();
    let now: bigint | null = null;
    const batches: Array<Array<PublicKey | string>> = [];
    for (let i = 0; i < addresses.length; i += 99) batches.push(addresses.slice(i, i + 99));
    if (batches.length === 0) batches.push([]);
    for (const batch of batches) {
      const keys = batch.map((a) => (typeof a === 'string' ? a : a.toBase58()));
      const infos = await this.getMultipleAccounts([CLOCK, ...keys]);
      const clock = infos[0] ? Buffer.from(infos[0].data, 'base64') : null;
      if (!clock || clock.length < 40) throw new Error('Clock sysvar missing');
      now = clock.readBigInt64LE(32); // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp
      keys.forEach((key, i) => {
        const info = infos[i + 1];
        let lookup: SessionLookup;
        if (!info || info.data.length === 0) lookup = { kind: 'missing' };
        else if (info.owner !== this.programIdText) lookup = { kind: 'foreign' };
        else {
          const known = this.decoded.get(key);
          if (known && known.data === info.data) lookup = { kind: 'session', account: known.account };
          else {
            try {
              const account = decodeSession(Buffer.from(info.data, 'base64'));
              lookup = { kind: 'session', account };
              this.decoded.delete(key);
              this.decoded.set(key, { data: info.data, account });
              if (this.decoded.size > ChainClient.DECODED_MAX) this.decoded.delete(this.decoded.keys().next().value!);
            } catch {
              lookup = { kind: 'foreign' };
            }
          }
        }
        if (lookup.kind !== 'session') this.decoded.delete(key);
        sessions.set(key, lookup);
      });
    }
    return { now: now!, sessions };
  }

  /**
   * `getMultipleAccounts` (base64) by plain JSON-RPC: the owner and the base64 data of each
   * account, null when absent. web3.js's response validation cost more CPU than the rest of
   * an auth; the answer's shape is checked here instead.
   */
  private async getMultipleAccounts(keys: string[]): Promise<Array<{ owner: string; data: string } | null>> {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'getMultipleAccounts',
      params: [keys, { commitment: this.commitment, encoding: 'base64' }],
    });
    const json = (await this.postRpc('getMultipleAccounts', body)) as { result?: { value?: unknown }; error?: { code?: number; message?: string } };
    if (json.error) throw new Error(`RPC getMultipleAccounts: ${json.error.message ?? 'error'} (${json.error.code ?? '?'})`);
    const values = json.result?.value;
    if (!Array.isArray(values) || values.length !== keys.length) throw new Error('RPC getMultipleAccounts: malformed answer');
    return values.map((v) => {
      if (v === null) return null;
      const { owner, data } = v as { owner?: unknown; data?: unknown };
      if (typeof owner !== 'string' || !Array.isArray(data) || typeof data[0] !== 'string' || data[1] !== 'base64') {
        throw new Error('RPC getMultipleAccounts: malformed account in the answer');
      }
      return { owner, data: data[0] };
    });
  }

  /**
   * One JSON-RPC call by node:http on keep-alive connections, with the same timeout and metrics
   * as the fetch that web3.js uses: fetch's stream machinery cost more CPU per session read than
   * parsing the answer. Resolves with the parsed JSON of a 200 answer.
   */
  private postRpc(method: string, body: string): Promise<unknown> {
    const started = performance.now();
    const done = (failure: string | null) => this.onRpc?.(method, (performance.now() - started) / 1000, failure);
    const send = this.rpcUrl.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (failure: string | null, err: Error | null, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(failure);
        if (err) reject(err);
        else resolve(value);
      };
      let req: ReturnType<typeof httpRequest> | null = null;
      const timer = setTimeout(() => {
        finish('timeout', new Error(`RPC ${rpcLabel(this.rpcUrl)} did not answer within ${this.rpcTimeoutMs} ms`));
        req?.destroy();
      }, this.rpcTimeoutMs);
      const attempt = (retry: boolean) => {
        const r = send(this.rpcUrl, {
          method: 'POST',
          agent: this.rpcAgent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req = r;
        r.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed meanwhile: the read is idempotent, send it again once.
          if (retry && r.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !settled) attempt(false);
          else finish('transport', err);
        });
        r.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => finish('transport', err));
          res.on('close', () => {
            if (!res.complete) finish('transport', new Error(`RPC ${method}: the connection closed before the answer ended`));
          });
          res.on('end', () => {
            if (res.statusCode !== 200) {
              finish(`http_${res.statusCode}`, new Error(`RPC ${method}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
              return;
            }
            try {
              finish(null, null, JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              finish('transport', new Error(`RPC ${method}: the answer is not JSON`));
            }
          });
        });
        r.end(body);
      };
      attempt(true);
    });
  }

  async readSession(address: PublicKey): Promise<{ now: bigint; session: SessionLookup }> {
    const { now, sessions } = await this.readSessions([address]);
    return { now, session: sessions.get(address.toBase58())! };
  }

  async clockNow(): Promise<bigint> {
    return (await this.readSessions([])).now;
  }

  async node(address: PublicKey): Promise<NodeAccount | null> {
    return fetchNode(this.connection, address, { commitment: this.commitment, programId: this.programId });
  }

  /** The Config account (cached for 30 s: it changes rarely). */
  async config(): Promise<ConfigAccount> {
    if (this.configCache && Date.now() - this.configCache.at < 30_000) return this.configCache.value;
    const value = await fetchConfig(this.connection, { commitment: this.commitment, programId: this.programId });
    if (!value) throw new Error('the dvpn Config account does not exist on this cluster');
    this.configCache = { at: Date.now(), value };
    return value;
  }

  /**
   * Serialized size of a transaction of `ixs` signed by the authority alone,
   * without signing or a blockhash: compact-u16 signature count, one
   * signature, the message.
   */
  transactionSize(ixs: TransactionInstruction[]): number {
    const tx = new Transaction({ feePayer: this.authority.publicKey, blockhash: DUMMY_BLOCKHASH, lastValidBlockHeight: 0 }).add(...ixs);
    const message = tx.compileMessage();
    try {
      return 1 + 64 * message.header.numRequiredSignatures + message.serialize().length;
    } catch (err) {
      // web3.js serializes instructions into a packet-sized buffer: past it, it throws instead of measuring.
      if (err instanceof RangeError) return Number.POSITIVE_INFINITY;
      throw err;
    }
  }

  async blockHeight(): Promise<number> {
    return this.connection.getBlockHeight(this.commitment);
  }

  /**
   * Signs `ixs` with the authority (fee payer), reports the signature through
   * `onSigned` (the caller persists it) before sending, then waits for
   * confirmation by polling signature statuses.
   */
  async send(
    ixs: TransactionInstruction[],
    onSigned: (signature: string, lastValidBlockHeight: number) => Promise<void>,
  ): Promise<SentTx> {
    const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash(this.commitment);
    const tx = new Transaction({ feePayer: this.authority.publicKey, blockhash, lastValidBlockHeight }).add(...ixs);
    tx.sign(this.authority);
    const signature = bs58.encode(tx.signature!);
    await onSigned(signature, lastValidBlockHeight);
    try {
      await this.connection.sendRawTransaction(tx.serialize(), { preflightCommitment: this.commitment, maxRetries: 5 });
    } catch (err) {
      let logs: string[] = [];
      if (err instanceof SendTransactionError) logs = err.logs ?? (await err.getLogs(this.connection).catch(() => [])) ?? [];
      const program = programErrorFrom(logs) ?? programErrorFrom(err);
      const message = err instanceof Error ? err.message : String(err);
      // "already processed": an identical transaction landed before; let confirmation tell.
      if (!program && /already been processed|AlreadyProcessed/i.test(message)) {
        return this.confirm(signature, lastValidBlockHeight);
      }
      if (program || err instanceof SendTransactionError) throw new ChainTxError(message, program, logs, !program, instructionIndexOf(message));
      throw err; // transport error: the caller retries with backoff
    }
    return this.confirm(signature, lastValidBlockHeight);
  }

  /** Polls until `signature` is confirmed, failed, or its blockhash expired. */
  async confirm(signature: string, lastValidBlockHeight: number): Promise<SentTx> {
    const deadline = Date.now() + this.confirmTimeoutMs;
    for (let i = 0; ; i++) {
      const status = await this.status(signature);
      if (status === 'failed' || status === 'confirmed') {
        const logs = await this.transactionLogs(signature);
        if (status === 'failed') {
          throw new ChainTxError(
            `transaction ${signature} failed`,
            programErrorFrom(logs.logs) ?? programErrorFrom(logs.err),
            logs.logs,
            false,
            instructionIndexOf(logs.err),
          );
        }
        return { signature, logs: logs.logs, events: parseEvents(logs.logs, this.programId) };
      }
      if (i % 8 === 7 && (await this.blockHeight()) > lastValidBlockHeight) {
        // One last look: it may have landed right before expiring.
        const last = await this.status(signature);
        if (last === 'pending') throw new ChainTxError(`transaction ${signature} expired unconfirmed`, undefined, [], true);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`transaction ${signature} not confirmed after ${this.confirmTimeoutMs} ms`);
      await sleep(Math.min(100 * (i + 1), 500));
    }
  }

  /** 'pending' also covers "unknown to this RPC node". */
  async status(signature: string): Promise<'pending' | 'confirmed' | 'failed'> {
    const { value } = await this.connection.getSignatureStatuses([signature], { searchTransactionHistory: true });
    const s = value[0];
    if (!s) return 'pending';
    if (s.err) return 'failed';
    if (s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized') return 'confirmed';
    return this.commitment === 'processed' ? 'confirmed' : 'pending';
  }

  async transactionLogs(signature: string): Promise<{ logs: string[]; err: unknown }> {
    for (let i = 0; i < 20; i++) {
      const tx = await this.connection.getTransaction(signature, {
        commitment: this.commitment === 'processed' ? 'confirmed' : (this.commitment as 'confirmed' | 'finalized'),
        maxSupportedTransactionVersion: 0,
      });
      if (tx?.meta) return { logs: tx.meta.logMessages ?? [], err: tx.meta.err };
      await sleep(50 * (i + 1));
    }
    this.log.warn({ signature }, 'transaction logs not available');
    return { logs: [], err: null };
  }
}

export const sessionAddress = (s: string): PublicKey => new PublicKey(s);
