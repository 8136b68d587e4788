// Program test harness: a fresh LiteSVM with the built dvpn.so, a USDC-like
// mint, funded wallets, `send()` returning what a user checks (ok, error name,
// logs, compute units, parsed events), clock control, decoded accounts, and
// fixture builders (config, provider + stake + node, SOL/USDC time/usage
// sessions). The SDK builds web3.js instructions; `send()` is the one place
// they become a kit transaction for litesvm.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTransactionDecoder, type Address } from '@solana/kit';
import {
  ACCOUNT_SIZE as ACCOUNT_LAYOUT_SPAN,
  AccountLayout,
  createInitializeAccount3Instruction,
  createInitializeMint2Instruction,
  createMintToInstruction,
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
} from '@solana/spl-token';
import { Keypair, PublicKey, SystemProgram, TransactionInstruction } from '@solana/web3.js';
import {
  ACCOUNT_SIZES,
  createHashChain,
  decodeConfig,
  decodeNode,
  decodeProvider,
  decodeSession,
  decodeStakeVault,
  decodeUserState,
  findUserStatePda,
  DVPN_PROGRAM_ID,
  errorFromCode,
  findConfigPda,
  findNodePda,
  findProviderPda,
  findSessionPda,
  findSessionVaultPda,
  findStakeVaultPda,
  IDL,
  ix,
  parseEvents,
  SessionMode,
  type DvpnEvent,
  type HashChain,
  type SessionAccount,
} from '@dvpn/sdk';
import { FailedTransactionMetadata, LiteSVM, type TransactionMetadata } from 'litesvm';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROGRAM_SO = join(ROOT, 'target', 'deploy', 'dvpn.so');
export const SOL = 1_000_000_000n;
export const USDC = 1_000_000n; // 6 decimals
/** Default clock at the start of every environment (2024-01-01T00:00:00Z). */
export const START_TS = 1_704_067_200n;

export { SessionMode, SessionState } from '@dvpn/sdk';

// litesvm's error enums are `const enum`s in its typings: their names by value.
const INSTRUCTION_ERRORS = [
  'GenericError', 'InvalidArgument', 'InvalidInstructionData', 'InvalidAccountData', 'AccountDataTooSmall',
  'InsufficientFunds', 'IncorrectProgramId', 'MissingRequiredSignature', 'AccountAlreadyInitialized',
  'UninitializedAccount', 'UnbalancedInstruction', 'ModifiedProgramId', 'ExternalAccountLamportSpend',
  'ExternalAccountDataModified', 'ReadonlyLamportChange', 'ReadonlyDataModified', 'DuplicateAccountIndex',
  'ExecutableModified', 'RentEpochModified', 'NotEnoughAccountKeys', 'AccountDataSizeChanged',
  'AccountNotExecutable', 'AccountBorrowFailed', 'AccountBorrowOutstanding', 'DuplicateAccountOutOfSync',
  'InvalidError', 'ExecutableDataModified', 'ExecutableLamportChange', 'ExecutableAccountNotRentExempt',
  'UnsupportedProgramId', 'CallDepth', 'MissingAccount', 'ReentrancyNotAllowed', 'MaxSeedLengthExceeded',
  'InvalidSeeds', 'InvalidRealloc', 'ComputationalBudgetExceeded', 'PrivilegeEscalation',
  'ProgramEnvironmentSetupFailure', 'ProgramFailedToComplete', 'ProgramFailedToCompile', 'Immutable',
  'IncorrectAuthority', 'AccountNotRentExempt', 'InvalidAccountOwner', 'ArithmeticOverflow', 'UnsupportedSysvar',
  'IllegalOwner', 'MaxAccountsDataAllocationsExceeded', 'MaxAccountsExceeded', 'MaxInstructionTraceLengthExceeded',
  'BuiltinProgramsMustConsumeComputeUnits', 'BorshIoError',
];
const TRANSACTION_ERRORS = [
  'AccountInUse', 'AccountLoadedTwice', 'AccountNotFound', 'ProgramAccountNotFound', 'InsufficientFundsForFee',
  'InvalidAccountForFee', 'AlreadyProcessed', 'BlockhashNotFound', 'CallChainTooDeep', 'MissingSignatureForFee',
  'InvalidAccountIndex', 'SignatureFailure', 'InvalidProgramForExecution', 'SanitizeFailure', 'ClusterMaintenance',
  'AccountBorrowOutstanding', 'WouldExceedMaxBlockCostLimit', 'UnsupportedVersion', 'InvalidWritableAccount',
  'WouldExceedMaxAccountCostLimit', 'WouldExceedAccountDataBlockLimit', 'TooManyAccountLocks',
  'AddressLookupTableNotFound', 'InvalidAddressLookupTableOwner', 'InvalidAddressLookupTableData',
  'InvalidAddressLookupTableIndex', 'InvalidRentPayingAccount', 'WouldExceedMaxVoteCostLimit',
  'WouldExceedAccountDataTotalLimit', 'MaxLoadedAccountsDataSizeExceeded', 'ResanitizationNeeded',
  'InvalidLoadedAccountsDataSizeLimit', 'UnbalancedTransaction', 'ProgramCacheHitMaxLimit', 'CommitCancelled',
];

/**
 * A failed transaction's error. `code` is the custom error code (6000+ for
 * dvpn; small numbers come from a CPI'd program) or -1 for a runtime error;
 * `name` is the IDL error name, `Custom(<code>)` for a foreign custom code, or
 * the runtime's InstructionError / TransactionError variant name.
 */
export interface TxError {
  code: number;
  name: string;
  /** Index of the failing instruction, when the runtime says. */
  index?: number;
}

