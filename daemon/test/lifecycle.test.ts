// Lifecycle and claim chain of an in-process daemon on the embedded chain
// (WireGuard in memory): usage claims with exact amounts and metered bytes,
// a crash between sending a claim and recording it (no double claim, nothing
// lost), a stale claim recognised and not retried, peers cut for not paying,
// capacity and pool limits, and a time session from first claim to payout.
import { PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionState, ix, parseEvents, protocolFee, timeEarned, type SessionAccount } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import {
  claimChunkIx,
  closeSessionIx,
  createProviderWithNode,
  initConfig,
  mustFetchSession,
  openTimeSession,
  openUsageSession,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http } from './helpers/http.js';
import { authBody, startInProcess, waitFor, type InProc } from './helpers/inproc.js';

let chain: Chain;
let cfg: ConfigCtx;
let nodeCtx: NodeCtx;
let d: InProc;

const OVERRIDES = {
  usage: { tickIntervalSeconds: 2, tickGraceSeconds: 2 },
  claims: { intervalSeconds: 1 },
};

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
  nodeCtx = await createProviderWithNode(chain, { maxCapacity: 8, endpoint: '192.0.2.1:51820' });
  d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES });
}, 60_000);

afterAll(async () => {
  await d?.close();
  chain?.close();
});

/** Polls the daemon (as its timer would) until `cond` holds; claims run in the background between polls. */
const pollUntil = <T>(cond: () => T, what: string) =>
  waitFor(
    async () => {
      await d.daemon.ctx.lifecycle.pollOnce();
      return cond();
    },
    what,
    30_000,
    200,
  );
const rec = (s: SessionCtx) => d.daemon.ctx.store.sessions.get(s.session.toBase58())!;
const pay = (s: SessionCtx, tick: number) =>
  http(d.target, 'POST', `/session/${s.session.toBase58()}/ticks`, { tick, preimage: Buffer.from(s.hashChain!.preimage(tick)).toString('hex') });

/** ChunkClaimed / PayoutClaimed events of a session, oldest first (a batched transaction also carries other sessions' claims). */
async function claimEvents(session: PublicKey) {
  const sigs = await chain.connection.getSignaturesForAddress(session, undefined, 'confirmed');
  const events = [];
  for (const s of sigs.reverse()) {
    const tx = await waitFor(
      () => chain.connection.getTransaction(s.signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 }),
      `transaction ${s.signature}`,
    );
    if (!tx.meta || tx.meta.err) continue;
    for (const e of parseEvents(tx.meta.logMessages ?? [])) {
      if ((e.name === 'ChunkClaimed' || e.name === 'PayoutClaimed') && e.data.session.equals(session)) events.push({ signature: s.signature, ...e });
    }
  }
  return events;
}

