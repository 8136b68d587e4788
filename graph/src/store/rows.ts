// In-memory rows of the state tables (providers, nodes, sessions, disputes,
// config), the form both the event handlers and reconciliation work on. Numbers are
// bigint (u64 amounts, counters, slots), times are unix seconds (bigint), or
// null where the column is nullable.
import { findConfigPda, findStakeVaultPda, SessionMode, SessionState } from '@dvpn/sdk';
import { PublicKey } from '@solana/web3.js';
import type { SessionModeName, SessionStateName } from '../bus.js';
import { b58 as memoB58, toHex } from '../ingest/decode.js';

export const SOL_MINT = PublicKey.default.toBase58();

export interface ConfigRow {
  pubkey: string;
  admin: string;
  treasury: string;
  tokenMint: string;
  protocolFeeBps: number;
  minProviderStake: bigint;
  unbondingSeconds: bigint;
  settleWindowSeconds: bigint;
  minRatingLamports: bigint;
  minRatingToken: bigint;
  updatedAt: bigint;
  lastSlot: bigint;
  lastSignature: string;
}

export interface ProviderRow {
  pubkey: string;
  authority: string;
  stakeVault: string;
  nodeCount: bigint;
  stakeLamports: bigint;
  unstakingLamports: bigint;
  unstakeAt: bigint | null;
  slashedLamports: bigint;
  ratingSum: bigint;
  ratingCount: bigint;
  reputationScore: number;
  totalUptimeSeconds: bigint;
  totalSessions: bigint;
  totalEarnedLamports: bigint;
  totalEarnedToken: bigint;
  registeredAt: bigint;
  updatedAt: bigint;
  lastSlot: bigint;
  lastSignature: string;
}

export interface NodeRow {
  pubkey: string;
  provider: string;
  nodeId: bigint;
  endpoint: string;
  region: string;
  pricePerMinute: bigint;
  pricePerMinuteToken: bigint;
  pricePerTick: bigint;
  pricePerTickToken: bigint;
  wgServerPubkey: string;
  maxCapacity: bigint;
  activeSessions: bigint;
  isActive: boolean;
  providerReputation: number;
  totalUptimeSeconds: bigint;
  totalSessions: bigint;
  createdAt: bigint;
  updatedAt: bigint;
  lastSlot: bigint;
  lastSignature: string;
}

export interface SessionRow {
  pubkey: string;
  /** Which opening of the address (0 first); the key is (pubkey, generation). */
  generation: number;
  user: string;
  node: string;
  provider: string;
  sessionId: bigint;
  mode: SessionModeName;
  state: SessionStateName;
  paymentMint: string;
  escrowAmount: bigint;
  remainingBalance: bigint;
  claimedAmount: bigint;
  feeAmount: bigint;
  refundedAmount: bigint;
  bytesUsed: bigint;
  lastTick: bigint;
  tickAmount: bigint;
  maxTicks: bigint;
  hashChainRoot: string;
  startTs: bigint;
  endTs: bigint;
  closedAt: bigint | null;
  settledAt: bigint | null;
  capacityReleased: boolean;
  rated: boolean;
  openedSignature: string;
  updatedAt: bigint;
  lastSlot: bigint;
  lastSignature: string;
}

export interface DisputeRow {
  session: string;
  sessionGeneration: number;
  node: string;
  provider: string;
  raisedBy: string;
  reason: number;
  raisedAt: bigint;
  raisedSignature: string;
  resolved: boolean;
  resolver: string | null;
  providerAmount: bigint | null;
  fee: bigint | null;
  refund: bigint | null;
  slashedLamports: bigint | null;
  resolvedAt: bigint | null;
  resolvedSignature: string | null;
}

export const MODE_NAMES: Record<number, SessionModeName> = { [SessionMode.Time]: 'TIME', [SessionMode.Usage]: 'USAGE' };
export const STATE_NAMES: Record<number, SessionStateName> = {
  [SessionState.Active]: 'ACTIVE',
  [SessionState.Closing]: 'CLOSING',
  [SessionState.Closed]: 'CLOSED',
  [SessionState.Disputed]: 'DISPUTED',
  [SessionState.Resolved]: 'RESOLVED',
};

export const configPubkey = (): string => findConfigPda()[0].toBase58();
export const stakeVaultOf = (provider: string): string => findStakeVaultPda(new PublicKey(provider))[0].toBase58();

export const b58 = memoB58;
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const hex = toHex;

// ---------------------------------------------------------------------------
// Rows from decoded accounts (SDK decodeAccount), for reconciliation.

type Acc = Record<string, unknown>;
const pk = (v: unknown) => memoB58(v as PublicKey);
const big = (v: unknown) => BigInt(v as bigint);
const optTime = (v: unknown) => (big(v) === 0n ? null : big(v));

export function configRowFromAccount(pubkey: string, a: Acc, slot: bigint): ConfigRow {
  return {
    pubkey,
    admin: pk(a.admin),
    treasury: pk(a.treasury),
    tokenMint: pk(a.tokenMint),
    protocolFeeBps: Number(a.protocolFeeBps),
    minProviderStake: big(a.minProviderStake),
    unbondingSeconds: big(a.unbondingSeconds),
    settleWindowSeconds: big(a.settleWindowSeconds),
    minRatingLamports: big(a.minRatingLamports ?? 0n),
    minRatingToken: big(a.minRatingToken ?? 0n),
    updatedAt: 0n,
    lastSlot: slot,
    lastSignature: '',
  };
}

