// GraphQL answers what the chain holds, and the REST paths answer the same
// data. Real embedded chain (the whole market scenario), real Postgres, the
// indexer, the API on a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAll, SessionState } from '@dvpn/sdk';
import { runScenario, type Scenario } from '../scenario.js';
import { chainEvents, countEvents, waitFor } from '../helpers.js';
import { getJson, gql, startStack, type ApiStack } from './setup.js';

let s: ApiStack;
let sc: Scenario;
let onChainEvents: number;

const STATE_NAMES = ['ACTIVE', 'CLOSING', 'CLOSED', 'DISPUTED', 'RESOLVED'];
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  s = await startStack();
  await s.indexer.whenIdle();
  sc = await runScenario(s.chain);
  onChainEvents = (await chainEvents(s.chain)).length;
  await waitFor(async () => (await countEvents(s.db)) === onChainEvents, { what: `${onChainEvents} events indexed` });
  await s.indexer.whenIdle();
});

afterAll(async () => {
  await s?.close();
});

const NODE_FIELDS = `pubkey providerPubkey nodeId endpoint region pricePerMinute pricePerMinuteToken wgServerPubkey
  maxCapacity activeSessions freeCapacity isActive providerReputation totalSessions totalUptimeSeconds`;

describe('queries return what the chain holds', () => {
  it('node and nodes: every Node account, field for field', async () => {
    const accounts = await fetchAll(s.chain.connection, 'Node');
    expect(accounts.length).toBe(2);
    const r = await gql(s.url, `{ nodes(first: 100) { totalCount nodes { ${NODE_FIELDS} } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.nodes.totalCount).toBe(accounts.length);
    for (const { address, account: a } of accounts) {
      const one = await gql(s.url, `query($p: Pubkey!) { node(pubkey: $p) { ${NODE_FIELDS} provider { pubkey } } }`, {
        p: address.toBase58(),
      });
      const n = one.data!.node;
      expect(n).toMatchObject({
        pubkey: address.toBase58(),
        providerPubkey: a.provider.toBase58(),
        nodeId: a.nodeId.toString(),
        endpoint: a.endpoint,
        region: a.region,
        pricePerMinute: a.pricePerMinute.toString(),
        pricePerMinuteToken: a.pricePerMinuteToken.toString(),
        wgServerPubkey: b64(a.wgServerPubkey),
        maxCapacity: String(a.maxCapacity),
        activeSessions: String(a.activeSessions),
        freeCapacity: String(a.maxCapacity - a.activeSessions),
        isActive: a.isActive,
        totalSessions: a.totalSessions.toString(),
        totalUptimeSeconds: a.totalUptimeSeconds.toString(),
      });
      expect(n.provider.pubkey).toBe(a.provider.toBase58());
      expect(r.data!.nodes.nodes).toContainEqual(Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'provider')));
    }
  });

  it('provider: stake, reputation, counters and earnings as on chain', async () => {
    const [{ address, account: p }] = await fetchAll(s.chain.connection, 'Provider');
    const q = `query($p: Pubkey, $a: Pubkey) { provider(pubkey: $p, authority: $a) {
      pubkey authority nodeCount stakeLamports unstakingLamports slashedLamports ratingSum ratingCount reputationScore
      totalUptimeSeconds totalSessions totalEarnedLamports totalEarnedToken nodes(first: 10) { totalCount } } }`;
    const byPubkey = await gql(s.url, q, { p: address.toBase58() });
    expect(byPubkey.errors).toBeUndefined();
    expect(byPubkey.data!.provider).toEqual({
      pubkey: address.toBase58(),
      authority: p.authority.toBase58(),
      nodeCount: p.nodeCount.toString(),
      stakeLamports: p.stakeLamports.toString(),
      unstakingLamports: p.unstakingLamports.toString(),
      slashedLamports: p.slashedLamports.toString(),
      ratingSum: p.ratingSum.toString(),
      ratingCount: String(p.ratingCount),
      reputationScore: p.reputationScore,
      totalUptimeSeconds: p.totalUptimeSeconds.toString(),
      totalSessions: p.totalSessions.toString(),
      totalEarnedLamports: p.totalEarnedLamports.toString(),
      totalEarnedToken: p.totalEarnedToken.toString(),
      nodes: { totalCount: 2 },
    });
    const byAuthority = await gql(s.url, q, { a: p.authority.toBase58() });
    expect(byAuthority.data!.provider).toEqual(byPubkey.data!.provider);
  });

  it('sessions: open accounts field for field, settled ones as SETTLED', async () => {
    const accounts = await fetchAll(s.chain.connection, 'Session');
    const q = `query($p: Pubkey!) { session(pubkey: $p) { pubkey user nodePubkey providerPubkey sessionId mode state currency
      escrowAmount remainingBalance claimedAmount feeAmount refundedAmount bytesUsed lastTick tickAmount maxTicks } }`;
    expect(accounts.length).toBeGreaterThan(0);
    for (const { address, account: a } of accounts) {
      const r = await gql(s.url, q, { p: address.toBase58() });
      expect(r.errors).toBeUndefined();
      expect(r.data!.session).toEqual({
        pubkey: address.toBase58(),
        user: a.user.toBase58(),
        nodePubkey: a.node.toBase58(),
        providerPubkey: a.provider.toBase58(),
        sessionId: a.sessionId.toString(),
        mode: a.mode === 0 ? 'TIME' : 'USAGE',
        state: STATE_NAMES[a.state],
        currency: a.paymentMint.toBase58() === '11111111111111111111111111111111' ? 'SOL' : 'TOKEN',
        escrowAmount: a.escrowAmount.toString(),
        remainingBalance: a.remainingBalance.toString(),
        claimedAmount: a.claimedAmount.toString(),
        feeAmount: a.feeAmount.toString(),
        refundedAmount: a.refundedAmount.toString(),
        bytesUsed: a.bytesUsed.toString(),
        lastTick: a.lastTick.toString(),
        tickAmount: a.tickAmount.toString(),
        maxTicks: a.maxTicks.toString(),
      });
    }
    // s1 and s2 were paid out: claim_payout closed their accounts.
    const live = new Set(accounts.map((x) => x.address.toBase58()));
    for (const settled of [sc.s1, sc.s2]) {
      expect(live.has(settled.session.toBase58())).toBe(false);
      const r = await gql(s.url, q, { p: settled.session.toBase58() });
      expect(r.data!.session.state).toBe('SETTLED');
    }
    const s4 = accounts.find((x) => x.address.equals(sc.s4.session))!;
    expect(s4.account.state).toBe(SessionState.Active);
  });

  it('sessions: filters by user, node, provider, state, currency and time; Relay pagination', async () => {
    const list = async (filter: Record<string, unknown>, extra = '') =>
      (await gql(s.url, `query($f: SessionFilter) { sessions(filter: $f${extra}) { totalCount nodes { pubkey } } }`, { f: filter })).data!
        .sessions;
    const all = await list({});
    expect(all.totalCount).toBe(4);
    expect((await list({ user: sc.s1.user.publicKey.toBase58() })).nodes).toEqual([{ pubkey: sc.s1.session.toBase58() }]);
    expect((await list({ node: sc.nodeB.node.toBase58() })).totalCount).toBe(2);
    expect((await list({ provider: sc.provider.provider.toBase58() })).totalCount).toBe(4);
    expect((await list({ states: ['ACTIVE'] })).nodes).toEqual([{ pubkey: sc.s4.session.toBase58() }]);
    expect((await list({ states: ['SETTLED'] })).totalCount).toBe(2);
    expect((await list({ currency: 'TOKEN' })).nodes).toEqual([{ pubkey: sc.s2.session.toBase58() }]);
    expect((await list({ mode: 'USAGE' })).nodes).toEqual([{ pubkey: sc.s2.session.toBase58() }]);
    const far = '2100-01-01T00:00:00.000Z';
    expect((await list({ from: far })).totalCount).toBe(0);
    expect((await list({ to: far })).totalCount).toBe(4);

    // pages of one, newest first, then walk back with before/last
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await gql(s.url, `query($a: String) { sessions(first: 1, after: $a) { pageInfo { hasNextPage endCursor } edges { cursor node { pubkey startTs } } } }`, {
        a: after,
      });
      const c = r.data.sessions;
      seen.push(...c.edges.map((e: any) => e.node.pubkey));
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    const ordered = (await gql(s.url, '{ sessions(first: 10) { nodes { pubkey } } }')).data!.sessions.nodes.map((n: any) => n.pubkey);
    expect(seen).toEqual(ordered);
    const back = await gql(s.url, 'query($b: String) { sessions(last: 2, before: $b) { nodes { pubkey } } }', { b: after });
    // `after` is the cursor of the third session: the two before it are the first two.
    expect(back.data!.sessions.nodes.map((n: any) => n.pubkey)).toEqual(ordered.slice(0, 2));
  });

  it('nodes: filters by region, price range (SOL and token), reputation, active, free capacity; ordering', async () => {
    const list = async (filter: Record<string, unknown>, orderBy?: Record<string, unknown>) =>
      (
        await gql(s.url, 'query($f: NodeFilter, $o: NodeOrder) { nodes(filter: $f, orderBy: $o) { totalCount nodes { pubkey pricePerMinute } } }', {
          f: filter,
          o: orderBy,
        })
      ).data!.nodes;
    const A = sc.nodeA.node.toBase58();
    const B = sc.nodeB.node.toBase58();
    expect((await list({ region: 'eu-west' })).nodes.map((n: any) => n.pubkey)).toEqual([A]);
    expect((await list({ region: 'us-west' })).nodes.map((n: any) => n.pubkey)).toEqual([B]); // after update_node
    expect((await list({ region: 'us-east' })).totalCount).toBe(0);
    expect((await list({ regions: ['us-west', 'eu-west'] })).totalCount).toBe(2);
    expect((await list({ maxPricePerMinute: '1000000' })).nodes.map((n: any) => n.pubkey)).toEqual([A]);
    expect((await list({ minPricePerMinute: '1000001' })).nodes.map((n: any) => n.pubkey)).toEqual([B]);
    expect((await list({ minPricePerMinuteToken: '1' })).nodes.map((n: any) => n.pubkey)).toEqual([A]);
    expect((await list({ acceptsToken: false })).nodes.map((n: any) => n.pubkey)).toEqual([B]);
    expect((await list({ minReputation: 2000 })).totalCount).toBe(0);
    expect((await list({ minReputation: 0, active: true })).totalCount).toBe(2);
    expect((await list({ hasFreeCapacity: true })).totalCount).toBe(2);
    expect((await list({ minFreeCapacity: 5 })).nodes.map((n: any) => n.pubkey)).toEqual([B]); // 8 - 1 active
    const asc = await list({}, { field: 'PRICE_PER_MINUTE', direction: 'ASC' });
    expect(asc.nodes.map((n: any) => n.pubkey)).toEqual([A, B]);
    const desc = await list({}, { field: 'PRICE_PER_MINUTE', direction: 'DESC' });
    expect(desc.nodes.map((n: any) => n.pubkey)).toEqual([B, A]);
    const page = await gql(s.url, '{ nodes(first: 1, orderBy: { field: PRICE_PER_MINUTE }) { pageInfo { hasNextPage endCursor } nodes { pubkey } } }');
    expect(page.data!.nodes.nodes[0].pubkey).toBe(A);
    const next = await gql(s.url, 'query($a: String) { nodes(first: 1, after: $a, orderBy: { field: PRICE_PER_MINUTE }) { pageInfo { hasNextPage } nodes { pubkey } } }', {
      a: page.data!.nodes.pageInfo.endCursor,
    });
    expect(next.data!.nodes).toEqual({ pageInfo: { hasNextPage: false }, nodes: [{ pubkey: B }] });
  });

  it('claims, dispute, rating and stake changes hang off their session and provider', async () => {
    const r = await gql(s.url, `query($s1: Pubkey!, $s3: Pubkey!, $p: Pubkey!) {
      s1: session(pubkey: $s1) { claims(first: 10) { totalCount nodes { kind amount providerAmount fee refund } } rating { rating } dispute { reason } }
      s3: session(pubkey: $s3) { dispute { reason resolved slashedLamports raisedBy } rating { rating } }
      provider(pubkey: $p) { stakeChanges(first: 10) { nodes { kind amount } } ratings(first: 10) { totalCount } disputes(first: 5) { totalCount } }
    }`, { s1: sc.s1.session.toBase58(), s3: sc.s3.session.toBase58(), p: sc.provider.provider.toBase58() });
    expect(r.errors).toBeUndefined();
    const d = r.data!;
    expect(d.s1.claims.nodes.map((c: any) => c.kind)).toEqual(['CHUNK', 'CLOSE', 'PAYOUT']);
    for (const c of d.s1.claims.nodes) expect(BigInt(c.amount)).toBe(BigInt(c.providerAmount) + BigInt(c.fee));
    expect(d.s1.rating).toEqual({ rating: 5 });
    expect(d.s1.dispute).toBeNull();
    expect(d.s3.dispute).toEqual({ reason: 3, resolved: true, slashedLamports: '1000000000', raisedBy: sc.s3.user.publicKey.toBase58() });
    expect(d.s3.rating).toEqual({ rating: 2 });
    expect(d.provider.stakeChanges.nodes.map((c: any) => c.kind).sort()).toEqual(['REQUEST_UNSTAKE', 'SLASH', 'STAKE', 'WITHDRAW']);
    expect(d.provider.ratings.totalCount).toBe(2);
    expect(d.provider.disputes.totalCount).toBe(1);
  });

  it('events: by name, account and time, newest first', async () => {
    const r = await gql(s.url, '{ events(first: 100) { totalCount nodes { id name slot } } }');
    expect(r.data!.events.totalCount).toBe(onChainEvents);
    const ids = r.data!.events.nodes.map((e: any) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);
    const byName = await gql(s.url, '{ events(filter: { names: [SessionOpened, Slashed] }, first: 50) { nodes { name } } }');
    expect(byName.data!.events.nodes.map((e: any) => e.name).sort()).toEqual(['SessionOpened', 'SessionOpened', 'SessionOpened', 'SessionOpened', 'Slashed']);
    const byAccount = await gql(s.url, 'query($a: Pubkey!) { events(filter: { account: $a }, direction: ASC, first: 50) { nodes { name data } } }', {
      a: sc.s1.session.toBase58(),
    });
    expect(byAccount.data!.events.nodes.map((e: any) => e.name)).toEqual(['SessionOpened', 'ChunkClaimed', 'SessionClosed', 'ReputationUpdated', 'PayoutClaimed']);
    expect(byAccount.data!.events.nodes[0].data.session).toBe(sc.s1.session.toBase58());
    const none = await gql(s.url, '{ events(filter: { to: "2000-01-01T00:00:00Z" }) { totalCount } }');
    expect(none.data!.events.totalCount).toBe(0);
  });

  it('stats and earnings: exact integer sums', async () => {
    const r = await gql(s.url, `query($p: Pubkey!) {
      stats { providers nodes activeNodes sessions openSessions volumeLamports volumeToken feesLamports feesToken
        byRegion { region nodes sessions volumeLamports volumeToken } }
      earnings(provider: $p, bucket: MONTH) { start earnedLamports earnedToken feesLamports feesToken payments sessions }
      claims(first: 100) { nodes { amount fee providerAmount currency } }
    }`, { p: sc.provider.provider.toBase58() });
    expect(r.errors).toBeUndefined();
    const { stats, earnings, claims } = r.data!;
    const sum = (cur: string, key: string) =>
      claims.nodes.filter((c: any) => c.currency === cur).reduce((t: bigint, c: any) => t + BigInt(c[key]), 0n).toString();
    expect(stats).toMatchObject({ providers: '1', nodes: '2', activeNodes: '2', sessions: '4', openSessions: '1' });
    expect(stats.volumeLamports).toBe(sum('SOL', 'amount'));
    expect(stats.volumeToken).toBe(sum('TOKEN', 'amount'));
    expect(stats.feesLamports).toBe(sum('SOL', 'fee'));
    expect(stats.byRegion.map((x: any) => x.region)).toEqual(['eu-west', 'us-west']);
    expect(stats.byRegion.find((x: any) => x.region === 'eu-west')).toMatchObject({ nodes: '1', sessions: '2' });
    const total = (key: string) => earnings.reduce((t: bigint, b: any) => t + BigInt(b[key]), 0n).toString();
    expect(total('earnedLamports')).toBe(sum('SOL', 'providerAmount'));
    expect(total('earnedToken')).toBe(sum('TOKEN', 'providerAmount'));
    const [p] = await fetchAll(s.chain.connection, 'Provider');
    expect(total('earnedLamports')).toBe(p.account.totalEarnedLamports.toString());
    expect(total('earnedToken')).toBe(p.account.totalEarnedToken.toString());
  });

  it('analyst aggregates: daily volume, provider earnings and node utilisation agree with the chain', async () => {
    const r = await gql(s.url, `{
      dailyVolume { day region currency sessionsOpened escrowVolume payments paidVolume providerVolume feeVolume }
      sol: dailyVolume(currency: SOL) { currency paidVolume }
      providerEarnings { provider currency earnedAmount feeAmount grossAmount sessions }
      nodeUtilisation { node region maxCapacity activeSessions utilisation totalSessions }
      claims(first: 100) { nodes { amount fee currency } }
      sessions(first: 100) { totalCount }
    }`);
    expect(r.errors).toBeUndefined();
    const { dailyVolume, sol, providerEarnings, nodeUtilisation, claims, sessions } = r.data!;
    const add = (rows: any[], key: string, pred: (x: any) => boolean = () => true) =>
      rows.filter(pred).reduce((t: bigint, x: any) => t + BigInt(x[key]), 0n).toString();
    for (const cur of ['SOL', 'TOKEN']) {
      expect(add(dailyVolume, 'paidVolume', (x) => x.currency === cur), cur).toBe(add(claims.nodes, 'amount', (c) => c.currency === cur));
      expect(add(dailyVolume, 'feeVolume', (x) => x.currency === cur), cur).toBe(add(claims.nodes, 'fee', (c) => c.currency === cur));
    }
    expect(add(dailyVolume, 'sessionsOpened')).toBe(String(sessions.totalCount));
    expect(sol.every((x: any) => x.currency === 'SOL')).toBe(true);
    expect(add(sol, 'paidVolume')).toBe(add(claims.nodes, 'amount', (c) => c.currency === 'SOL'));
    expect(dailyVolume.every((x: any) => /^\d{4}-\d{2}-\d{2}$/.test(x.day))).toBe(true);

    const [p] = await fetchAll(s.chain.connection, 'Provider');
    const mine = providerEarnings.filter((x: any) => x.provider === p.address.toBase58());
    expect(add(mine, 'earnedAmount', (x) => x.currency === 'SOL')).toBe(p.account.totalEarnedLamports.toString());
    expect(add(mine, 'earnedAmount', (x) => x.currency === 'TOKEN')).toBe(p.account.totalEarnedToken.toString());

    const nodes = await fetchAll(s.chain.connection, 'Node');
    expect(nodeUtilisation.length).toBe(nodes.length);
    for (const { address, account: a } of nodes) {
      const u = nodeUtilisation.find((x: any) => x.node === address.toBase58());
      expect(u).toMatchObject({ region: a.region, maxCapacity: String(a.maxCapacity), activeSessions: String(a.activeSessions), totalSessions: a.totalSessions.toString() });
      expect(u.utilisation).toBe(a.maxCapacity === 0 ? null : (Math.round((a.activeSessions / a.maxCapacity) * 10_000) / 10_000).toFixed(4));
    }
  });

  it('_meta: the indexed slot is the checkpoint, no lag once the indexer is idle', async () => {
    await s.indexer.whenIdle();
    const before = Date.now();
    const r = await gql(s.url, '{ _meta { slot chainSlot lagSlots stalled time } }');
    expect(r.errors).toBeUndefined();
    const meta = r.data!._meta;
    const cp = await s.prisma.checkpoint.findFirst({ orderBy: { headSlot: 'desc' } });
    expect(meta.slot).toBe(cp!.headSlot.toString());
    expect(meta.lagSlots).toBe('0');
    expect(meta.stalled).toBe(false);
    expect(Date.parse(meta.time)).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe('REST paths answer the same data as GraphQL', () => {
  it('/nodes and /nodes/:pubkey', async () => {
    const list = await getJson(s.url, '/nodes?region=eu-west&first=10');
    expect(list.status).toBe(200);
    const g = await gql(s.url, `{ nodes(filter: { region: "eu-west" }, first: 10) { totalCount nodes { pubkey region pricePerMinute freeCapacity isActive } } }`);
    expect(list.body.totalCount).toBe(g.data!.nodes.totalCount);
    expect(list.body.items.map((n: any) => ({ pubkey: n.pubkey, region: n.region, pricePerMinute: n.pricePerMinute, freeCapacity: n.freeCapacity, isActive: n.isActive }))).toEqual(
      g.data!.nodes.nodes,
    );
    const ordered = await getJson(s.url, '/nodes?orderBy=PRICE_PER_MINUTE&direction=DESC');
    expect(ordered.body.items.map((n: any) => n.pubkey)).toEqual([sc.nodeB.node.toBase58(), sc.nodeA.node.toBase58()]);
    const one = await getJson(s.url, `/nodes/${sc.nodeA.node.toBase58()}`);
    expect(one.status).toBe(200);
    const gOne = await gql(s.url, `query($p: Pubkey!) { node(pubkey: $p) { ${NODE_FIELDS} } }`, { p: sc.nodeA.node.toBase58() });
    expect(one.body).toMatchObject(gOne.data!.node);
    expect(one.body.provider.pubkey).toBe(sc.provider.provider.toBase58());
    expect((await getJson(s.url, `/nodes/${sc.s1.session.toBase58()}`)).status).toBe(404);
    expect((await getJson(s.url, '/nodes/not-a-key')).status).toBe(400);
    expect((await getJson(s.url, '/nodes?minPrice=cheap')).status).toBe(400);
    expect((await getJson(s.url, '/nodes?active=maybe')).status).toBe(400);
    expect((await getJson(s.url, '/nodes?first=1000')).status).toBe(400);
  });

  it('/sessions and /sessions/:pubkey', async () => {
    const list = await getJson(s.url, `/sessions?provider=${sc.provider.provider.toBase58()}&state=settled,active`);
    expect(list.status).toBe(200);
    const g = await gql(s.url, `query($p: Pubkey!) { sessions(filter: { provider: $p, states: [SETTLED, ACTIVE] }) { totalCount nodes { pubkey state remainingBalance } } }`, {
      p: sc.provider.provider.toBase58(),
    });
    expect(list.body.totalCount).toBe(3);
    expect(list.body.items.map((x: any) => ({ pubkey: x.pubkey, state: x.state, remainingBalance: x.remainingBalance }))).toEqual(g.data!.sessions.nodes);
    const one = await getJson(s.url, `/sessions/${sc.s2.session.toBase58()}`);
    expect(one.status).toBe(200);
    const gOne = await gql(s.url, `query($p: Pubkey!) { session(pubkey: $p) { pubkey state escrowAmount claimedAmount refundedAmount bytesUsed claims(first: 100) { totalCount } } }`, {
      p: sc.s2.session.toBase58(),
    });
    expect(one.body).toMatchObject({ ...gOne.data!.session, claims: { totalCount: gOne.data!.session.claims.totalCount } });
    expect(one.body.claims.nodes.length).toBe(gOne.data!.session.claims.totalCount);
    expect((await getJson(s.url, '/sessions?state=bogus')).status).toBe(400);
  });

  it('/providers/:pubkey (by account or authority) and /stats', async () => {
    const byPda = await getJson(s.url, `/providers/${sc.provider.provider.toBase58()}`);
    const byAuthority = await getJson(s.url, `/providers/${sc.provider.authority.publicKey.toBase58()}`);
    expect(byPda.status).toBe(200);
    expect(byAuthority.body).toEqual(byPda.body);
    const g = await gql(s.url, 'query($p: Pubkey!) { provider(pubkey: $p) { pubkey stakeLamports reputationScore totalEarnedLamports nodes(first: 100) { totalCount } } }', {
      p: sc.provider.provider.toBase58(),
    });
    expect(byPda.body).toMatchObject({ ...g.data!.provider, nodes: { totalCount: 2 } });
    expect((await getJson(s.url, `/providers/${sc.s4.user.publicKey.toBase58()}`)).status).toBe(404);
    const stats = await getJson(s.url, '/stats');
    const gs = await gql(s.url, '{ stats { providers nodes sessions volumeLamports volumeToken byRegion { region sessions } } }');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject(gs.data!.stats);
    const post = await fetch(`${s.url}/stats`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});
