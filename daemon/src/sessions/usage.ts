// The usage payment policy: which tick a usage session owes by now (by bytes
// or by time served), what a client is shown about it, and removing the peer
// of a session that stays behind for longer than the grace.
import type { PaymentView } from '@dvpn/sdk';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { SessionRecord } from '../state/types.js';
import type { Peers } from './peers.js';

export interface UsageDeps {
  config: DaemonConfig;
  log: Logger;
  peers: Peers;
}

export class UsagePolicy {
  /** Usage sessions behind on ticks: since when (wall ms). In memory: a restart grants a fresh grace. */
  private readonly behindSince = new Map<string, number>();

  constructor(private readonly d: UsageDeps) {
    d.peers.onRemoved = (session) => this.behindSince.delete(session);
  }

  /** Forgets a session's lateness (re-admitted, or paid up). */
  settle(session: string): void {
    this.behindSince.delete(session);
  }

  /** The tick a usage session must have paid by now (may exceed max_ticks: then it cannot pay any more). */
  owedTick(rec: SessionRecord, nowMs = Date.now()): bigint {
    const { bytesPerTick, tickIntervalSeconds } = this.d.config.usage;
    if (bytesPerTick > 0) {
      const per = BigInt(bytesPerTick);
      return (rec.bytesRx + rec.bytesTx + per - 1n) / per;
    }
    if (!rec.peer || rec.servedSince === null) return rec.latestTick;
    const intervals = BigInt(Math.max(0, Math.floor((nowMs - rec.servedSince) / 1000 / tickIntervalSeconds)));
    return rec.baseTick + intervals;
  }

  payment(rec: SessionRecord, nowMs = Date.now()): PaymentView {
    if (rec.mode === 'time') return { mode: 'time', claimedTick: rec.chainTick.toString() };
    const u = this.d.config.usage;
    return {
      mode: 'usage',
      tickIntervalSeconds: u.tickIntervalSeconds,
      tickGraceSeconds: u.tickGraceSeconds,
      bytesPerTick: u.bytesPerTick,
      paidTick: rec.latestTick.toString(),
      owedTick: this.owedTick(rec, nowMs).toString(),
      maxTicks: rec.maxTicks.toString(),
      tickAmount: rec.tickAmount.toString(),
      claimedTick: rec.chainTick.toString(),
    };
  }

  /** Usage sessions: a peer behind on ticks for longer than the grace is removed. */
  async enforce(rec: SessionRecord, nowMs = Date.now()): Promise<void> {
    if (rec.mode !== 'usage' || !rec.peer) return;
    const owed = this.owedTick(rec, nowMs);
    if (rec.latestTick >= owed) {
      this.behindSince.delete(rec.session);
      return;
    }
    const since = this.behindSince.get(rec.session);
    if (since === undefined) {
      this.behindSince.set(rec.session, nowMs);
      return;
    }
    if (nowMs - since >= this.d.config.usage.tickGraceSeconds * 1000) {
      this.d.log.info({ session: rec.session, paid: rec.latestTick.toString(), owed: owed.toString() }, 'usage session stopped paying');
      await this.d.peers.removePeer(rec, 'unpaid', owed);
    }
  }
}