export interface SendResult {
  ok: boolean;
  logs: string[];
  /** Compute units the whole transaction consumed. */
  cu: bigint;
  /** Compute units of each top-level dvpn invocation ("Program <id> consumed N of M"). */
  programCu: bigint[];
  /** Inner instructions (CPIs) of each top-level instruction. */
  cpis: number[];
  error: TxError | undefined;
  /** The name in the program's last `Program log: Error: <Name>` line. */
  loggedError: string | undefined;
  events: DvpnEvent[];
}

const PROGRAM_B58 = DVPN_PROGRAM_ID.toBase58();
const kitAddress = (pk: PublicKey): Address => pk.toBase58() as Address;
const txDecoder = getTransactionDecoder();

function decodeTxError(err: unknown): TxError {
  if (typeof err === 'number') return { code: -1, name: TRANSACTION_ERRORS[err] ?? `TransactionError(${err})` };
  const e = err as { index?: number; err?: () => unknown; accountIndex?: number; toString(): string };
  if (typeof e.err === 'function') {
    const inner = e.err() as unknown;
    if (typeof inner === 'number') return { code: -1, name: INSTRUCTION_ERRORS[inner] ?? `InstructionError(${inner})`, index: e.index };
    if (inner && typeof (inner as { code?: unknown }).code === 'number') {
      const code = (inner as { code: number }).code;
      return { code, name: errorFromCode(code)?.name ?? `Custom(${code})`, index: e.index };
    }
    return { code: -1, name: 'BorshIoError', index: e.index };
  }
  if (typeof e.accountIndex === 'number') return { code: -1, name: 'InsufficientFundsForRent' };
  return { code: -1, name: String(err) };
}

const CONSUMED = new RegExp(`^Program ${PROGRAM_B58} consumed (\\d+) of \\d+ compute units$`);
const LOGGED_ERROR = /^Program log: Error: ([A-Za-z]+)$/;

function toResult(res: TransactionMetadata | FailedTransactionMetadata): SendResult {
  const failed = res instanceof FailedTransactionMetadata;
  const meta = failed ? res.meta() : res;
  const logs = meta.logs();
  const programCu: bigint[] = [];
  let loggedError: string | undefined;
  for (const line of logs) {
    const m = CONSUMED.exec(line);
    if (m) programCu.push(BigInt(m[1]));
    const e = LOGGED_ERROR.exec(line);
    if (e) loggedError = e[1];
  }
  return {
    ok: !failed,
    logs,
    cu: meta.computeUnitsConsumed(),
    programCu,
    cpis: meta.innerInstructions().map((list) => list.length),
    error: failed ? decodeTxError(res.err()) : undefined,
    loggedError,
    events: failed ? [] : parseEvents(logs),
  };
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const nativeKeys = new WeakMap<Keypair, KeyObject>();
function nativeKey(kp: Keypair): KeyObject {
  let k = nativeKeys.get(kp);
  if (!k) {
    const seed = kp.secretKey.subarray(0, 32);
    k = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    nativeKeys.set(kp, k);
  }
  return k;
}

function compactU16(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if (v === 0) {
      out.push(b);
      return Buffer.from(out);
    }
    out.push(b | 0x80);
  }
}

/** A legacy transaction message (fee payer first, then signers, writables, read-only). */
function compileLegacyMessage(feePayer: PublicKey, ixs: TransactionInstruction[], blockhash: string) {
  const metas = new Map<string, { key: PublicKey; signer: boolean; writable: boolean; order: number }>();
  const add = (key: PublicKey, signer: boolean, writable: boolean) => {
    const id = key.toBase58();
    const m = metas.get(id);
    if (m) {
      m.signer ||= signer;
      m.writable ||= writable;
    } else metas.set(id, { key, signer, writable, order: metas.size });
  };
  add(feePayer, true, true);
  for (const i of ixs) {
    for (const k of i.keys) add(k.pubkey, k.isSigner, k.isWritable);
    add(i.programId, false, false);
  }
  const rank = (m: { signer: boolean; writable: boolean }) => (m.signer ? 0 : 2) + (m.writable ? 0 : 1);
  const sorted = [...metas.values()].sort((a, b) => (a.order === 0 ? -1 : b.order === 0 ? 1 : rank(a) - rank(b) || a.order - b.order));
  const index = new Map(sorted.map((m, i) => [m.key.toBase58(), i]));
  const signers = sorted.filter((m) => m.signer);
  const header = Buffer.from([
    signers.length,
    signers.filter((m) => !m.writable).length,
    sorted.filter((m) => !m.signer && !m.writable).length,
  ]);
  const parts: Buffer[] = [header, compactU16(sorted.length), ...sorted.map((m) => m.key.toBuffer()), new PublicKey(blockhash).toBuffer(), compactU16(ixs.length)];
  for (const i of ixs) {
    parts.push(Buffer.from([index.get(i.programId.toBase58())!]));
    parts.push(compactU16(i.keys.length), Buffer.from(i.keys.map((k) => index.get(k.pubkey.toBase58())!)));
    parts.push(compactU16(i.data.length), Buffer.from(i.data));
  }
  return { bytes: Buffer.concat(parts), signers: signers.map((m) => m.key) };
}

/** Deterministic keypairs (for benches): a 32-byte seed from a label. */
export function seededKeypair(label: string): Keypair {
  const seed = new Uint8Array(32);
  const bytes = new TextEncoder().encode(label);
  for (let i = 0; i < bytes.length; i++) seed[i % 32] = (seed[i % 32] * 31 + bytes[i]) & 0xff;
  seed[31] ^= bytes.length;
  return Keypair.fromSeed(seed);
}

export interface EnvOptions {
  /** Deterministic keypairs for the environment's own wallets (bench). */
  deterministic?: boolean;
}

/** One LiteSVM with the dvpn program loaded; every test file (or test) makes its own. */
export class TestEnv {
  readonly svm: LiteSVM;
  /** Pays every transaction fee, so the wallets under test only move by what the program does. */
  readonly payer: Keypair;
  private keyCounter = 0;
  private readonly deterministic: boolean;