export function providerRowFromAccount(pubkey: string, a: Acc, slot: bigint): ProviderRow {
  return {
    pubkey,
    authority: pk(a.authority),
    stakeVault: stakeVaultOf(pubkey),
    nodeCount: big(a.nodeCount),
    stakeLamports: big(a.stakeLamports),
    unstakingLamports: big(a.unstakingLamports),
    unstakeAt: optTime(a.unstakeAt),
    slashedLamports: big(a.slashedLamports),
    ratingSum: big(a.ratingSum),
    ratingCount: BigInt(a.ratingCount as number),
    reputationScore: Number(a.reputationScore),
    totalUptimeSeconds: big(a.totalUptimeSeconds),
    totalSessions: big(a.totalSessions),
    totalEarnedLamports: big(a.totalEarnedLamports),
    totalEarnedToken: big(a.totalEarnedToken),
    registeredAt: big(a.registeredAt),
    updatedAt: big(a.registeredAt),
    lastSlot: slot,
    lastSignature: '',
  };
}

export function nodeRowFromAccount(pubkey: string, a: Acc, slot: bigint, providerReputation: number): NodeRow {
  return {
    pubkey,
    provider: pk(a.provider),
    nodeId: big(a.nodeId),
    endpoint: String(a.endpoint),
    region: String(a.region),
    pricePerMinute: big(a.pricePerMinute),
    pricePerMinuteToken: big(a.pricePerMinuteToken),
    pricePerTick: big(a.pricePerTick ?? 0n),
    pricePerTickToken: big(a.pricePerTickToken ?? 0n),
    wgServerPubkey: base64(a.wgServerPubkey as Uint8Array),
    maxCapacity: BigInt(a.maxCapacity as number),
    activeSessions: BigInt(a.activeSessions as number),
    isActive: Boolean(a.isActive),
    providerReputation,
    totalUptimeSeconds: big(a.totalUptimeSeconds),
    totalSessions: big(a.totalSessions),
    createdAt: big(a.createdAt),
    updatedAt: big(a.createdAt),
    lastSlot: slot,
    lastSignature: '',
  };
}

export function sessionRowFromAccount(pubkey: string, a: Acc, slot: bigint, generation = 0): SessionRow {
  return {
    pubkey,
    generation,
    user: pk(a.user),
    node: pk(a.node),
    provider: pk(a.provider),
    sessionId: big(a.sessionId),
    mode: MODE_NAMES[a.mode as number],
    state: STATE_NAMES[a.state as number],
    paymentMint: pk(a.paymentMint),
    escrowAmount: big(a.escrowAmount),
    remainingBalance: big(a.remainingBalance),
    claimedAmount: big(a.claimedAmount),
    feeAmount: big(a.feeAmount),
    refundedAmount: big(a.refundedAmount),
    bytesUsed: big(a.bytesUsed),
    lastTick: big(a.lastTick),
    tickAmount: big(a.tickAmount),
    maxTicks: big(a.maxTicks),
    hashChainRoot: hex(a.hashChainRoot as Uint8Array),
    startTs: big(a.startTs),
    endTs: big(a.endTs),
    closedAt: optTime(a.closedAt),
    settledAt: null,
    capacityReleased: Boolean(a.capacityReleased),
    rated: Boolean(a.rated),
    openedSignature: '',
    updatedAt: big(a.startTs),
    lastSlot: slot,
    lastSignature: '',
  };
}

/** The columns reconciliation compares (the facts an account holds). */
export const COMPARED = {
  config: ['admin', 'treasury', 'tokenMint', 'protocolFeeBps', 'minProviderStake', 'unbondingSeconds', 'settleWindowSeconds',
    'minRatingLamports', 'minRatingToken'],
  provider: [
    'authority', 'nodeCount', 'stakeLamports', 'unstakingLamports', 'unstakeAt', 'slashedLamports', 'ratingSum',
    'ratingCount', 'reputationScore', 'totalUptimeSeconds', 'totalSessions', 'totalEarnedLamports', 'totalEarnedToken',
    'registeredAt',
  ],
  node: [
    'provider', 'nodeId', 'endpoint', 'region', 'pricePerMinute', 'pricePerMinuteToken', 'pricePerTick', 'pricePerTickToken',
    'wgServerPubkey', 'maxCapacity',
    'activeSessions', 'isActive', 'totalUptimeSeconds', 'totalSessions', 'createdAt',
  ],
  session: [
    'user', 'node', 'provider', 'sessionId', 'mode', 'state', 'paymentMint', 'escrowAmount', 'remainingBalance',
    'claimedAmount', 'feeAmount', 'refundedAmount', 'bytesUsed', 'lastTick', 'tickAmount', 'maxTicks', 'hashChainRoot',
    'startTs', 'endTs', 'closedAt', 'capacityReleased', 'rated',
  ],
} as const;

export type Difference = { field: string; before: string | null; after: string | null };

const show = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Fields where the row differs from the account's row. */
export function diffRows<T extends object>(row: T, truth: T, fields: readonly string[]): Difference[] {
  const out: Difference[] = [];
  for (const f of fields) {
    const a = show((row as Record<string, unknown>)[f]);
    const b = show((truth as Record<string, unknown>)[f]);
    if (a !== b) out.push({ field: f, before: a, after: b });
  }
  return out;
}

const MAX_DATE_SECONDS = 8_640_000_000_000n; // JS Date range
let lastIsoIn: bigint | null = null;
let lastIsoOut = '';
/** ISO time of unix seconds, clamped to the JS Date range (consecutive calls repeat the same time: cached). */
export function isoFromSeconds(seconds: bigint): string {
  if (seconds === lastIsoIn) return lastIsoOut;
  const s = seconds > MAX_DATE_SECONDS ? MAX_DATE_SECONDS : seconds < -MAX_DATE_SECONDS ? -MAX_DATE_SECONDS : seconds;
  lastIsoOut = new Date(Number(s) * 1000).toISOString();
  lastIsoIn = seconds;
  return lastIsoOut;
}
