// The claim chain. For each admitted session, on a schedule and when it
// ends: usage sessions claim through the latest verified tick (at most 512
// ticks per claim, intermediate preimages derived by hashing the latest one),
// time sessions claim elapsed seconds; after the settle deadline the session
// is settled with claim_payout.
//
// Never twice: a claim's signature is persisted before the transaction is
// sent; after a crash the pending signature is looked up (landed, failed,
// expired) before anything new is built, and every plan starts from the
// session's last_tick on chain. A claim the program refuses as stale
// (StaleClaim) or late (ClaimWindowClosed) is recorded and never retried;
// one refused because the SOL would leave the provider wallet below rent
// exemption (RecipientNotRentExempt) is not retried until more ticks are due
// or the wallet's balance changes; transport failures are retried with
// capped exponential backoff; other program errors a limited number of times.
//
// Deadlines are the session's own terms (settle/dispute windows copied into
// the Session at open). A Disputed usage session's revealed ticks stay
// claimable until the settle deadline; a Disputed session is settled by the
// default rule (claim_payout) once its dispute window has passed.
import { PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import type { Logger } from 'pino';
import {
  SessionMode,
  SessionState,
  ZERO_HASH,
  findSessionVaultPda,
  ix,
  parseEvents,
  programErrorFrom,
  type ConfigAccount,
  type DvpnEvent,
  type SessionAccount,
} from '@dvpn/sdk';
import { ChainTxError, type ChainClient, type SessionLookup } from '../chain/client.js';
import type { DaemonConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { ClaimKind, SessionRecord } from '../state/types.js';
import type { SessionManager } from './manager.js';
import type { NodeState } from './node.js';

/** The program's limit on ticks per usage claim (docs/PROGRAM.md). */
export const MAX_TICKS_PER_CLAIM = 512n;

export type ClaimPlan = { kind: 'chunk'; tick: bigint; preimage: Uint8Array; bytesUsed: bigint } | { kind: 'payout' };

/** closed_at (or end_ts) + the session's settle window: the last moment claim_chunk is accepted. */
export function settleDeadline(s: SessionAccount): bigint {
  return (s.closedAt > 0n ? s.closedAt : s.endTs) + s.settleWindowSeconds;
}

/** dispute_ts + the session's dispute window: after it anyone settles the dispute by the default rule. */
export function disputeDeadline(s: SessionAccount): bigint {
  return s.disputeTs + s.disputeWindowSeconds;
}

/** What to claim next for a session, or null for nothing (yet). */
export function planClaim(p: {
  rec: SessionRecord;
  session: SessionAccount;
  now: bigint;
  nowMs: number;
  intervalMs: number;
  payout: boolean;
  preimageFor: (rec: SessionRecord, tick: bigint) => Uint8Array;
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
        preimage = p.preimageFor(rec, tick);
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

export class Claimer {
  /** Sessions with a task queued or running. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly queue: Array<{ rec: SessionRecord; lookup: SessionLookup; now: bigint; done: () => void }> = [];
  private running = 0;
  private stopping = false;
  /**
   * Chunk claims refused with RecipientNotRentExempt (in memory): session ->
   * the refused tick and the authority's balance then. Not sent again until
   * more ticks are due or the balance changed (the wallet was funded).
   */
  private readonly rentBlocked = new Map<string, { tick: bigint; lamports: number | null }>();

  /** Called when a claim failed because the authority cannot pay the fee. */
  onUnfunded: (() => void) | null = null;

  constructor(private readonly d: ClaimerDeps) {}

  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Queues a claim task for the session when something may be due and none is
   * queued or running; at most `claims.concurrency` tasks run at once.
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

  private pump(): void {
    while (this.running < this.d.config.claims.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      this.run(job.rec, job.lookup, job.now)
        .catch((err) => this.d.log.error({ err, session: job.rec.session }, 'claim task failed'))
        .finally(() => {
          this.running--;
          this.inFlight.delete(job.rec.session);
          job.done();
          this.pump();
        });
    }
  }

  /** Stops new claims and waits (bounded) for those in flight. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) {
      this.inFlight.delete(job.rec.session);
      job.done();
    }
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
      preimageFor: (r, t) => this.d.manager.preimageFor(r, t),
    });
    const blocked = this.rentBlocked.get(rec.session);
    if (blocked && plan?.kind === 'chunk') {
      if (plan.tick <= blocked.tick && blocked.lamports === this.d.node.authorityLamports) return null;
      this.rentBlocked.delete(rec.session);
    }
    return plan;
  }

  private async run(rec: SessionRecord, lookupIn: SessionLookup, nowIn: bigint): Promise<void> {
    const { chain, manager } = this.d;
    let lookup = lookupIn;
    let now = nowIn;
    if (rec.pending?.signature) {
      const resolved = await this.resolvePending(rec, lookup);
      if (!resolved) return;
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
      return;
    }
    const config = await chain.config();
    const plan = this.plan(rec, lookup.account, now);
    if (!plan) {
      if (rec.pending) {
        rec.pending = null;
        this.save(rec);
        await this.d.store.flush();
      }
      return;
    }
    await this.execute(rec, lookup.account, plan, config);
  }

  private save(rec: SessionRecord): void {
    this.d.store.put(rec);
  }

  private instructions(rec: SessionRecord, s: SessionAccount, plan: ClaimPlan, config: ConfigAccount): TransactionInstruction[] {
    const authority = this.d.chain.authority.publicKey;
    const session = new PublicKey(rec.session);
    const ixs: TransactionInstruction[] = [];
    let spl: { vault: PublicKey; userToken: PublicKey; providerToken: PublicKey; treasuryToken: PublicKey } | undefined;
    if (!s.paymentMint.equals(PublicKey.default)) {
      const mint = s.paymentMint;
      const ata = (owner: PublicKey) => getAssociatedTokenAddressSync(mint, owner, true);
      spl = {
        vault: s.vault.equals(PublicKey.default) ? findSessionVaultPda(session)[0] : s.vault,
        userToken: ata(s.user),
        providerToken: ata(authority),
        treasuryToken: ata(config.treasury),
      };
      ixs.push(createAssociatedTokenAccountIdempotentInstruction(authority, spl.providerToken, authority, mint));
    }
    if (plan.kind === 'chunk') {
      ixs.push(
        ix.claimChunk({
          authority,
          provider: this.d.node.provider,
          session,
          treasury: config.treasury,
          tick: plan.tick,
          preimage: plan.preimage,
          bytesUsed: plan.bytesUsed,
          spl: spl ? { vault: spl.vault, providerToken: spl.providerToken, treasuryToken: spl.treasuryToken } : undefined,
        }),
      );
    } else {
      ixs.push(
        ix.claimPayout({
          caller: authority,
          provider: this.d.node.provider,
          node: this.d.node.address,
          session,
          user: s.user,
          providerAuthority: authority,
          treasury: config.treasury,
          spl,
        }),
      );
    }
    return ixs;
  }

  private async execute(rec: SessionRecord, s: SessionAccount, plan: ClaimPlan, config: ConfigAccount): Promise<void> {
    const { chain, store, log } = this.d;
    const previous = rec.pending?.kind === plan.kind ? rec.pending.attempts : 0;
    const tick = plan.kind === 'chunk' ? plan.tick : null;
    rec.pending = {
      kind: plan.kind,
      tick,
      bytesUsed: plan.kind === 'chunk' ? plan.bytesUsed : null,
      signature: null,
      lastValidBlockHeight: null,
      attempts: previous + 1,
      nextAttemptAt: 0,
      lastError: null,
      createdAt: Date.now(),
    };
    this.save(rec);
    const ixs = this.instructions(rec, s, plan, config);
    log.info({ session: rec.session, kind: plan.kind, tick: tick?.toString(), attempt: previous + 1 }, 'claiming');
    try {
      const sent = await chain.send(ixs, async (signature, lastValidBlockHeight) => {
        rec.pending!.signature = signature;
        rec.pending!.lastValidBlockHeight = lastValidBlockHeight;
        this.save(rec);
        await store.flush();
      });
      await this.landed(rec, plan.kind, tick, sent.signature, sent.events, 'tx');
    } catch (err) {
      await this.failed(rec, plan.kind, tick, err);
    }
  }

  private async landed(
    rec: SessionRecord,
    kind: ClaimKind,
    tick: bigint | null,
    signature: string | null,
    events: DvpnEvent[],
    via: 'tx' | 'observed',
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
    await store.flush();
    log.info({ session: rec.session, kind, tick: tick?.toString(), signature, via }, 'claim landed');
  }

  private backoff(attempts: number): number {
    const { retryBaseMs, retryMaxMs } = this.d.config.claims;
    const raw = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(raw * (0.8 + Math.random() * 0.4));
  }

  private async failed(rec: SessionRecord, kind: ClaimKind, tick: bigint | null, err: unknown): Promise<void> {
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
    } else {
      retryLater(this.backoff(pending.attempts));
      log.warn({ session: rec.session, kind, err: message, retryInMs: pending.nextAttemptAt - Date.now() }, 'claim not confirmed; will retry');
    }
    if (name) log.warn({ session: rec.session, kind, tick: tick?.toString(), error: name }, 'claim refused by the program');
    this.save(rec);
    await store.flush();
  }

  /** Settles what happened to a claim sent before (maybe by a previous run). True when the caller may plan anew. */
  private async resolvePending(rec: SessionRecord, lookup: SessionLookup): Promise<boolean> {
    const { chain } = this.d;
    const p = rec.pending!;
    const signature = p.signature!;
    const status = await chain.status(signature);
    if (status === 'confirmed' || status === 'failed') {
      const { logs, err } = await chain.transactionLogs(signature);
      if (status === 'confirmed') await this.landed(rec, p.kind, p.tick, signature, parseEvents(logs, chain.programId), 'tx');
      else await this.failed(rec, p.kind, p.tick, new ChainTxError(`transaction ${signature} failed`, programErrorFrom(logs) ?? programErrorFrom(err), logs));
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