  constructor(opts: EnvOptions = {}, restored?: { svm: LiteSVM; payer: Keypair }) {
    if (!existsSync(PROGRAM_SO)) throw new Error(`${PROGRAM_SO} is missing: run \`make program\` first`);
    this.deterministic = !!opts.deterministic;
    if (restored) {
      this.svm = restored.svm.withTransactionHistory(0n);
      this.payer = restored.payer;
      return;
    }
    // No transaction history: a resent identical transaction runs again.
    this.svm = new LiteSVM().withLamports(1_000_000_000n * SOL).withTransactionHistory(0n);
    this.svm.addProgramFromFile(kitAddress(DVPN_PROGRAM_ID), PROGRAM_SO);
    this.payer = this.deterministic ? seededKeypair('fee-payer') : Keypair.generate();
    this.airdrop(this.payer.publicKey, 1_000_000n * SOL);
    this.setTime(START_TS);
  }

  /** A copy of this environment's whole state (accounts, clock), for `TestEnv.restore`. */
  snapshot(): Uint8Array {
    return this.svm.toBytes();
  }

  /** A new environment in the state `snapshot()` saved (same fee payer). */
  static restore(bytes: Uint8Array, payer: Keypair): TestEnv {
    return new TestEnv({}, { svm: LiteSVM.fromBytes(bytes), payer });
  }

  /** A new keypair (deterministic when the environment is). */
  keypair(label = 'key'): Keypair {
    this.keyCounter += 1;
    return this.deterministic ? seededKeypair(`${label}-${this.keyCounter}`) : Keypair.generate();
  }

  /** A new wallet holding `lamports` (system account). */
  wallet(lamports: bigint = 100n * SOL, label = 'wallet'): Keypair {
    const kp = this.keypair(label);
    if (lamports > 0n) this.airdrop(kp.publicKey, lamports);
    return kp;
  }

  airdrop(to: PublicKey, lamports: bigint): void {
    const r = this.svm.airdrop(kitAddress(to), lamports as never);
    if (!r || r instanceof FailedTransactionMetadata) throw new Error(`airdrop to ${to.toBase58()} failed`);
  }

  /** Builds, signs (fee payer + `signers`) and sends one transaction. */
  send(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[] = []): SendResult {
    return toResult(this.svm.sendTransaction(this.toKitTransaction(ixs, signers) as never));
  }

  /** Like send() but nothing is committed. */
  simulate(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[] = []): SendResult {
    const res = this.svm.simulateTransaction(this.toKitTransaction(ixs, signers) as never);
    if (res instanceof FailedTransactionMetadata) return toResult(res);
    return toResult(res.meta());
  }

  /**
   * web3.js instructions -> signed legacy transaction bytes -> kit Transaction
   * (litesvm's input). The message is compiled here rather than by web3.js'
   * Transaction (which costs milliseconds per call) and signed with native
   * ed25519: what lets the property test run thousands of transactions.
   */
  private toKitTransaction(ixs: TransactionInstruction | TransactionInstruction[], signers: Keypair[]) {
    const list = Array.isArray(ixs) ? ixs : [ixs];
    const message = compileLegacyMessage(this.payer.publicKey, list, this.svm.latestBlockhash());
    const byKey = new Map<string, Keypair>();
    for (const kp of [this.payer, ...signers]) byKey.set(kp.publicKey.toBase58(), kp);
    const sigs: Buffer[] = [];
    for (const key of message.signers) {
      const kp = byKey.get(key.toBase58());
      if (!kp) throw new Error(`test bug: no keypair for required signer ${key.toBase58()}`);
      sigs.push(sign(null, message.bytes, nativeKey(kp)));
    }
    // litesvm verifies every signature itself.
    return txDecoder.decode(Buffer.concat([compactU16(sigs.length), ...sigs, message.bytes]));
  }

  // ---- clock ---------------------------------------------------------------
  now(): bigint {
    return this.svm.getClock().unixTimestamp;
  }

  setTime(unixTimestamp: bigint): void {
    const clock = this.svm.getClock();
    clock.unixTimestamp = unixTimestamp;
    clock.slot = clock.slot + 1n;
    this.svm.setClock(clock);
    // A new blockhash per clock step keeps transactions from being identical across time.
    this.svm.expireBlockhash();
  }

  warp(seconds: bigint | number): void {
    this.setTime(this.now() + BigInt(seconds));
  }

  // ---- accounts --------------------------------------------------------------
  raw(pk: PublicKey): { lamports: bigint; data: Uint8Array; owner: PublicKey } | null {
    const a = this.svm.getAccount(kitAddress(pk));
    if (!a.exists) return null;
    return { lamports: BigInt(a.lamports), data: Uint8Array.from(a.data), owner: new PublicKey(a.programAddress) };
  }

  /** Writes an account directly (for look-alike / forged account tests). */
  setRaw(pk: PublicKey, a: { lamports: bigint; data: Uint8Array; owner: PublicKey }): void {
    this.svm.setAccount({
      address: kitAddress(pk),
      lamports: a.lamports as never,
      data: a.data,
      programAddress: kitAddress(a.owner),
      executable: false,
      space: BigInt(a.data.length),
    } as never);
  }

  exists(pk: PublicKey): boolean {
    return this.raw(pk) !== null;
  }

  lamports(pk: PublicKey): bigint {
    return this.raw(pk)?.lamports ?? 0n;
  }

  tokenBalance(pk: PublicKey): bigint {
    const a = this.raw(pk);
    if (!a) return 0n;
    if (!a.owner.equals(TOKEN_PROGRAM_ID) || a.data.length !== ACCOUNT_LAYOUT_SPAN) throw new Error(`${pk.toBase58()} is not a token account`);
    return AccountLayout.decode(a.data).amount;
  }

