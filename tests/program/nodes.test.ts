// Nodes: register_node / update_node, capacity and activity (docs/PROGRAM.md "Nodes and capacity").
import { Keypair } from '@solana/web3.js';
import { buildInstruction, findNodePda, ix } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addNode,
  addProvider,
  addUser,
  closeIx,
  createMarket,
  createWorld,
  eventOf,
  expectErr,
  expectOk,
  expectPdaRejected,
  nextSessionId,
  openIx,
  openTime,
  openUsage,
  rentOf,
  replaceAccount,
  SessionMode,
  SOL,
  stateOf,
  track,
  type ProviderFx,
} from './setup.js';

const WG = new Uint8Array(32).map((_, i) => i + 1);

function registerIx(p: ProviderFx, nodeId: bigint, over: Record<string, unknown> = {}) {
  return ix.registerNode({
    authority: p.authority.publicKey,
    nodeId,
    endpoint: 'vpn.example.org:51820',
    region: 'us-east',
    pricePerMinute: 2_000_000n,
    pricePerMinuteToken: 20_000n,
    pricePerTick: 3_000n,
    pricePerTickToken: 30n,
    wgServerPubkey: WG,
    maxCapacity: 3,
    ...over,
  });
}

describe('register_node', () => {
  it('creates Node 0 with every field, bumps node_count, paid by the authority', () => {
    // given a staked provider
    const w = createWorld();
    const p = addProvider(w);
    const [node, bump] = findNodePda(p.provider, 0n);
    const d = track(w.env, { authority: p.authority.publicKey, node });
    // when it registers node 0
    const r = expectOk(w.env.send(registerIx(p, 0n), [p.authority]));
    // then the Node holds what was sent
    const n = w.env.node(node);
    expect(n.provider.toBase58()).toBe(p.provider.toBase58());
    expect(n.wgServerPubkey).toEqual(WG);
    expect(n.endpoint).toBe('vpn.example.org:51820');
    expect(n.region).toBe('us-east');
    expect(n.nodeId).toBe(0n);
    expect(n.pricePerMinute).toBe(2_000_000n);
    expect(n.pricePerMinuteToken).toBe(20_000n);
    expect(n.pricePerTick).toBe(3_000n);
    expect(n.pricePerTickToken).toBe(30n);
    expect(n.totalUptimeSeconds).toBe(0n);
    expect(n.totalSessions).toBe(0n);
    expect(n.createdAt).toBe(w.env.now());
    expect(n.maxCapacity).toBe(3);
    expect(n.activeSessions).toBe(0);
    expect(n.isActive).toBe(true);
    expect(n.bump).toBe(bump);
    expect(w.env.raw(node)!.data.length).toBe(232);
    expect(w.env.provider(p.provider).nodeCount).toBe(1n);
    expect(d()).toEqual({ authority: -rentOf(w.env, 'Node'), node: rentOf(w.env, 'Node') });
    const ev = eventOf(r, 'NodeRegistered');
    expect(ev.node.toBase58()).toBe(node.toBase58());
    expect(ev.provider.toBase58()).toBe(p.provider.toBase58());
    expect(ev.nodeId).toBe(0n);
    expect(ev.endpoint).toBe('vpn.example.org:51820');
    expect(ev.region).toBe('us-east');
    expect(ev.pricePerMinute).toBe(2_000_000n);
    expect(ev.pricePerMinuteToken).toBe(20_000n);
    expect(ev.pricePerTick).toBe(3_000n);
    expect(ev.pricePerTickToken).toBe(30n);
    expect(ev.wgServerPubkey).toEqual(WG);
    expect(ev.maxCapacity).toBe(3);
    expect(ev.timestamp).toBe(w.env.now());
  });

  it('takes ids in order 0, 1, 2 and refuses a gap (InvalidNodeId)', () => {
    const w = createWorld();
    const p = addProvider(w);
    expectOk(w.env.send(registerIx(p, 0n), [p.authority]));
    expectErr(w.env.send(registerIx(p, 2n), [p.authority]), 'InvalidNodeId');
    expect(w.env.exists(findNodePda(p.provider, 2n)[0])).toBe(false);
    expectOk(w.env.send(registerIx(p, 1n), [p.authority]));
    expect(w.env.provider(p.provider).nodeCount).toBe(2n);
  });

  it('refuses to register an existing id again', () => {
    const w = createWorld();
    const p = addProvider(w);
    expectOk(w.env.send(registerIx(p, 0n), [p.authority]));
    const [node0] = findNodePda(p.provider, 0n);
    const before = stateOf(w.env, [node0, p.provider]);
    const r = w.env.send(registerIx(p, 0n, { endpoint: 'evil:1' }), [p.authority]);
    expect(r.ok).toBe(false);
    expect(['InvalidNodeId', 'AlreadyInitialized']).toContain(r.error?.name);
    expect(stateOf(w.env, [node0, p.provider])).toBe(before);
  });

  it('requires min_provider_stake (InsufficientStake)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: w.cfg.minProviderStake - 1n });
    expectErr(w.env.send(registerIx(p, 0n), [p.authority]), 'InsufficientStake');
    expect(w.env.provider(p.provider).nodeCount).toBe(0n);
  });

  it('counts only active stake, not unstaking lamports (InsufficientStake)', () => {
    const w = createWorld();
    const p = addProvider(w, { stake: w.cfg.minProviderStake });
    expectOk(w.env.send(ix.requestUnstake({ authority: p.authority.publicKey, amount: 1n }), [p.authority]));
    expectErr(w.env.send(registerIx(p, 0n), [p.authority]), 'InsufficientStake');
  });

  it('refuses max_capacity 0 (InvalidCapacity)', () => {
    const w = createWorld();
    const p = addProvider(w);
    expectErr(w.env.send(registerIx(p, 0n, { maxCapacity: 0 }), [p.authority]), 'InvalidCapacity');
  });

  it('accepts a 64-byte endpoint and a 16-byte region exactly', () => {
    const w = createWorld();
    const p = addProvider(w);
    const endpoint = `${'é'.repeat(30)}:518`; // 60 bytes of UTF-8 + 4
    expect(Buffer.byteLength(endpoint)).toBe(64);
    expectOk(w.env.send(registerIx(p, 0n, { endpoint, region: 'r'.repeat(16) }), [p.authority]));
    const n = w.env.node(findNodePda(p.provider, 0n)[0]);
    expect(n.endpoint).toBe(endpoint);
    expect(n.region).toBe('r'.repeat(16));
  });

  it.each([
    ['endpoint', 'e'.repeat(65)],
    ['endpoint', ''],
    ['region', 'r'.repeat(17)],
    ['region', ''],
  ])('refuses %s of %#: (StringTooLong)', (field, value) => {
    const w = createWorld();
    const p = addProvider(w);
    expectErr(w.env.send(registerIx(p, 0n, { [field]: value }), [p.authority]), 'StringTooLong');
    expect(w.env.exists(findNodePda(p.provider, 0n)[0])).toBe(false);
  });

  it("refuses to add a node under another authority's Provider (Unauthorized)", () => {
    const w = createWorld();
    const a = addProvider(w);
    const stranger = w.env.wallet(10n * SOL);
    const [node, nodeBump] = findNodePda(a.provider, 0n);
    const bad = buildInstruction(
      'register_node',
      { nodeId: 0n, endpoint: 'x:1', region: 'eu', pricePerMinute: 1n, pricePerMinuteToken: 1n, pricePerTick: 1n, pricePerTickToken: 1n, wgServerPubkey: WG, maxCapacity: 1, nodeBump },
      { authority: stranger.publicKey, provider: a.provider, node },
    );
    expectErr(w.env.send(bad, [stranger]), 'Unauthorized');
    expect(w.env.exists(node)).toBe(false);
  });

  it('refuses a node address that is not the PDA of (provider, node_id) (runtime seed check)', () => {
    const w = createWorld();
    const p = addProvider(w);
    const fake = Keypair.generate().publicKey;
    expectPdaRejected(w.env.send(replaceAccount(registerIx(p, 0n), 3, fake), [p.authority]));
    expect(w.env.provider(p.provider).nodeCount).toBe(0n);
  });

  it('requires the authority signature (MissingSignature)', () => {
    const w = createWorld();
    const p = addProvider(w);
    const unsigned = replaceAccount(registerIx(p, 0n), 0, p.authority.publicKey, { isSigner: false });
    expectErr(w.env.send(unsigned), 'MissingSignature');
  });
});

