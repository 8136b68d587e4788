// Sessions admitted by this daemon: authentication (chain checks, signature,
// replay), peers and their addresses, usage ticks, metering, and the rules
// that take a peer away (session ended on chain, expired, stopped paying).
import { createHash } from 'node:crypto';
import { PublicKey } from '@solana/web3.js';
import type { Logger } from 'pino';
import { SessionMode, SessionState, authMessage, wgQuickConfig, type AuthResult, type PaymentView, type SessionAccount, type TickAnswer, type WgClientConfig } from '@dvpn/sdk';
import { createHashWorker, hashNNode, verifyAuthSignatureNode, verifyTickNode } from '@dvpn/sdk/node';
import type { ChainClient, SessionLookup } from '../chain/client.js';
import type { SessionCache } from '../chain/session-cache.js';
import type { DaemonConfig } from '../config.js';
import { HttpError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StateStore } from '../state/store.js';
import type { SessionRecord } from '../state/types.js';
import type { AuthRequest, TickRequest } from '../validation.js';
import { AddressPool, PoolExhaustedError } from '../wireguard/pool.js';
import type { WgDriver, WgDump } from '../wireguard/wg.js';
import type { NodeState } from './node.js';

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const stateName = (s: number) => SessionState[s] ?? String(s);
/** Tick gaps up to this are checked in line (a few microseconds); longer ones on the hash worker. */
const INLINE_TICK_GAP = 64n;

export interface ManagerDeps {
  config: DaemonConfig;
  log: Logger;
  chain: ChainClient;
  cache: SessionCache;
  wg: WgDriver;
  store: StateStore;
  pool: AddressPool;
  metrics: Metrics;
  node: NodeState;
}

export function newRecord(address: string, s: SessionAccount, nowMs: number): SessionRecord {
  return {
    session: address,
    user: s.user.toBase58(),
    mode: s.mode === SessionMode.Usage ? 'usage' : 'time',
    paymentMint: s.paymentMint.equals(PublicKey.default) ? null : s.paymentMint.toBase58(),
    startTs: s.startTs,
    endTs: s.endTs,
    maxTicks: s.maxTicks,
    tickAmount: s.tickAmount,
    escrow: s.escrowAmount,
    authAt: nowMs,
    peer: null,
    peerRemoved: null,
    servedSince: null,
    baseTick: s.lastTick,
    latestTick: s.lastTick,
    latestPreimage: hex(s.lastProofHash),
    lastTickAt: null,
    bytesRx: 0n,
    bytesTx: 0n,
    meterRx: 0n,
    meterTx: 0n,
    chainTick: s.lastTick,
    lastClaimAt: null,
    claims: [],
    pending: null,
    phase: 'active',
    endReason: null,
    chunkClaimsDone: false,
    programErrors: 0,
    settledAt: null,
  };
}

/** Why a session (as read on chain) may not be served, or null when it may. */
export function endReasonOf(lookup: SessionLookup, now: bigint): string | null {
  if (lookup.kind === 'missing') return 'settled';
  if (lookup.kind === 'foreign') return 'not_a_session';
  const s = lookup.account;
  if (s.state !== SessionState.Active) return stateName(s.state).toLowerCase();
  if (now >= s.endTs) return 'expired';
  return null;
}

export class SessionManager {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Usage sessions behind on ticks: since when (wall ms). In memory: a restart grants a fresh grace. */
  private readonly behindSince = new Map<string, number>();
  /** Sessions whose metered bytes changed since they were last journaled. */
  private readonly meterDirty = new Set<string>();

  /**
   * WireGuard key -> the session holding it. A key belongs to at most one
   * session: admit() checks and sets this with no await in between.
   */
  private readonly keyOwner = new Map<string, string>();
  /**
   * Client address -> the session whose peer holds it, kept beside rec.peer at
   * every change, so that an admission does not scan every record for the
   * addresses in use (that scan was a visible share of each auth at 1,000 peers).
   */
  private readonly addressOwner = new Map<string, string>();
  /** Old keys of re-keys in progress: released, their removal not yet made. */
  private readonly leaving = new Set<string>();
  /** Keys WireGuard has: the last dump, plus peers added and minus peers removed since. */
  private present = new Set<string>();
  /**
   * Every peer add/remove this daemon makes gets the next number; a dump
   * remembers the number it was taken after, so reconciliation never "repairs"
   * a change made while the dump was being read (a re-key's old key is not a
   * stranger, a just-added key is not missing).
   */
  private peerMutation = 0;
  private readonly keyMutation = new Map<string, number>();
  private readonly dumpMutation = new WeakMap<WgDump, number>();
  /**
   * Long tick checks (up to maxTickGap SHA-256 rounds; the route is unauthenticated) run on a
   * worker thread, so wrong preimages cannot hold up the event loop that serves everyone.
   */
  private readonly hashWorker = createHashWorker();

