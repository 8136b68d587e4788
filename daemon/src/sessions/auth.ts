// Authentication: a user's signed request admits a WireGuard key as the peer
// of a session. Checks in order of cost (timestamp, signature, then the
// chain), a replay mark, then under the session's lock the key reservation
// and the peer change.
import { createHash } from 'node:crypto';
import { SessionState, authMessage, type PaymentView, type SessionAccount } from '@dvpn/sdk';
import { verifyAuthSignatureNode } from '@dvpn/sdk/node';
import type { SessionLookup } from '../chain/client.js';
import { HttpError } from '../errors.js';
import type { SessionRecord } from '../state/types.js';
import type { AuthRequest } from '../validation.js';
import { PoolExhaustedError } from '../wireguard/pool.js';
import type { Metering } from './metering.js';
import type { ManagerDeps } from './manager.js';
import type { Peers } from './peers.js';
import { newRecord, stateName } from './records.js';
import type { UsagePolicy } from './usage.js';

/** What the manager is given, plus the parts auth works with. */
export interface AuthDeps extends ManagerDeps {
  peers: Peers;
  metering: Metering;
  usage: UsagePolicy;
}

/** A session admitted with a key, and the client address its peer holds. */
export interface Admission {
  rec: SessionRecord;
  key: string;
  address: string;
  /** The payment terms as they stood when the admission completed (under the session's lock). */
  payment: PaymentView;
}

type Fail = (status: number, code: string, message: string, details?: unknown) => never;

/**
 * A session's user as base58, remembered per decoded account (the chain client hands out the
 * same object while the account's bytes are unchanged): base58 encoding is not free.
 */
const userText = new WeakMap<SessionAccount, string>();
function userOf(s: SessionAccount): string {
  let text = userText.get(s);
  if (text === undefined) {
    text = s.user.toBase58();
    userText.set(s, text);
  }
  return text;
}

export class Authenticator {
  constructor(private readonly d: AuthDeps) {}

  private get log() {
    return this.d.log;
  }

  async authenticate(req: AuthRequest): Promise<Admission> {
    const { config, cache, store, node, metrics } = this.d;
    const fail: Fail = (status, code, message, details) => {
      metrics.auth.inc({ result: code });
      throw new HttpError(status, code, message, details);
    };
    const wallNow = Math.floor(Date.now() / 1000);
    const window = config.auth.timestampWindowSeconds;
    if (Math.abs(wallNow - req.timestamp) > window) {
      fail(401, 'stale_timestamp', `timestamp ${req.timestamp} is more than ${window} s away from the node's clock (${wallNow})`, { now: wallNow });
    }
    if (req.clientWgPubkey === node.serverPublicKey) {
      fail(400, 'invalid_request', "clientWgPubkey is this node's own WireGuard key; generate your own (`wg genkey | wg pubkey`)", [
        { path: 'clientWgPubkey', message: "is the node's own key" },
      ]);
    }

    // The signature first, against the user the request names: a request that
    // is not signed by the wallet it claims costs no chain read.
    const message = authMessage({ sessionPda: req.sessionPda, clientWgPubkey: req.clientWgPubkey, timestamp: req.timestamp });
    if (!verifyAuthSignatureNode(message, req.signature, req.user)) {
      fail(401, 'bad_signature', `the signature is not ${req.user}'s signature over the auth message`, { message });
    }

    let lookup: SessionLookup;
    let now: bigint;
    try {
      // Re-sending the key the session's peer already has admits nothing new: the cache (the
      // poll refreshes it) is enough. Any other key is a new admission and is checked against
      // the chain as it is now, so a session closed on chain gets no new peer.
      const live = store.sessions.get(req.sessionPda)?.peer?.publicKey === req.clientWgPubkey;
      const readStarted = performance.now();
      const entry = await cache.get(req.sessionPda, { reread: !live });
      metrics.authStage.observe({ stage: 'session_read' }, (performance.now() - readStarted) / 1000);
      lookup = entry.lookup;
      now = cache.chainNow(entry);
    } catch (err) {
      this.log.warn({ err }, 'chain read failed during auth');
      return fail(503, 'chain_unavailable', 'cannot read the session from the chain right now; retry');
    }
    if (lookup.kind === 'missing') fail(404, 'session_not_found', `no session account at ${req.sessionPda}`);
    if (lookup.kind === 'foreign') fail(400, 'not_a_session', `${req.sessionPda} is not a dvpn session`);
    const s = (lookup as { account: SessionAccount }).account;
    if (userOf(s) !== req.user) {
      fail(401, 'bad_signature', `the session's user is ${userOf(s)}, not ${req.user}`, { message });
    }
    if (!s.node.equals(node.address)) {
      fail(403, 'wrong_node', `the session is for node ${s.node.toBase58()}, this is ${node.address.toBase58()}`);
    }
    if (s.state !== SessionState.Active) fail(409, 'session_not_active', `the session is ${stateName(s.state)}, not Active`, { state: stateName(s.state) });
    if (now >= s.endTs) fail(410, 'session_expired', `the session ended at ${s.endTs} (chain time ${now})`);
    if (s.remainingBalance === 0n) fail(402, 'session_unfunded', 'the session has no escrow left');

    // Synchronous check-and-mark: of two identical requests, exactly one gets past this line.
    const digest = createHash('sha256').update(message).digest('hex');
    if (!store.addReplay(digest, req.timestamp + window + 1)) fail(409, 'auth_replayed', 'this auth message was already used; sign a new one');

    return this.d.peers.withLock(req.sessionPda, () => this.admit(req, s, fail));
  }