  tokenAccountInfo(pk: PublicKey): { mint: PublicKey; owner: PublicKey; amount: bigint } {
    const a = this.raw(pk);
    if (!a) throw new Error(`${pk.toBase58()} does not exist`);
    const t = AccountLayout.decode(a.data);
    return { mint: t.mint, owner: t.owner, amount: t.amount };
  }

  rent(space: number): bigint {
    return this.svm.minimumBalanceForRentExemption(BigInt(space));
  }

  private data(pk: PublicKey): Uint8Array {
    const a = this.raw(pk);
    if (!a) throw new Error(`account ${pk.toBase58()} does not exist`);
    if (!a.owner.equals(DVPN_PROGRAM_ID)) throw new Error(`account ${pk.toBase58()} is owned by ${a.owner.toBase58()}`);
    return a.data;
  }

  config() {
    return decodeConfig(this.data(findConfigPda()[0]));
  }
  provider(pk: PublicKey) {
    return decodeProvider(this.data(pk));
  }
  node(pk: PublicKey) {
    return decodeNode(this.data(pk));
  }
  session(pk: PublicKey): SessionAccount {
    return decodeSession(this.data(pk));
  }
  stakeVault(pk: PublicKey) {
    return decodeStakeVault(this.data(pk));
  }

  // ---- SPL token ----------------------------------------------------------
  /** A classic SPL Token mint (`decimals`), minted by a fresh authority. */
  createMint(decimals = 6): { mint: PublicKey; authority: Keypair } {
    const mint = this.keypair('mint');
    const authority = this.keypair('mint-authority');
    const r = this.send(
      [
        SystemProgram.createAccount({
          fromPubkey: this.payer.publicKey,
          newAccountPubkey: mint.publicKey,
          lamports: Number(this.rent(MINT_SIZE)),
          space: MINT_SIZE,
          programId: TOKEN_PROGRAM_ID,
        }),
        createInitializeMint2Instruction(mint.publicKey, decimals, authority.publicKey, null),
      ],
      [mint],
    );
    if (!r.ok) throw new Error(`createMint failed: ${r.error?.name}\n${r.logs.join('\n')}`);
    return { mint: mint.publicKey, authority };
  }

  /** A token account of `mint` owned by `owner`, holding `amount` (minted). Rent comes from the fee payer. */
  createTokenAccount(mint: { mint: PublicKey; authority: Keypair }, owner: PublicKey, amount = 0n): PublicKey {
    const acct = this.keypair('token');
    const ixs = [
      SystemProgram.createAccount({
        fromPubkey: this.payer.publicKey,
        newAccountPubkey: acct.publicKey,
        lamports: Number(this.rent(ACCOUNT_LAYOUT_SPAN)),
        space: ACCOUNT_LAYOUT_SPAN,
        programId: TOKEN_PROGRAM_ID,
      }),
      createInitializeAccount3Instruction(acct.publicKey, mint.mint, owner),
    ];
    if (amount > 0n) ixs.push(createMintToInstruction(mint.mint, acct.publicKey, mint.authority.publicKey, amount));
    const r = this.send(ixs, [acct, mint.authority]);
    if (!r.ok) throw new Error(`createTokenAccount failed: ${r.error?.name}\n${r.logs.join('\n')}`);
    return acct.publicKey;
  }

  mintTo(mint: { mint: PublicKey; authority: Keypair }, to: PublicKey, amount: bigint): void {
    const r = this.send(createMintToInstruction(mint.mint, to, mint.authority.publicKey, amount), [mint.authority]);
    if (!r.ok) throw new Error(`mintTo failed: ${r.error?.name}`);
  }
}

// ---------------------------------------------------------------------------
// Assertions shared by the test files.

/** Throws with the logs when a transaction that should pass failed. */
export function expectOk(r: SendResult, what = 'transaction'): SendResult {
  if (!r.ok) {
    throw new Error(`${what} failed with ${r.error?.name} (code ${r.error?.code})\n${r.logs.join('\n')}`);
  }
  return r;
}

/** Throws unless the transaction failed with the named dvpn (IDL) error. */
export function expectErr(r: SendResult, name: string): void {
  if (r.ok) throw new Error(`expected ${name}, but the transaction succeeded\n${r.logs.join('\n')}`);
  if (r.error?.name !== name) {
    throw new Error(`expected ${name}, got ${r.error?.name} (code ${r.error?.code})\n${r.logs.join('\n')}`);
  }
}

/** The one event named `name` in a result (throws when absent or repeated). */
export function eventOf<N extends DvpnEvent['name']>(r: SendResult, name: N): Extract<DvpnEvent, { name: N }>['data'] {
  const hits = r.events.filter((e) => e.name === name);
  if (hits.length !== 1) {
    throw new Error(`expected one ${name} event, got ${hits.length} (${r.events.map((e) => e.name).join(', ')})\n${r.logs.join('\n')}`);
  }
  return hits[0].data as never;
}

