// register_node and update_node, and the open_session gates that depend on a node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SIZES, SessionMode, fetchNode, fetchProvider, findNodePda, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  DEFAULT_NODE,
  SOL,
  createNode,
  createProvider,
  createProviderWithNode,
  eventOf,
  initConfig,
  openTimeSession,
  rentFor,
} from '../harness/fixtures.js';

let chain: Chain;

beforeAll(async () => {
  chain = await startChain();
  await initConfig(chain, { minProviderStake: 2n * SOL });
});
afterAll(() => chain?.close());

describe('register_node', () => {
  it('creates nodes 0, 1, ... with every field, counts them on the Provider, emits NodeRegistered', async () => {
    const owner = await createProvider(chain, { stake: 2n * SOL });
    const before = await chain.lamports(owner.authority.publicKey);
    const n0 = await createNode(chain, owner, { endpoint: 'a.example:51820', region: 'eu-west', maxCapacity: 3 });
    const rent = await rentFor(chain, ACCOUNT_SIZES.Node);
    expect(await chain.lamports(owner.authority.publicKey)).toBe(before - rent);
    expect(n0.nodeId).toBe(0n);
    const [pda0, bump0] = findNodePda(owner.provider, 0n);
    expect(n0.node.toBase58()).toBe(pda0.toBase58());

    const acc = (await fetchNode(chain.connection, n0.node))!;
    expect(acc.provider.toBase58()).toBe(owner.provider.toBase58());
    expect(acc.nodeId).toBe(0n);
    expect(acc.endpoint).toBe('a.example:51820');
    expect(acc.region).toBe('eu-west');
    expect(acc.pricePerMinute).toBe(DEFAULT_NODE.pricePerMinute);
    expect(acc.pricePerMinuteToken).toBe(DEFAULT_NODE.pricePerMinuteToken);
    expect([...acc.wgServerPubkey]).toEqual([...DEFAULT_NODE.wgServerPubkey]);
    expect(acc.maxCapacity).toBe(3);
    expect(acc.activeSessions).toBe(0);
    expect(acc.totalSessions).toBe(0n);
    expect(acc.isActive).toBe(true);
    expect(acc.createdAt).toBe(await chain.now());
    expect(acc.bump).toBe(bump0);

    const ev = eventOf(n0.result, 'NodeRegistered');
    expect(ev.node.toBase58()).toBe(n0.node.toBase58());
    expect(ev.provider.toBase58()).toBe(owner.provider.toBase58());
    expect(ev.nodeId).toBe(0n);
    expect(ev.endpoint).toBe('a.example:51820');
    expect(ev.region).toBe('eu-west');
    expect(ev.pricePerMinute).toBe(DEFAULT_NODE.pricePerMinute);
    expect(ev.pricePerMinuteToken).toBe(DEFAULT_NODE.pricePerMinuteToken);
    expect([...ev.wgServerPubkey]).toEqual([...DEFAULT_NODE.wgServerPubkey]);
    expect(ev.maxCapacity).toBe(3);

    const n1 = await createNode(chain, owner, { endpoint: 'b.example:51820', region: 'us-east' });
    expect(n1.nodeId).toBe(1n);
    expect((await fetchProvider(chain.connection, owner.provider))!.nodeCount).toBe(2n);
    expect((await fetchNode(chain.connection, n1.node))!.region).toBe('us-east');
  });

  it('accepts the longest endpoint (64 bytes) and region (16 bytes)', async () => {
    const owner = await createProvider(chain, { stake: 2n * SOL });
    const endpoint = 'e'.repeat(58) + ':51820';
    const region = 'r'.repeat(16);
    const n = await createNode(chain, owner, { endpoint, region });
    const acc = (await fetchNode(chain.connection, n.node))!;
    expect(acc.endpoint).toBe(endpoint);
    expect(acc.region).toBe(region);
  });

  it('refuses a wrong node id, bad strings, zero capacity and too little stake', async () => {
    const owner = await createProvider(chain, { stake: 2n * SOL });
    const base = { authority: owner.authority.publicKey, ...DEFAULT_NODE };
    const fails = (p: Partial<typeof base> & { nodeId: bigint }, name: string) =>
      chain.expectError(ix.registerNode({ ...base, ...p }), [owner.authority], name);
    await fails({ nodeId: 1n }, 'InvalidNodeId');
    await fails({ nodeId: 0n, endpoint: 'x'.repeat(65) }, 'StringTooLong');
    await fails({ nodeId: 0n, endpoint: '' }, 'StringTooLong');
    await fails({ nodeId: 0n, region: 'r'.repeat(17) }, 'StringTooLong');
    await fails({ nodeId: 0n, region: '' }, 'StringTooLong');
    await fails({ nodeId: 0n, maxCapacity: 0 }, 'InvalidCapacity');
    expect((await fetchProvider(chain.connection, owner.provider))!.nodeCount).toBe(0n);

    const poor = await createProvider(chain, { stake: 2n * SOL - 1n });
    const err = await chain.expectError(
      ix.registerNode({ authority: poor.authority.publicKey, nodeId: 0n, ...DEFAULT_NODE }),
      [poor.authority], 'InsufficientStake');
  });
});