describe('usage sessions', () => {
  let s: SessionCtx;
  let key: string;

  it('claims the latest verified tick with exact amounts and metered bytes', async () => {
    s = await openUsageSession(chain, nodeCtx, { maxTicks: 100, tickAmount: 10_000n, durationMinutes: 30 });
    key = generateWgKeypair().publicKey;
    expect((await http(d.target, 'POST', '/session/auth', authBody(s.session, s.user, key))).status).toBe(200);
    for (const t of [1, 2, 5]) expect((await pay(s, t)).status).toBe(200);
    d.wg.traffic(key, 1000n, 2000n);
    await new Promise((r) => setTimeout(r, 1100)); // the claim interval
    await pollUntil(() => rec(s).chainTick === 5n && !rec(s).pending, 'claim of tick 5');
    const acc = await mustFetchSession(chain, s.session);
    expect(acc.lastTick).toBe(5n);
    expect(acc.claimedAmount).toBe(50_000n);
    expect(acc.feeAmount).toBe(protocolFee(50_000n, cfg.protocolFeeBps));
    expect(acc.bytesUsed).toBe(3000n);
    const c = rec(s).claims;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ kind: 'chunk', tick: 5n, amount: 50_000n, via: 'tx' });
    expect(c[0].providerAmount! + c[0].fee!).toBe(50_000n);
    expect(rec(s).bytesRx).toBe(1000n);
    expect(rec(s).bytesTx).toBe(2000n);
    const m = await http(d.target, 'GET', '/metrics');
    expect(m.text).toMatch(/dvpn_claims_total\{kind="chunk",result="ok"\} 1/);
    expect(m.text).toMatch(/dvpn_metered_bytes\{direction="rx"\} 1000/);
  });

  it('survives a crash between sending a claim and recording it: recorded once, never sent twice', async () => {
    for (const t of [6, 7, 8]) expect((await pay(s, t)).status).toBe(200);
    const usedAuth = authBody(s.session, s.user, generateWgKeypair().publicKey);
    expect((await http(d.target, 'POST', '/session/auth', usedAuth)).status).toBe(200);
    // The process "dies" after the claim is signed, persisted and sent, before its confirmation is seen.
    const client = d.daemon.ctx.chain as unknown as { confirm: () => Promise<never> };
    client.confirm = () => new Promise<never>(() => undefined);
    await new Promise((r) => setTimeout(r, 1100));
    const pending = await pollUntil(() => rec(s).pending?.signature, 'claim sent');
    await waitFor(async () => (await mustFetchSession(chain, s.session)).lastTick === 8n, 'claim landed on chain');
    const dir = d.dir;
    await d.daemon.destroy();

    d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES, dir, wg: d.wg });
    // Ticks and peers came back; the pending claim is resolved from its signature, not sent again.
    expect(rec(s).latestTick).toBe(8n);
    await pollUntil(() => rec(s).pending === null && rec(s).chainTick === 8n, 'pending claim resolved');
    const claims = rec(s).claims;
    expect(claims.map((c) => [c.tick, c.via])).toEqual([
      [5n, 'tx'],
      [8n, 'tx'],
    ]);
    expect(claims[1].signature).toBe(pending);
    const events = await claimEvents(s.session);
    expect(events.map((e) => (e.data as { tick: bigint }).tick)).toEqual([5n, 8n]);
    expect((await mustFetchSession(chain, s.session)).claimedAmount).toBe(80_000n);
    // The replay store survived too.
    const replay = await http(d.target, 'POST', '/session/auth', usedAuth);
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('auth_replayed');
  });

  it('recognises a stale claim (StaleClaim) and does not retry it', async () => {
    for (const t of [9, 10]) expect((await pay(s, t)).status).toBe(200);
    // The provider claims by hand meanwhile.
    await chain.send(claimChunkIx(chain, s, cfg.treasury.publicKey, 10, { bytesUsed: 3000n }), [nodeCtx.owner.authority]);
    // The daemon acts on a stale read of the session (last_tick 8).
    const { now, session } = await d.daemon.ctx.chain.readSession(s.session);
    const stale = { kind: 'session' as const, account: { ...(session as { account: SessionAccount }).account, lastTick: 8n } };
    rec(s).lastClaimAt = 0;
    d.daemon.ctx.claimer.schedule(rec(s), stale, now);
    await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'claim attempt');
    const metrics = () => http(d.target, 'GET', '/metrics').then((r) => r.text);
    expect(await metrics()).toMatch(/dvpn_claims_total\{kind="chunk",result="StaleClaim"\} 1/);
    expect(rec(s).pending).toBeNull();
    expect(rec(s).chainTick).toBe(10n);
    for (let i = 0; i < 3; i++) {
      await d.daemon.ctx.lifecycle.pollOnce();
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'idle');
    }
    expect(await metrics()).toMatch(/dvpn_claims_total\{kind="chunk",result="StaleClaim"\} 1/);
    expect(rec(s).claims).toHaveLength(2);
  });

  it('removes the peer of a session that stops paying, and readmits it once it pays what it owed', async () => {
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 50, tickAmount: 1_000n, durationMinutes: 30 });
    const k = generateWgKeypair().publicKey;
    expect((await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user, k))).status).toBe(200);
    expect(d.wg.peers.has(k)).toBe(true);
    await pollUntil(() => rec(u).peer === null, 'unpaid removal');
    expect(d.wg.peers.has(k)).toBe(false);
    expect(rec(u).peerRemoved?.reason).toBe('unpaid');
    const owed = Number(rec(u).peerRemoved!.tick);
    expect(owed).toBeGreaterThanOrEqual(1);
    const refused = await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user, k));
    expect(refused.status).toBe(402);
    expect(refused.json.error.code).toBe('payment_required');
    expect(d.wg.peers.has(k)).toBe(false);
    // Ticks are still accepted from an admitted session; pay the debt, then come back.
    expect((await pay(u, owed)).status).toBe(200);
    const back = await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user, k, Math.floor(Date.now() / 1000) - 2));
    expect(back.status, back.text).toBe(200);
    expect(d.wg.peers.has(k)).toBe(true);
  });
});

