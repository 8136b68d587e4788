// The claim chain. For each admitted session, on a schedule and when it
// ends: usage sessions claim through the latest verified tick (at most 512
// ticks per claim, intermediate preimages derived by hashing the latest one),
// time sessions claim elapsed seconds; after the settle deadline the session
// is settled with claim_payout.
//
// Batched: the claims due in a round are packed into as few transactions as
// the 1232-byte packet allows (one claim_chunk / claim_payout instruction per
// session, the provider's token account created once per mint, a compute
// budget sized to the batch), so the fee per session falls with the batch.
//
// Never twice: every session of a batch journals the batch's signature (and
// the index of its own instruction) before the transaction is sent; after a
// crash each pending signature is looked up (landed: recorded from the events
// that name the session; failed: at fault only if the failing instruction is
// the session's own; expired: the session account tells) before anything new
// is built, and every plan starts from the session's last_tick on chain. A
// transaction is atomic, so when the program refuses one claim of a batch,
// that session's rule applies to it alone and the others are resent at once.
// A claim the program refuses as stale (StaleClaim) or late
// (ClaimWindowClosed) is recorded and never retried; one refused because the
// SOL would leave the provider wallet below rent exemption
// (RecipientNotRentExempt) is not retried until more ticks are due or the
// wallet's balance changes; transport failures are retried with capped
// exponential backoff; other program errors a limited number of times.
//
// Deadlines are the session's own terms (settle/dispute windows copied into
// the Session at open). A Disputed usage session's revealed ticks stay
// claimable until the settle deadline; a Disputed session is settled by the
// default rule (claim_payout) once its dispute window has passed.
import { ComputeBudgetProgram, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import type { Logger } from 'pino';
import {
  SessionMode,
  SessionState,
  MAX_TICKS_PER_CLAIM as SDK_MAX_TICKS_PER_CLAIM,
  ZERO_HASH,
  disputeDeadline,
  ix,
  parseEvents,
  programErrorFrom,
  settleDeadline,
  splSettleAccounts,
  type ConfigAccount,
  type DvpnEvent,
  type SessionAccount,
} from '@dvpn/sdk';
import { ChainTxError, PACKET_DATA_SIZE, instructionIndexOf, type ChainClient, type SessionLookup } from '../chain/client.js';
import type { DaemonConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { ClaimKind, SessionRecord } from '../state/types.js';
import type { SessionManager } from './manager.js';
import type { NodeState } from './node.js';

/** The program's limit on ticks per usage claim (the SDK's constant, as a bigint for tick arithmetic). */
export const MAX_TICKS_PER_CLAIM = BigInt(SDK_MAX_TICKS_PER_CLAIM);

export type ClaimPlan = { kind: 'chunk'; tick: bigint; preimage: Uint8Array; bytesUsed: bigint } | { kind: 'payout' };


/** What to claim next for a session, or null for nothing (yet). */
export function planClaim(p: {
  rec: SessionRecord;
  session: SessionAccount;
  now: bigint;
  nowMs: number;
  intervalMs: number;
  payout: boolean;
  /** Null: not at hand yet (being derived off the event loop); the claim waits for a later poll. */
  preimageFor: (rec: SessionRecord, tick: bigint) => Uint8Array | null;
}): ClaimPlan | null {
  const { rec, session: s, now } = p;
  const disputed = s.state === SessionState.Disputed;
  // A disputed time session waits for the resolution; a disputed usage session's ticks stay claimable.
  if (disputed && s.mode !== SessionMode.Usage && now <= disputeDeadline(s)) return null;
  const deadline = settleDeadline(s);
  const ended = s.state !== SessionState.Active || now >= s.endTs;
  const claimable = s.state === SessionState.Active || s.state === SessionState.Closing || (disputed && s.mode === SessionMode.Usage);
  if (claimable && now <= deadline && !rec.chunkClaimsDone) {
    const floor = s.lastTick > rec.chainTick ? s.lastTick : rec.chainTick;
    let tick: bigint | null = null;
    let preimage: Uint8Array = ZERO_HASH;
    if (s.mode === SessionMode.Usage) {
      if (rec.latestTick > floor) {
        tick = rec.latestTick < floor + MAX_TICKS_PER_CLAIM ? rec.latestTick : floor + MAX_TICKS_PER_CLAIM;
        const known = p.preimageFor(rec, tick);
        if (!known) return null;
        preimage = known;
      }
    } else {
      const duration = s.endTs - s.startTs;
      let elapsed = now - s.startTs;
      if (elapsed < 0n) elapsed = 0n;
      if (elapsed > duration) elapsed = duration;
      if (elapsed > floor) tick = elapsed;
    }
    if (tick !== null) {
      const since = rec.lastClaimAt ?? rec.authAt;
      const behind = s.mode === SessionMode.Usage && rec.latestTick - floor > MAX_TICKS_PER_CLAIM;
      if (ended || behind || p.nowMs - since >= p.intervalMs) {
        const metered = rec.bytesRx + rec.bytesTx;
        return { kind: 'chunk', tick, preimage, bytesUsed: metered > s.bytesUsed ? metered : s.bytesUsed };
      }
      return null;
    }
  }
  // An unresolved dispute is settled after its window; a usage session's also
  // waits for its settle deadline (the program keeps revealed ticks claimable).
  const settleAfter = !disputed ? deadline : s.mode === SessionMode.Usage && deadline > disputeDeadline(s) ? deadline : disputeDeadline(s);
  if (p.payout && now > settleAfter) return { kind: 'payout' };
  return null;
}

export interface ClaimerDeps {
  config: DaemonConfig;
  log: Logger;
  chain: ChainClient;
  store: StateStore;
  metrics: Metrics;
  manager: SessionManager;
  node: NodeState;
}

/** Errors after which a claim of that kind is over for the session (recorded, never retried). */
const FINAL_FOR_CHUNKS = new Set(['ClaimWindowClosed', 'SessionNotActive']);

/** Claims kept in a session's record (the latest ones). */
export const CLAIM_HISTORY = 16;

/** The runtime's ceiling per transaction. */
const MAX_COMPUTE_UNITS = 1_400_000;
/** Sessions prepared (pending looked up, plan made) at once, ahead of the batches. */
const PREPARE_PARALLEL = 32;
/** Consecutive ready claims that did not fit before a batch is closed (bounds the packing work). */
const PACK_MISSES = 3;
/** No claim instruction is under ~70 bytes, so no packet holds more than this many (bounds the measuring). */
const MAX_CLAIMS_PER_TX = 17;

/**
 * Compute units one claim may use, generously above what bench/cu-budget.json
 * measures (a usage claim hashes once per tick it advances; a token claim adds
 * two transfers). Too low a limit would fail the whole batch and blame
 * whichever claim ran out.
 */
export function claimComputeUnits(s: SessionAccount, plan: ClaimPlan, chainTick: bigint): number {
  const spl = !s.paymentMint.equals(PublicKey.default);
  if (plan.kind === 'payout') return spl ? 20_000 : 10_000;
  const floor = s.lastTick > chainTick ? s.lastTick : chainTick;
  const hashes = s.mode === SessionMode.Usage && plan.tick > floor ? Number(plan.tick - floor) : 0;
  return (spl ? 15_000 : 8_000) + 160 * hashes;
}
const CU_BASE = 5_000;
/** The provider's token account for a mint, created if missing (idempotent): once per mint per batch. */
const CU_ATA = 30_000;

type Job = { rec: SessionRecord; lookup: SessionLookup; now: bigint; done: () => void };
/** A session whose claim is planned and waits for a batch. */
type Ready = {
  job: Job;
  rec: SessionRecord;
  plan: ClaimPlan;
  claim: TransactionInstruction;
  mint: PublicKey | null;
  cu: number;
  /** The attempt this is (failed attempts of the same kind before it + 1). */
  attempts: number;
};
type Built = { ixs: TransactionInstruction[]; size: number; cu: number; index: Map<Ready, number> };
type Outcome = { status: 'pending' } | { status: 'confirmed' | 'failed'; logs: string[]; err: unknown; events: DvpnEvent[] };

/** The events a batched transaction emitted for one session (each dvpn event names its session). */
export function eventsOfSession(events: DvpnEvent[], session: string): DvpnEvent[] {
  return events.filter((e) => {
    const s = (e.data as { session?: PublicKey }).session;
    return s !== undefined && s.toBase58() === session;
  });
}

export class Claimer {
  /** Sessions with a task queued, prepared, or in a batch. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Scheduled, not yet prepared. */
  private readonly queue: Job[] = [];
  /** Planned, waiting for a batch. */
  private readonly ready: Ready[] = [];
  private preparing = 0;
  /** Batches (transactions) in flight. */
  private sending = 0;
  private stopping = false;
  /**
   * Chunk claims refused with RecipientNotRentExempt (in memory): session ->
   * the refused tick and the authority's balance then. Not sent again until
   * more ticks are due or the balance changed (the wallet was funded).
   */
  private readonly rentBlocked = new Map<string, { tick: bigint; lamports: number | null }>();
  /** Final outcomes of batch signatures looked up after a crash: one lookup serves every session of the batch. */
  private readonly outcomes = new Map<string, Promise<Outcome>>();

  /** Called when a claim failed because the authority cannot pay the fee. */
  onUnfunded: (() => void) | null = null;

  constructor(private readonly d: ClaimerDeps) {}

  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Queues a claim task for the session when something may be due and none is
   * queued or running. Planned claims are packed into transactions of many
   * sessions; at most `claims.concurrency` transactions are in flight.
   */
  schedule(rec: SessionRecord, lookup: SessionLookup, now: bigint): void {
    if (this.stopping || rec.phase === 'settled' || this.inFlight.has(rec.session)) return;
    if (rec.pending && !rec.pending.signature && rec.pending.nextAttemptAt > Date.now()) return;
    if (!rec.pending && lookup.kind === 'session' && !this.plan(rec, lookup.account, now)) return;
    let done!: () => void;
    const task = new Promise<void>((resolve) => (done = resolve));
    this.inFlight.set(rec.session, task);
    this.queue.push({ rec, lookup, now, done });
    this.pump();
  }

  private finish(job: Job): void {
    this.inFlight.delete(job.rec.session);
    job.done();
  }

  private pump(): void {
    while (!this.stopping && this.preparing < PREPARE_PARALLEL && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.preparing++;
      this.prepare(job)
        .then((ready) => {
          if (ready && !this.stopping) this.ready.push(ready);
          else this.finish(job);
        })
        .catch((err) => {
          this.d.log.error({ err, session: job.rec.session }, 'claim task failed');
          this.finish(job);
        })
        .finally(() => {
          this.preparing--;
          this.pump();
        });
    }
    // Wait for a full transaction while more sessions are being prepared; send what there is once none are.
    while (
      !this.stopping &&
      this.sending < this.d.config.claims.concurrency &&
      this.ready.length > 0 &&
      ((this.preparing === 0 && this.queue.length === 0) || this.fullBatchReady())
    ) {
      const batch = this.takeBatch();
      this.sending++;
      this.sendBatch(batch)
        .catch((err) => this.d.log.error({ err, sessions: batch.length }, 'claim batch failed'))
        .finally(() => {
          this.sending--;
          for (const r of batch) this.finish(r.job);
          this.pump();
        });
    }
  }

  /** Stops new claims and waits (bounded) for those in flight. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) this.finish(job);
    for (const r of this.ready.splice(0)) this.finish(r.job);
    const all = Promise.allSettled([...this.inFlight.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private plan(rec: SessionRecord, s: SessionAccount, now: bigint): ClaimPlan | null {
    const plan = planClaim({
      rec,
      session: s,
      now,
      nowMs: Date.now(),
      intervalMs: this.d.config.claims.intervalSeconds * 1000,
      payout: this.d.config.claims.payout,
      preimageFor: (r, t) => this.d.manager.ticks.preimageFor(r, t),
    });
    const blocked = this.rentBlocked.get(rec.session);
    if (blocked && plan?.kind === 'chunk') {
      if (plan.tick <= blocked.tick && blocked.lamports === this.d.node.authorityLamports) return null;
      this.rentBlocked.delete(rec.session);
    }
    return plan;
  }

  /** Resolves a pending claim of an earlier attempt, then plans the next one: null when nothing is to be sent. */
  private async prepare(job: Job): Promise<Ready | null> {
    const { chain, manager } = this.d;
    const { rec } = job;
    let { lookup, now } = job;
    if (rec.pending?.signature) {
      const resolved = await this.resolvePending(rec, lookup);
      if (!resolved) return null;
      ({ now, session: lookup } = await chain.readSession(new PublicKey(rec.session)));
      await manager.applyChain(rec, lookup, now);
    }
    if (lookup.kind !== 'session') {
      if (rec.pending) {
        rec.pending = null;
        this.save(rec);
      }
      await manager.applyChain(rec, lookup, now);
      await this.d.store.flush();
      return null;
    }
    const config = await chain.config();
    const plan = this.plan(rec, lookup.account, now);
    if (!plan) {
      if (rec.pending) {
        rec.pending = null;
        this.save(rec);
        await this.d.store.flush();
      }
      return null;
    }
    const { claim, mint } = this.instruction(rec, lookup.account, plan, config);
    return {
      job,
      rec,
      plan,
      claim,
      mint,
      cu: claimComputeUnits(lookup.account, plan, rec.chainTick),
      attempts: (rec.pending?.kind === plan.kind ? rec.pending.attempts : 0) + 1,
    };
  }

  private save(rec: SessionRecord): void {
    this.d.store.put(rec);
  }

  /** The session's claim instruction, and the mint whose provider token account it needs (null for SOL). */
  private instruction(
    rec: SessionRecord,
    s: SessionAccount,
    plan: ClaimPlan,
    config: ConfigAccount,
  ): { claim: TransactionInstruction; mint: PublicKey | null } {
    const authority = this.d.chain.authority.publicKey;
    const session = new PublicKey(rec.session);
    const mint = s.paymentMint.equals(PublicKey.default) ? null : s.paymentMint;
    const spl = mint ? splSettleAccounts({ session, mint, user: s.user, providerAuthority: authority, treasury: config.treasury, vault: s.vault }) : undefined;
    if (plan.kind === 'chunk') {
      const claim = ix.claimChunk({
        authority,
        provider: this.d.node.provider,
        session,
        treasury: config.treasury,
        tick: plan.tick,
        preimage: plan.preimage,
        bytesUsed: plan.bytesUsed,
        spl: spl ? { vault: spl.vault, providerToken: spl.providerToken, treasuryToken: spl.treasuryToken } : undefined,
      });
      return { claim, mint };
    }
    const claim = ix.claimPayout({
      caller: authority,
      provider: this.d.node.provider,
      node: this.d.node.address,
      session,
      user: s.user,
      providerAuthority: authority,
      treasury: config.treasury,
      spl,
    });
    return { claim, mint };
  }

  /**
   * One transaction for `items`: a compute budget sized to them, the idempotent
   * creation of the provider's token account once per mint, then one claim per
   * session. Its serialized size is measured, not estimated.
   */
  private build(items: Ready[]): Built {
    const authority = this.d.chain.authority.publicKey;
    const mints = new Map<string, PublicKey>();
    for (const it of items) if (it.mint) mints.set(it.mint.toBase58(), it.mint);
    let cu = CU_BASE + CU_ATA * mints.size;
    for (const it of items) cu += it.cu;
    const ixs: TransactionInstruction[] = [ComputeBudgetProgram.setComputeUnitLimit({ units: Math.min(cu, MAX_COMPUTE_UNITS) })];
    for (const mint of mints.values()) {
      const providerToken = getAssociatedTokenAddressSync(mint, authority, true);
      ixs.push(createAssociatedTokenAccountIdempotentInstruction(authority, providerToken, authority, mint));
    }
    const index = new Map<Ready, number>();
    for (const it of items) {
      index.set(it, ixs.length);
      ixs.push(it.claim);
    }
    return { ixs, size: this.d.chain.transactionSize(ixs), cu, index };
  }

  private fits(items: Ready[]): boolean {
    if (items.length > this.d.config.claims.batchMaxSessions || items.length > MAX_CLAIMS_PER_TX) return false;
    try {
      const built = this.build(items);
      return built.size <= PACKET_DATA_SIZE && built.cu <= MAX_COMPUTE_UNITS;
    } catch (err) {
      this.d.log.error({ err }, 'could not measure a claim batch');
      return false;
    }
  }

  /** True when the ready claims already fill a transaction (no point waiting for more). */
  private fullBatchReady(): boolean {
    const max = this.d.config.claims.batchMaxSessions;
    if (this.ready.length >= max) return true;
    return this.ready.length > MAX_CLAIMS_PER_TX || (this.ready.length > 1 && !this.fits(this.ready));
  }

  /**
   * Takes as many ready claims as fit in one transaction: the oldest, then
   * others of the same currency first (a token claim brings the mint's shared
   * accounts along, so mixing currencies fits fewer sessions).
   */
  private takeBatch(): Ready[] {
    const first = this.ready.shift()!;
    const mintOf = (r: Ready) => r.mint?.toBase58() ?? '';
    const same = mintOf(first);
    const candidates = [...this.ready.filter((r) => mintOf(r) === same), ...this.ready.filter((r) => mintOf(r) !== same)];
    const batch: Ready[] = [first];
    let misses = 0;
    for (const r of candidates) {
      if (misses >= PACK_MISSES || batch.length >= this.d.config.claims.batchMaxSessions) break;
      if (this.fits([...batch, r])) batch.push(r);
      else misses++;
    }
    const taken = new Set(batch);
    for (let i = this.ready.length - 1; i >= 0; i--) if (taken.has(this.ready[i])) this.ready.splice(i, 1);
    return batch;
  }

  /**
   * Sends one batch. Every session journals the batch's signature before the
   * transaction leaves. A transaction is atomic: when the program refuses one
   * claim, that claim's failure rule applies to its session alone and the
   * others are sent again at once, their attempt counts unchanged.
   */
  private async sendBatch(batch: Ready[]): Promise<void> {
    const { chain, store, log, metrics } = this.d;
    let items = batch;
    while (items.length > 0) {
      const built = this.build(items);
      for (const it of items) {
        it.rec.pending = {
          kind: it.plan.kind,
          tick: it.plan.kind === 'chunk' ? it.plan.tick : null,
          bytesUsed: it.plan.kind === 'chunk' ? it.plan.bytesUsed : null,
          signature: null,
          lastValidBlockHeight: null,
          ixIndex: built.index.get(it)!,
          attempts: it.attempts,
          nextAttemptAt: 0,
          lastError: null,
          createdAt: Date.now(),
        };
        this.save(it.rec);
      }
      log.info({ sessions: items.length, bytes: built.size, computeUnits: built.cu }, 'claiming');
      try {
        const sent = await chain.send(built.ixs, async (signature, lastValidBlockHeight) => {
          for (const it of items) {
            it.rec.pending!.signature = signature;
            it.rec.pending!.lastValidBlockHeight = lastValidBlockHeight;
            this.save(it.rec);
          }
          await store.flush();
        });
        metrics.claimTransactions.inc({ result: 'ok' });
        metrics.claimBatchSessions.observe({}, items.length);
        for (const it of items) {
          const tick = it.plan.kind === 'chunk' ? it.plan.tick : null;
          await this.landed(it.rec, it.plan.kind, tick, sent.signature, eventsOfSession(sent.events, it.rec.session), 'tx', false);
        }
        await store.flush();
        log.info({ sessions: items.length, signature: sent.signature }, 'claims landed');
        return;
      } catch (err) {
        metrics.claimTransactions.inc({ result: 'failed' });
        const at = err instanceof ChainTxError ? err.instructionIndex : undefined;
        const culprit = at === undefined ? undefined : items.find((it) => built.index.get(it) === at);
        if (culprit && items.length > 1) {
          const tick = culprit.plan.kind === 'chunk' ? culprit.plan.tick : null;
          await this.failed(culprit.rec, culprit.plan.kind, tick, err, false);
          items = items.filter((it) => it !== culprit);
          // Nothing of the refused transaction happened: the others forget its signature and go again.
          for (const it of items) {
            it.rec.pending!.signature = null;
            it.rec.pending!.lastValidBlockHeight = null;
            this.save(it.rec);
          }
          await store.flush();
          this.finish(culprit.job);
          batch.splice(batch.indexOf(culprit), 1);
          if (this.stopping) return;
          log.info({ session: culprit.rec.session, sessions: items.length }, 'one claim of the batch was refused; sending the others again');
          continue;
        }
        for (const it of items) {
          const tick = it.plan.kind === 'chunk' ? it.plan.tick : null;
          await this.failed(it.rec, it.plan.kind, tick, err, false);
        }
        await store.flush();
        return;
      }
    }
  }

  private async landed(
    rec: SessionRecord,
    kind: ClaimKind,
    tick: bigint | null,
    signature: string | null,
    events: DvpnEvent[],
    via: 'tx' | 'observed',
    flush = true,
  ): Promise<void> {
    const { metrics, log, store } = this.d;
    const currency = rec.paymentMint ?? 'SOL';
    if (!signature || !rec.claims.some((c) => c.signature === signature)) {
      if (kind === 'chunk') {
        const ev = events.find((e) => e.name === 'ChunkClaimed')?.data as
          | { tick: bigint; amount: bigint; providerAmount: bigint; fee: bigint }
          | undefined;
        rec.claims.push({
          kind,
          tick: ev?.tick ?? tick,
          signature,
          at: Date.now(),
          amount: ev?.amount ?? null,
          providerAmount: ev?.providerAmount ?? null,
          fee: ev?.fee ?? null,
          refund: null,
          via,
        });
        if (ev) metrics.claimedAmount.inc({ currency }, ev.amount);
      } else {
        type Split = { providerAmount: bigint; fee: bigint; refund: bigint };
        const paid = events.find((e) => e.name === 'PayoutClaimed')?.data as Split | undefined;
        // A dispute settled by the default rule in the same payout moves its funds in DisputeResolved first.
        const resolved = events.find((e) => e.name === 'DisputeResolved')?.data as Split | undefined;
        const ev = paid && {
          providerAmount: paid.providerAmount + (resolved?.providerAmount ?? 0n),
          fee: paid.fee + (resolved?.fee ?? 0n),
          refund: paid.refund + (resolved?.refund ?? 0n),
        };
        rec.claims.push({
          kind,
          tick: null,
          signature,
          at: Date.now(),
          amount: ev ? ev.providerAmount + ev.fee : null,
          providerAmount: ev?.providerAmount ?? null,
          fee: ev?.fee ?? null,
          refund: ev?.refund ?? null,
          via,
        });
        if (ev) metrics.claimedAmount.inc({ currency }, ev.providerAmount + ev.fee);
      }
      metrics.claims.inc({ kind, result: via === 'tx' ? 'ok' : 'observed' });
      // Only the latest claims are kept: the record is journaled whole at every change, and a
      // year-long session makes ~100,000 claims. The chain holds them all.
      if (rec.claims.length > CLAIM_HISTORY) rec.claims.splice(0, rec.claims.length - CLAIM_HISTORY);
    }
    if (kind === 'chunk' && tick !== null && tick > rec.chainTick) rec.chainTick = tick;
    if (kind === 'payout') {
      rec.phase = 'settled';
      rec.settledAt = Date.now();
      if (!rec.endReason) rec.endReason = 'settled';
    }
    rec.lastClaimAt = Date.now();
    rec.pending = null;
    rec.programErrors = 0;
    this.save(rec);
    if (flush) await store.flush();
    log.debug({ session: rec.session, kind, tick: tick?.toString(), signature, via }, 'claim landed');
  }

  private backoff(attempts: number): number {
    const { retryBaseMs, retryMaxMs } = this.d.config.claims;
    const raw = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(raw * (0.8 + Math.random() * 0.4));
  }

  private async failed(rec: SessionRecord, kind: ClaimKind, tick: bigint | null, err: unknown, flush = true): Promise<void> {
    const { metrics, log, store, config } = this.d;
    const program = err instanceof ChainTxError ? err.program : programErrorFrom(err);
    const name = program?.name;
    const message = err instanceof Error ? err.message : String(err);
    const pending = rec.pending ?? {
      kind,
      tick,
      bytesUsed: null,
      signature: null,
      lastValidBlockHeight: null,
      ixIndex: null,
      attempts: 1,
      nextAttemptAt: 0,
      lastError: null,
      createdAt: Date.now(),
    };
    const giveUp = (why: string) => {
      if (kind === 'chunk') rec.chunkClaimsDone = true;
      else {
        rec.phase = 'settled';
        rec.settledAt = Date.now();
        rec.endReason = why;
      }
      rec.pending = null;
    };
    const retryLater = (ms: number) => {
      pending.signature = null;
      pending.lastValidBlockHeight = null;
      pending.lastError = message;
      pending.nextAttemptAt = Date.now() + ms;
      rec.pending = pending;
    };
    const logs = err instanceof ChainTxError ? err.logs.join('\n') : '';
    const unfunded = !name && /insufficient ?(funds|lamports)|no record of a prior credit/i.test(`${message}\n${logs}`);
    metrics.claims.inc({ kind, result: name ?? (unfunded ? 'insufficient_funds' : err instanceof ChainTxError && err.expired ? 'expired' : 'error') });
    if (unfunded) {
      this.onUnfunded?.();
      log.error({ session: rec.session, authority: this.d.chain.authority.publicKey.toBase58() }, 'claim refused: the provider authority has too little SOL for the fee');
    }
    if (name === 'StaleClaim') {
      // Someone (an earlier transaction of ours, or the provider by hand) already claimed this far.
      if (tick !== null && tick > rec.chainTick) rec.chainTick = tick;
      rec.pending = null;
      rec.programErrors = 0;
      log.warn({ session: rec.session, tick: tick?.toString() }, 'claim already covered on chain (StaleClaim); not retried');
    } else if (name === 'RecipientNotRentExempt') {
      // The provider's share would leave the authority wallet below rent exemption: resending the same claim
      // cannot help. Wait for more ticks (a larger claim) or a funded wallet (see plan()).
      rec.pending = null;
      const lamports = await this.d.chain.connection
        .getBalance(this.d.chain.authority.publicKey, config.chain.commitment)
        .catch(() => this.d.node.authorityLamports);
      this.d.node.authorityLamports = lamports;
      this.rentBlocked.set(rec.session, { tick: tick ?? 0n, lamports });
      log.error(
        { session: rec.session, kind, tick: tick?.toString(), authority: this.d.chain.authority.publicKey.toBase58() },
        'claim refused: the payment would leave the provider authority wallet below rent exemption (RecipientNotRentExempt); fund the wallet (about 0.001 SOL); not retried until it is funded or more is due',
      );
    } else if (name && FINAL_FOR_CHUNKS.has(name) && kind === 'chunk') {
      rec.chunkClaimsDone = true;
      rec.pending = null;
      log.warn({ session: rec.session, error: name }, 'chunk claims are over for this session');
    } else if (name === 'AlreadySettled') {
      rec.phase = 'settled';
      rec.settledAt = Date.now();
      rec.pending = null;
    } else if (name === 'SettleWindowOpen' || name === 'SessionDisputed' || name === 'DisputeWindowOpen') {
      retryLater(name === 'SettleWindowOpen' ? this.backoff(pending.attempts) : config.claims.retryMaxMs);
    } else if (program) {
      rec.programErrors += 1;
      if (rec.programErrors >= config.claims.maxProgramErrorAttempts) {
        log.error({ session: rec.session, kind, error: name, attempts: rec.programErrors }, 'claim refused repeatedly; giving up');
        giveUp(`${kind}_failed: ${name}`);
      } else {
        retryLater(this.backoff(rec.programErrors));
      }
    } else if (!(err instanceof ChainTxError) && pending.signature) {
      // A transport failure after the transaction was signed (maybe sent, maybe landed): the next attempt
      // looks the journaled signature up instead of building a new claim.
      pending.lastError = message;
      pending.nextAttemptAt = Date.now() + this.backoff(pending.attempts);
      rec.pending = pending;
      log.warn({ session: rec.session, kind, err: message, signature: pending.signature }, 'claim not confirmed; its signature will be looked up');
    } else {
      retryLater(this.backoff(pending.attempts));
      log.warn({ session: rec.session, kind, err: message, retryInMs: pending.nextAttemptAt - Date.now() }, 'claim not confirmed; will retry');
    }
    if (name) log.warn({ session: rec.session, kind, tick: tick?.toString(), error: name }, 'claim refused by the program');
    this.save(rec);
    if (flush) await store.flush();
  }

  /** What became of a signature, looked up once for all the sessions of its batch (final outcomes are kept). */
  private outcome(signature: string): Promise<Outcome> {
    const known = this.outcomes.get(signature);
    if (known) return known;
    const { chain } = this.d;
    const lookup = (async (): Promise<Outcome> => {
      const status = await chain.status(signature);
      if (status === 'pending') return { status };
      const { logs, err } = await chain.transactionLogs(signature);
      return { status, logs, err, events: parseEvents(logs, chain.programId) };
    })();
    this.outcomes.set(signature, lookup);
    lookup.then(
      (o) => {
        if (o.status === 'pending') this.outcomes.delete(signature);
        else if (this.outcomes.size > 256) this.outcomes.delete(this.outcomes.keys().next().value!);
      },
      () => this.outcomes.delete(signature),
    );
    return lookup;
  }

  /** Settles what happened to a claim sent before (maybe by a previous run). True when the caller may plan anew. */
  private async resolvePending(rec: SessionRecord, lookup: SessionLookup): Promise<boolean> {
    const { chain } = this.d;
    const p = rec.pending!;
    const signature = p.signature!;
    const o = await this.outcome(signature);
    if (o.status === 'confirmed') {
      await this.landed(rec, p.kind, p.tick, signature, eventsOfSession(o.events, rec.session), 'tx');
      return true;
    }
    if (o.status === 'failed') {
      const at = instructionIndexOf(o.err);
      if (at !== undefined && p.ixIndex !== null && at !== p.ixIndex) {
        // Another session's claim sank the batch; this one was not at fault and nothing of it happened.
        p.signature = null;
        p.lastValidBlockHeight = null;
        p.lastError = `batch ${signature} failed at another claim`;
        this.save(rec);
        await this.d.store.flush();
        return true;
      }
      await this.failed(rec, p.kind, p.tick, new ChainTxError(`transaction ${signature} failed`, programErrorFrom(o.logs) ?? programErrorFrom(o.err), o.logs, false, at));
      return true;
    }
    const height = await chain.blockHeight();
    if (p.lastValidBlockHeight !== null && height <= p.lastValidBlockHeight) return false; // may still land
    // Expired without a status: did the effect happen anyway?
    if (p.kind === 'chunk' && lookup.kind === 'session' && p.tick !== null && lookup.account.lastTick >= p.tick) {
      await this.landed(rec, 'chunk', p.tick, null, [], 'observed');
    } else if (p.kind === 'payout' && lookup.kind === 'missing') {
      await this.landed(rec, 'payout', null, null, [], 'observed');
    } else {
      p.signature = null;
      p.lastValidBlockHeight = null;
      p.lastError = 'expired unconfirmed';
      this.save(rec);
      await this.d.store.flush();
    }
    return true;
  }
}
