// While connected: watch whether the tunnel serves and, in usage mode, pay
// ticks (hash-chain preimages) only while it does.
import type { AuthAnswer, HashChain, PaymentView, TickAnswer } from '@dvpn/sdk';
import type { Context } from '../../context.js';
import { hex, parseInteger } from '../../format.js';
import { run } from '../../full-tunnel.js';
import { recordRevealedTick, revealedTickOf } from '../../state.js';
import { ApiError, api } from './daemon-api.js';
import { emit, sleep, type ConnectOptions } from './shared.js';

/** A handshake older than this means the tunnel is not serving (WireGuard's REJECT_AFTER_TIME). */
const HANDSHAKE_FRESH_SECONDS = 180;

/** Seconds since the newest handshake on the interface (Infinity when none or unreadable). */
export async function handshakeAge(iface: string): Promise<number> {
  try {
    const text = await run('wg', ['show', iface, 'latest-handshakes'], { timeoutMs: 5000 });
    const latest = Math.max(0, ...text.split('\n').map((l) => Number(l.split('\t')[1] ?? 0) || 0));
    return latest === 0 ? Infinity : Math.floor(Date.now() / 1000) - latest;
  } catch {
    return Infinity;
  }
}

/** Whether the node answers through the tunnel (any HTTP answer counts). */
export async function probeTunnel(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * The tick to pay now: one ahead of what the node says is owed, within the chain, only while the tunnel
 * serves, and never past `limit` — what this machine measured itself — so a daemon that overstates the
 * debt cannot make it reveal a far preimage (which pays every tick before it).
 */
export function tickToPay(p: { paid: bigint; owed: bigint; maxTicks: bigint; serving: boolean; limit?: bigint }): bigint | null {
  if (!p.serving) return null;
  let target = p.owed + 1n;
  if (target > p.maxTicks) target = p.maxTicks;
  if (p.limit !== undefined && target > p.limit) target = p.limit;
  return target > p.paid ? target : null;
}

/** The daemon's tick interval, as a number of seconds between 1 and 3600 (10 when it sent no number). */
export function tickIntervalSeconds(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : Number.NaN;
  return Number.isFinite(n) ? Math.min(3600, Math.max(1, n)) : 10;
}

/**
 * The furthest tick this machine will pay: what it revealed before this connection, plus one tick per
 * interval served and, when the node bills by bytes, one per `bytesPerTick` the tunnel itself counted.
 */
export function ownTickLimit(p: { revealedBefore: bigint; servedMs: number; intervalSeconds: number; bytesPerTick: number; tunnelBytes: bigint }): bigint {
  const byTime = BigInt(Math.floor(p.servedMs / 1000 / p.intervalSeconds));
  const perTick = Number.isSafeInteger(p.bytesPerTick) && p.bytesPerTick > 0 ? BigInt(p.bytesPerTick) : 0n;
  const byBytes = perTick > 0n ? (p.tunnelBytes + perTick - 1n) / perTick : 0n;
  return p.revealedBefore + 1n + (byBytes > byTime ? byBytes : byTime);
}

/** Bytes received + sent on the interface, as `wg` counts them (0 when unreadable). */
async function tunnelBytes(iface: string): Promise<bigint> {
  try {
    const text = await run('wg', ['show', iface, 'transfer'], { timeoutMs: 5000 });
    let total = 0n;
    for (const line of text.split('\n')) {
      const [, rx, tx] = line.split('\t');
      if (/^\d+$/.test(rx ?? '') && /^\d+$/.test(tx ?? '')) total += BigInt(rx) + BigInt(tx);
    }
    return total;
  } catch {
    return 0n;
  }
}

/** Keeps the session going: usage ticks while the tunnel serves; returns why it stopped. */
export async function serve(
  ctx: Context,
  p: { base: string; session: string; answer: AuthAnswer; chain: HashChain | null; chainTick: bigint; iface: string; o: ConnectOptions; stopped: () => boolean },
): Promise<string> {
  const usage = p.answer.payment.mode === 'usage' && p.chain !== null;
  const intervalSeconds = tickIntervalSeconds(p.answer.payment.tickIntervalSeconds);
  const intervalMs = intervalSeconds * 1000;
  // What this machine paid before (its own record, or the chain's claimed tick): not the daemon's word.
  const stored = revealedTickOf(p.session);
  const revealedBefore = stored > p.chainTick ? stored : p.chainTick;
  let servedMs = 0;
  let lastLoopAt = Date.now();
  const handshakeLimit = Number(parseInteger(p.o.handshakeTimeout, '--handshake-timeout', 1n, 3600n));
  let paid = BigInt(p.answer.payment.paidTick ?? '0');
  let owed = BigInt(p.answer.payment.owedTick ?? '0');
  const maxTicks = BigInt(p.answer.payment.maxTicks ?? '0');
  let wasServing: boolean | null = null;
  let lastStatusAt = 0;
  const connectedAt = Date.now();
  while (!p.stopped()) {
    // Serving: the node answers through the tunnel (its probe), else at least a fresh handshake.
    const age = await handshakeAge(p.iface);
    const serving = p.answer.probe ? await probeTunnel(p.answer.probe) : age <= HANDSHAKE_FRESH_SECONDS;
    if (!serving && wasServing === null && Date.now() - connectedAt > handshakeLimit * 1000) {
      return 'the tunnel never came up';
    }
    if (wasServing !== serving && (serving || wasServing !== null)) {
      emit(ctx, serving ? 'serving' : 'not-serving', { session: p.session, handshakeAgeSeconds: Number.isFinite(age) ? age : null }, serving ? 'Tunnel is serving' : 'Tunnel is not serving: not paying');
      wasServing = serving;
    }
    const loopAt = Date.now();
    if (serving) servedMs += loopAt - lastLoopAt;
    lastLoopAt = loopAt;
    if (usage) {
      const limit = ownTickLimit({
        revealedBefore,
        servedMs,
        intervalSeconds,
        bytesPerTick: Number(p.answer.payment.bytesPerTick ?? 0),
        tunnelBytes: serving ? await tunnelBytes(p.iface) : 0n,
      });
      const target = tickToPay({ paid, owed, maxTicks, serving, limit });
      if (target !== null) {
        try {
          const r = await api<TickAnswer>(p.base, 'POST', `/session/${p.session}/ticks`, {
            tick: Number(target),
            preimage: hex(p.chain!.preimage(target)),
          });
          recordRevealedTick(p.session, target);
          paid = BigInt(r.paidTick);
          owed = BigInt(r.owedTick);
          emit(ctx, 'tick', { session: p.session, tick: paid, owed }, `Paid through tick ${paid}`);
          if (r.phase !== 'active') return `session ${r.phase}`;
          if (!r.peerActive) return 'peer removed by the node';
        } catch (err) {
          if (err instanceof ApiError) {
            const details = (err.body as { error?: { details?: { paidTick?: string } } })?.error?.details;
            if (err.code === 'stale_tick' && details?.paidTick) paid = BigInt(details.paidTick);
            else if (err.status === 410 || err.status === 404) return `node refused ticks: ${err.code}`;
            else emit(ctx, 'warning', { session: p.session, error: err.message }, `warning: ${err.message}`);
          } else emit(ctx, 'warning', { session: p.session, error: (err as Error).message }, `warning: ${(err as Error).message}`);
        }
      }
    }
    // Refresh the node's view now and then: how much is owed, and whether the session is over.
    if (Date.now() - lastStatusAt >= Math.min(intervalMs * 3, 30_000)) {
      lastStatusAt = Date.now();
      try {
        const v = await api<{ daemon: { phase: string; payment: PaymentView; peer: { publicKey: string } | null; peerRemoved: { reason: string } | null } | null }>(
          p.base,
          'GET',
          `/session/${p.session}`,
        );
        if (v.daemon) {
          if (v.daemon.phase !== 'active') return `session ${v.daemon.phase}`;
          if (v.daemon.peer?.publicKey !== p.answer.clientPublicKey) {
            return `peer removed by the node (${v.daemon.peerRemoved?.reason ?? 'replaced'})`;
          }
          if (v.daemon.payment.owedTick) owed = BigInt(v.daemon.payment.owedTick);
          if (v.daemon.payment.paidTick && BigInt(v.daemon.payment.paidTick) > paid) paid = BigInt(v.daemon.payment.paidTick);
          if (usage && paid >= maxTicks && owed >= maxTicks) return 'all ticks used';
        }
      } catch {
        /* the node may be restarting: keep going */
      }
    }
    for (let waited = 0; waited < intervalMs && !p.stopped(); waited += 100) await sleep(100);
  }
  return 'interrupted';
}