describe('capacity and address pool', () => {
  it('enforces node capacity and pool exhaustion with clear errors, addresses deterministic per key', async () => {
    const node2 = await createProviderWithNode(chain, { maxCapacity: 8 });
    const small = await startInProcess(chain, node2, { overrides: { wireguard: { pool: '10.88.0.0/30' } } });
    try {
      const a = await openTimeSession(chain, node2, 10);
      const b = await openTimeSession(chain, node2, 10);
      const ka = generateWgKeypair().publicKey;
      // Two distinct signed messages (timestamps fixed apart: a second ticking over must not make them equal).
      const t0 = Math.floor(Date.now() / 1000);
      const first = await http(small.target, 'POST', '/session/auth', authBody(a.session, a.user, ka, t0 - 2));
      expect(first.status).toBe(200);
      expect(first.json.wireguard.interface.address).toBe('10.88.0.2/32');
      // Same key again: same address.
      const again = await http(small.target, 'POST', '/session/auth', authBody(a.session, a.user, ka, t0 - 1));
      expect(again.status, again.text).toBe(200);
      expect(again.json.wireguard.interface.address).toBe('10.88.0.2/32');
      const calls = small.wg.calls.length;
      small.daemon.ctx.node.account.maxCapacity = 1;
      const full = await http(small.target, 'POST', '/session/auth', authBody(b.session, b.user));
      expect(full.status).toBe(503);
      expect(full.json.error.code).toBe('node_full');
      small.daemon.ctx.node.account.maxCapacity = 8;
      const exhausted = await http(small.target, 'POST', '/session/auth', authBody(b.session, b.user));
      expect(exhausted.status).toBe(503);
      expect(exhausted.json.error.code).toBe('pool_exhausted');
      expect(exhausted.json.error.message).toMatch(/pool exhausted/);
      expect(small.wg.calls.length).toBe(calls);
      expect(small.wg.peers.size).toBe(1);
    } finally {
      await small.close();
    }
  });
});

describe('time sessions', () => {
  it('claims elapsed time, ends at expiry (peer removed), claims the rest and settles after the window', async () => {
    const s = await openTimeSession(chain, nodeCtx, 2); // 2 minutes at 0.001 SOL/min
    const escrow = 2n * nodeCtx.pricePerMinute;
    const k = generateWgKeypair().publicKey;
    expect((await http(d.target, 'POST', '/session/auth', authBody(s.session, s.user, k))).status).toBe(200);
    await chain.warpSeconds(30);
    await new Promise((r) => setTimeout(r, 1100));
    await pollUntil(() => rec(s).chainTick > 0n && !rec(s).pending, 'first time claim');
    let acc = await mustFetchSession(chain, s.session);
    expect(acc.lastTick).toBeGreaterThanOrEqual(30n);
    expect(acc.claimedAmount).toBe(timeEarned(escrow, 120n, acc.lastTick));
    expect(d.wg.peers.has(k)).toBe(true);

    await chain.warpSeconds(100); // past end_ts
    await pollUntil(() => !d.wg.peers.has(k), 'expired peer removed');
    expect(rec(s).peerRemoved?.reason).toBe('expired');
    expect(rec(s).phase).toBe('ended');
    await pollUntil(() => rec(s).chainTick === 120n && !rec(s).pending, 'final time claim');
    acc = await mustFetchSession(chain, s.session);
    expect(acc.claimedAmount).toBe(escrow);
    expect(acc.state).toBe(SessionState.Active);

    await chain.warpSeconds(Number(cfg.settleWindowSeconds) + 1);
    await pollUntil(() => rec(s).phase === 'settled', 'payout');
    expect(await chain.connection.getAccountInfo(s.session)).toBeNull();
    const payout = rec(s).claims.find((c) => c.kind === 'payout')!;
    expect(payout).toMatchObject({ kind: 'payout', refund: 0n, amount: 0n, via: 'tx' });
    const events = await claimEvents(s.session);
    const chunks = events.filter((e) => e.name === 'ChunkClaimed').map((e) => e.data as { amount: bigint });
    expect(chunks.reduce((sum, e) => sum + e.amount, 0n)).toBe(escrow);
    expect(events.filter((e) => e.name === 'PayoutClaimed')).toHaveLength(1);
  });
});

