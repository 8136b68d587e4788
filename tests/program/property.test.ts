// Property test: thousands of random operations (open time/usage sessions in
// SOL/USDC, claim, close, time travel, payout, dispute, resolve, rate, node
// on/off, foreign-account attempts) across 3 users, 2 providers, 3 nodes.
// A model written from docs/PROGRAM.md predicts whether each operation must
// succeed and exactly which balances it moves; after every step the test checks:
// - success / failure is what the rules say, and a rejected operation changed nothing;
// - every balance moved exactly as predicted (so lamports and tokens are conserved);
// - per session: escrow == claimed + refunded + remaining, the Session (SOL) or its
//   vault (USDC) holds exactly the remaining escrow (+ rent), fields match the model;
// - node active_sessions == number of sessions holding a slot (model and chain);
// - session states only move along legal transitions.
// DVPN_PROPERTY_RUNS / DVPN_PROPERTY_STEPS / DVPN_PROPERTY_SEED tune it.
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { createHashChain, findSessionPda, findSessionVaultPda, ix, SessionMode } from '@dvpn/sdk';
import { TOKEN_PROGRAM_ID } from '@solana/spl-token';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createWorld,
  disputeIx,
  openIx,
  payoutIx,
  rateIx,
  rentOf,
  replaceAccount,
  resolveIx,
  SOL,
  TestEnv,
  USDC,
  type NodeFx,
  type ProviderFx,
  type SendResult,
  type SessionFx,
  type UserFx,
  type World,
} from './setup.js';

const RUNS = Number(process.env.DVPN_PROPERTY_RUNS ?? 200);
const STEPS = Number(process.env.DVPN_PROPERTY_STEPS ?? 20);
const SEED = process.env.DVPN_PROPERTY_SEED ? Number(process.env.DVPN_PROPERTY_SEED) : undefined;

const CFG = { protocolFeeBps: 250, minProviderStake: SOL, unbondingSeconds: 100n, settleWindowSeconds: 120n };
const W = CFG.settleWindowSeconds;
const SLASH = 1_000_000n;

type State = 'Active' | 'Closing' | 'Closed' | 'Disputed' | 'Resolved' | 'Gone';
const STATE_NAMES: State[] = ['Active', 'Closing', 'Closed', 'Disputed', 'Resolved'];
const LEGAL: Record<State, State[]> = {
  Active: ['Active', 'Closing', 'Closed', 'Disputed', 'Gone'],
  Closing: ['Closing', 'Disputed', 'Gone'],
  Closed: ['Closed', 'Gone'],
  Disputed: ['Disputed', 'Resolved'],
  Resolved: ['Resolved', 'Gone'],
  Gone: ['Gone'],
};

interface MSession {
  fx: SessionFx;
  usage: boolean;
  spl: boolean;
  state: State;
  chainState: State;
  dur: bigint;
  end: bigint;
  lastTick: bigint;
  remaining: bigint;
  claimed: bigint;
  fee: bigint;
  refunded: bigint;
  bytes: bigint;
  closedAt: bigint;
  slot: boolean;
  rated: boolean;
}
interface MNode {
  fx: NodeFx;
  prov: number;
  active: number;
  isActive: boolean;
  uptime: bigint;
  total: bigint;
}
interface MProvider {
  fx: ProviderFx;
  stake: bigint;
  slashed: bigint;
  ratingSum: bigint;
  ratingCount: number;
  earnedL: bigint;
  earnedT: bigint;
  uptime: bigint;
  total: bigint;
}