describe('update_node', () => {
  it('changes only the given fields and emits NodeUpdated with the values after the change', async () => {
    const n = await createProviderWithNode(chain, {}, { stake: 2n * SOL });
    const newKey = new Uint8Array(32).fill(9);
    const res = await chain.send(
      ix.updateNode({ authority: n.owner.authority.publicKey, node: n.node, pricePerMinute: 5n, region: 'ap-south', wgServerPubkey: newKey }),
      [n.owner.authority],
    );
    const acc = (await fetchNode(chain.connection, n.node))!;
    expect(acc.pricePerMinute).toBe(5n);
    expect(acc.region).toBe('ap-south');
    expect([...acc.wgServerPubkey]).toEqual([...newKey]);
    // untouched
    expect(acc.endpoint).toBe(DEFAULT_NODE.endpoint);
    expect(acc.pricePerMinuteToken).toBe(DEFAULT_NODE.pricePerMinuteToken);
    expect(acc.maxCapacity).toBe(DEFAULT_NODE.maxCapacity);
    expect(acc.isActive).toBe(true);

    const ev = eventOf(res, 'NodeUpdated');
    expect(ev.node.toBase58()).toBe(n.node.toBase58());
    expect(ev.provider.toBase58()).toBe(n.owner.provider.toBase58());
    expect(ev.pricePerMinute).toBe(5n);
    expect(ev.pricePerMinuteToken).toBe(DEFAULT_NODE.pricePerMinuteToken);
    expect(ev.region).toBe('ap-south');
    expect(ev.endpoint).toBe(DEFAULT_NODE.endpoint);
    expect(ev.maxCapacity).toBe(DEFAULT_NODE.maxCapacity);
    expect(ev.activeSessions).toBe(0);
    expect(ev.isActive).toBe(true);

    // Shorter strings replace longer ones completely (no stale bytes after the new value).
    await chain.send(ix.updateNode({ authority: n.owner.authority.publicKey, node: n.node, endpoint: 'z:1' }), [n.owner.authority]);
    expect((await fetchNode(chain.connection, n.node))!.endpoint).toBe('z:1');

    const who = n.owner.authority.publicKey;
    await chain.expectError(ix.updateNode({ authority: who, node: n.node, region: 'r'.repeat(17) }), [n.owner.authority], 'StringTooLong');
    await chain.expectError(ix.updateNode({ authority: who, node: n.node, maxCapacity: 0 }), [n.owner.authority], 'InvalidCapacity');
  });

  it("refuses another provider's authority", async () => {
    const n = await createProviderWithNode(chain, {}, { stake: 2n * SOL });
    const other = await createProvider(chain, { stake: 2n * SOL });
    const err = await chain.sendExpectingError(
      ix.updateNode({ authority: other.authority.publicKey, node: n.node, pricePerMinute: 1n }),
      [other.authority],
    );
    expect(['Unauthorized', 'InvalidPda']).toContain(err.errorName);
    expect((await fetchNode(chain.connection, n.node))!.pricePerMinute).toBe(DEFAULT_NODE.pricePerMinute);
  });
});