describe('late claims', () => {
  it('recognises a claim refused as too late (ClaimWindowClosed), stops chunk claims and still settles', async () => {
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 10, tickAmount: 1_000n, durationMinutes: 30 });
    expect((await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
    expect((await pay(u, 3)).status).toBe(200);
    await chain.send(closeSessionIx(chain, u, cfg.treasury.publicKey), [u.user]);
    const closedAt = (await mustFetchSession(chain, u.session)).closedAt;
    await chain.warpSeconds(Number(cfg.settleWindowSeconds) + 1);
    // The daemon acts on a stale clock reading that is still inside the window.
    const { session } = await d.daemon.ctx.chain.readSession(u.session);
    d.daemon.ctx.claimer.schedule(rec(u), session, closedAt + 1n);
    await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'late claim');
    const metrics = (await http(d.target, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/dvpn_claims_total\{kind="chunk",result="ClaimWindowClosed"\} 1/);
    expect(rec(u).chunkClaimsDone).toBe(true);
    expect(rec(u).pending).toBeNull();
    await pollUntil(() => rec(u).phase === 'settled', 'payout');
    expect(rec(u).claims.map((c) => c.kind)).toEqual(['payout']);
    expect(rec(u).claims[0].refund).toBe(10_000n);
    expect((await http(d.target, 'GET', '/metrics')).text).toMatch(/dvpn_claims_total\{kind="chunk",result="ClaimWindowClosed"\} 1/);
  });
});

describe('undeliverable claims and disputes', () => {
  it('does not resend a SOL claim the program refuses as below rent (RecipientNotRentExempt); claims once the wallet is funded', async () => {
    const authority = nodeCtx.owner.authority.publicKey;
    const funded = await chain.lamports(authority);
    const v = await openUsageSession(chain, nodeCtx, { maxTicks: 20, tickAmount: 1_000n, durationMinutes: 30 });
    expect((await http(d.target, 'POST', '/session/auth', authBody(v.session, v.user))).status).toBe(200);
    // A nearly empty provider wallet (enough for fees, far below rent exemption): 3 000 lamports cannot make it rent exempt.
    chain.setLamports(authority, 100_000);
    expect((await pay(v, 3)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // the claim interval
    const metrics = () => http(d.target, 'GET', '/metrics').then((r) => r.text);
    const refused = /dvpn_claims_total\{kind="chunk",result="RecipientNotRentExempt"\} 1\n/;
    await pollUntil(async () => refused.test(await metrics()), 'claim refused below rent');
    expect(rec(v).pending).toBeNull();
    expect(rec(v).chunkClaimsDone).toBe(false);
    // Not resent while nothing changed.
    for (let i = 0; i < 4; i++) {
      await d.daemon.ctx.lifecycle.pollOnce();
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'idle');
    }
    expect(await metrics()).toMatch(refused);
    expect((await mustFetchSession(chain, v.session)).lastTick).toBe(0n);
    // Funded: the same ticks are claimed, once.
    chain.setLamports(authority, funded);
    await pollUntil(() => rec(v).chainTick === 3n && !rec(v).pending, 'claim after funding');
    expect((await mustFetchSession(chain, v.session)).claimedAmount).toBe(3_000n);
    expect(await metrics()).toMatch(refused);
  });

  it('removes the peer of a disputed session at once, still claims its revealed ticks, and settles it after the dispute window', async () => {
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 20, tickAmount: 1_000n, durationMinutes: 30 });
    const k = generateWgKeypair().publicKey;
    expect((await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user, k))).status).toBe(200);
    expect((await pay(u, 4)).status).toBe(200);
    expect(d.wg.peers.has(k)).toBe(true);
    await chain.send(
      ix.raiseDispute({ signer: u.user.publicKey, provider: nodeCtx.owner.provider, node: nodeCtx.node, session: u.session, reason: 1 }),
      [u.user],
    );
    // Disputed is not Active: no more service.
    await pollUntil(() => rec(u).peer === null, 'peer removed at the dispute');
    expect(d.wg.peers.has(k)).toBe(false);
    expect(rec(u).peerRemoved?.reason).toBe('disputed');
    expect(rec(u).endReason).toBe('disputed');
    const refused = await http(d.target, 'POST', '/session/auth', authBody(u.session, u.user, k));
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('session_not_active');
    // The ticks the user revealed are still the provider's: claimed on the disputed session.
    await pollUntil(() => rec(u).chainTick === 4n && !rec(u).pending, 'claim on the disputed session');
    const acc = await mustFetchSession(chain, u.session);
    expect(acc.state).toBe(SessionState.Disputed);
    expect(acc.lastTick).toBe(4n);
    expect(acc.claimedAmount).toBe(4_000n);
    // Nobody resolves it: after the dispute window the daemon settles it by the default rule.
    await chain.setTime(acc.disputeTs + acc.disputeWindowSeconds + 1n);
    await pollUntil(() => rec(u).phase === 'settled', 'default settlement');
    const payout = rec(u).claims.find((c) => c.kind === 'payout')!;
    expect(payout.refund).toBe(20_000n - 4_000n);
    expect(await chain.connection.getAccountInfo(u.session)).toBeNull();
  });
});