/** Every account's lamports + data, for "a rejected operation changed nothing". */
export function stateOf(env: TestEnv, keys: PublicKey[]): string {
  return keys
    .map((k) => {
      const a = env.raw(k);
      return a ? `${k.toBase58()}:${a.lamports}:${a.owner.toBase58()}:${Buffer.from(a.data).toString('hex')}` : `${k.toBase58()}:none`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------
// Fixtures

export interface ConfigParams {
  protocolFeeBps: number;
  minProviderStake: bigint;
  unbondingSeconds: bigint;
  settleWindowSeconds: bigint;
  disputeWindowSeconds: bigint;
  idleTimeoutSeconds: bigint;
  minRatingLamports: bigint;
  minRatingToken: bigint;
  maxSlashBps: number;
}

export const DEFAULT_CONFIG: ConfigParams = {
  protocolFeeBps: 250, // 2.5 %
  minProviderStake: 1n * SOL,
  unbondingSeconds: 7n * 24n * 3600n,
  settleWindowSeconds: 3600n,
  disputeWindowSeconds: 7n * 24n * 3600n,
  idleTimeoutSeconds: 1800n,
  minRatingLamports: 1_000n,
  minRatingToken: 10n,
  maxSlashBps: 2_500, // 25 % of the stake per dispute
};

export interface Mint {
  mint: PublicKey;
  authority: Keypair;
}

/** A running marketplace: config initialised, a USDC mint, a treasury with its token account. */
export interface World {
  env: TestEnv;
  admin: Keypair;
  treasury: Keypair;
  treasuryToken: PublicKey;
  usdc: Mint;
  config: PublicKey;
  cfg: ConfigParams;
  sessionIds: Map<string, bigint>;
}

export interface ProviderFx {
  authority: Keypair;
  provider: PublicKey;
  stakeVault: PublicKey;
  /** The authority's USDC account (provider payouts of token sessions). */
  token: PublicKey;
}

export interface NodeFx {
  node: PublicKey;
  nodeId: bigint;
  prov: ProviderFx;
  pricePerMinute: bigint;
  pricePerMinuteToken: bigint;
  pricePerTick: bigint;
  pricePerTickToken: bigint;
  maxCapacity: number;
}

export interface UserFx {
  kp: Keypair;
  /** USDC account of the user. */
  token: PublicKey;
}

export interface SessionFx {
  w: World;
  session: PublicKey;
  /** Token vault (USDC sessions only). */
  vault: PublicKey | undefined;
  user: UserFx;
  node: NodeFx;
  sessionId: bigint;
  mode: SessionMode;
  spl: boolean;
  escrow: bigint;
  durationMinutes: number;
  startTs: bigint;
  tickAmount: bigint;
  maxTicks: bigint;
  chain: HashChain | undefined;
  /** The open_session(_spl) transaction. */
  opened: SendResult;
}

/** A fresh environment with the config initialised (`overrides` change config values). */
export function createWorld(overrides: Partial<ConfigParams> = {}, opts: EnvOptions = {}): World {
  const env = new TestEnv(opts);
  const admin = env.wallet(100n * SOL, 'admin');
  const treasury = env.wallet(1n * SOL, 'treasury'); // rent-exempt already, so small fees can land
  const usdc = env.createMint(6);
  const treasuryToken = env.createTokenAccount(usdc, treasury.publicKey, 0n);
  const cfg = { ...DEFAULT_CONFIG, ...overrides };
  expectOk(
    env.send(
      ix.initializeConfig({ admin: admin.publicKey, treasury: treasury.publicKey, tokenMint: usdc.mint, ...cfg }),
      [admin],
    ),
    'initialize_config',
  );
  return { env, admin, treasury, treasuryToken, usdc, config: findConfigPda()[0], cfg, sessionIds: new Map() };
}

/** A fresh environment with a USDC mint and treasury but no config yet. */
export function createBareWorld(opts: EnvOptions = {}): Omit<World, 'config' | 'cfg' | 'sessionIds'> {
  const env = new TestEnv(opts);
  const admin = env.wallet(100n * SOL, 'admin');
  const treasury = env.wallet(1n * SOL, 'treasury');
  const usdc = env.createMint(6);
  const treasuryToken = env.createTokenAccount(usdc, treasury.publicKey, 0n);
  return { env, admin, treasury, treasuryToken, usdc };
}

/** A registered provider with `stake` lamports staked (default: the config minimum). */
export function addProvider(w: World, opts: { stake?: bigint; lamports?: bigint } = {}): ProviderFx {
  const { env } = w;
  const authority = env.wallet(opts.lamports ?? 1000n * SOL, 'provider');
  const [provider] = findProviderPda(authority.publicKey);
  const [stakeVault] = findStakeVaultPda(provider);
  expectOk(env.send(ix.registerProvider({ authority: authority.publicKey }), [authority]), 'register_provider');
  const stake = opts.stake ?? w.cfg.minProviderStake;
  if (stake > 0n) {
    expectOk(env.send(ix.stakeProvider({ authority: authority.publicKey, amount: stake }), [authority]), 'stake_provider');
  }
  const token = env.createTokenAccount(w.usdc, authority.publicKey, 0n);
  return { authority, provider, stakeVault, token };
}

export interface NodeOptions {
  pricePerMinute?: bigint;
  pricePerMinuteToken?: bigint;
  pricePerTick?: bigint;
  pricePerTickToken?: bigint;
  maxCapacity?: number;
  endpoint?: string;
  region?: string;
  wgServerPubkey?: Uint8Array;
}

/** Registers the provider's next node (node_id = node_count). */
export function addNode(w: World, prov: ProviderFx, opts: NodeOptions = {}): NodeFx {
  const { env } = w;
  const nodeId = env.provider(prov.provider).nodeCount;
  const pricePerMinute = opts.pricePerMinute ?? 1_000_000n; // 0.001 SOL / min
  const pricePerMinuteToken = opts.pricePerMinuteToken ?? 10_000n; // 0.01 USDC / min
  const pricePerTick = opts.pricePerTick ?? 1_000n;
  const pricePerTickToken = opts.pricePerTickToken ?? 1_000n;
  const maxCapacity = opts.maxCapacity ?? 10;
  expectOk(
    env.send(
      ix.registerNode({
        authority: prov.authority.publicKey,
        nodeId,
        endpoint: opts.endpoint ?? `node${nodeId}.example.net:51820`,
        region: opts.region ?? 'eu-west',
        pricePerMinute,
        pricePerMinuteToken,
        pricePerTick,
        pricePerTickToken,
        wgServerPubkey: opts.wgServerPubkey ?? new Uint8Array(32).fill(7),
        maxCapacity,
      }),
      [prov.authority],
    ),
    'register_node',
  );
  const [node] = findNodePda(prov.provider, nodeId);
  return { node, nodeId, prov, pricePerMinute, pricePerMinuteToken, pricePerTick, pricePerTickToken, maxCapacity };
}

/** A user wallet with SOL and a USDC account holding `usdc`. */
export function addUser(w: World, opts: { sol?: bigint; usdc?: bigint } = {}): UserFx {
  const kp = w.env.wallet(opts.sol ?? 100n * SOL, 'user');
  const token = w.env.createTokenAccount(w.usdc, kp.publicKey, opts.usdc ?? 1_000n * USDC);
  return { kp, token };
}

/** Everything a config + provider + node + user test starts from. */
export function createMarket(overrides: Partial<ConfigParams> = {}, nodeOpts: NodeOptions = {}) {
  const w = createWorld(overrides);
  const prov = addProvider(w);
  const node = addNode(w, prov, nodeOpts);
  const user = addUser(w);
  return { w, env: w.env, prov, node, user };
}

/** The id the program requires next: the user's UserState.next_session_id (0 before its first session). */
export function nextSessionId(w: World, user: UserFx | PublicKey): bigint {
  const key = user instanceof PublicKey ? user : user.kp.publicKey;
  const raw = w.env.raw(findUserStatePda(key)[0]);
  return raw ? decodeUserState(raw.data).nextSessionId : 0n;
}

export interface OpenOptions {
  spl?: boolean;
  minutes?: number;
  sessionId?: bigint;
  /** Usage sessions: the price per tick agreed to (default: the node's). */
  tickAmount?: bigint;
  maxTicks?: number;
  chain?: HashChain;
}

/** The instruction that opens a session as described by `o` (nothing is sent). */
export function openIx(w: World, user: UserFx, node: NodeFx, mode: SessionMode, o: OpenOptions & { sessionId: bigint }) {
  const minutes = o.minutes ?? 60;
  const usage = mode === SessionMode.Usage;
  const chain = usage ? (o.chain ?? createHashChain(o.maxTicks ?? 100)) : undefined;
  const base = {
    user: user.kp.publicKey,
    provider: node.prov.provider,
    node: node.node,
    sessionId: o.sessionId,
    mode,
    durationMinutes: minutes,
    // the unit price agreed to: the node's (o.tickAmount to offer another)
    tickAmount: o.tickAmount ?? (usage ? (o.spl ? node.pricePerTickToken : node.pricePerTick) : o.spl ? node.pricePerMinuteToken : node.pricePerMinute),
    maxTicks: usage ? BigInt(chain!.length) : 0n,
    hashChainRoot: usage ? chain!.root : undefined,
  };
  const instruction = o.spl ? ix.openSessionSpl({ ...base, tokenMint: w.usdc.mint, userToken: user.token }) : ix.openSession(base);
  return { instruction, chain, base };
}

/** Opens a session (asserting success) and returns its handle. */
export function openSession(w: World, user: UserFx, node: NodeFx, mode: SessionMode, o: OpenOptions = {}): SessionFx {
  const usage = mode === SessionMode.Usage;
  const price = o.spl ? node.pricePerTickToken : node.pricePerTick;
  if (usage && o.tickAmount !== undefined && o.tickAmount !== price) {
    // The node sets the usage price: a session "at tick_amount X" is one on a node priced X.
    const update = o.spl ? { pricePerTickToken: o.tickAmount } : { pricePerTick: o.tickAmount };
    expectOk(w.env.send(ix.updateNode({ authority: node.prov.authority.publicKey, node: node.node, ...update }), [node.prov.authority]), 'update_node');
    if (o.spl) node.pricePerTickToken = o.tickAmount;
    else node.pricePerTick = o.tickAmount;
  }
  const sessionId = o.sessionId ?? nextSessionId(w, user);
  const { instruction, chain, base } = openIx(w, user, node, mode, { ...o, sessionId });
  const startTs = w.env.now();
  const opened = expectOk(w.env.send(instruction, [user.kp]), `open_session${o.spl ? '_spl' : ''}`);
  const [session] = findSessionPda(node.node, user.kp.publicKey, sessionId);
  const spl = !!o.spl;
  const minutes = base.durationMinutes;
  const escrow =
    mode === SessionMode.Usage
      ? base.tickAmount * base.maxTicks
      : (spl ? node.pricePerMinuteToken : node.pricePerMinute) * BigInt(minutes);
  return {
    w,
    session,
    vault: spl ? findSessionVaultPda(session)[0] : undefined,
    user,
    node,
    sessionId,
    mode,
    spl,
    escrow,
    durationMinutes: minutes,
    startTs,
    tickAmount: base.tickAmount,
    maxTicks: base.maxTicks,
    chain,
    opened,
  };
}

export const openTime = (w: World, user: UserFx, node: NodeFx, o: OpenOptions = {}) => openSession(w, user, node, SessionMode.Time, o);
export const openUsage = (w: World, user: UserFx, node: NodeFx, o: OpenOptions = {}) => openSession(w, user, node, SessionMode.Usage, o);

// ---- instruction builders over a session handle -----------------------------

const splSettle = (s: SessionFx) =>
  s.spl ? { vault: s.vault!, userToken: s.user.token, providerToken: s.node.prov.token, treasuryToken: s.w.treasuryToken } : undefined;

export function claimIx(s: SessionFx, tick: bigint | number, opts: { preimage?: Uint8Array; bytesUsed?: bigint; signer?: Keypair } = {}) {
  const t = BigInt(tick);
  const preimage = opts.preimage ?? (s.chain && t <= BigInt(s.chain.length) ? s.chain.preimage(t) : undefined);
  const settle = splSettle(s);
  return ix.claimChunk({
    authority: (opts.signer ?? s.node.prov.authority).publicKey,
    provider: s.node.prov.provider,
    session: s.session,
    treasury: s.w.treasury.publicKey,
    tick: t,
    preimage,
    bytesUsed: opts.bytesUsed ?? 0n,
    spl: settle ? { vault: settle.vault, providerToken: settle.providerToken, treasuryToken: settle.treasuryToken } : undefined,
  });
}

export function closeIx(s: SessionFx, signer: PublicKey = s.user.kp.publicKey) {
  return ix.closeSession({
    user: signer,
    provider: s.node.prov.provider,
    node: s.node.node,
    session: s.session,
    providerAuthority: s.node.prov.authority.publicKey,
    treasury: s.w.treasury.publicKey,
    spl: splSettle(s),
  });
}

export function payoutIx(s: SessionFx, caller: PublicKey) {
  return ix.claimPayout({
    caller,
    provider: s.node.prov.provider,
    node: s.node.node,
    session: s.session,
    user: s.user.kp.publicKey,
    providerAuthority: s.node.prov.authority.publicKey,
    treasury: s.w.treasury.publicKey,
    spl: splSettle(s),
  });
}

export function disputeIx(s: SessionFx, signer: PublicKey, reason = 1) {
  return ix.raiseDispute({ signer, provider: s.node.prov.provider, node: s.node.node, session: s.session, reason });
}

export function resolveIx(s: SessionFx, providerAmount: bigint, slashLamports = 0n, admin: PublicKey = s.w.admin.publicKey) {
  return ix.resolveDispute({
    admin,
    provider: s.node.prov.provider,
    node: s.node.node,
    session: s.session,
    user: s.user.kp.publicKey,
    providerAuthority: s.node.prov.authority.publicKey,
    treasury: s.w.treasury.publicKey,
    providerAmount,
    slashLamports,
    spl: splSettle(s),
  });
}

export function rateIx(s: SessionFx, rating: number, user: PublicKey = s.user.kp.publicKey) {
  return ix.updateReputation({ user, provider: s.node.prov.provider, session: s.session, rating });
}

/** A copy of `instruction` with account metas changed (for wrong-account tests). */
export function withAccounts(
  instruction: TransactionInstruction,
  edit: (keys: TransactionInstruction['keys']) => TransactionInstruction['keys'],
): TransactionInstruction {
  return new TransactionInstruction({
    programId: instruction.programId,
    keys: edit(instruction.keys.map((k) => ({ ...k }))),
    data: Buffer.from(instruction.data),
  });
}

/** Replace the account at `index` (keeping or overriding its flags). */
export function replaceAccount(
  instruction: TransactionInstruction,
  index: number,
  pubkey: PublicKey,
  flags: { isSigner?: boolean; isWritable?: boolean } = {},
): TransactionInstruction {
  return withAccounts(instruction, (keys) => {
    keys[index] = { pubkey, isSigner: flags.isSigner ?? keys[index].isSigner, isWritable: flags.isWritable ?? keys[index].isWritable };
    return keys;
  });
}

/** Index of an IDL account name in an instruction's account list. */
export function accountIndex(ixName: string, account: string): number {
  const def = IDL_INSTRUCTIONS.get(ixName);
  if (!def) throw new Error(`unknown instruction ${ixName}`);
  const i = def.findIndex((a) => a === account);
  if (i < 0) throw new Error(`${ixName} has no account ${account}`);
  return i;
}

const IDL_INSTRUCTIONS = new Map<string, string[]>(
  (IDL.instructions as readonly { name: string; accounts: readonly { name: string }[] }[]).map((i) => [i.name, i.accounts.map((a) => a.name)]),
);

/** Lamports a program-created account of `name` holds as rent. */
export function rentOf(env: TestEnv, name: keyof typeof ACCOUNT_SIZES | 'TokenAccount'): bigint {
  return env.rent(name === 'TokenAccount' ? ACCOUNT_LAYOUT_SPAN : ACCOUNT_SIZES[name]);
}

/**
 * Balance deltas since the call: `const d = track(env, { user, treasury })`,
 * then `d()` gives `{ user: Δlamports, ... }` and `d.token()` the token deltas
 * (token accounts only; a closed token account counts as 0).
 */
export function track<K extends string>(env: TestEnv, accounts: Record<K, PublicKey | undefined>) {
  const keys = Object.keys(accounts) as K[];
  const lamOf = (pk: PublicKey | undefined) => (pk ? env.lamports(pk) : 0n);
  const lam0 = Object.fromEntries(keys.map((k) => [k, lamOf(accounts[k])])) as Record<K, bigint>;
  const tokenOf = (pk: PublicKey | undefined) => {
    if (!pk) return 0n;
    const a = env.raw(pk);
    return a && a.owner.equals(TOKEN_PROGRAM_ID) && a.data.length === ACCOUNT_LAYOUT_SPAN ? AccountLayout.decode(a.data).amount : 0n;
  };
  const tok0 = Object.fromEntries(keys.map((k) => [k, tokenOf(accounts[k])])) as Record<K, bigint>;
  const lamports = () => Object.fromEntries(keys.map((k) => [k, lamOf(accounts[k]) - lam0[k]])) as Record<K, bigint>;
  return Object.assign(lamports, {
    token: () => Object.fromEntries(keys.map((k) => [k, tokenOf(accounts[k]) - tok0[k]])) as Record<K, bigint>,
  });
}

/** The parties' accounts of a session, for `track()`. */
export function parties(s: SessionFx) {
  return {
    user: s.user.kp.publicKey,
    providerAuthority: s.node.prov.authority.publicKey,
    treasury: s.w.treasury.publicKey,
    session: s.session,
    userToken: s.user.token,
    providerToken: s.node.prov.token,
    treasuryToken: s.w.treasuryToken,
    vault: s.vault,
  };
}

/** fee = payment * bps / 10_000 (floor); returns [provider net, fee]. */
export function split(payment: bigint, feeBps: number): [bigint, bigint] {
  const fee = (payment * BigInt(feeBps)) / 10_000n;
  return [payment - fee, fee];
}

/**
 * The fee is computed on the running total (docs/PROGRAM.md "Amounts"): after
 * `claimedBefore` was already paid, a payment of `payment` carries
 * floor((before + payment) * bps / 10_000) - floor(before * bps / 10_000).
 * Returns [provider net, fee] of that payment.
 */
export function splitRunning(claimedBefore: bigint, payment: bigint, feeBps: number): [bigint, bigint] {
  const fee = split(claimedBefore + payment, feeBps)[1] - split(claimedBefore, feeBps)[1];
  return [payment - fee, fee];
}

/** earned(t) of a time session (floor, clamped). */
export function earned(escrow: bigint, durationSeconds: bigint, t: bigint): bigint {
  const tt = t < 0n ? 0n : t > durationSeconds ? durationSeconds : t;
  return (escrow * tt) / durationSeconds;
}

export const DEFAULT_PUBKEY = PublicKey.default;

/**
 * A creating instruction given an address that is not the PDA of its seeds
 * and bump: the program signs the CreateAccount CPI with the seeds, so the
 * runtime refuses it (docs/PROGRAM.md); a program-side check (InvalidPda) is
 * accepted too.
 */
export const PDA_REJECTIONS = ['InvalidPda', 'MissingRequiredSignature', 'PrivilegeEscalation', 'InvalidSeeds'];
export function expectPdaRejected(r: SendResult): void {
  if (r.ok) throw new Error(`expected a PDA rejection, but the transaction succeeded\n${r.logs.join('\n')}`);
  // The runtime aborts the program when the seeds give no valid address (wrong bump).
  const noAddress = r.error?.name === 'ProgramFailedToComplete' && r.logs.some((l) => l.includes('Could not create program address with signer seeds'));
  if (!noAddress && !PDA_REJECTIONS.includes(r.error?.name ?? '')) {
    throw new Error(`expected one of ${PDA_REJECTIONS.join('/')}, got ${r.error?.name}\n${r.logs.join('\n')}`);
  }
}

export interface Flows {
  /** Provider's net payout (SOL: authority lamports; USDC: provider token account). */
  provider: bigint;
  /** Protocol fee to the treasury. */
  fee: bigint;
  /** Escrow refunded to the user. */
  refund: bigint;
  /** Rent lamports returned to the user (Session, + vault for USDC) when the accounts close. */
  rentToUser?: bigint;
}

/**
 * Tracks a session's money from now on. `check(expected)` asserts, from
 * balances, that the provider, the treasury and the user received exactly
 * `expected` in the session's currency, the user got `rentToUser` lamports of
 * rent back, and the escrow (Session lamports or vault tokens) dropped by
 * exactly their sum: nothing was created or lost.
 */
export function flows(s: SessionFx) {
  const d = track(s.w.env, parties(s));
  const observe = (): Required<Flows> & { escrowDrop: bigint; rentDrop: bigint } => {
    const l = d();
    const t = d.token();
    if (s.spl) {
      return {
        provider: t.providerToken,
        fee: t.treasuryToken,
        refund: t.userToken,
        rentToUser: l.user,
        escrowDrop: -t.vault,
        rentDrop: -(l.session + l.vault),
      };
    }
    const rentDrop = s.w.env.exists(s.session) ? 0n : rentOf(s.w.env, 'Session');
    return {
      provider: l.providerAuthority,
      fee: l.treasury,
      refund: l.user - rentDrop,
      rentToUser: rentDrop,
      escrowDrop: -l.session - rentDrop,
      rentDrop,
    };
  };
  const check = (expected: Flows) => {
    const o = observe();
    const want = { ...expected, rentToUser: expected.rentToUser ?? 0n };
    const got = { provider: o.provider, fee: o.fee, refund: o.refund, rentToUser: o.rentToUser };
    if (JSON.stringify(got, bigintJson) !== JSON.stringify(want, bigintJson)) {
      throw new Error(`money moved ${JSON.stringify(got, bigintJson)}, expected ${JSON.stringify(want, bigintJson)}`);
    }
    // Conservation: what left the escrow is exactly what the parties received.
    if (o.escrowDrop !== o.provider + o.fee + o.refund) {
      throw new Error(`escrow dropped ${o.escrowDrop} but parties received ${o.provider + o.fee + o.refund}`);
    }
    if (o.rentDrop !== o.rentToUser) throw new Error(`rent released ${o.rentDrop} but the user got ${o.rentToUser}`);
    if (s.spl) {
      // Token sessions move no lamports to the provider or treasury.
      const l = d();
      if (l.providerAuthority !== 0n || l.treasury !== 0n) throw new Error(`token session moved lamports: ${JSON.stringify(l, bigintJson)}`);
    }
    return o;
  };
  return { observe, check };
}

export const bigintJson = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** Session invariants from docs/PROGRAM.md, checked from the account and balances. */
export function expectSessionBacked(s: SessionFx): void {
  const env = s.w.env;
  const a = env.session(s.session);
  if (a.escrowAmount !== a.claimedAmount + a.refundedAmount + a.remainingBalance) {
    throw new Error(`escrow ${a.escrowAmount} != claimed ${a.claimedAmount} + refunded ${a.refundedAmount} + remaining ${a.remainingBalance}`);
  }
  if (s.spl) {
    const held = env.tokenBalance(s.vault!);
    if (held !== a.remainingBalance) throw new Error(`vault holds ${held}, remaining_balance ${a.remainingBalance}`);
    if (env.lamports(s.session) !== rentOf(env, 'Session')) throw new Error(`token session account holds ${env.lamports(s.session)} lamports`);
  } else {
    const held = env.lamports(s.session);
    if (held !== rentOf(env, 'Session') + a.remainingBalance) {
      throw new Error(`session holds ${held} lamports, expected rent + remaining ${rentOf(env, 'Session') + a.remainingBalance}`);
    }
  }
}