  private async admit(req: AuthRequest, s: SessionAccount, fail: Fail): Promise<Admission> {
    const { store, pool, wg, node, metrics, peers } = this.d;
    const key = req.clientWgPubkey;
    const pda = req.sessionPda;
    // Count the old peer's last bytes before a key change (the only await before the checks below).
    const before = store.sessions.get(pda)?.peer;
    if (before && before.publicKey !== key) {
      const meterStarted = performance.now();
      await this.d.metering.fresh().catch((err) => this.log.warn({ err }, 'meter before key change failed'));
      metrics.authStage.observe({ stage: 'meter' }, (performance.now() - meterStarted) / 1000);
    }

    // From here to the reservation there is no await: checks and reservation are one step,
    // so of two sessions admitting one key at once, exactly one gets it.
    const nowMs = Date.now();
    let rec = store.sessions.get(pda);
    if (rec && rec.phase !== 'active') fail(409, 'session_not_active', `the session has ${rec.phase} (${rec.endReason ?? 'ended'})`);
    if (rec && rec.mode === 'usage' && rec.peerRemoved?.reason === 'unpaid' && rec.latestTick < rec.peerRemoved.tick) {
      fail(402, 'payment_required', `pay through tick ${rec.peerRemoved.tick} first (POST /session/${pda}/ticks); paid: ${rec.latestTick}`, {
        owedTick: rec.peerRemoved.tick.toString(),
        paidTick: rec.latestTick.toString(),
        // the terms the debt accrued under (a client bounds what it pays by them)
        tickIntervalSeconds: this.d.config.usage.tickIntervalSeconds,
        tickGraceSeconds: this.d.config.usage.tickGraceSeconds,
      });
    }
    const owner = peers.keyHolder(key);
    // A re-key's old key is no session's, but its removal from WireGuard is under way: taken
    // now, it would be removed right after this admission's 200.
    if ((owner !== undefined && owner !== pda) || peers.isLeaving(key)) {
      fail(409, 'key_in_use', 'this WireGuard key is in use by another session; generate a new one');
    }
    const previous = rec?.peer ?? null;
    if (!previous && peers.peerCount >= node.account.maxCapacity) {
      fail(503, 'node_full', `the node serves its maximum of ${node.account.maxCapacity} sessions`);
    }
    let address: string;
    if (previous && previous.publicKey === key) address = previous.address;
    else {
      try {
        address = pool.allocate(key, (ip) => {
          const holder = peers.addressHolder(ip);
          return holder !== undefined && holder !== pda;
        });
      } catch (err) {
        if (err instanceof PoolExhaustedError) return fail(503, 'pool_exhausted', err.message);
        throw err;
      }
    }

    rec = rec ?? newRecord(pda, s, nowMs);
    const sameKey = previous?.publicKey === key;
    if (!previous) {
      // (Re)admitted: a fresh usage window from what is paid now.
      rec.servedSince = nowMs;
      rec.baseTick = rec.latestTick;
      this.d.usage.settle(pda);
    }
    if (!sameKey) {
      // A newly added peer starts with zero counters.
      rec.meterRx = 0n;
      rec.meterTx = 0n;
    }
    rec.peer = { publicKey: key, address, addedAt: sameKey && previous ? previous.addedAt : nowMs };
    rec.peerRemoved = null;
    peers.claim(key, address, pda);
    if (previous && !sameKey) peers.releaseKey(previous.publicKey, pda);
    if (previous && previous.address !== address) peers.releaseAddress(previous.address, pda);
    store.put(rec);

    const admitted = rec;
    const undo = async (reason: string) => {
      if (admitted.peer?.publicKey !== key) return;
      admitted.peer = null;
      admitted.peerRemoved = { at: Date.now(), reason, tick: admitted.latestTick };
      peers.releaseKey(key, pda);
      peers.releaseAddress(address, pda);
      store.put(admitted);
      await store.flush().catch(() => undefined);
    };
    // The old key is no session's any more, but this admission removes it: reconciliation
    // must not take it for a stranger meanwhile. On failure it is released to reconciliation.
    const leaving = previous && !sameKey ? previous.publicKey : null;
    if (leaving) peers.markLeaving(leaving, true);
    try {
      try {
        const journalStarted = performance.now();
        await store.flush();
        metrics.authStage.observe({ stage: 'journal' }, (performance.now() - journalStarted) / 1000);
      } catch (err) {
        this.log.error({ err, session: pda }, 'cannot write the state');
        await undo('state_error');
        return fail(503, 'state_unwritable', `the node cannot write its state (${(err as NodeJS.ErrnoException).code ?? 'I/O error'}); retry later`);
      }
      try {
        const wgStarted = performance.now();
        // A re-key's removal and addition are queued in the same turn, so they go out in the
        // same batch, in that order: one UAPI write per re-key wave, not a write of the
        // removals and then another of the additions.
        const [removal, addition] = await Promise.allSettled([leaving ? wg.removePeer(leaving) : Promise.resolve(), wg.setPeer(key, address)]);
        if (removal.status === 'rejected') throw removal.reason;
        if (leaving) peers.markPeer(leaving, false);
        if (addition.status === 'rejected') throw addition.reason;
        peers.markPeer(key, true);
        metrics.authStage.observe({ stage: 'wireguard' }, (performance.now() - wgStarted) / 1000);
      } catch (err) {
        this.log.error({ err, session: pda }, 'wg set failed');
        await undo('wireguard_error');
        return fail(502, 'wireguard_error', 'the node could not add the peer; retry later');
      }
    } finally {
      if (leaving) peers.markLeaving(leaving, false);
    }
    metrics.auth.inc({ result: 'ok' });
    this.log.info({ session: pda, user: rec.user, peer: key, address, mode: rec.mode }, 'peer admitted');
    return { rec, key, address, payment: this.d.usage.payment(rec) };
  }
}