  constructor(private readonly d: ManagerDeps) {
    this.indexKeys();
  }

  /**
   * Builds the key index from the state. Should two records hold one key
   * (a state written before keys were exclusive), the one admitted first
   * keeps it and the other loses its peer record (it may authenticate again).
   */
  private indexKeys(): void {
    const holders = [...this.d.store.sessions.values()].filter((r) => r.peer).sort((a, b) => a.peer!.addedAt - b.peer!.addedAt);
    for (const rec of holders) {
      const key = rec.peer!.publicKey;
      const owner = this.keyOwner.get(key);
      if (owner === undefined) {
        this.keyOwner.set(key, rec.session);
        this.addressOwner.set(rec.peer!.address, rec.session);
        continue;
      }
      this.log.warn({ session: rec.session, owner }, 'two sessions held one WireGuard key; the later one loses its peer');
      rec.peer = null;
      rec.servedSince = null;
      rec.peerRemoved = { at: Date.now(), reason: 'key_conflict', tick: rec.latestTick };
      this.d.store.put(rec);
    }
  }

  private releaseKey(key: string, session: string): void {
    if (this.keyOwner.get(key) === session) this.keyOwner.delete(key);
  }

  private releaseAddress(address: string, session: string): void {
    if (this.addressOwner.get(address) === session) this.addressOwner.delete(address);
  }

  /** The session holding a WireGuard key (undefined when none). */
  keyHolder(key: string): string | undefined {
    return this.keyOwner.get(key);
  }

  private get log() {
    return this.d.log;
  }

  /** Runs `fn` after every earlier task on the same session. */
  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  records(): SessionRecord[] {
    return [...this.d.store.sessions.values()];
  }

  get peerCount(): number {
    let n = 0;
    for (const r of this.d.store.sessions.values()) if (r.peer) n++;
    return n;
  }

  private addressesInUse(except?: string): Set<string> {
    const used = new Set<string>();
    for (const r of this.d.store.sessions.values()) if (r.peer && r.session !== except) used.add(r.peer.address);
    return used;
  }

  get poolFree(): number {
    return this.d.pool.size - this.addressesInUse().size;
  }

  // --- usage policy -----------------------------------------------------------

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

  // --- auth ---------------------------------------------------------------

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const { config, cache, store, node, metrics } = this.d;
    const fail = (status: number, code: string, message: string, details?: unknown): never => {
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
      const entry = await cache.get(new PublicKey(req.sessionPda), { reread: !live });
      lookup = entry.lookup;
      now = cache.chainNow(entry);
    } catch (err) {
      this.log.warn({ err }, 'chain read failed during auth');
      return fail(503, 'chain_unavailable', 'cannot read the session from the chain right now; retry');
    }
    if (lookup.kind === 'missing') fail(404, 'session_not_found', `no session account at ${req.sessionPda}`);
    if (lookup.kind === 'foreign') fail(400, 'not_a_session', `${req.sessionPda} is not a dvpn session`);
    const s = (lookup as { account: SessionAccount }).account;
    if (s.user.toBase58() !== req.user) {
      fail(401, 'bad_signature', `the session's user is ${s.user.toBase58()}, not ${req.user}`, { message });
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

    return this.withLock(req.sessionPda, () => this.admit(req, s, fail));
  }

