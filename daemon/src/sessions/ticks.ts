// Usage ticks: a client pays through tick N by showing the hash-chain
// preimage w_N; the daemon checks it against the latest paid tick and keeps
// the latest preimage (claims derive every earlier one from it).
import type { Logger } from 'pino';
import { createHashWorker, hashNNode, verifyTickNode } from '@dvpn/sdk/node';
import type { DaemonConfig } from '../config.js';
import { HttpError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { SessionRecord } from '../state/types.js';
import type { TickRequest } from '../validation.js';
import { hex, unhex } from './records.js';
import type { UsagePolicy } from './usage.js';

/** Tick gaps up to this are checked in line (a few microseconds); longer ones on the hash worker. */
const INLINE_TICK_GAP = 64n;
/**
 * Preimages kept per session (in memory) at least this many ticks apart, so a claim derives
 * its preimage by at most about this many hashes plus one payment's gap, however far ahead of
 * the claims a user has paid (a claim takes at most 512 ticks; deriving from the latest
 * preimage alone cost one SHA-256 per tick paid ahead, in line, at every poll).
 */
const CHECKPOINT_STRIDE = 1024n;

export interface TicksDeps {
  config: DaemonConfig;
  log: Logger;
  store: StateStore;
  metrics: Metrics;
  usage: UsagePolicy;
}

export class Ticks {
  /**
   * Long tick checks (up to maxTickGap SHA-256 rounds; the route is unauthenticated) run on a
   * worker thread, so wrong preimages cannot hold up the event loop that serves everyone.
   */
  private readonly hashWorker = createHashWorker();
  /** Known preimages below each session's latest one, ascending by tick (see CHECKPOINT_STRIDE). */
  private readonly checkpoints = new Map<string, Array<{ tick: bigint; preimage: Uint8Array }>>();
  /** Sessions whose checkpoints are being derived on the hash worker. */
  private readonly warming = new Set<string>();

  constructor(private readonly d: TicksDeps) {}

  /** Pays `pda` through `req.tick`; answers with the session's record once that is on disk. */
  async pay(pda: string, req: TickRequest): Promise<SessionRecord> {
    const { store, metrics, config } = this.d;
    const fail = (status: number, code: string, message: string, details?: unknown): never => {
      metrics.ticks.inc({ result: code });
      throw new HttpError(status, code, message, details);
    };
    const rec = store.sessions.get(pda);
    if (!rec) return fail(404, 'unknown_session', 'this node has not admitted that session; authenticate first (POST /session/auth)');
    if (rec.mode !== 'usage') fail(409, 'not_usage_session', 'ticks are for usage sessions; this is a time session');
    if (rec.phase === 'settled' || rec.chunkClaimsDone) fail(410, 'session_settled', 'the session is settled; ticks can no longer be claimed');
    const tick = BigInt(req.tick);
    if (tick > rec.maxTicks) fail(400, 'tick_beyond_chain', `tick ${tick} is beyond the session's ${rec.maxTicks} ticks`);
    for (;;) {
      if (tick <= rec.latestTick) {
        if (tick === rec.latestTick && rec.latestPreimage === hex(req.preimage)) {
          // Answer 200 only for what is on disk: an earlier attempt may have failed to write it.
          await store.flush();
          metrics.ticks.inc({ result: 'duplicate' });
          return rec;
        }
        fail(409, 'stale_tick', `tick ${tick} is not after the latest paid tick ${rec.latestTick}`, { paidTick: rec.latestTick.toString() });
      }
      const gap = tick - rec.latestTick;
      if (gap > BigInt(config.usage.maxTickGap)) fail(400, 'tick_gap_too_large', `pay at most ${config.usage.maxTickGap} ticks per request`);
      const baseTick = rec.latestTick;
      const basePreimage = rec.latestPreimage;
      if (!basePreimage) return fail(400, 'invalid_preimage', `the preimage does not hash to the proof of tick ${rec.latestTick}`);
      const valid =
        gap <= INLINE_TICK_GAP
          ? verifyTickNode(unhex(basePreimage), baseTick, req.preimage, tick)
          : await this.hashWorker.verifyTick(unhex(basePreimage), baseTick, req.preimage, tick);
      // Another tick was paid while this one was checked: check again against it.
      if (rec.latestTick !== baseTick || rec.latestPreimage !== basePreimage) continue;
      if (!valid) fail(400, 'invalid_preimage', `the preimage does not hash to the proof of tick ${rec.latestTick}`);
      break;
    }
    if (rec.phase === 'settled' || rec.chunkClaimsDone) fail(410, 'session_settled', 'the session is settled; ticks can no longer be claimed');
    // No await between the check above and this update: concurrent ticks cannot both apply.
    const paid = tick - rec.latestTick;
    if (rec.latestPreimage) this.remember(pda, rec.latestTick, unhex(rec.latestPreimage));
    rec.latestTick = tick;
    rec.latestPreimage = hex(req.preimage);
    rec.lastTickAt = Date.now();
    if (rec.latestTick >= this.d.usage.owedTick(rec)) this.d.usage.settle(pda);
    store.put(rec);
    await store.flush();
    metrics.ticks.inc({ result: 'ok' });
    metrics.ticksAccepted.inc({}, Number(paid));
    return rec;
  }

  /** Keeps a verified preimage as a checkpoint when it is far enough from the last one kept. */
  private remember(session: string, tick: bigint, preimage: Uint8Array): void {
    let list = this.checkpoints.get(session);
    if (!list) this.checkpoints.set(session, (list = []));
    const last = list.at(-1);
    if (last && tick < last.tick + CHECKPOINT_STRIDE) return;
    list.push({ tick, preimage });
  }

  /**
   * w_tick for a tick at or below the latest paid one: hashed down from the nearest known
   * preimage above it (a checkpoint, or the latest); checkpoints at or below the chain's
   * claimed tick are dropped. Null when that is more than 8 strides away (after a restart
   * with ticks paid far ahead, or a node allowing payments in larger steps): the checkpoints
   * are then derived on the hash worker, and the claim waits for a later poll instead of
   * hashing on the event loop.
   */
  preimageFor(rec: SessionRecord, tick: bigint): Uint8Array | null {
    if (!rec.latestPreimage || tick > rec.latestTick) throw new Error(`no preimage for tick ${tick}`);
    const list = (this.checkpoints.get(rec.session) ?? []).filter((c) => c.tick > rec.chainTick && c.tick <= rec.latestTick);
    if (list.length > 0) this.checkpoints.set(rec.session, list);
    else this.checkpoints.delete(rec.session);
    const above = list.find((c) => c.tick >= tick);
    const from = above ? above.tick : rec.latestTick;
    if (from - tick > 8n * CHECKPOINT_STRIDE) {
      this.warm(rec);
      return null;
    }
    return hashNNode(above ? above.preimage : unhex(rec.latestPreimage), from - tick);
  }

  /** Derives a checkpoint every CHECKPOINT_STRIDE ticks from the latest preimage down to the claimed tick, on the hash worker. */
  private warm(rec: SessionRecord): void {
    if (this.warming.has(rec.session) || !rec.latestPreimage) return;
    this.warming.add(rec.session);
    const session = rec.session;
    let from = rec.latestTick;
    let value: Uint8Array = unhex(rec.latestPreimage);
    const floor = rec.chainTick;
    void (async () => {
      const kept: Array<{ tick: bigint; preimage: Uint8Array }> = [];
      while (from - CHECKPOINT_STRIDE > floor) {
        value = await this.hashWorker.hashN(value, CHECKPOINT_STRIDE);
        from -= CHECKPOINT_STRIDE;
        kept.push({ tick: from, preimage: value });
      }
      const merged = [...(this.checkpoints.get(session) ?? []), ...kept].sort((a, b) => (a.tick < b.tick ? -1 : a.tick > b.tick ? 1 : 0));
      if (merged.length > 0) this.checkpoints.set(session, merged);
    })()
      .catch((err) => this.d.log.warn({ err, session }, 'deriving tick checkpoints failed'))
      .finally(() => this.warming.delete(session));
  }

  /** Stops the hash worker. */
  async close(): Promise<void> {
    await this.hashWorker.close();
  }
}
