// Every event type of the program lands in the right tables with exact values,
// and the tables match the on-chain accounts afterwards. Real embedded chain,
// real Postgres, the indexer in this process on logsSubscribe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConfigPda, findStakeVaultPda } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { SOL, eventOf } from '../../tests/harness/fixtures.js';
import { createBus, type FeedEvent, type NodeCapacityChange, type SessionChange } from '../src/bus.js';
import { sqlChangeStore } from '../src/feed.js';
import { createIndexer, type Indexer } from '../src/indexer.js';
import { runScenario, type Scenario } from './scenario.js';
import {
  chainEvents,
  countEvents,
  dbEvents,
  diffWithChain,
  eventKey,
  indexerConfig,
  startDatabase,
  waitFor,
  type TestDatabase,
} from './helpers.js';

let chain: Chain;
let db: TestDatabase;
let indexer: Indexer;
let sc: Scenario;
const bus = createBus();
const feed: FeedEvent[] = [];
const sessionFeed: SessionChange[] = [];
const capacityFeed: NodeCapacityChange[] = [];

const SOL_MINT = '11111111111111111111111111111111';
const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();

beforeAll(async () => {
  [chain, db] = await Promise.all([startChain(), startDatabase()]);
  bus.subscribe('event', {}, (e) => feed.push(e));
  bus.subscribe('session', {}, (e) => sessionFeed.push(e));
  bus.subscribe('nodeCapacity', {}, (e) => capacityFeed.push(e));
  indexer = createIndexer(indexerConfig(chain, db.url), { bus });
  await indexer.start();
  await indexer.whenLeader();
  await indexer.whenIdle();
  sc = await runScenario(chain);
  const onChain = (await chainEvents(chain)).length;
  await waitFor(async () => (await countEvents(db)) === onChain, { what: `${onChain} events in the database` });
  await indexer.whenIdle();
});

afterAll(async () => {
  await indexer?.stop();
  await bus.close();
  chain?.close();
  await db?.stop();
});