describe('update_node', () => {
  function market() {
    const w = createWorld();
    const p = addProvider(w);
    const n = addNode(w, p, { maxCapacity: 2 });
    return { w, p, n };
  }

  it('changes only the given fields and emits NodeUpdated with the full node', () => {
    const { w, p, n } = market();
    const before = w.env.node(n.node);
    const newWg = new Uint8Array(32).fill(9);
    const r = expectOk(
      w.env.send(
        ix.updateNode({ authority: p.authority.publicKey, node: n.node, pricePerMinute: 5n, endpoint: 'new.example:1', wgServerPubkey: newWg }),
        [p.authority],
      ),
    );
    const after = w.env.node(n.node);
    expect(after).toEqual({ ...before, pricePerMinute: 5n, endpoint: 'new.example:1', wgServerPubkey: newWg });
    const ev = eventOf(r, 'NodeUpdated');
    expect(ev.node.toBase58()).toBe(n.node.toBase58());
    expect(ev.provider.toBase58()).toBe(p.provider.toBase58());
    expect(ev.endpoint).toBe('new.example:1');
    expect(ev.region).toBe(before.region);
    expect(ev.pricePerMinute).toBe(5n);
    expect(ev.pricePerMinuteToken).toBe(before.pricePerMinuteToken);
    expect(ev.wgServerPubkey).toEqual(newWg);
    expect(ev.maxCapacity).toBe(2);
    expect(ev.activeSessions).toBe(0);
    expect(ev.isActive).toBe(true);
    expect(ev.timestamp).toBe(w.env.now());

    // a shorter endpoint leaves no trailing bytes of the old one
    expectOk(w.env.send(ix.updateNode({ authority: p.authority.publicKey, node: n.node, endpoint: 'a:1', region: 'ap' }), [p.authority]));
    expect(w.env.node(n.node).endpoint).toBe('a:1');
    expect(w.env.node(n.node).region).toBe('ap');
    // every other field
    expectOk(
      w.env.send(
        ix.updateNode({
          authority: p.authority.publicKey,
          node: n.node,
          pricePerMinuteToken: 7n,
          maxCapacity: 9,
          isActive: false,
          pricePerTick: 11n,
          pricePerTickToken: 13n,
        }),
        [p.authority],
      ),
    );
    const last = w.env.node(n.node);
    expect(last.pricePerTick).toBe(11n);
    expect(last.pricePerTickToken).toBe(13n);
    expect(last.pricePerMinuteToken).toBe(7n);
    expect(last.maxCapacity).toBe(9);
    expect(last.isActive).toBe(false);
  });

  it('an inactive node takes no session (NodeInactive) until it is active again', () => {
    const { w, p, n } = market();
    const u = addUser(w);
    expectOk(w.env.send(ix.updateNode({ authority: p.authority.publicKey, node: n.node, isActive: false }), [p.authority]));
    for (const [mode, spl] of [[SessionMode.Time, false], [SessionMode.Time, true], [SessionMode.Usage, false], [SessionMode.Usage, true]] as const) {
      const { instruction } = openIx(w, u, n, mode, { sessionId: 0n, spl, minutes: 10, maxTicks: 10 });
      expectErr(w.env.send(instruction, [u.kp]), 'NodeInactive');
    }
    expect(w.env.node(n.node).activeSessions).toBe(0);
    expectOk(w.env.send(ix.updateNode({ authority: p.authority.publicKey, node: n.node, isActive: true }), [p.authority]));
    openTime(w, u, n, { minutes: 10 });
    expect(w.env.node(n.node).activeSessions).toBe(1);
  });

  it('a full node refuses sessions (NodeFull); closing one frees its slot', () => {
    const { w, n } = market();
    const u = addUser(w);
    const s1 = openTime(w, u, n, { minutes: 10 });
    openUsage(w, u, n, { minutes: 10, maxTicks: 5, spl: true });
    expect(w.env.node(n.node).activeSessions).toBe(2);
    // (the next id in order: only the capacity stands in the way)
    const { instruction } = openIx(w, u, n, SessionMode.Time, { sessionId: nextSessionId(w, u), minutes: 10 });
    expectErr(w.env.send(instruction, [u.kp]), 'NodeFull');
    expectOk(w.env.send(closeIx(s1), [u.kp]));
    expect(w.env.node(n.node).activeSessions).toBe(1);
    expectOk(w.env.send(instruction, [u.kp]));
    expect(w.env.node(n.node).activeSessions).toBe(2);
  });

  it('may lower max_capacity below active_sessions: no new session until enough end', () => {
    const { w, p, n } = market();
    const u = addUser(w);
    const s1 = openTime(w, u, n, { minutes: 10 });
    const s2 = openTime(w, u, n, { minutes: 10 });
    expectOk(w.env.send(ix.updateNode({ authority: p.authority.publicKey, node: n.node, maxCapacity: 1 }), [p.authority]));
    expect(w.env.node(n.node).maxCapacity).toBe(1);
    expect(w.env.node(n.node).activeSessions).toBe(2);
    const next = openIx(w, u, n, SessionMode.Time, { sessionId: nextSessionId(w, u), minutes: 10 }).instruction;
    expectErr(w.env.send(next, [u.kp]), 'NodeFull');
    expectOk(w.env.send(closeIx(s1), [u.kp]));
    expectErr(w.env.send(next, [u.kp]), 'NodeFull'); // 1 active, capacity 1
    expectOk(w.env.send(closeIx(s2), [u.kp]));
    expectOk(w.env.send(next, [u.kp]));
  });

  it('refuses max_capacity 0 (InvalidCapacity) and bad strings (StringTooLong)', () => {
    const { w, p, n } = market();
    const before = stateOf(w.env, [n.node]);
    const auth = p.authority.publicKey;
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: n.node, maxCapacity: 0 }), [p.authority]), 'InvalidCapacity');
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: n.node, endpoint: 'e'.repeat(65) }), [p.authority]), 'StringTooLong');
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: n.node, endpoint: '' }), [p.authority]), 'StringTooLong');
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: n.node, region: 'r'.repeat(17) }), [p.authority]), 'StringTooLong');
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: n.node, region: '' }), [p.authority]), 'StringTooLong');
    expect(stateOf(w.env, [n.node])).toBe(before);
  });

  it("refuses another provider's node with one's own Provider (InvalidPda)", () => {
    const { w, n } = market();
    const b = addProvider(w);
    const before = stateOf(w.env, [n.node]);
    expectErr(w.env.send(ix.updateNode({ authority: b.authority.publicKey, node: n.node, isActive: false }), [b.authority]), 'InvalidPda');
    expect(stateOf(w.env, [n.node])).toBe(before);
  });

  it("refuses a stranger signing with the node's own Provider (Unauthorized)", () => {
    const { w, p, n } = market();
    const stranger = w.env.wallet(SOL);
    const bad = buildInstruction('update_node', { isActive: false }, { authority: stranger.publicKey, provider: p.provider, node: n.node });
    expectErr(w.env.send(bad, [stranger]), 'Unauthorized');
    expect(w.env.node(n.node).isActive).toBe(true);
  });

  it('refuses a non-Node account (InvalidAccountData) and a foreign-owned one (InvalidAccountOwner)', () => {
    const { w, p } = market();
    const auth = p.authority.publicKey;
    // the Provider account is program-owned but not a Node
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: p.provider, isActive: false }), [p.authority]), 'InvalidAccountData');
    // a wallet is not owned by the program
    expectErr(w.env.send(ix.updateNode({ authority: auth, node: p.authority.publicKey, isActive: false }), [p.authority]), 'InvalidAccountOwner');
  });

  it('requires the authority signature (MissingSignature)', () => {
    const { w, p, n } = market();
    const unsigned = replaceAccount(ix.updateNode({ authority: p.authority.publicKey, node: n.node, isActive: false }), 0, p.authority.publicKey, {
      isSigner: false,
    });
    expectErr(w.env.send(unsigned), 'MissingSignature');
  });
});

