// The daemon's persisted state: one record per session it has admitted, the
// auth replay store, and nothing else. u64 values are bigints in memory and
// decimal strings on disk; every record is validated by zod when loaded.
import { z } from 'zod';

const big = z
  .union([z.string().regex(/^-?\d+$/), z.number().int(), z.bigint()])
  .transform((v) => BigInt(v));
const ms = z.number().int().nonnegative();
const hex32 = z.string().regex(/^[0-9a-f]{64}$/);

export const PeerRecordSchema = z.object({
  publicKey: z.string(),
  address: z.string(),
  /** Wall clock (ms) when the peer was added. */
  addedAt: ms,
});
export type PeerRecord = z.infer<typeof PeerRecordSchema>;

export const ClaimKindSchema = z.enum(['chunk', 'payout']);
export type ClaimKind = z.infer<typeof ClaimKindSchema>;

/** A claim that landed on chain. */
export const ClaimRecordSchema = z.object({
  kind: ClaimKindSchema,
  /** chunk: the tick (usage) or second (time) claimed through. */
  tick: big.nullable(),
  signature: z.string().nullable(),
  at: ms,
  /** Gross amount paid by this claim (provider share + fee), when known from the event. */
  amount: big.nullable(),
  providerAmount: big.nullable(),
  fee: big.nullable(),
  /** payout only: refund to the user. */
  refund: big.nullable(),
  /** 'tx': confirmed by its own transaction; 'observed': seen in the account after a lost confirmation. */
  via: z.enum(['tx', 'observed']),
});
export type ClaimRecord = z.infer<typeof ClaimRecordSchema>;

/** A claim transaction being built, sent or awaiting confirmation. */
export const PendingTxSchema = z.object({
  kind: ClaimKindSchema,
  tick: big.nullable(),
  bytesUsed: big.nullable(),
  /** Set (and persisted) before the transaction is sent, so a restart can look it up. */
  signature: z.string().nullable(),
  lastValidBlockHeight: z.number().int().nullable(),
  /**
   * Index of this session's instruction in the (batched) transaction: when the
   * transaction failed at another index, this claim was not at fault.
   */
  ixIndex: z.number().int().nonnegative().nullable().default(null),
  attempts: z.number().int().nonnegative(),
  /** Wall clock (ms) of the next attempt. */
  nextAttemptAt: ms,
  lastError: z.string().nullable(),
  createdAt: ms,
});
export type PendingTx = z.infer<typeof PendingTxSchema>;

export const SessionPhaseSchema = z.enum(['active', 'ended', 'settled']);
export type SessionPhase = z.infer<typeof SessionPhaseSchema>;

export const SessionRecordSchema = z.object({
  session: z.string(),
  user: z.string(),
  mode: z.enum(['time', 'usage']),
  /** null for SOL sessions. */
  paymentMint: z.string().nullable(),
  startTs: big,
  endTs: big,
  maxTicks: big,
  tickAmount: big,
  escrow: big,
  /** Wall clock (ms) of the first successful auth. */
  authAt: ms,
  peer: PeerRecordSchema.nullable(),
  peerRemoved: z.object({ at: ms, reason: z.string(), tick: big }).nullable(),
  /** Usage policy: since when the current peer is served, and the tick paid at that moment. */
  servedSince: ms.nullable(),
  baseTick: big,
  /** Latest tick whose preimage verified, and that preimage (hex). */
  latestTick: big,
  latestPreimage: hex32.nullable(),
  lastTickAt: ms.nullable(),
  /** Metered totals (bytes received from / sent to the client) over all peers of the session. */
  bytesRx: big,
  bytesTx: big,
  /** Raw counters last read for the current peer (WireGuard resets them when a peer is re-added). */
  meterRx: big,
  meterTx: big,
  /** last_tick on chain as last confirmed. */
  chainTick: big,
  lastClaimAt: ms.nullable(),
  claims: z.array(ClaimRecordSchema),
  pending: PendingTxSchema.nullable(),
  phase: SessionPhaseSchema,
  endReason: z.string().nullable(),
  /** Chunk claims are over (window closed, or the program refused them for good). */
  chunkClaimsDone: z.boolean(),
  /** Consecutive unexpected program errors on the current claim. */
  programErrors: z.number().int().nonnegative(),
  settledAt: ms.nullable(),
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

export const SnapshotSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  sessions: z.array(SessionRecordSchema),
  /** sha256(auth message) hex -> unix seconds after which it can be forgotten. */
  replay: z.record(z.string(), z.number().int()),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const JournalEntrySchema = z.discriminatedUnion('t', [
  z.object({ seq: z.number().int(), t: z.literal('session'), v: SessionRecordSchema }),
  z.object({ seq: z.number().int(), t: z.literal('delete'), k: z.string() }),
  z.object({ seq: z.number().int(), t: z.literal('replay'), k: z.string(), e: z.number().int() }),
]);

/** JSON.stringify replacer: bigints as decimal strings. */
export const bigintReplacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);