  private async admit(
    req: AuthRequest,
    s: SessionAccount,
    fail: (status: number, code: string, message: string, details?: unknown) => never,
  ): Promise<AuthResult> {
    const { config, store, pool, wg, node, metrics } = this.d;
    const key = req.clientWgPubkey;
    const pda = req.sessionPda;
    // Count the old peer's last bytes before a key change (the only await before the checks below).
    const before = store.sessions.get(pda)?.peer;
    if (before && before.publicKey !== key) await this.meterFresh().catch((err) => this.log.warn({ err }, 'meter before key change failed'));

    // From here to the reservation there is no await: checks and reservation are one step,
    // so of two sessions admitting one key at once, exactly one gets it.
    const nowMs = Date.now();
    let rec = store.sessions.get(pda);
    if (rec && rec.phase !== 'active') fail(409, 'session_not_active', `the session has ${rec.phase} (${rec.endReason ?? 'ended'})`);
    if (rec && rec.mode === 'usage' && rec.peerRemoved?.reason === 'unpaid' && rec.latestTick < rec.peerRemoved.tick) {
      fail(402, 'payment_required', `pay through tick ${rec.peerRemoved.tick} first (POST /session/${pda}/ticks); paid: ${rec.latestTick}`, {
        owedTick: rec.peerRemoved.tick.toString(),
        paidTick: rec.latestTick.toString(),
      });
    }
    const owner = this.keyOwner.get(key);
    if (owner !== undefined && owner !== pda) fail(409, 'key_in_use', 'this WireGuard key is in use by another session; generate a new one');
    const previous = rec?.peer ?? null;
    if (!previous && this.peerCount >= node.account.maxCapacity) {
      fail(503, 'node_full', `the node serves its maximum of ${node.account.maxCapacity} sessions`);
    }
    let address: string;
    if (previous && previous.publicKey === key) address = previous.address;
    else {
      try {
        address = pool.allocate(key, (ip) => {
          const holder = this.addressOwner.get(ip);
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
      this.behindSince.delete(pda);
    }
    if (!sameKey) {
      // A newly added peer starts with zero counters.
      rec.meterRx = 0n;
      rec.meterTx = 0n;
    }
    rec.peer = { publicKey: key, address, addedAt: sameKey && previous ? previous.addedAt : nowMs };
    rec.peerRemoved = null;
    this.keyOwner.set(key, pda);
    if (previous && !sameKey) this.releaseKey(previous.publicKey, pda);
    if (previous && previous.address !== address) this.releaseAddress(previous.address, pda);
    this.addressOwner.set(address, pda);
    store.put(rec);

    const undo = async (reason: string) => {
      if (rec.peer?.publicKey !== key) return;
      rec.peer = null;
      rec.peerRemoved = { at: Date.now(), reason, tick: rec.latestTick };
      this.releaseKey(key, pda);
      this.releaseAddress(address, pda);
      store.put(rec);
      await store.flush().catch(() => undefined);
    };
    // The old key is no session's any more, but this admission removes it: reconciliation
    // must not take it for a stranger meanwhile. On failure it is released to reconciliation.
    const leaving = previous && !sameKey ? previous.publicKey : null;
    if (leaving) this.leaving.add(leaving);
    try {
      try {
        await store.flush();
      } catch (err) {
        this.log.error({ err, session: pda }, 'cannot write the state');
        await undo('state_error');
        return fail(503, 'state_unwritable', `the node cannot write its state (${(err as NodeJS.ErrnoException).code ?? 'I/O error'}); retry later`);
      }
      try {
        if (leaving) await wg.removePeer(leaving);
        if (leaving) this.markPeer(leaving, false);
        await wg.setPeer(key, address);
        this.markPeer(key, true);
      } catch (err) {
        this.log.error({ err, session: pda }, 'wg set failed');
        await undo('wireguard_error');
        return fail(502, 'wireguard_error', 'the node could not add the peer; retry later');
      }
    } finally {
      if (leaving) this.leaving.delete(leaving);
    }
    metrics.auth.inc({ result: 'ok' });
    this.log.info({ session: pda, user: rec.user, peer: key, address, mode: rec.mode }, 'peer admitted');

    const wireguard: WgClientConfig = {
      interface: { address: `${address}/32`, dns: config.wireguard.dns, ...(config.wireguard.mtu ? { mtu: config.wireguard.mtu } : {}) },
      peer: {
        publicKey: node.serverPublicKey,
        endpoint: node.endpoint,
        allowedIps: config.wireguard.clientAllowedIps,
        persistentKeepalive: config.wireguard.persistentKeepalive,
      },
    };
    return {
      session: pda,
      mode: rec.mode,
      clientPublicKey: key,
      expiresAt: rec.endTs.toString(),
      wireguard,
      config: wgQuickConfig(wireguard),
      payment: this.payment(rec),
      probe: node.probeUrl,
    };
  }

  // --- ticks --------------------------------------------------------------

  async tick(pda: string, req: TickRequest): Promise<TickAnswer> {
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
          await this.d.store.flush();
          metrics.ticks.inc({ result: 'duplicate' });
          return this.tickView(rec);
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
    rec.latestTick = tick;
    rec.latestPreimage = hex(req.preimage);
    rec.lastTickAt = Date.now();
    if (rec.latestTick >= this.owedTick(rec)) this.behindSince.delete(pda);
    this.d.store.put(rec);
    await this.d.store.flush();
    metrics.ticks.inc({ result: 'ok' });
    metrics.ticksAccepted.inc({}, Number(paid));
    return this.tickView(rec);
  }

  /** Stops the hash worker. */
  async close(): Promise<void> {
    await this.hashWorker.close();
  }

  private tickView(rec: SessionRecord): TickAnswer {
    return {
      session: rec.session,
      paidTick: rec.latestTick.toString(),
      owedTick: this.owedTick(rec).toString(),
      claimedTick: rec.chainTick.toString(),
      peerActive: rec.peer !== null,
      phase: rec.phase,
    };
  }

  /** w_tick for a tick at or below the latest paid one (derived from the latest preimage). */
  preimageFor(rec: SessionRecord, tick: bigint): Uint8Array {
    if (!rec.latestPreimage || tick > rec.latestTick) throw new Error(`no preimage for tick ${tick}`);
    return hashNNode(unhex(rec.latestPreimage), rec.latestTick - tick);
  }

  // --- metering -----------------------------------------------------------

  /** Folds `wg show dump` counters into the session totals. */
  applyDump(dump: WgDump): void {
    const byKey = new Map(dump.peers.map((p) => [p.publicKey, p]));
    for (const rec of this.d.store.sessions.values()) {
      if (!rec.peer) continue;
      const p = byKey.get(rec.peer.publicKey);
      if (!p) continue;
      const drx = p.rxBytes >= rec.meterRx ? p.rxBytes - rec.meterRx : p.rxBytes; // counters reset: count from zero
      const dtx = p.txBytes >= rec.meterTx ? p.txBytes - rec.meterTx : p.txBytes;
      if (drx === 0n && dtx === 0n && p.rxBytes === rec.meterRx && p.txBytes === rec.meterTx) continue;
      rec.bytesRx += drx;
      rec.bytesTx += dtx;
      rec.meterRx = p.rxBytes;
      rec.meterTx = p.txBytes;
      // Totals and baselines move together, so a record written later (or never, before a
      // crash) still counts every byte from the WireGuard counters: no need to journal each poll.
      this.meterDirty.add(rec.session);
    }
  }

  /** Journals the records whose byte counters changed since the last call. */
  persistMeter(): void {
    for (const session of this.meterDirty) {
      const rec = this.d.store.sessions.get(session);
      if (rec) this.d.store.put(rec);
    }
    this.meterDirty.clear();
  }

  /** Records a peer change this daemon made (see peerMutation). */
  private markPeer(key: string, present: boolean): void {
    this.keyMutation.set(key, ++this.peerMutation);
    if (present) this.present.add(key);
    else this.present.delete(key);
  }

  /** WireGuard's peers, remembering which of our own changes the dump may predate. */
  async readDump(): Promise<WgDump> {
    const before = this.peerMutation;
    const dump = await this.d.wg.dump();
    this.dumpMutation.set(dump, before);
    return dump;
  }

  private meterRun: Promise<WgDump> | null = null;
  private meterNext: Promise<WgDump> | null = null;

  /**
   * A metering dump begun after this call, shared by every caller that asks
   * while one is being read: a burst of re-keys costs two dumps, not one
   * `wg show dump` of every peer per re-key.
   */
  meterFresh(): Promise<WgDump> {
    if (!this.meterRun) {
      this.meterRun = this.meterOnce().finally(() => {
        this.meterRun = null;
      });
      return this.meterRun;
    }
    this.meterNext ??= this.meterRun
      .catch(() => undefined)
      .then(() => {
        this.meterNext = null;
        return this.meterFresh();
      });
    return this.meterNext;
  }

  async meterOnce(): Promise<WgDump> {
    const started = process.hrtime.bigint();
    const dump = await this.readDump();
    this.applyDump(dump);
    this.d.metrics.meterDuration.observe({}, Number(process.hrtime.bigint() - started) / 1e9);
    return dump;
  }

  // --- lifecycle ----------------------------------------------------------

  /** Removes the session's peer — only if it is still `expectKey` (a re-auth meanwhile wins). */
  async removePeer(rec: SessionRecord, reason: string, owed?: bigint, expectKey = rec.peer?.publicKey): Promise<void> {
    return this.withLock(rec.session, async () => {
      if (!rec.peer || rec.peer.publicKey !== expectKey) return;
      const peer = rec.peer;
      try {
        await this.d.wg.removePeer(peer.publicKey);
        this.markPeer(peer.publicKey, false);
      } catch (err) {
        this.log.error({ err, session: rec.session }, 'wg peer removal failed; will retry');
        throw err;
      }
      rec.peer = null;
      this.releaseKey(peer.publicKey, rec.session);
      this.releaseAddress(peer.address, rec.session);
      rec.servedSince = null;
      rec.peerRemoved = { at: Date.now(), reason, tick: owed ?? rec.latestTick };
      this.behindSince.delete(rec.session);
      this.d.store.put(rec);
      await this.d.store.flush();
      this.d.metrics.peerRemovals.inc({ reason });
      this.log.info({ session: rec.session, peer: peer.publicKey, reason }, 'peer removed');
    });
  }

  /**
   * Applies what the chain says about a session: ends it (and removes its
   * peer) when it is no longer Active or has expired; marks it settled when
   * its account is gone.
   */
  async applyChain(rec: SessionRecord, lookup: SessionLookup, now: bigint): Promise<void> {
    const reason = endReasonOf(lookup, now);
    if (lookup.kind === 'session' && lookup.account.lastTick > rec.chainTick) {
      rec.chainTick = lookup.account.lastTick;
      this.d.store.put(rec);
    }
    if (!reason) return;
    if (rec.peer) await this.removePeer(rec, reason);
    if (rec.phase === 'active') {
      rec.phase = 'ended';
      rec.endReason = reason;
      this.d.store.put(rec);
      this.log.info({ session: rec.session, reason }, 'session ended');
    }
    if (lookup.kind === 'missing' && rec.phase !== 'settled' && !rec.pending) {
      rec.phase = 'settled';
      rec.settledAt = Date.now();
      this.d.store.put(rec);
      this.log.info({ session: rec.session }, 'session settled (account closed)');
    }
  }

  /** Usage sessions: a peer behind on ticks for longer than the grace is removed. */
  async enforcePayment(rec: SessionRecord, nowMs = Date.now()): Promise<void> {
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
      this.log.info({ session: rec.session, paid: rec.latestTick.toString(), owed: owed.toString() }, 'usage session stopped paying');
      await this.removePeer(rec, 'unpaid', owed);
    }
  }

  /**
   * Puts WireGuard in line with the records (at start and after every metering
   * dump): peers of live sessions that WireGuard lacks are added back; pool
   * peers no session holds are removed (when configured). Each session is
   * fixed under its lock, so an auth or a removal in progress is never undone.
   * Returns how many missing peers could not be restored (WireGuard and the records disagree).
   */
  async reconcile(dump: WgDump): Promise<number> {
    let unrestored = 0;
    const since = this.dumpMutation.get(dump) ?? this.peerMutation;
    /** True when this daemon added or removed the key after the dump began: the dump is stale for it. */
    const changedSince = (key: string) => (this.keyMutation.get(key) ?? 0) > since;
    const present = new Set(dump.peers.map((p) => p.publicKey).filter((k) => !changedSince(k)));
    for (const [key, m] of this.keyMutation) {
      if (m <= since) this.keyMutation.delete(key); // reflected in this dump
      else if (this.present.has(key)) present.add(key);
    }
    this.present = present;
    for (const rec of this.d.store.sessions.values()) {
      if (!rec.peer || present.has(rec.peer.publicKey)) continue;
      await this.withLock(rec.session, async () => {
        const peer = rec.peer;
        if (!peer || this.present.has(peer.publicKey) || changedSince(peer.publicKey)) return;
        try {
          await this.d.wg.setPeer(peer.publicKey, peer.address);
          this.markPeer(peer.publicKey, true);
          rec.meterRx = 0n;
          rec.meterTx = 0n;
          this.d.store.put(rec);
          this.d.metrics.peerRepairs.inc({ action: 'restored' });
          this.log.warn({ session: rec.session, peer: peer.publicKey }, 'peer was missing from WireGuard; restored');
        } catch (err) {
          unrestored++;
          this.log.error({ err, session: rec.session }, 'could not restore peer');
        }
      });
    }
    if (this.d.config.wireguard.removeUnknownPeers) {
      for (const p of dump.peers) {
        if (this.keyOwner.has(p.publicKey) || this.leaving.has(p.publicKey) || changedSince(p.publicKey)) continue;
        const inPool = p.allowedIps.length > 0 && p.allowedIps.every((a) => this.d.pool.contains(a.split('/')[0]));
        if (!inPool) continue;
        try {
          await this.d.wg.removePeer(p.publicKey);
          this.markPeer(p.publicKey, false);
          this.d.metrics.peerRepairs.inc({ action: 'removed_stranger' });
          this.log.warn({ peer: p.publicKey }, 'removed a pool peer that no session holds');
        } catch (err) {
          this.log.error({ err, peer: p.publicKey }, 'could not remove an unknown peer');
        }
      }
    }
    await this.d.store.flush();
    return unrestored;
  }

  /** Peers of this daemon's sessions that WireGuard has (as of the last dump and the changes since). */
  get presentPeerCount(): number {
    let n = 0;
    for (const rec of this.d.store.sessions.values()) if (rec.peer && this.present.has(rec.peer.publicKey)) n++;
    return n;
  }

  /** The daemon's view of a session, for GET /session/:pda. */
  view(rec: SessionRecord) {
    return {
      session: rec.session,
      user: rec.user,
      mode: rec.mode,
      paymentMint: rec.paymentMint,
      phase: rec.phase,
      endReason: rec.endReason,
      startTs: rec.startTs.toString(),
      endTs: rec.endTs.toString(),
      // What WireGuard has: a recorded peer missing from it (not restored yet) is shown apart.
      peer: rec.peer && this.present.has(rec.peer.publicKey) ? { publicKey: rec.peer.publicKey, address: rec.peer.address, addedAt: new Date(rec.peer.addedAt).toISOString() } : null,
      peerMissing: rec.peer && !this.present.has(rec.peer.publicKey) ? { publicKey: rec.peer.publicKey, address: rec.peer.address } : null,
      peerRemoved: rec.peerRemoved
        ? { at: new Date(rec.peerRemoved.at).toISOString(), reason: rec.peerRemoved.reason, tick: rec.peerRemoved.tick.toString() }
        : null,
      bytes: { rx: rec.bytesRx.toString(), tx: rec.bytesTx.toString(), total: (rec.bytesRx + rec.bytesTx).toString() },
      payment: this.payment(rec),
      lastTickAt: rec.lastTickAt ? new Date(rec.lastTickAt).toISOString() : null,
      claims: rec.claims.map((c) => ({
        kind: c.kind,
        tick: c.tick?.toString() ?? null,
        signature: c.signature,
        at: new Date(c.at).toISOString(),
        amount: c.amount?.toString() ?? null,
        providerAmount: c.providerAmount?.toString() ?? null,
        fee: c.fee?.toString() ?? null,
        refund: c.refund?.toString() ?? null,
        via: c.via,
      })),
      pendingClaim: rec.pending
        ? {
            kind: rec.pending.kind,
            tick: rec.pending.tick?.toString() ?? null,
            signature: rec.pending.signature,
            attempts: rec.pending.attempts,
            lastError: rec.pending.lastError,
            nextAttemptAt: new Date(rec.pending.nextAttemptAt).toISOString(),
          }
        : null,
      chunkClaimsDone: rec.chunkClaimsDone,
    };
  }
}