type Op =
  | { k: 'open'; user: number; node: number; usage: boolean; spl: boolean; minutes: number; tickAmount: number; maxTicks: number }
  | { k: 'claim'; s: number; mode: number; pick: number; bytes: number; bad: boolean }
  | { k: 'close'; s: number; stranger: boolean }
  | { k: 'payout'; s: number; by: number }
  | { k: 'dispute'; s: number; by: number; reason: number }
  | { k: 'resolve'; s: number; permille: number; slash: boolean; admin: boolean }
  | { k: 'rate'; s: number; rating: number; stranger: boolean }
  | { k: 'warp'; secs: number }
  | { k: 'toggle'; node: number; active: boolean }
  | { k: 'foreign'; s: number; what: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('open' as const), user: fc.nat(2), node: fc.nat(2), usage: fc.boolean(), spl: fc.boolean(), minutes: fc.integer({ min: 1, max: 5 }), tickAmount: fc.integer({ min: 1, max: 5000 }), maxTicks: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('claim' as const), s: fc.nat(99), mode: fc.nat(3), pick: fc.nat(999), bytes: fc.integer({ min: -1, max: 2 }), bad: fc.nat(4).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('close' as const), s: fc.nat(99), stranger: fc.nat(9).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('payout' as const), s: fc.nat(99), by: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('dispute' as const), s: fc.nat(99), by: fc.nat(2), reason: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('resolve' as const), s: fc.nat(99), permille: fc.nat(1100), slash: fc.boolean(), admin: fc.nat(5).map((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rate' as const), s: fc.nat(99), rating: fc.nat(6), stranger: fc.nat(5).map((n) => n === 0) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('warp' as const), secs: fc.oneof(fc.constantFrom(1, 30, 59, 60, 61, 119, 120, 121, 300, 421), fc.nat(400)) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('toggle' as const), node: fc.nat(2), active: fc.nat(3).map((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('foreign' as const), s: fc.nat(99), what: fc.nat(1) }) },
);

const earnedAt = (escrow: bigint, dur: bigint, t: bigint) => (escrow * (t < dur ? t : dur)) / dur;
const feeOf = (pay: bigint) => (pay * BigInt(CFG.protocolFeeBps)) / 10_000n;
const score = (sum: bigint, n: number) => (n === 0 ? 1000 : Number(((sum - BigInt(n)) * 500n) / BigInt(n)));
const key = (pk: PublicKey) => pk.toBase58();

interface Base {
  bytes: Uint8Array;
  payer: Keypair;
  w: World;
  provs: ProviderFx[];
  nodes: NodeFx[];
  users: UserFx[];
  keeper: UserFx;
  stranger: UserFx;
}
let base: Base;
/** Outcome counts over all runs (printed with DVPN_PROPERTY_STATS=1) */
const STATS = new Map<string, number>();
afterAll(() => {
  if (process.env.DVPN_PROPERTY_STATS) console.log([...STATS.entries()].sort().map(([k, n]) => `${String(n).padStart(6)}  ${k}`).join('\n'));
});

beforeAll(() => {
  const w = createWorld(CFG);
  const provs = [addProvider(w, { stake: 10n * SOL }), addProvider(w, { stake: 10n * SOL })];
  const nodes = [
    addNode(w, provs[0], { pricePerMinute: 1_000_003n, pricePerMinuteToken: 10_007n, maxCapacity: 2 }),
    addNode(w, provs[0], { pricePerMinute: 2_000_000n, pricePerMinuteToken: 0n, maxCapacity: 3 }),
    addNode(w, provs[1], { pricePerMinute: 999_999n, pricePerMinuteToken: 12_345n, maxCapacity: 2 }),
  ];
  const users = [0, 1, 2].map(() => addUser(w, { sol: 1000n * SOL, usdc: 10_000n * USDC }));
  const keeper = addUser(w, { sol: 10n * SOL, usdc: 0n });
  const stranger = addUser(w, { sol: 10n * SOL, usdc: 1_000n * USDC });
  base = { bytes: w.env.snapshot(), payer: w.env.payer, w, provs, nodes, users, keeper, stranger };
});

/** One run: a fresh copy of the base market, a model, and the operations. */
function runOps(ops: Op[]): string[] {
  const env = TestEnv.restore(base.bytes, base.payer);
  const w: World = { ...base.w, env, sessionIds: new Map() };
  const rentS = rentOf(env, 'Session');
  const rentV = rentOf(env, 'TokenAccount');
  const provs: MProvider[] = base.provs.map((fx) => ({ fx, stake: 10n * SOL, slashed: 0n, ratingSum: 0n, ratingCount: 0, earnedL: 0n, earnedT: 0n, uptime: 0n, total: 0n }));
  const nodes: MNode[] = base.nodes.map((fx, i) => ({ fx, prov: i < 2 ? 0 : 1, active: 0, isActive: true, uptime: 0n, total: 0n }));
  const sessions: MSession[] = [];
  const ids = new Map<string, bigint>();
  const log: string[] = [];

  const fixed: PublicKey[] = [
    w.config, w.treasury.publicKey, w.treasuryToken, base.keeper.kp.publicKey, base.keeper.token, base.stranger.kp.publicKey, base.stranger.token,
    ...base.users.flatMap((u) => [u.kp.publicKey, u.token]),
    ...base.provs.flatMap((p) => [p.authority.publicKey, p.token, p.provider, p.stakeVault]),
    ...base.nodes.map((n) => n.node),
  ];
  const tracked = () => [...fixed, ...sessions.flatMap((s) => [s.fx.session, ...(s.fx.vault ? [s.fx.vault] : [])])];
  const read = (keys: PublicKey[]) => {
    const out = new Map<string, { lam: bigint; tok: bigint; data: string }>();
    for (const k of keys) {
      const a = env.raw(k);
      let tok = 0n;
      if (a && a.data.length === 165 && a.owner.equals(TOKEN_PROGRAM_ID)) tok = Buffer.from(a.data).readBigUInt64LE(64);
      out.set(key(k), { lam: a?.lamports ?? 0n, tok, data: a ? `${a.owner.toBase58()}:${Buffer.from(a.data).toString('hex')}` : 'none' });
    }
    return out;
  };

  const deadline = (s: MSession) => (s.closedAt !== 0n ? s.closedAt : s.end) + W;
  const releaseSlot = (s: MSession, now: bigint) => {
    if (!s.slot) return;
    s.slot = false;
    const n = nodes.find((x) => x.fx.node.equals(s.fx.node.node))!;
    const up = (now < s.end ? now : s.end) - s.fx.startTs;
    n.active -= 1;
    n.uptime += up;
    provs[n.prov].uptime += up;
  };
  const provOf = (s: MSession) => provs[nodes.find((x) => x.fx.node.equals(s.fx.node.node))!.prov];

  for (const [step, op] of ops.entries()) {
    const now = env.now();
    // Even indices prefer a session where the operation can apply; odd ones pick any.
    const pickS = (i: number, prefer: (s: MSession) => boolean = () => true) => {
      if (!sessions.length) return undefined;
      const fit = sessions.filter(prefer);
      return i % 2 === 0 && fit.length ? fit[(i >> 1) % fit.length] : sessions[i % sessions.length];
    };
    const live = (s: MSession) => s.state === 'Active' || s.state === 'Closing';
    // expected balance deltas (lamports, tokens) by account; default 0
    const delta = new Map<string, { lam: bigint; tok: bigint }>();
    const move = (pk: PublicKey | undefined, lam: bigint, tok = 0n) => {
      if (!pk) return;
      const d = delta.get(key(pk)) ?? { lam: 0n, tok: 0n };
      d.lam += lam;
      d.tok += tok;
      delta.set(key(pk), d);
    };
    /** Money of a session: provider net, fee, refund, in its currency. */
    const pay = (s: MSession, provider: bigint, fee: bigint, refund: bigint) => {
      const p = s.fx.node.prov;
      if (s.spl) {
        move(s.fx.vault, 0n, -(provider + fee + refund));
        move(p.token, 0n, provider);
        move(w.treasuryToken, 0n, fee);
        move(s.fx.user.token, 0n, refund);
      } else {
        move(s.fx.session, -(provider + fee + refund));
        move(p.authority.publicKey, provider);
        move(w.treasury.publicKey, fee);
        move(s.fx.user.kp.publicKey, refund);
      }
      if (s.spl) provOf(s).earnedT += provider;
      else provOf(s).earnedL += provider;
    };

    let instruction: TransactionInstruction | undefined;
    let signers: Keypair[] = [];
    let expectOkay = false;
    let apply: (r: SendResult) => void = () => {};
    let extra: PublicKey[] = [];
    let desc: string = op.k;

    switch (op.k) {
      case 'warp':
        env.warp(op.secs);
        log.push(`${step}: warp ${op.secs} -> t+${env.now() - base.w.env.now()}`);
        break;
      case 'toggle': {
        const n = nodes[op.node];
        instruction = ix.updateNode({ authority: n.fx.prov.authority.publicKey, node: n.fx.node, isActive: op.active });
        signers = [n.fx.prov.authority];
        expectOkay = true;
        apply = () => {
          n.isActive = op.active;
        };
        desc = `toggle n${op.node} ${op.active}`;
        break;
      }
      case 'open': {
        const u = base.users[op.user];
        const n = nodes[op.node];
        const idKey = `${op.node}/${op.user}`;
        const sessionId = ids.get(idKey) ?? 0n;
        const chain = op.usage ? createHashChain(op.maxTicks) : undefined;
        const built = openIx(w, u, n.fx, op.usage ? SessionMode.Usage : SessionMode.Time, { sessionId, spl: op.spl, minutes: op.minutes, tickAmount: BigInt(op.tickAmount), chain });
        instruction = built.instruction;
        signers = [u.kp];
        const [session] = findSessionPda(n.fx.node, u.kp.publicKey, sessionId);
        const vault = op.spl ? findSessionVaultPda(session)[0] : undefined;
        extra = [session, ...(vault ? [vault] : [])];
        const escrow = op.usage ? BigInt(op.tickAmount) * BigInt(op.maxTicks) : (op.spl ? n.fx.pricePerMinuteToken : n.fx.pricePerMinute) * BigInt(op.minutes);
        const p = provs[n.prov];
        expectOkay = n.isActive && n.active < n.fx.maxCapacity && p.stake >= CFG.minProviderStake && !(op.spl && n.fx.pricePerMinuteToken === 0n) && escrow > 0n;
        if (op.spl) {
          move(u.kp.publicKey, -(rentS + rentV));
          move(session, rentS);
          move(vault, rentV, escrow);
          move(u.token, 0n, -escrow);
        } else {
          move(u.kp.publicKey, -(rentS + escrow));
          move(session, rentS + escrow);
        }
        apply = (r) => {
          ids.set(idKey, sessionId + 1n);
          const fx: SessionFx = {
            w, session, vault, user: u, node: n.fx, sessionId, mode: op.usage ? SessionMode.Usage : SessionMode.Time, spl: op.spl, escrow,
            durationMinutes: op.minutes, startTs: now, tickAmount: op.usage ? BigInt(op.tickAmount) : 0n, maxTicks: op.usage ? BigInt(op.maxTicks) : 0n, chain, opened: r,
          };
          sessions.push({ fx, usage: op.usage, spl: op.spl, state: 'Active', chainState: 'Active', dur: 60n * BigInt(op.minutes), end: now + 60n * BigInt(op.minutes), lastTick: 0n, remaining: escrow, claimed: 0n, fee: 0n, refunded: 0n, bytes: 0n, closedAt: 0n, slot: true, rated: false });
          n.active += 1;
          n.total += 1n;
          p.total += 1n;
        };
        desc = `open u${op.user} n${op.node} ${op.usage ? 'usage' : 'time'} ${op.spl ? 'USDC' : 'SOL'} ${op.minutes}min escrow ${escrow}`;
        break;
      }
      case 'claim': {
        const s = pickS(op.s, live);
        if (!s) break;
        let tick: bigint;
        let preimage: Uint8Array | undefined;
        if (s.usage) {
          const max = s.fx.maxTicks;
          tick = [s.lastTick + 1n + BigInt(op.pick % 5), BigInt(op.pick) % (max + 3n), s.lastTick + 1n, s.lastTick][op.mode];
          preimage = !op.bad && tick <= max ? s.fx.chain!.preimage(tick) : Keypair.generate().publicKey.toBytes();
        } else {
          const elapsed = now - s.fx.startTs < s.dur ? now - s.fx.startTs : s.dur;
          tick = [elapsed, BigInt(op.pick) % (s.dur + 10n), s.lastTick + 1n, elapsed + 1n][op.mode];
          preimage = new Uint8Array(32);
        }
        const bytes = op.bytes < 0 ? (s.bytes > 0n ? s.bytes - 1n : 0n) : s.bytes + BigInt(op.bytes) * 1000n;
        instruction = claimIx(s.fx, tick, { preimage, bytesUsed: bytes });
        signers = [s.fx.node.prov.authority];
        const claimable = live(s) && now <= deadline(s) && tick > s.lastTick && bytes >= s.bytes;
        let amount = 0n;
        if (s.usage) {
          expectOkay = claimable && tick <= s.fx.maxTicks && tick - s.lastTick <= 512n && !op.bad;
          amount = (tick - s.lastTick) * s.fx.tickAmount;
        } else {
          const elapsed = now - s.fx.startTs < s.dur ? now - s.fx.startTs : s.dur;
          expectOkay = claimable && tick <= elapsed;
          amount = earnedAt(s.fx.escrow, s.dur, tick) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
        }
        const fee = feeOf(amount);
        if (expectOkay) pay(s, amount - fee, fee, 0n);
        apply = () => {
          s.lastTick = tick;
          s.remaining -= amount;
          s.claimed += amount;
          s.fee += fee;
          s.bytes = bytes;
        };
        desc = `claim s${sessions.indexOf(s)} tick ${tick} (last ${s.lastTick}, ${s.state}) bytes ${bytes}${op.bad ? ' bad preimage' : ''}`;
        break;
      }
      case 'close': {
        const s = pickS(op.s, (x) => x.state === 'Active');
        if (!s) break;
        const signer = op.stranger ? base.stranger.kp : s.fx.user.kp;
        instruction = closeIx(s.fx, signer.publicKey);
        signers = [signer];
        expectOkay = !op.stranger && s.state === 'Active';
        const elapsed = now - s.fx.startTs < s.dur ? now - s.fx.startTs : s.dur;
        const amount = s.usage ? 0n : earnedAt(s.fx.escrow, s.dur, elapsed) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
        const fee = feeOf(amount);
        const refund = s.usage ? 0n : s.remaining - amount;
        if (expectOkay && !s.usage) pay(s, amount - fee, fee, refund);
        apply = () => {
          s.closedAt = now;
          if (s.usage) s.state = 'Closing';
          else {
            s.state = 'Closed';
            s.lastTick = elapsed;
            s.remaining = 0n;
            s.claimed += amount;
            s.fee += fee;
            s.refunded += refund;
          }
          releaseSlot(s, now);
        };
        desc = `close s${sessions.indexOf(s)} (${s.state})${op.stranger ? ' by stranger' : ''}`;
        break;
      }
      case 'payout': {
        const s = pickS(op.s, (x) => x.state !== 'Gone' && x.state !== 'Disputed');
        if (!s) break;
        const caller = [s.fx.user.kp, base.keeper.kp, s.fx.node.prov.authority][op.by];
        instruction = payoutIx(s.fx, caller.publicKey);
        signers = [caller];
        const settled = s.state === 'Closed' || s.state === 'Resolved';
        expectOkay = s.state !== 'Gone' && s.state !== 'Disputed' && ((settled && op.by === 0) || now > deadline(s));
        let amount = 0n;
        let refund = 0n;
        if (!settled) {
          amount = s.usage ? 0n : earnedAt(s.fx.escrow, s.dur, s.dur) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
          refund = s.remaining - amount;
        }
        const fee = feeOf(amount);
        if (expectOkay) {
          pay(s, amount - fee, fee, refund);
          // both accounts close, all rent to the user
          move(s.fx.session, -rentS);
          if (s.spl) move(s.fx.vault, -rentV);
          move(s.fx.user.kp.publicKey, rentS + (s.spl ? rentV : 0n));
        }
        apply = () => {
          releaseSlot(s, now);
          s.claimed += amount;
          s.fee += fee;
          s.refunded += refund;
          s.remaining = 0n;
          s.state = 'Gone';
        };
        desc = `payout s${sessions.indexOf(s)} (${s.state}) by ${['user', 'keeper', 'provider'][op.by]}`;
        break;
      }
      case 'dispute': {
        const s = pickS(op.s, live);
        if (!s) break;
        const signer = [s.fx.user.kp, s.fx.node.prov.authority, base.stranger.kp][op.by];
        instruction = disputeIx(s.fx, signer.publicKey, op.reason);
        signers = [signer];
        expectOkay = op.by !== 2 && (s.state === 'Active' || s.state === 'Closing') && now <= deadline(s);
        apply = () => {
          s.state = 'Disputed';
        };
        desc = `dispute s${sessions.indexOf(s)} (${s.state}) by ${['user', 'provider', 'stranger'][op.by]}`;
        break;
      }
      case 'resolve': {
        const s = pickS(op.s, (x) => x.state === 'Disputed');
        if (!s) break;
        const amount = op.permille > 1000 ? s.remaining + 1n : (s.remaining * BigInt(op.permille)) / 1000n;
        const slash = op.slash ? SLASH : 0n;
        const admin = op.admin ? w.admin : base.stranger.kp;
        instruction = resolveIx(s.fx, amount, slash, admin.publicKey);
        signers = [admin];
        const p = provOf(s);
        expectOkay = op.admin && s.state === 'Disputed' && amount <= s.remaining && slash <= p.stake;
        const fee = feeOf(amount);
        const refund = s.remaining - amount;
        if (expectOkay) {
          pay(s, amount - fee, fee, refund);
          move(p.fx.stakeVault, -slash);
          move(w.treasury.publicKey, slash);
        }
        apply = () => {
          p.stake -= slash;
          p.slashed += slash;
          s.claimed += amount;
          s.fee += fee;
          s.refunded += refund;
          s.remaining = 0n;
          s.state = 'Resolved';
          releaseSlot(s, now);
        };
        desc = `resolve s${sessions.indexOf(s)} (${s.state}) amount ${amount} of ${s.remaining} slash ${slash}${op.admin ? '' : ' by stranger'}`;
        break;
      }
      case 'rate': {
        const s = pickS(op.s, (x) => x.state !== 'Gone' && !x.rated);
        if (!s) break;
        const signer = op.stranger ? base.stranger.kp : s.fx.user.kp;
        instruction = rateIx(s.fx, op.rating, signer.publicKey);
        signers = [signer];
        expectOkay = !op.stranger && s.state !== 'Gone' && op.rating >= 1 && op.rating <= 5 && (s.state !== 'Active' || now >= s.end) && !s.rated;
        apply = () => {
          s.rated = true;
          const p = provOf(s);
          p.ratingSum += BigInt(op.rating);
          p.ratingCount += 1;
        };
        desc = `rate s${sessions.indexOf(s)} (${s.state}) ${op.rating}${op.stranger ? ' by stranger' : ''}`;
        break;
      }
      case 'foreign': {
        const s = pickS(op.s, (x) => x.state !== 'Gone');
        if (!s) break;
        if (op.what === 0) {
          // the other provider claims this session with its own Provider account
          const other = base.provs.find((p) => !p.provider.equals(s.fx.node.prov.provider))!;
          const elapsed = now - s.fx.startTs;
          instruction = replaceAccount(claimIx(s.fx, elapsed > 0n ? elapsed : 1n, { signer: other.authority, preimage: new Uint8Array(32) }), 2, other.provider);
          signers = [other.authority];
          desc = `foreign claim s${sessions.indexOf(s)}`;
        } else {
          // another user closes this session naming its own wallet
          const other = base.users.find((u) => !u.kp.publicKey.equals(s.fx.user.kp.publicKey))!;
          instruction = closeIx(s.fx, other.kp.publicKey);
          signers = [other.kp];
          desc = `foreign close s${sessions.indexOf(s)}`;
        }
        expectOkay = false;
        break;
      }
    }

    if (!instruction) {
      if (op.k !== 'warp') log.push(`${step}: ${op.k} (no session yet)`);
    } else {
      const keys = [...tracked(), ...extra];
      const before = read(keys);
      const r = env.send(instruction, signers);
      log.push(`${step}: ${desc} -> ${r.ok ? 'ok' : r.error?.name}`);
      const statKey = `${op.k} -> ${r.ok ? 'ok' : r.error?.name}`;
      STATS.set(statKey, (STATS.get(statKey) ?? 0) + 1);
      const fail = (msg: string) => {
        throw new Error(`${msg}\n--- operations ---\n${log.join('\n')}\n--- logs ---\n${r.logs.join('\n')}`);
      };
      if (r.ok !== expectOkay) fail(`step ${step} (${desc}): expected ${expectOkay ? 'success' : 'failure'}, got ${r.ok ? 'success' : r.error?.name}`);
      const after = read(keys);
      if (!r.ok) {
        // a rejection must be the program's own error; a runtime abort would be a bug
        if (!r.error || r.error.code < 6000) fail(`step ${step} (${desc}): rejected by ${r.error?.name}, not a dvpn error`);
        for (const k of keys) {
          const b = before.get(key(k))!;
          const a = after.get(key(k))!;
          if (b.lam !== a.lam || b.data !== a.data) fail(`step ${step} (${desc}) was rejected but changed ${key(k)}`);
        }
      } else {
        apply(r);
        for (const k of keys) {
          const b = before.get(key(k))!;
          const a = after.get(key(k))!;
          const want = delta.get(key(k)) ?? { lam: 0n, tok: 0n };
          if (a.lam - b.lam !== want.lam || a.tok - b.tok !== want.tok) {
            fail(`step ${step} (${desc}): ${key(k)} moved ${a.lam - b.lam} lamports / ${a.tok - b.tok} tokens, expected ${want.lam} / ${want.tok}`);
          }
        }
        let sumL = 0n;
        let sumT = 0n;
        for (const k of keys) {
          sumL += after.get(key(k))!.lam - before.get(key(k))!.lam;
          sumT += after.get(key(k))!.tok - before.get(key(k))!.tok;
        }
        if (sumL !== 0n || sumT !== 0n) fail(`step ${step} (${desc}): created or destroyed ${sumL} lamports / ${sumT} tokens`);
      }
    }

    // ---- invariants after every step ----
    const failInv = (msg: string) => {
      throw new Error(`after step ${step}: ${msg}\n--- operations ---\n${log.join('\n')}`);
    };
    const holding = new Map<string, number>();
    for (const [i, s] of sessions.entries()) {
      if (s.state === 'Gone') {
        if (env.exists(s.fx.session) || (s.fx.vault && env.exists(s.fx.vault))) failInv(`s${i} was settled but its accounts remain`);
        s.chainState = 'Gone';
        continue;
      }
      const a = env.session(s.fx.session);
      const chainState = STATE_NAMES[a.state];
      if (!LEGAL[s.chainState].includes(chainState)) failInv(`s${i} moved ${s.chainState} -> ${chainState}`);
      s.chainState = chainState;
      const got = { state: chainState, lastTick: a.lastTick, remaining: a.remainingBalance, claimed: a.claimedAmount, fee: a.feeAmount, refunded: a.refundedAmount, bytes: a.bytesUsed, released: a.capacityReleased, rated: a.rated };
      const want = { state: s.state, lastTick: s.lastTick, remaining: s.remaining, claimed: s.claimed, fee: s.fee, refunded: s.refunded, bytes: s.bytes, released: !s.slot, rated: s.rated };
      for (const f of Object.keys(want) as (keyof typeof want)[]) {
        if (got[f] !== want[f]) failInv(`s${i}.${f} is ${String(got[f])}, model says ${String(want[f])}`);
      }
      if (a.escrowAmount !== a.claimedAmount + a.refundedAmount + a.remainingBalance) failInv(`s${i}: escrow != claimed + refunded + remaining`);
      if (s.spl) {
        if (env.tokenBalance(s.fx.vault!) !== a.remainingBalance) failInv(`s${i}: vault holds ${env.tokenBalance(s.fx.vault!)}, remaining ${a.remainingBalance}`);
        if (env.lamports(s.fx.session) !== rentS) failInv(`s${i}: token session holds ${env.lamports(s.fx.session)} lamports`);
      } else if (env.lamports(s.fx.session) !== rentS + a.remainingBalance) {
        failInv(`s${i}: session holds ${env.lamports(s.fx.session)} lamports, rent + remaining is ${rentS + a.remainingBalance}`);
      }
      if (!a.capacityReleased) holding.set(key(s.fx.node.node), (holding.get(key(s.fx.node.node)) ?? 0) + 1);
    }
    for (const [i, n] of nodes.entries()) {
      const a = env.node(n.fx.node);
      const held = holding.get(key(n.fx.node)) ?? 0;
      if (a.activeSessions !== n.active || a.activeSessions !== held) failInv(`n${i}: active_sessions ${a.activeSessions}, model ${n.active}, sessions holding a slot ${held}`);
      if (a.totalUptimeSeconds !== n.uptime || a.totalSessions !== n.total || a.isActive !== n.isActive) failInv(`n${i}: counters differ from the model`);
    }
    for (const [i, p] of provs.entries()) {
      const a = env.provider(p.fx.provider);
      const got = [a.stakeLamports, a.slashedLamports, a.ratingSum, a.ratingCount, a.reputationScore, a.totalEarnedLamports, a.totalEarnedToken, a.totalUptimeSeconds, a.totalSessions];
      const want = [p.stake, p.slashed, p.ratingSum, p.ratingCount, score(p.ratingSum, p.ratingCount), p.earnedL, p.earnedT, p.uptime, p.total];
      if (got.some((g, j) => g !== want[j])) failInv(`p${i}: provider counters ${got.join(',')} != model ${want.join(',')}`);
    }
  }
  return log;
}

describe('random operations keep every invariant', () => {
  it(`${RUNS} runs x ${STEPS} steps`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: STEPS, maxLength: STEPS }), (ops) => {
        runOps(ops);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 300_000);

  it('a scripted run exercises every operation kind successfully', () => {
    // A fixed sequence, so the property above is known to reach the interesting states.
    const ops: Op[] = [
      { k: 'open', user: 0, node: 0, usage: false, spl: false, minutes: 2, tickAmount: 1, maxTicks: 1 },
      { k: 'open', user: 1, node: 2, usage: true, spl: true, minutes: 1, tickAmount: 300, maxTicks: 10 },
      { k: 'warp', secs: 30 },
      { k: 'claim', s: 0, mode: 0, pick: 0, bytes: 1, bad: false },
      { k: 'claim', s: 1, mode: 2, pick: 0, bytes: 1, bad: false },
      { k: 'foreign', s: 0, what: 0 },
      { k: 'foreign', s: 1, what: 1 },
      { k: 'close', s: 1, stranger: false },
      { k: 'claim', s: 1, mode: 0, pick: 3, bytes: 0, bad: false },
      { k: 'dispute', s: 0, by: 0, reason: 9 },
      { k: 'resolve', s: 0, permille: 400, slash: true, admin: true },
      { k: 'rate', s: 0, rating: 4, stranger: false },
      { k: 'payout', s: 0, by: 0 },
      { k: 'warp', secs: 200 },
      { k: 'payout', s: 1, by: 1 },
      { k: 'toggle', node: 1, active: false },
      { k: 'open', user: 2, node: 1, usage: false, spl: false, minutes: 1, tickAmount: 1, maxTicks: 1 },
    ];
    const log = runOps(ops);
    expect(log).toEqual([
      expect.stringMatching(/^0: open u0 n0 time SOL .* -> ok$/),
      expect.stringMatching(/^1: open u1 n2 usage USDC .* -> ok$/),
      expect.stringMatching(/^2: warp 30/),
      expect.stringMatching(/^3: claim s0 tick 30 .* -> ok$/),
      expect.stringMatching(/^4: claim s1 tick 1 .* -> ok$/),
      '5: foreign claim s0 -> InvalidPda',
      '6: foreign close s1 -> NotSessionParty',
      '7: close s1 (Active) -> ok',
      expect.stringMatching(/^8: claim s1 tick 5 \(last 1, Closing\).* -> ok$/),
      '9: dispute s0 (Active) by user -> ok',
      expect.stringMatching(/^10: resolve s0 \(Disputed\) amount \d+ of \d+ slash 1000000 -> ok$/),
      '11: rate s0 (Resolved) 4 -> ok',
      '12: payout s0 (Resolved) by user -> ok',
      expect.stringMatching(/^13: warp 200/),
      '14: payout s1 (Closing) by keeper -> ok',
      '15: toggle n1 false -> ok',
      expect.stringMatching(/^16: open u2 n1 time SOL .* -> NodeInactive$/),
    ]);
  });
});