describe('opening sessions against node prices and provider stake', () => {
  it('a SOL time session on a node with price_per_minute 0 fails (ZeroAmount)', () => {
    const { w, node, user } = createMarket({}, { pricePerMinute: 0n });
    expectErr(w.env.send(openIx(w, user, node, SessionMode.Time, { sessionId: 0n }).instruction, [user.kp]), 'ZeroAmount');
  });

  it('token sessions on a node with both token prices 0 fail (TokenPaymentsDisabled), SOL ones work', () => {
    const { w, node, user } = createMarket({}, { pricePerMinuteToken: 0n, pricePerTickToken: 0n });
    for (const mode of [SessionMode.Time, SessionMode.Usage]) {
      const { instruction } = openIx(w, user, node, mode, { sessionId: 0n, spl: true, maxTicks: 5 });
      expectErr(w.env.send(instruction, [user.kp]), 'TokenPaymentsDisabled');
    }
    openTime(w, user, node, { minutes: 5 });
  });

  it('a token price of 0 refuses only its own kind of token session (ZeroAmount)', () => {
    // given a node with a token tick price but no token minute price
    const { w, node, user } = createMarket({}, { pricePerMinuteToken: 0n, pricePerTickToken: 100n });
    const time = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl: true, minutes: 5 }).instruction;
    expectErr(w.env.send(time, [user.kp]), 'ZeroAmount');
    // then usage token sessions still open, at the node's tick price
    const s = openUsage(w, user, node, { spl: true, maxTicks: 5 });
    expect(w.env.session(s.session).tickAmount).toBe(100n);
    // and the reverse: no token tick price refuses token usage sessions
    const m = createMarket({}, { pricePerMinuteToken: 10n, pricePerTickToken: 0n });
    const usage = openIx(m.w, m.user, m.node, SessionMode.Usage, { sessionId: 0n, spl: true, maxTicks: 5 }).instruction;
    expectErr(m.w.env.send(usage, [m.user.kp]), 'ZeroAmount');
    openTime(m.w, m.user, m.node, { spl: true, minutes: 5 });
  });

  it('a provider whose active stake fell below the minimum takes no session (InsufficientStake)', () => {
    const { w, prov, node, user } = createMarket();
    expectOk(w.env.send(ix.requestUnstake({ authority: prov.authority.publicKey, amount: 1n }), [prov.authority]));
    for (const spl of [false, true]) {
      const { instruction } = openIx(w, user, node, SessionMode.Time, { sessionId: 0n, spl });
      expectErr(w.env.send(instruction, [user.kp]), 'InsufficientStake');
    }
  });
});