describe('events', () => {
  it('stores every program event exactly once, with the decoded data, in chain order', async () => {
    const expected = await chainEvents(chain);
    const stored = await dbEvents(db);
    expect(stored.map(eventKey)).toEqual(expected.map(eventKey));
    expect(stored).toEqual(expected);
    const names = new Set(stored.map((e) => e.name));
    expect([...names].sort()).toEqual([
      'ChunkClaimed', 'ConfigUpdated', 'DisputeRaised', 'DisputeResolved', 'NodeRegistered', 'NodeUpdated',
      'PayoutClaimed', 'ProviderRegistered', 'ReputationUpdated', 'SessionClosed', 'SessionOpened', 'Slashed', 'StakeChanged',
    ]);
    // multi-instruction transactions: register_provider (ix 0) + stake_provider (ix 1)
    const staked = stored.find((e) => e.name === 'StakeChanged')!;
    const registered = stored.find((e) => e.name === 'ProviderRegistered')!;
    expect(staked.signature).toBe(registered.signature);
    expect([registered.ixIndex, staked.ixIndex]).toEqual([0, 1]);
    // resolve_dispute emits DisputeResolved then Slashed in one instruction
    const slashed = stored.find((e) => e.name === 'Slashed')!;
    const resolved = stored.find((e) => e.name === 'DisputeResolved')!;
    expect(slashed.signature).toBe(resolved.signature);
    expect([resolved.eventIndex, slashed.eventIndex]).toEqual([0, 1]);
  });

  it('fills the events filter columns and times from the program clock', async () => {
    const opened = eventOf(sc.s1.result, 'SessionOpened');
    const [row] = await db.query<{ session: string; node: string; provider: string; user: string; timestamp: Date }>(
      `SELECT session, node, provider, "user", timestamp FROM events WHERE name = 'SessionOpened' AND session = $1`,
      [sc.s1.session.toBase58()],
    );
    expect(row.node).toBe(sc.nodeA.node.toBase58());
    expect(row.provider).toBe(sc.provider.provider.toBase58());
    expect(row.user).toBe(sc.s1.user.publicKey.toBase58());
    expect(row.timestamp.toISOString()).toBe(iso(opened.timestamp));
  });

  it('config', async () => {
    const [c] = await db.query(`SELECT pubkey, admin, treasury, token_mint, protocol_fee_bps, min_provider_stake::text,
      unbonding_seconds::text, settle_window_seconds::text FROM config`);
    expect(c).toEqual({
      pubkey: findConfigPda()[0].toBase58(),
      admin: sc.cfg.admin.publicKey.toBase58(),
      treasury: sc.cfg.treasury.publicKey.toBase58(),
      token_mint: chain.mint.toBase58(),
      protocol_fee_bps: sc.cfg.protocolFeeBps,
      min_provider_stake: sc.cfg.minProviderStake.toString(),
      unbonding_seconds: sc.cfg.unbondingSeconds.toString(),
      settle_window_seconds: sc.cfg.settleWindowSeconds.toString(),
    });
  });

  it('provider: stake after stake/unstake/withdraw/slash, earnings, sessions, uptime, reputation', async () => {
    const [p] = await db.query(`SELECT authority, stake_vault, node_count::text, stake_lamports::text, unstaking_lamports::text,
      slashed_lamports::text, rating_sum::text, rating_count::text, reputation_score, total_sessions::text,
      total_earned_lamports::text, total_earned_token::text, total_uptime_seconds::text FROM providers WHERE pubkey = $1`,
      [sc.provider.provider.toBase58()]);
    // 5 SOL staked, 1 SOL slashed from active stake, 1 SOL requested and withdrawn
    expect(p.authority).toBe(sc.provider.authority.publicKey.toBase58());
    expect(p.stake_vault).toBe(findStakeVaultPda(sc.provider.provider)[0].toBase58());
    expect(p.node_count).toBe('2');
    expect(p.stake_lamports).toBe((3n * SOL).toString());
    expect(p.unstaking_lamports).toBe('0');
    expect(p.slashed_lamports).toBe(SOL.toString());
    // ratings 5 and 2, each weighing paid / min_rating_lamports capped at 100 (both sessions paid
    // millions of lamports): rating_sum = 5 * 100 + 2 * 100, score = (700 - 200) * 500 / 200 = 1250
    expect(p.rating_sum).toBe('700');
    expect(p.rating_count).toBe('2');
    expect(p.reputation_score).toBe(1250);
    expect(p.total_sessions).toBe('4');
    // net SOL earnings: s1 chunk + close, s3 resolution; USDC: s2 chunks
    const net = (r: { events: { name: string; data: unknown }[] }[], names: string[]) =>
      r.flatMap((x) => x.events).filter((e) => names.includes(e.name)).map((e) => e.data as { providerAmount: bigint; paymentMint: { toBase58(): string } });
    const all = net(sc.results, ['ChunkClaimed', 'SessionClosed', 'PayoutClaimed', 'DisputeResolved']);
    const sol = all.filter((d) => d.paymentMint.toBase58() === SOL_MINT).reduce((a, d) => a + d.providerAmount, 0n);
    const tok = all.filter((d) => d.paymentMint.toBase58() !== SOL_MINT).reduce((a, d) => a + d.providerAmount, 0n);
    expect(p.total_earned_lamports).toBe(sol.toString());
    expect(p.total_earned_token).toBe(tok.toString());
    expect(sol > 0n && tok > 0n).toBe(true);
    const nodes = await db.query<{ provider_reputation: number }>('SELECT provider_reputation FROM nodes WHERE provider = $1', [sc.provider.provider.toBase58()]);
    expect(nodes.map((n) => n.provider_reputation)).toEqual([1250, 1250]);
  });

  it('nodes: registration, update, capacity in use and free capacity', async () => {
    const rows = await db.query(`SELECT pubkey, node_id::text, endpoint, region, price_per_minute::text, price_per_minute_token::text,
      price_per_tick::text, price_per_tick_token::text, wg_server_pubkey, max_capacity::text, active_sessions::text, free_capacity::text, is_active, total_sessions::text
      FROM nodes ORDER BY node_id`);
    expect(rows).toEqual([
      {
        pubkey: sc.nodeA.node.toBase58(), node_id: '0', endpoint: sc.nodeA.endpoint, region: 'eu-west',
        price_per_minute: sc.nodeA.pricePerMinute.toString(), price_per_minute_token: sc.nodeA.pricePerMinuteToken.toString(),
        price_per_tick: sc.nodeA.pricePerTick.toString(), price_per_tick_token: sc.nodeA.pricePerTickToken.toString(),
        wg_server_pubkey: Buffer.from(sc.nodeA.wgServerPubkey).toString('base64'),
        max_capacity: '4', active_sessions: '0', free_capacity: '4', is_active: true, total_sessions: '2',
      },
      {
        pubkey: sc.nodeB.node.toBase58(), node_id: '1', endpoint: 'vpn2b.example.net:51820', region: 'us-west',
        price_per_minute: '3000000', price_per_minute_token: '0',
        price_per_tick: sc.nodeB.pricePerTick.toString(), price_per_tick_token: sc.nodeB.pricePerTickToken.toString(),
        wg_server_pubkey: Buffer.from(sc.nodeB.wgServerPubkey).toString('base64'),
        max_capacity: '8', active_sessions: '1', free_capacity: '7', is_active: true, total_sessions: '2',
      },
    ]);
  });

  it('sessions: states, balances, ticks and bytes after every change', async () => {
    const rows = await db.query(`SELECT pubkey, mode::text, state::text, payment_mint, escrow_amount::text, remaining_balance::text,
      claimed_amount::text, fee_amount::text, refunded_amount::text, bytes_used::text, last_tick::text, rated, capacity_released,
      closed_at IS NOT NULL AS closed, settled_at IS NOT NULL AS settled FROM sessions`);
    const by = new Map(rows.map((r) => [r.pubkey as string, r]));

    const p1 = eventOf(sc.results.find((r) => r.events.some((e) => e.name === 'PayoutClaimed' && (e.data as { session: { equals(x: unknown): boolean } }).session.equals(sc.s1.session)))!, 'PayoutClaimed');
    const o1 = eventOf(sc.s1.result, 'SessionOpened');
    expect(by.get(sc.s1.session.toBase58())).toMatchObject({
      mode: 'TIME', state: 'SETTLED', payment_mint: SOL_MINT, escrow_amount: o1.escrowAmount.toString(), remaining_balance: '0',
      claimed_amount: p1.claimedAmount.toString(), refunded_amount: p1.refundedAmount.toString(), rated: true,
      capacity_released: true, closed: true, settled: true, last_tick: '180',
    });

    const o2 = eventOf(sc.s2.result, 'SessionOpened');
    expect(o2.escrowAmount).toBe(20_000n);
    // 15 ticks of 1000 claimed, 2.5 % fee each claim (floor): 5000->125, 7000->175, 3000->75
    expect(by.get(sc.s2.session.toBase58())).toMatchObject({
      mode: 'USAGE', state: 'SETTLED', payment_mint: chain.mint.toBase58(), escrow_amount: '20000', remaining_balance: '0',
      claimed_amount: '15000', fee_amount: '375', refunded_amount: '5000', bytes_used: '6500', last_tick: '15', rated: false,
      capacity_released: true, closed: true, settled: true,
    });

    expect(by.get(sc.s3.session.toBase58())).toMatchObject({
      mode: 'TIME', state: 'RESOLVED', escrow_amount: '15000000', remaining_balance: '0', claimed_amount: '5000000',
      fee_amount: '125000', refunded_amount: '10000000', rated: true, capacity_released: true, settled: false,
    });
    expect(by.get(sc.s4.session.toBase58())).toMatchObject({
      state: 'ACTIVE', remaining_balance: '180000000', claimed_amount: '0', capacity_released: false, closed: false,
    });
  });

  it('claims: one row per chunk claim, close, payout and resolution, amounts = provider + fee', async () => {
    const rows = await db.query(`SELECT kind::text, session, tick::text, bytes_used::text, amount::text, provider_amount::text,
      fee::text, refund::text FROM claims ORDER BY id`);
    const s1 = sc.s1.session.toBase58();
    const s2 = sc.s2.session.toBase58();
    const s3 = sc.s3.session.toBase58();
    expect(rows.map((r) => [r.kind, r.session])).toEqual([
      ['CHUNK', s1], ['CLOSE', s1], ['PAYOUT', s1],
      ['CHUNK', s2], ['CHUNK', s2], ['CLOSE', s2], ['CHUNK', s2], ['PAYOUT', s2],
      ['RESOLUTION', s3],
    ]);
    for (const r of rows) expect(BigInt(r.amount as string)).toBe(BigInt(r.provider_amount as string) + BigInt(r.fee as string));
    const s2rows = rows.filter((r) => r.session === s2);
    expect(s2rows.map((r) => [r.tick, r.bytes_used, r.amount, r.fee, r.refund])).toEqual([
      ['5', '1000', '5000', '125', '0'],
      ['12', '5000', '7000', '175', '0'],
      [null, null, '0', '0', '0'],
      ['15', '6500', '3000', '75', '0'],
      [null, null, '0', '0', '5000'],
    ]);
    const res = rows.find((r) => r.kind === 'RESOLUTION')!;
    expect([res.amount, res.provider_amount, res.fee, res.refund]).toEqual(['5000000', '4875000', '125000', '10000000']);
  });

  it('disputes, ratings and stake changes', async () => {
    const [d] = await db.query(`SELECT session, raised_by, reason, resolved, resolver, provider_amount::text, fee::text, refund::text,
      slashed_lamports::text FROM disputes`);
    expect(d).toEqual({
      session: sc.s3.session.toBase58(), raised_by: sc.s3.user.publicKey.toBase58(), reason: 3, resolved: true,
      resolver: sc.cfg.admin.publicKey.toBase58(), provider_amount: '4875000', fee: '125000', refund: '10000000',
      slashed_lamports: SOL.toString(),
    });
    const ratings = await db.query(`SELECT session, rating, reputation_score, rating_count::text FROM ratings ORDER BY timestamp`);
    expect(ratings).toEqual([
      { session: sc.s1.session.toBase58(), rating: 5, reputation_score: 2000, rating_count: '1' },
      { session: sc.s3.session.toBase58(), rating: 2, reputation_score: 1250, rating_count: '2' },
    ]);
    const stakes = await db.query(`SELECT kind::text, amount::text, stake_lamports::text, unstaking_lamports::text,
      unstake_at IS NOT NULL AS unbonding, session FROM stake_changes ORDER BY id`);
    expect(stakes).toEqual([
      { kind: 'STAKE', amount: (5n * SOL).toString(), stake_lamports: (5n * SOL).toString(), unstaking_lamports: '0', unbonding: false, session: null },
      { kind: 'SLASH', amount: SOL.toString(), stake_lamports: (4n * SOL).toString(), unstaking_lamports: '0', unbonding: false, session: sc.s3.session.toBase58() },
      { kind: 'REQUEST_UNSTAKE', amount: SOL.toString(), stake_lamports: (3n * SOL).toString(), unstaking_lamports: SOL.toString(), unbonding: true, session: null },
      { kind: 'WITHDRAW', amount: SOL.toString(), stake_lamports: (3n * SOL).toString(), unstaking_lamports: '0', unbonding: true, session: null },
    ]);
  });

  it('the tables match every program account (reconciliation finds nothing to repair)', async () => {
    expect(await diffWithChain(chain, db)).toEqual([]);
    expect(await indexer.reconcileNow()).toEqual([]);
  });

  it('analyst views answer from the same rows', async () => {
    const vol = await db.query(`SELECT region, payment_mint, sessions_opened::int, escrow_volume::text, paid_volume::text, fee_volume::text
      FROM daily_volume ORDER BY region, payment_mint`);
    const sum = (col: string, mint: (m: string) => boolean) =>
      vol.filter((v) => mint(v.payment_mint as string)).reduce((a, v) => a + BigInt(v[col] as string), 0n);
    const [claims] = await db.query(`SELECT sum(amount)::text AS paid FROM claims WHERE payment_mint = $1`, [SOL_MINT]);
    expect(sum('paid_volume', (m) => m === SOL_MINT).toString()).toBe(claims.paid);
    expect(vol.reduce((a, v) => a + (v.sessions_opened as number), 0)).toBe(4);
    const earnings = await db.query(`SELECT payment_mint, earned_amount::text, fee_amount::text FROM provider_earnings WHERE provider = $1 ORDER BY payment_mint`, [sc.provider.provider.toBase58()]);
    const [prov] = await db.query(`SELECT total_earned_lamports::text AS sol, total_earned_token::text AS tok FROM providers`);
    expect(earnings.find((e) => e.payment_mint === SOL_MINT)!.earned_amount).toBe(prov.sol);
    expect(earnings.find((e) => e.payment_mint !== SOL_MINT)!.earned_amount).toBe(prov.tok);
    const util = await db.query(`SELECT node, utilisation::text, open_sessions::int FROM node_utilisation ORDER BY node = $1 DESC`, [sc.nodeB.node.toBase58()]);
    expect(util[0]).toEqual({ node: sc.nodeB.node.toBase58(), utilisation: '0.1250', open_sessions: 1 });
  });

  it('published every event, session change and capacity change after commit, in order', async () => {
    const stored = await dbEvents(db);
    expect(feed.map(eventKey)).toEqual(stored.map(eventKey));
    expect(feed.map((f) => Number(f.id))).toEqual([...feed.map((f) => Number(f.id))].sort((a, b) => a - b));
    const s2 = sessionFeed.filter((s) => s.session === sc.s2.session.toBase58());
    expect(s2.map((s) => [s.cause, s.previousState, s.state, s.claimedAmount])).toEqual([
      ['SessionOpened', null, 'ACTIVE', '0'],
      ['ChunkClaimed', 'ACTIVE', 'ACTIVE', '5000'],
      ['ChunkClaimed', 'ACTIVE', 'ACTIVE', '12000'],
      ['SessionClosed', 'ACTIVE', 'CLOSING', '12000'],
      ['ChunkClaimed', 'CLOSING', 'CLOSING', '15000'],
      ['PayoutClaimed', 'CLOSING', 'SETTLED', '15000'],
    ]);
    const b = capacityFeed.filter((c) => c.node === sc.nodeB.node.toBase58());
    expect(b.map((c) => [c.cause, c.region, c.maxCapacity, c.activeSessions, c.freeCapacity])).toEqual([
      ['NodeRegistered', 'us-east', 2, 0, 2],
      ['NodeUpdated', 'us-west', 8, 0, 8],
      ['SessionOpened', 'us-west', 8, 1, 7],
      // raise_dispute frees the node's slot at once; the resolution leaves it free.
      ['DisputeRaised', 'us-west', 8, 0, 8],
      ['DisputeResolved', 'us-west', 8, 0, 8],
      ['SessionOpened', 'us-west', 8, 1, 7],
    ]);
  });

  it('the change log gives back every published change exactly as published, also filtered (a resumed subscriber)', async () => {
    const log = sqlChangeStore(async (text, values) => db.query(text, values));
    const all = await log.read(0, { limit: 100_000 });
    expect(all.map((c) => c.seq)).toEqual(all.map((_, i) => i + 1));
    const published = [...feed, ...sessionFeed, ...capacityFeed].length;
    expect(all).toHaveLength(published);
    expect(all.filter((c) => c.topic === 'event').map((c) => c.payload)).toEqual(feed);
    expect(all.filter((c) => c.topic === 'session').map((c) => c.payload)).toEqual(sessionFeed);
    expect(all.filter((c) => c.topic === 'nodeCapacity').map((c) => c.payload)).toEqual(capacityFeed);
    // A subscriber resuming on one session's events, and on one event name after a point.
    const session = sc.s2.session.toBase58();
    const bySession = await log.read(0, { limit: 1000, topic: 'event', filter: { session } });
    expect(bySession.map((c) => c.payload)).toEqual(feed.filter((e) => e.session === session));
    expect(bySession.length).toBeGreaterThan(3);
    const after = feed[Math.floor(feed.length / 2)].seq!;
    const claims = await log.read(after, { limit: 1000, topic: 'event', filter: { name: 'ChunkClaimed' } });
    expect(claims.map((c) => c.payload)).toEqual(feed.filter((e) => e.seq! > after && e.name === 'ChunkClaimed'));
    expect(claims.length).toBeGreaterThan(0);
  });

  it('reconciliation repairs what differs from the accounts, logs it and records it', async () => {
    // Corrupt the tables behind the indexer's back.
    await db.query(`UPDATE nodes SET active_sessions = 3, region = 'nowhere' WHERE pubkey = $1`, [sc.nodeB.node.toBase58()]);
    await db.query(`UPDATE providers SET stake_lamports = 1 WHERE pubkey = $1`, [sc.provider.provider.toBase58()]);
    await db.query(`DELETE FROM sessions WHERE pubkey = $1`, [sc.s4.session.toBase58()]);
    await db.query(`UPDATE sessions SET state = 'ACTIVE' WHERE pubkey = $1`, [sc.s1.session.toBase58()]);
    const repairs = await indexer.reconcileNow();
    const got = repairs.map((r) => [r.kind, r.account, r.field, r.after]).sort();
    expect(got).toEqual([
      ['node', sc.nodeB.node.toBase58(), 'activeSessions', '1'],
      ['node', sc.nodeB.node.toBase58(), 'region', 'us-west'],
      ['provider', sc.provider.provider.toBase58(), 'stakeLamports', (3n * SOL).toString()],
      ['session', sc.s1.session.toBase58(), 'state', 'SETTLED'],
      ['session', sc.s4.session.toBase58(), '*', 'created from account'],
    ].sort());
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM repairs');
    expect(n).toBe(5);
    const [node] = await db.query(`SELECT active_sessions::int, free_capacity::int, region FROM nodes WHERE pubkey = $1`, [sc.nodeB.node.toBase58()]);
    expect(node).toEqual({ active_sessions: 1, free_capacity: 7, region: 'us-west' });
    expect(await diffWithChain(chain, db)).toEqual([]);
    expect(indexer.metrics().reconcile.repairs).toBe(5);
    // The repaired rows reach subscribers like any other committed change, with their seq.
    await waitFor(() => capacityFeed.some((c) => c.cause === 'Reconciled'), { what: 'repairs published' });
    const repairedNode = capacityFeed.filter((c) => c.cause === 'Reconciled');
    expect(repairedNode.map((c) => [c.node, c.region, c.activeSessions])).toEqual([[sc.nodeB.node.toBase58(), 'us-west', 1]]);
    const repairedSessions = sessionFeed.filter((c) => c.cause === 'Reconciled').map((c) => [c.session, c.previousState, c.state]);
    expect(repairedSessions).toEqual(expect.arrayContaining([
      [sc.s1.session.toBase58(), 'ACTIVE', 'SETTLED'],
      [sc.s4.session.toBase58(), null, expect.any(String)],
    ]));
    expect(repairedSessions).toHaveLength(2);
    const [{ seq }] = await db.query<{ seq: string }>(`SELECT max(seq)::text AS seq FROM changes WHERE payload->>'cause' = 'Reconciled'`);
    expect(repairedNode[0].seq! <= Number(seq)).toBe(true);
  });

  it('reports ingestion metrics', () => {
    const m = indexer.metrics();
    expect(m.role).toBe('leader');
    expect(m.lagSlots).toBe(0);
    expect(m.eventsApplied).toBe(25);
    expect(m.live.connected).toBe(true);
  });
});