describe('open_session gates on the node', () => {
  it('NodeInactive when the provider deactivates it, allowed again when reactivated', async () => {
    const n = await createProviderWithNode(chain, {}, { stake: 2n * SOL });
    await chain.send(ix.updateNode({ authority: n.owner.authority.publicKey, node: n.node, isActive: false }), [n.owner.authority]);
    expect((await fetchNode(chain.connection, n.node))!.isActive).toBe(false);
    const user = await chain.fundedKeypair(10);
    const open = ix.openSession({ user: user.publicKey, provider: n.owner.provider, node: n.node, sessionId: 0n, mode: SessionMode.Time, durationMinutes: 5, tickAmount: n.pricePerMinute });
    await chain.expectError(open, [user], 'NodeInactive');
    await chain.send(ix.updateNode({ authority: n.owner.authority.publicKey, node: n.node, isActive: true }), [n.owner.authority]);
    await chain.send(open, [user]);
    expect((await fetchNode(chain.connection, n.node))!.activeSessions).toBe(1);
  });

  it('NodeFull at max_capacity; capacity may be lowered below active_sessions', async () => {
    const n = await createProviderWithNode(chain, { maxCapacity: 2 }, { stake: 2n * SOL });
    await openTimeSession(chain, n, 5);
    await openTimeSession(chain, n, 5);
    expect((await fetchNode(chain.connection, n.node))!.activeSessions).toBe(2);
    const user = await chain.fundedKeypair(10);
    const open = (id: bigint) =>
      ix.openSession({ user: user.publicKey, provider: n.owner.provider, node: n.node, sessionId: id, mode: SessionMode.Time, durationMinutes: 5, tickAmount: n.pricePerMinute });
    await chain.expectError(open(0n), [user], 'NodeFull');

    const res = await chain.send(ix.updateNode({ authority: n.owner.authority.publicKey, node: n.node, maxCapacity: 1 }), [n.owner.authority]);
    const ev = eventOf(res, 'NodeUpdated');
    expect(ev.maxCapacity).toBe(1);
    expect(ev.activeSessions).toBe(2);
    const acc = (await fetchNode(chain.connection, n.node))!;
    expect(acc.maxCapacity).toBe(1);
    expect(acc.activeSessions).toBe(2);
    await chain.expectError(open(0n), [user], 'NodeFull');
  });

  it('InsufficientStake when the provider unstakes below the minimum', async () => {
    const n = await createProviderWithNode(chain, {}, { stake: 2n * SOL });
    await chain.send(ix.requestUnstake({ authority: n.owner.authority.publicKey, amount: 1n }), [n.owner.authority]);
    const user = await chain.fundedKeypair(10);
    const err = await chain.expectError(
      ix.openSession({ user: user.publicKey, provider: n.owner.provider, node: n.node, sessionId: 0n, mode: SessionMode.Time, durationMinutes: 5, tickAmount: n.pricePerMinute }),
      [user], 'InsufficientStake');
  });

  it('ZeroAmount for a SOL time session on a node with a zero SOL price', async () => {
    const n = await createProviderWithNode(chain, { pricePerMinute: 0n }, { stake: 2n * SOL });
    const user = await chain.fundedKeypair(10);
    const err = await chain.expectError(
      ix.openSession({ user: user.publicKey, provider: n.owner.provider, node: n.node, sessionId: 0n, mode: SessionMode.Time, durationMinutes: 5, tickAmount: n.pricePerMinute }),
      [user], 'ZeroAmount');
  });
});
