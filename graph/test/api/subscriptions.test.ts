// Subscriptions: a graphql-ws client (WebSocket) and an SSE client (graphql-sse
// in distinct-connections mode), both over real sockets, receive session and
// capacity changes and the event feed in order as transactions confirm on the
// embedded chain and the indexer commits them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient as createSseClient } from 'graphql-sse';
import { createNode, createProvider, initConfig, claimChunkIx, closeSessionIx, openTimeSession, type ConfigCtx, type NodeCtx } from '../../../tests/harness/fixtures.js';
import { waitFor } from '../helpers.js';
import { gql, sseSubscribe, startStack, wsClient, wsSubscribe, type ApiStack } from './setup.js';

let s: ApiStack;
let cfg: ConfigCtx;
let node: NodeCtx;
let other: NodeCtx;

beforeAll(async () => {
  s = await startStack();
  cfg = await initConfig(s.chain);
  const provider = await createProvider(s.chain);
  node = await createNode(s.chain, provider, { region: 'ap-south', maxCapacity: 3 });
  other = await createNode(s.chain, provider, { region: 'eu-north', maxCapacity: 2 });
  await s.indexer.whenIdle();
  await waitFor(async () => { const r = await gql(s.url, '{ stats { nodes } }'); if (process.env.DEBUG_API) console.log(r.raw); return r.data?.stats.nodes === '2'; }, { what: 'nodes indexed' });
});

afterAll(async () => {
  await s?.close();
});

const SESSION_SUB = `subscription($node: Pubkey) { sessionChanged(node: $node) {
  sessionPubkey user nodePubkey state previousState remainingBalance claimedAmount refundedAmount cause signature slot } }`;
const CAPACITY_SUB = `subscription($region: String) { nodeCapacity(region: $region) { nodePubkey region activeSessions freeCapacity maxCapacity cause signature } }`;
const EVENTS_SUB = `subscription($node: Pubkey) { events(node: $node, names: [SessionOpened, ChunkClaimed, SessionClosed]) { name signature sessionPubkey data } }`;

