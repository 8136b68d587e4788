// Edge cases: amounts near u64::MAX (docs/PROGRAM.md "Amounts": earned(t) in u128),
// and PDAs someone pre-funded to block their creation (docs: "the runtime checks"
// creation; a transfer to the address must not be a denial of service).
import { SystemProgram } from '@solana/web3.js';
import { findNodePda, findSessionPda, findSessionVaultPda, SessionMode } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  createWorld,
  earned,
  expectOk,
  flows,
  openIx,
  openTime,
  payoutIx,
  rentOf,
  SOL,
  split,
  splitRunning,
  track,
} from './setup.js';

const FEE = 250;

describe('amounts near u64::MAX (USDC)', () => {
  it('an escrow of u64::MAX - 1 token units is claimed, closed and settled to the unit', () => {
    // given a node priced at (2^64 - 1) / 2 token units a minute and a user holding 2 minutes of it
    const w = createWorld();
    const prov = addProvider(w);
    const price = (2n ** 64n - 1n) / 2n;
    const node = addNode(w, prov, { pricePerMinuteToken: price });
    const user = addUser(w, { usdc: 0n });
    const escrow = price * 2n;
    w.env.mintTo(w.usdc, user.token, escrow);
    // when it opens a 2-minute USDC time session
    const s = openTime(w, user, node, { spl: true, minutes: 2 });
    expect(w.env.session(s.session).escrowAmount).toBe(escrow);
    // then a claim through second 1 pays escrow / 120 (u128 arithmetic, fee without overflow)
    w.env.setTime(s.startTs + 1n);
    const m1 = flows(s);
    expectOk(w.env.send(claimIx(s, 1), [prov.authority]));
    const pay1 = earned(escrow, 120n, 1n);
    const [net1, fee1] = split(pay1, FEE);
    m1.check({ provider: net1, fee: fee1, refund: 0n });
    // and a close at second 61 pays seconds 1..61 and refunds the rest
    w.env.setTime(s.startTs + 61n);
    const m2 = flows(s);
    expectOk(w.env.send(closeIx(s), [user.kp]));
    const pay2 = earned(escrow, 120n, 61n) - pay1;
    const [net2, fee2] = splitRunning(pay1, pay2, FEE);
    m2.check({ provider: net2, fee: fee2, refund: escrow - earned(escrow, 120n, 61n) });
    // and the payout returns the rent, leaving nothing behind
    const m3 = flows(s);
    expectOk(w.env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
    m3.check({ provider: 0n, fee: 0n, refund: 0n, rentToUser: rentOf(w.env, 'Session') + rentOf(w.env, 'TokenAccount') });
    expect(w.env.provider(prov.provider).totalEarnedToken).toBe(net1 + net2);
  });

  it('an Active session of u64::MAX - 1 settles after its window (fee on the whole escrow)', () => {
    const w = createWorld();
    const prov = addProvider(w);
    const price = (2n ** 64n - 1n) / 2n;
    const node = addNode(w, prov, { pricePerMinuteToken: price });
    const user = addUser(w, { usdc: 0n });
    w.env.mintTo(w.usdc, user.token, price * 2n);
    const s = openTime(w, user, node, { spl: true, minutes: 2 });
    w.env.setTime(s.startTs + 120n + w.cfg.settleWindowSeconds + 1n);
    const m = flows(s);
    expectOk(w.env.send(payoutIx(s, prov.authority.publicKey), [prov.authority]));
    const [net, fee] = split(price * 2n, FEE);
    m.check({ provider: net, fee, refund: 0n, rentToUser: rentOf(w.env, 'Session') + rentOf(w.env, 'TokenAccount') });
  });

  it('a usage escrow near u64::MAX pays ticks exactly', () => {
    const w = createWorld();
    const prov = addProvider(w);
    const tickAmount = (2n ** 64n - 1n) / 3n;
    // the node sets the usage price
    const node = addNode(w, prov, { pricePerTickToken: tickAmount });
    const user = addUser(w, { usdc: 0n });
    w.env.mintTo(w.usdc, user.token, tickAmount * 3n);
    const { instruction, chain } = openIx(w, user, node, SessionMode.Usage, { sessionId: 0n, spl: true, tickAmount, maxTicks: 3 });
    expectOk(w.env.send(instruction, [user.kp]));
    const [session] = findSessionPda(node.node, user.kp.publicKey, 0n);
    const s = { w, session, vault: findSessionVaultPda(session)[0], user, node, sessionId: 0n, mode: SessionMode.Usage, spl: true, escrow: tickAmount * 3n, durationMinutes: 60, startTs: w.env.now(), tickAmount, maxTicks: 3n, chain, opened: undefined as never };
    const m = flows(s);
    expectOk(w.env.send(claimIx(s, 3), [prov.authority]));
    const [net, fee] = split(tickAmount * 3n, FEE);
    m.check({ provider: net, fee, refund: 0n });
  });
});

describe('pre-funded PDAs do not block creation', () => {
  it.each([
    // a system account needs ~0.00089 SOL to exist at all; both are below or above the Session / vault rent
    ['less than its rent', 1_000_000n],
    ['more than its rent', 10_000_000n],
  ])('a session address pre-funded with %s still opens (SOL and USDC), and the escrow is whole', (_, donation) => {
    for (const spl of [false, true]) {
      const { w, env, node, user } = createMarket();
      const griefer = env.wallet(SOL);
      const [session] = findSessionPda(node.node, user.kp.publicKey, 0n);
      const [vault] = findSessionVaultPda(session);
      expectOk(env.send(SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: session, lamports: donation }), [griefer]));
      if (spl) expectOk(env.send(SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: vault, lamports: donation }), [griefer]));
      const s = openTime(w, user, node, { spl, minutes: 10, sessionId: 0n });
      const a = env.session(s.session);
      expect(a.escrowAmount).toBe(s.escrow);
      expect(a.remainingBalance).toBe(s.escrow);
      // the escrow itself is intact: a close refunds all of it
      const m = flows(s);
      expectOk(env.send(closeIx(s), [user.kp]));
      const o = m.observe();
      expect(o.refund).toBe(s.escrow);
      expect(o.provider + o.fee).toBe(0n);
      expectOk(env.send(payoutIx(s, user.kp.publicKey), [user.kp]));
      expect(env.exists(s.session)).toBe(false);
    }
  });

  it('a pre-funded node address still registers', () => {
    const w = createWorld();
    const prov = addProvider(w);
    const [node] = findNodePda(prov.provider, 0n);
    const griefer = w.env.wallet(SOL);
    expectOk(w.env.send(SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: node, lamports: 1_000_000n }), [griefer]));
    const d = track(w.env, { authority: prov.authority.publicKey, node });
    addNode(w, prov);
    expect(w.env.node(node).nodeId).toBe(0n);
    // the authority only tops the account up to rent
    expect(d()).toEqual({ authority: -(rentOf(w.env, 'Node') - 1_000_000n), node: rentOf(w.env, 'Node') - 1_000_000n });
  });
});