describe('subscriptions over graphql-ws and SSE', () => {
  it('both clients see session changes, capacity changes and events in order as transactions confirm', async () => {
    const before = s.feed.subscriberCount();
    const subscribers = () => s.api.yoga.api.metrics.subscribersConnected();
    const ws = wsClient(s.wsUrl);
    await ws.connected;
    const wsSession = wsSubscribe(ws.client, SESSION_SUB, { node: node.node.toBase58() });
    const wsCapacity = wsSubscribe(ws.client, CAPACITY_SUB, { region: 'ap-south' });
    const wsEvents = wsSubscribe(ws.client, EVENTS_SUB, { node: node.node.toBase58() });

    // SSE: the graphql-sse client (distinct connections) for sessions, a raw
    // text/event-stream reader for capacity.
    const sse = createSseClient({ url: `${s.url}/graphql`, retryAttempts: 0 });
    const sseSession: any[] = [];
    const stopSse = sse.subscribe({ query: SESSION_SUB, variables: { node: node.node.toBase58() } }, {
      next: (r) => void sseSession.push(r),
      error: () => undefined,
      complete: () => undefined,
    });
    const sseCapacity = sseSubscribe(s.url, CAPACITY_SUB, { region: 'ap-south' });
    await sseCapacity.open;
    await waitFor(() => subscribers() === 5, { what: 'five subscriptions running' });
    // Same document and variables on both transports share one execution:
    // three distinct subscriptions on the bus for five subscribers.
    expect(s.feed.subscriberCount()).toBe(before + 3);

    // Activity: one session on the watched node (open, claim, close), one on another node.
    const sess = await openTimeSession(s.chain, node, 10);
    const noise = await openTimeSession(s.chain, other, 10);
    await s.chain.warpSeconds(120);
    const claim = await s.chain.send(claimChunkIx(s.chain, sess, cfg.treasury.publicKey, 60), [node.owner.authority]);
    const close = await s.chain.send(closeSessionIx(s.chain, sess, cfg.treasury.publicKey), [sess.user]);
    const sigs = [sess.result.signature, claim.signature, close.signature];

    await waitFor(() => wsSession.results.length >= 3 && sseSession.length >= 3, { what: 'three session changes on both transports' });
    await waitFor(() => wsCapacity.results.length >= 2 && sseCapacity.results.length >= 2, { what: 'two capacity changes on both transports' });
    await waitFor(() => wsEvents.results.length >= 3, { what: 'three events on the feed' });

    const changes = wsSession.results.map((r) => r.data.sessionChanged);
    expect(wsSession.errors).toEqual([]);
    expect(changes.map((c) => c.signature)).toEqual(sigs);
    expect(changes.map((c) => [c.previousState, c.state, c.cause])).toEqual([
      [null, 'ACTIVE', 'SessionOpened'],
      ['ACTIVE', 'ACTIVE', 'ChunkClaimed'],
      ['ACTIVE', 'CLOSED', 'SessionClosed'],
    ]);
    for (const c of changes) {
      expect(c.sessionPubkey).toBe(sess.session.toBase58());
      expect(c.user).toBe(sess.user.publicKey.toBase58());
      expect(c.nodePubkey).toBe(node.node.toBase58());
      expect(typeof c.remainingBalance).toBe('string');
    }
    expect(BigInt(changes[1].claimedAmount)).toBeGreaterThan(0n);
    expect(BigInt(changes[2].refundedAmount)).toBeGreaterThan(0n);
    expect(changes.every((c, i) => i === 0 || BigInt(c.slot) > BigInt(changes[i - 1].slot))).toBe(true);
    // SSE saw exactly the same changes, in the same order.
    expect(sseSession.map((r) => r.data.sessionChanged)).toEqual(changes);

    const capacity = wsCapacity.results.map((r) => r.data.nodeCapacity);
    expect(capacity.map((c) => [c.nodePubkey, c.activeSessions, c.freeCapacity, c.cause])).toEqual([
      [node.node.toBase58(), '1', '2', 'SessionOpened'],
      [node.node.toBase58(), '0', '3', 'SessionClosed'],
    ]);
    expect(capacity.map((c) => c.signature)).toEqual([sess.result.signature, close.signature]);
    expect(sseCapacity.results.map((r) => r.data.nodeCapacity)).toEqual(capacity);

    const events = wsEvents.results.map((r) => r.data.events);
    expect(events.map((e) => [e.name, e.signature])).toEqual([
      ['SessionOpened', sess.result.signature],
      ['ChunkClaimed', claim.signature],
      ['SessionClosed', close.signature],
    ]);
    expect(events[0].data.session).toBe(sess.session.toBase58());
    // the other node's session reached nobody here
    for (const r of [...wsSession.results, ...sseSession]) expect(r.data.sessionChanged.sessionPubkey).not.toBe(noise.session.toBase58());

    // The SessionChange's `session` field reads the indexed row.
    const withRow = wsSubscribe(ws.client, `subscription($s: Pubkey) { sessionChanged(session: $s) { state session { pubkey state claimedAmount node { region } } } }`, {
      s: noise.session.toBase58(),
    });
    await waitFor(() => subscribers() === 6, { what: 'row subscription registered' });
    const closeNoise = await s.chain.send(closeSessionIx(s.chain, noise, cfg.treasury.publicKey), [noise.user]);
    await waitFor(() => withRow.results.length >= 1, { what: 'noise session change' });
    expect(withRow.results[0].data.sessionChanged).toEqual({
      state: 'CLOSED',
      session: { pubkey: noise.session.toBase58(), state: 'CLOSED', claimedAmount: expect.any(String), node: { region: 'eu-north' } },
    });
    expect(closeNoise.signature).toBeTruthy();

    // Metrics count the subscribers connected on each transport.
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/dvpn_api_subscriptions_active\{transport="ws"\} 4/);
    expect(metrics).toMatch(/dvpn_api_subscriptions_active\{transport="sse"\} 2/);
    expect(metrics).toMatch(/dvpn_api_subscribers_connected 6/);

    // Leaving releases the bus subscriptions (nothing leaks per client).
    wsSession.dispose();
    wsCapacity.dispose();
    wsEvents.dispose();
    withRow.dispose();
    stopSse();
    sseCapacity.close();
    await ws.client.dispose();
    sse.dispose();
    await waitFor(() => s.feed.subscriberCount() === before, { what: 'bus subscriptions released' });
    await waitFor(async () => /dvpn_api_subscribers_connected 0/.test(await (await fetch(`${s.url}/metrics`)).text()), {
      what: 'metrics back to zero subscribers',
    });
  });
});
