// Property test: thousands of random operations (open time/usage sessions in
// SOL/USDC, claim, close, idle eviction, time travel, payout, dispute, resolve,
// expired disputes, rate, unstake / withdraw, node on/off, foreign-account
// attempts, wrong session ids and prices) across 3 users, 2 providers, 3 nodes.
// Session ids are per user (its UserState, created and paid on its first open,
// never closed); a dispute frees the node slot at once and locks max_slash_bps of
// the provider's stake (+ unstaking) until it is resolved; withdraw_stake keeps
// back only what the open disputes could still slash.
// A model written from docs/PROGRAM.md predicts whether each operation must
// succeed and exactly which balances it moves; after every step the test checks:
// - success / failure is what the rules say, and a rejected operation changed nothing;
// - every balance moved exactly as predicted (so lamports and tokens are conserved);
// - per session: escrow == claimed + refunded + remaining, the Session (SOL) or its
//   vault (USDC) holds exactly the remaining escrow (+ rent), fields match the model;
// - node active_sessions == number of sessions holding a slot (model and chain);
// - provider locked_lamports == the sum of its open disputes' dispute_lock;
// - session states only move along legal transitions.
// A hostile actor is interleaved (issue 9): an attacker's own Config (another bump
// of "config", his admin / treasury / fee 0 / 1 s windows) passed to every
// instruction that takes a Config (InvalidConfig); token and lamport donations to
// sessions (claim_payout sweeps them to the user, PayoutClaimed.swept); squatting
// 1-tick usage sessions by throwaway wallets that never pay (the provider evicts
// them after the idle timeout); rating spam by throwaways whose sessions paid under
// the minimum (RatingNotEarned) and by a provider on its own session (SelfRating);
// sessions, vaults and Providers at non-canonical bumps (NonCanonicalBump). Every
// refused hostile step must fail with its named error and change nothing; the
// balance checks count donations and UserState rents, so conservation holds.
// DVPN_PROPERTY_RUNS / DVPN_PROPERTY_STEPS / DVPN_PROPERTY_SEED (a number, or `random`) tune it.
import { Keypair, PublicKey, SystemProgram, type TransactionInstruction } from '@solana/web3.js';
import {
  buildInstruction,
  createHashChain,
  decodeUserState,
  findProviderPda,
  findSessionPda,
  findSessionVaultPda,
  findStakeVaultPda,
  findUserStatePda,
  ix,
  SessionMode,
} from '@dvpn/sdk';
import { createTransferInstruction, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeConfig, otherBump } from './hostile-helpers.js';
import {
  accountIndex,
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
// `make test` replays a fixed seed, so a red run is a regression and replays the same way;
// `make fuzz` (DVPN_PROPERTY_SEED=random) explores new sequences and prints the seed of a failure.
const SEED_ENV = process.env.DVPN_PROPERTY_SEED ?? '20261202';
const SEED = SEED_ENV === 'random' ? undefined : Number(SEED_ENV);

const CFG = {
  protocolFeeBps: 250,
  minProviderStake: SOL,
  unbondingSeconds: 100n,
  settleWindowSeconds: 120n,
  disputeWindowSeconds: 300n,
  idleTimeoutSeconds: 90n,
  minRatingLamports: 1_000n,
  minRatingToken: 10n,
  maxSlashBps: 2_500,
};
const W = CFG.settleWindowSeconds;
const SLASH = 1_000_000n;
const UNSTAKE = 500_000_000n;

/** The instructions that take a Config, each tried with the attacker's own (those after the 5th need a session). */
const FORGED = [
  'open_session',
  'open_session_spl',
  'request_unstake',
  'register_node',
  'update_config',
  'claim_chunk',
  'close_session',
  'claim_payout',
  'raise_dispute',
  'resolve_dispute',
  'update_reputation',
] as const;
const FORGED_GLOBAL = 5;

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
  disputeTs: bigint;
  lastActivity: bigint;
  slot: boolean;
  rated: boolean;
  /** What an open dispute may slash (session.dispute_lock), fixed when it is raised. */
  lock: bigint;
  /** A squatter's 1-tick usage session (a throwaway wallet, or the provider on its own node). */
  squat: boolean;
  /** Opened by the node's own provider authority. */
  self: boolean;
  /** Donated by the attacker: lamports to the Session, token units to its vault. */
  donL: bigint;
  donT: bigint;
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
  unstaking: bigint;
  unstakeAt: bigint;
  slashed: bigint;
  openDisputes: number;
  locked: bigint;
  ratingSum: bigint;
  ratingWeight: bigint;
  ratingCount: number;
  earnedL: bigint;
  earnedT: bigint;
  uptime: bigint;
  total: bigint;
}

type Op =
  | { k: 'open'; user: number; node: number; usage: boolean; spl: boolean; minutes: number; tickAmount: number; maxTicks: number; wrongPrice?: boolean; idShift?: number; squat?: boolean }
  | { k: 'claim'; s: number; mode: number; pick: number; bytes: number; bad: boolean }
  | { k: 'close'; s: number; stranger: boolean; provider?: boolean; squat?: boolean }
  // ---- the hostile actor ----
  /** a throwaway wallet (who 0, 1) or the node's provider itself (who 2) opens a 1-tick usage session on n0 or n2 */
  | { k: 'squat'; who: number; node: number; minutes: number }
  /** an instruction that takes a Config, given the attacker's Config */
  | { k: 'forge'; s: number; what: number }
  /** the attacker sends token units to a session's vault or lamports to a Session */
  | { k: 'donate'; s: number; tokens: boolean; amount: number }
  /** a squatter rates its unpaid session, or the provider its own session */
  | { k: 'spam'; s: number; rating: number }
  /** a session / vault / Provider created at a non-canonical bump */
  | { k: 'bump'; user: number; node: number; what: number }
  | { k: 'unstake'; prov: number; withdraw: boolean; all?: boolean }
  | { k: 'payout'; s: number; by: number }
  | { k: 'dispute'; s: number; by: number; reason: number }
  | { k: 'resolve'; s: number; permille: number; slash: boolean; admin: boolean; overCap?: boolean }
  | { k: 'rate'; s: number; rating: number; stranger: boolean }
  | { k: 'warp'; secs: number }
  | { k: 'toggle'; node: number; active: boolean }
  | { k: 'foreign'; s: number; what: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('open' as const),
      user: fc.nat(2),
      node: fc.nat(2),
      usage: fc.boolean(),
      spl: fc.boolean(),
      minutes: fc.integer({ min: 1, max: 5 }),
      tickAmount: fc.integer({ min: 1, max: 5000 }),
      maxTicks: fc.integer({ min: 1, max: 40 }),
      // a unit price other than the node's (PriceMismatch)
      wrongPrice: fc.nat(7).map((n) => n === 0),
      // an id other than the user's next one (InvalidSessionId)
      idShift: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, -1, 1),
    }),
  },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('claim' as const), s: fc.nat(99), mode: fc.nat(3), pick: fc.nat(999), bytes: fc.integer({ min: -1, max: 2 }), bad: fc.nat(4).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('close' as const), s: fc.nat(99), stranger: fc.nat(9).map((n) => n === 0), provider: fc.nat(3).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unstake' as const), prov: fc.nat(1), withdraw: fc.boolean(), all: fc.nat(3).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('payout' as const), s: fc.nat(99), by: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('dispute' as const), s: fc.nat(99), by: fc.nat(2), reason: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('resolve' as const), s: fc.nat(99), permille: fc.nat(1100), slash: fc.boolean(), admin: fc.nat(5).map((n) => n !== 0), overCap: fc.nat(7).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rate' as const), s: fc.nat(99), rating: fc.nat(6), stranger: fc.nat(5).map((n) => n === 0) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('warp' as const), secs: fc.oneof(fc.constantFrom(1, 30, 59, 60, 61, 119, 120, 121, 300, 421), fc.nat(400)) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('toggle' as const), node: fc.nat(2), active: fc.nat(3).map((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('foreign' as const), s: fc.nat(99), what: fc.nat(1) }) },
  // the hostile actor: about a quarter of all operations
  { weight: 2, arbitrary: fc.record({ k: fc.constant('squat' as const), who: fc.nat(2), node: fc.constantFrom(0, 2), minutes: fc.integer({ min: 1, max: 5 }) }) },
  // the provider evicts a squatter (SessionNotIdle before the idle timeout)
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), s: fc.nat(99), stranger: fc.constant(false), provider: fc.constant(true), squat: fc.constant(true) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('forge' as const), s: fc.nat(99), what: fc.nat(FORGED.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('donate' as const), s: fc.nat(99), tokens: fc.boolean(), amount: fc.integer({ min: 1, max: 100_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('spam' as const), s: fc.nat(99), rating: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bump' as const), user: fc.nat(2), node: fc.nat(2), what: fc.nat(3) }) },
);

const earnedAt = (escrow: bigint, dur: bigint, t: bigint) => (escrow * (t < dur ? t : dur)) / dur;
const feeOf = (pay: bigint) => (pay * BigInt(CFG.protocolFeeBps)) / 10_000n;
/** The fee of a payment of `amount` on top of what the session already claimed: on the running total. */
const feeNext = (s: { claimed: bigint; fee: bigint }, amount: bigint) => {
  if (amount === 0n) return 0n;
  const due = feeOf(s.claimed + amount) - s.fee;
  return due < 0n ? 0n : due < amount ? due : amount;
};
/** slash_cap: max_slash_bps of `total`, computed as the program does (no overflow). */
const capOf = (total: bigint) => (total / 10_000n) * BigInt(CFG.maxSlashBps) + ((total % 10_000n) * BigInt(CFG.maxSlashBps)) / 10_000n;
const score = (sum: bigint, weight: bigint) => {
  if (weight === 0n) return 1000;
  const v = ((sum - weight) * 500n) / weight;
  return Number(v > 2000n ? 2000n : v);
};
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
  /** the hostile actor: donor of tokens and lamports, admin and treasury of his own Config */
  attacker: UserFx;
  /** the attacker's Config: another bump of seed "config", fee 0, 1 s windows, no minimum stake */
  evil: PublicKey;
  /** throwaway wallets that squat node slots */
  squatters: UserFx[];
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
    addNode(w, provs[0], { pricePerMinute: 1_000_003n, pricePerMinuteToken: 10_007n, pricePerTick: 777n, pricePerTickToken: 33n, maxCapacity: 2 }),
    addNode(w, provs[0], { pricePerMinute: 2_000_000n, pricePerMinuteToken: 0n, pricePerTick: 5_000n, pricePerTickToken: 0n, maxCapacity: 3 }),
    addNode(w, provs[1], { pricePerMinute: 999_999n, pricePerMinuteToken: 12_345n, pricePerTick: 1n, pricePerTickToken: 4_999n, maxCapacity: 2 }),
  ];
  const users = [0, 1, 2].map(() => addUser(w, { sol: 1000n * SOL, usdc: 10_000n * USDC }));
  const keeper = addUser(w, { sol: 10n * SOL, usdc: 0n });
  const stranger = addUser(w, { sol: 10n * SOL, usdc: 1_000n * USDC });
  const attacker = addUser(w, { sol: 100n * SOL, usdc: 1_000n * USDC });
  const evil = forgeConfig(w, {
    admin: attacker.kp.publicKey,
    treasury: attacker.kp.publicKey,
    minProviderStake: 0n,
    windows: 1n,
    feeBps: 0,
    minRating: 0n,
    maxSlashBps: 10_000,
  });
  const squatters = [0, 1].map(() => addUser(w, { sol: 10n * SOL, usdc: 0n }));
  base = { bytes: w.env.snapshot(), payer: w.env.payer, w, provs, nodes, users, keeper, stranger, attacker, evil, squatters };
});

/** One run: a fresh copy of the base market, a model, and the operations. */
function runOps(ops: Op[]): string[] {
  const env = TestEnv.restore(base.bytes, base.payer);
  const w: World = { ...base.w, env, sessionIds: new Map() };
  const rentS = rentOf(env, 'Session');
  const rentV = rentOf(env, 'TokenAccount');
  const rentU = rentOf(env, 'UserState');
  // users 0-2, the squatters 3-4 and the providers' own wallets 5-6 (sessions on their own nodes)
  const allUsers: UserFx[] = [...base.users, ...base.squatters, ...base.provs.map((p) => ({ kp: p.authority, token: p.token }))];
  // each user's next session id (its UserState; none exists before its first open)
  const userNext = allUsers.map(() => 0n);
  const userStates = allUsers.map((u) => findUserStatePda(u.kp.publicKey)[0]);
  const provs: MProvider[] = base.provs.map((fx) => ({
    fx, stake: 10n * SOL, unstaking: 0n, unstakeAt: 0n, slashed: 0n, openDisputes: 0, locked: 0n, ratingSum: 0n, ratingWeight: 0n, ratingCount: 0, earnedL: 0n, earnedT: 0n, uptime: 0n, total: 0n,
  }));
  const nodes: MNode[] = base.nodes.map((fx, i) => ({ fx, prov: i < 2 ? 0 : 1, active: 0, isActive: true, uptime: 0n, total: 0n }));
  const sessions: MSession[] = [];
  const log: string[] = [];

  const fixed: PublicKey[] = [
    w.config, w.treasury.publicKey, w.treasuryToken, base.keeper.kp.publicKey, base.keeper.token, base.stranger.kp.publicKey, base.stranger.token,
    base.evil, base.attacker.kp.publicKey, base.attacker.token,
    ...[...base.users, ...base.squatters].flatMap((u) => [u.kp.publicKey, u.token]),
    ...userStates,
    ...base.provs.flatMap((p) => [p.authority.publicKey, p.token, p.provider, p.stakeVault]),
    ...base.nodes.map((n) => n.node),
  ];
  const tracked = () => [...fixed, ...sessions.flatMap((s) => [s.fx.session, ...(s.fx.vault ? [s.fx.vault] : [])])];
  /** each account once (a provider's wallet is also the user of its own sessions) */
  const uniq = (keys: PublicKey[]) => [...new Map(keys.map((k) => [key(k), k])).values()];
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

  for (const [step, rawOp] of ops.entries()) {
    const now = env.now();
    // a squatter's session is an ordinary open of 1 tick at the node's price, by a throwaway wallet or the provider
    const op: Op =
      rawOp.k === 'squat'
        ? { k: 'open', user: rawOp.who < 2 ? 3 + rawOp.who : 5 + nodes[rawOp.node].prov, node: rawOp.node, usage: true, spl: false, minutes: rawOp.minutes, tickAmount: 0, maxTicks: 1, squat: true }
        : rawOp;
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
    /** the error a refused operation must name (hostile steps), checked when set */
    let wantErr: string | undefined;
    /** more checks of a successful transaction (e.g. its events) */
    let verify: (r: SendResult) => string | undefined = () => undefined;

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
        const u = allUsers[op.user];
        const n = nodes[op.node];
        // the program takes only the user's next id (its UserState's next_session_id)
        const next = userNext[op.user];
        const shifted = next + BigInt(op.idShift ?? 0);
        const sessionId = shifted < 0n ? next + 1n : shifted;
        const chain = op.usage ? createHashChain(op.maxTicks) : undefined;
        const tickPrice = op.spl ? n.fx.pricePerTickToken : n.fx.pricePerTick;
        const minutePrice = op.spl ? n.fx.pricePerMinuteToken : n.fx.pricePerMinute;
        // the unit price agreed to must be the node's: per tick (usage) or per minute (time)
        const unitPrice = op.usage ? tickPrice : minutePrice;
        const tickAmount = op.wrongPrice ? BigInt(op.tickAmount) : unitPrice;
        const built = openIx(w, u, n.fx, op.usage ? SessionMode.Usage : SessionMode.Time, { sessionId, spl: op.spl, minutes: op.minutes, tickAmount, chain });
        instruction = built.instruction;
        signers = [u.kp];
        const [session] = findSessionPda(n.fx.node, u.kp.publicKey, sessionId);
        const vault = op.spl ? findSessionVaultPda(session)[0] : undefined;
        extra = [session, ...(vault ? [vault] : [])];
        const escrow = op.usage ? tickAmount * BigInt(op.maxTicks) : minutePrice * BigInt(op.minutes);
        const p = provs[n.prov];
        const firstOpen = next === 0n;
        expectOkay =
          sessionId === next &&
          n.isActive &&
          n.active < n.fx.maxCapacity &&
          p.stake >= CFG.minProviderStake &&
          !(op.spl && n.fx.pricePerMinuteToken === 0n && n.fx.pricePerTickToken === 0n) &&
          unitPrice > 0n &&
          tickAmount === unitPrice &&
          escrow > 0n;
        if (firstOpen) {
          // the user's first open creates its UserState, paid by the user (not escrow, never returned)
          move(u.kp.publicKey, -rentU);
          move(userStates[op.user], rentU);
        }
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
          const fx: SessionFx = {
            w, session, vault, user: u, node: n.fx, sessionId, mode: op.usage ? SessionMode.Usage : SessionMode.Time, spl: op.spl, escrow,
            durationMinutes: op.minutes, startTs: now, tickAmount: op.usage ? tickAmount : 0n, maxTicks: op.usage ? BigInt(op.maxTicks) : 0n, chain, opened: r,
          };
          sessions.push({
            fx, usage: op.usage, spl: op.spl, state: 'Active', chainState: 'Active', dur: 60n * BigInt(op.minutes), end: now + 60n * BigInt(op.minutes), lastTick: 0n,
            remaining: escrow, claimed: 0n, fee: 0n, refunded: 0n, bytes: 0n, closedAt: 0n, disputeTs: 0n, lastActivity: now, slot: true, rated: false, lock: 0n,
            squat: !!op.squat, self: op.user >= 5, donL: 0n, donT: 0n,
          });
          userNext[op.user] += 1n;
          n.active += 1;
          n.total += 1n;
          p.total += 1n;
        };
        desc = `${op.squat ? 'squat' : 'open'} u${op.user} n${op.node} id ${sessionId} ${op.usage ? 'usage' : 'time'} ${op.spl ? 'USDC' : 'SOL'} ${op.minutes}min escrow ${escrow}`;
        break;
      }
      case 'claim': {
        // a disputed usage session still pays its revealed preimages (until the settle deadline)
        const claimableState = (x: MSession) => live(x) || (x.usage && x.state === 'Disputed');
        const s = pickS(op.s, claimableState);
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
        const claimable = claimableState(s) && now <= deadline(s) && tick > s.lastTick && bytes >= s.bytes;
        let amount = 0n;
        if (s.usage) {
          expectOkay = claimable && tick <= s.fx.maxTicks && tick - s.lastTick <= 512n && !op.bad;
          amount = (tick - s.lastTick) * s.fx.tickAmount;
        } else {
          const elapsed = now - s.fx.startTs < s.dur ? now - s.fx.startTs : s.dur;
          expectOkay = claimable && tick <= elapsed;
          amount = earnedAt(s.fx.escrow, s.dur, tick) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
        }
        const fee = feeNext(s, amount);
        if (expectOkay) pay(s, amount - fee, fee, 0n);
        apply = () => {
          s.lastActivity = now;
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
        const s = op.squat ? pickS(op.s & ~1, (x) => x.squat && x.state === 'Active') : pickS(op.s, (x) => x.state === 'Active');
        if (!s) break;
        // the user, a stranger, or the provider evicting an idle usage session
        const signer = op.stranger ? base.stranger.kp : op.provider ? s.fx.node.prov.authority : s.fx.user.kp;
        instruction = closeIx(s.fx, signer.publicKey);
        signers = [signer];
        const idle = s.usage && now > s.lastActivity + CFG.idleTimeoutSeconds;
        // (a provider closing its own session is its user)
        const byUser = signer.publicKey.equals(s.fx.user.kp.publicKey);
        expectOkay = !op.stranger && s.state === 'Active' && (byUser || idle);
        const elapsed = now - s.fx.startTs < s.dur ? now - s.fx.startTs : s.dur;
        const amount = s.usage ? 0n : earnedAt(s.fx.escrow, s.dur, elapsed) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
        const fee = feeNext(s, amount);
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
        desc = `close s${sessions.indexOf(s)} (${s.state})${op.stranger ? ' by stranger' : op.provider ? ` by provider${idle ? ' (idle)' : ''}` : ''}`;
        break;
      }
      case 'payout': {
        const s = pickS(op.s, (x) => x.state !== 'Gone');
        if (!s) break;
        const caller = [s.fx.user.kp, base.keeper.kp, s.fx.node.prov.authority][op.by];
        instruction = payoutIx(s.fx, caller.publicKey);
        signers = [caller];
        const settled = s.state === 'Closed' || s.state === 'Resolved';
        // an unresolved dispute is settled by anyone after its window, by the default rule:
        // a time session earns through the dispute, a usage session what it claimed
        const expired = s.state === 'Disputed';
        const byUser = caller.publicKey.equals(s.fx.user.kp.publicKey);
        // (a disputed usage session's revealed ticks stay claimable until its settle deadline: the default rule waits for that too)
        expectOkay = s.state !== 'Gone' && (expired ? now > s.disputeTs + CFG.disputeWindowSeconds && (!s.usage || now > deadline(s)) : (settled && byUser) || now > deadline(s));
        if (expired && !expectOkay && now > s.disputeTs + CFG.disputeWindowSeconds) wantErr = 'SettleWindowOpen';
        let amount = 0n;
        let refund = 0n;
        if (!settled) {
          const through = expired ? (s.disputeTs - s.fx.startTs < s.dur ? s.disputeTs - s.fx.startTs : s.dur) : s.dur;
          amount = s.usage || through <= s.lastTick ? 0n : earnedAt(s.fx.escrow, s.dur, through) - earnedAt(s.fx.escrow, s.dur, s.lastTick);
          refund = s.remaining - amount;
        }
        const fee = feeNext(s, amount);
        if (expectOkay) {
          pay(s, amount - fee, fee, refund);
          // both accounts close, all rent to the user, and so do the donations:
          // the Session's extra lamports with its rent, the vault's extra tokens swept
          move(s.fx.session, -(rentS + s.donL));
          if (s.spl) {
            move(s.fx.vault, -rentV, -s.donT);
            move(s.fx.user.token, 0n, s.donT);
          }
          move(s.fx.user.kp.publicKey, rentS + s.donL + (s.spl ? rentV : 0n));
        }
        verify = (r) => {
          const swept = (r.events.find((e) => e.name === 'PayoutClaimed')?.data as { swept?: bigint } | undefined)?.swept;
          if (swept !== s.donT) return `PayoutClaimed.swept is ${String(swept)}, the vault's donation is ${s.donT}`;
          if (swept! > 0n) STATS.set('payout swept a donation', (STATS.get('payout swept a donation') ?? 0) + 1);
          return undefined;
        };
        apply = () => {
          releaseSlot(s, now);
          if (expired) {
            provOf(s).openDisputes -= 1;
            provOf(s).locked -= s.lock;
          }
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
          const p = provOf(s);
          s.state = 'Disputed';
          s.disputeTs = now;
          // what it may slash is fixed now, and locked on the provider
          s.lock = capOf(p.stake + p.unstaking);
          p.locked += s.lock;
          p.openDisputes += 1;
          // a disputed session gets no more service: its slot is free at once
          releaseSlot(s, now);
        };
        desc = `dispute s${sessions.indexOf(s)} (${s.state}) by ${['user', 'provider', 'stranger'][op.by]}`;
        break;
      }
      case 'resolve': {
        const s = pickS(op.s, (x) => x.state === 'Disputed');
        if (!s) break;
        const amount = op.permille > 1000 ? s.remaining + 1n : (s.remaining * BigInt(op.permille)) / 1000n;
        // a slash of SLASH, or one over what the dispute locked (SlashExceedsCap / SlashExceedsStake)
        const slash = op.overCap ? s.lock + 1n : op.slash ? SLASH : 0n;
        const admin = op.admin ? w.admin : base.stranger.kp;
        instruction = resolveIx(s.fx, amount, slash, admin.publicKey);
        signers = [admin];
        const p = provOf(s);
        expectOkay = op.admin && s.state === 'Disputed' && amount <= s.remaining && slash <= p.stake + p.unstaking && slash <= s.lock;
        const fee = feeNext(s, amount);
        const refund = s.remaining - amount;
        if (expectOkay) {
          pay(s, amount - fee, fee, refund);
          move(p.fx.stakeVault, -slash);
          move(w.treasury.publicKey, slash);
        }
        apply = () => {
          // active stake first, then what is unbonding
          const fromStake = slash < p.stake ? slash : p.stake;
          p.stake -= fromStake;
          p.unstaking -= slash - fromStake;
          p.slashed += slash;
          p.openDisputes -= 1;
          p.locked -= s.lock;
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
        // a rating weighs the minimums the session paid (at most 100); none paid, no rating
        const perMin = s.spl ? CFG.minRatingToken : CFG.minRatingLamports;
        const weight = s.claimed / perMin > 100n ? 100n : s.claimed / perMin;
        expectOkay = !op.stranger && !s.self && s.state !== 'Gone' && op.rating >= 1 && op.rating <= 5 && (s.state !== 'Active' || now >= s.end) && !s.rated && weight > 0n;
        apply = () => {
          s.rated = true;
          const p = provOf(s);
          p.ratingSum += BigInt(op.rating) * weight;
          p.ratingWeight += weight;
          p.ratingCount += 1;
        };
        desc = `rate s${sessions.indexOf(s)} (${s.state}) ${op.rating} weight ${weight}${op.stranger ? ' by stranger' : ''}`;
        break;
      }
      case 'unstake': {
        // unbonding stake stays slashable, so requests are allowed during disputes; a
        // withdrawal keeps back what open disputes could slash beyond the active stake
        const p = provs[op.prov];
        const auth = p.fx.authority;
        signers = [auth];
        if (op.withdraw) {
          instruction = ix.withdrawStake({ authority: auth.publicKey });
          const keep = p.locked > p.stake ? p.locked - p.stake : 0n;
          const amount = p.unstaking > keep ? p.unstaking - keep : 0n;
          expectOkay = p.unstaking > 0n && now >= p.unstakeAt && amount > 0n;
          if (expectOkay) {
            move(p.fx.stakeVault, -amount);
            move(auth.publicKey, amount);
          }
          apply = () => {
            p.unstaking -= amount;
          };
          desc = `withdraw p${op.prov} ${amount} of ${p.unstaking} (locked ${p.locked})`;
        } else {
          const amount = op.all ? p.stake : UNSTAKE;
          instruction = ix.requestUnstake({ authority: auth.publicKey, amount });
          expectOkay = amount > 0n && p.stake >= amount;
          apply = () => {
            p.stake -= amount;
            p.unstaking += amount;
            p.unstakeAt = now + CFG.unbondingSeconds;
          };
          desc = `unstake p${op.prov} ${amount} (open disputes ${p.openDisputes})`;
        }
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
      case 'forge': {
        // the attacker's Config instead of the real one: InvalidConfig, nothing changes
        const picked = pickS(op.s, (x) => x.state !== 'Gone');
        const s = picked && picked.state !== 'Gone' ? picked : undefined;
        const name = FORGED[s ? op.what : op.what % FORGED_GLOBAL];
        const attacker = base.attacker.kp;
        const ui = op.s % 3;
        const n = nodes[op.s % 2 === 0 ? 0 : 2];
        const p = provs[op.s % 2];
        let i: TransactionInstruction;
        switch (name) {
          case 'open_session':
          case 'open_session_spl':
            i = openIx(w, base.users[ui], n.fx, SessionMode.Time, { sessionId: userNext[ui], spl: name === 'open_session_spl', minutes: 1 }).instruction;
            signers = [base.users[ui].kp];
            break;
          case 'request_unstake':
            // a 1-second unbonding
            i = ix.requestUnstake({ authority: p.fx.authority.publicKey, amount: 1n });
            signers = [p.fx.authority];
            break;
          case 'register_node':
            i = ix.registerNode({
              authority: p.fx.authority.publicKey, nodeId: BigInt(p === provs[0] ? 2 : 1), endpoint: 'evil.example:1', region: 'eu',
              pricePerMinute: 1n, pricePerMinuteToken: 0n, wgServerPubkey: new Uint8Array(32).fill(1), maxCapacity: 1,
            });
            signers = [p.fx.authority];
            break;
          case 'update_config':
            // a ConfigUpdated event from a Config that is not the Config
            i = ix.updateConfig({ admin: attacker.publicKey, newAdmin: attacker.publicKey, treasury: attacker.publicKey, tokenMint: w.usdc.mint, ...CFG, protocolFeeBps: 0 });
            signers = [attacker];
            break;
          case 'claim_chunk':
            // a claim without fee, or after the deadline
            i = claimIx(s!.fx, s!.lastTick + 1n, { preimage: s!.usage && s!.lastTick < s!.fx.maxTicks ? s!.fx.chain!.preimage(s!.lastTick + 1n) : new Uint8Array(32) });
            signers = [s!.fx.node.prov.authority];
            break;
          case 'close_session':
            i = closeIx(s!.fx);
            signers = [s!.fx.user.kp];
            break;
          case 'claim_payout':
            i = payoutIx(s!.fx, s!.fx.user.kp.publicKey);
            signers = [s!.fx.user.kp];
            break;
          case 'raise_dispute':
            i = disputeIx(s!.fx, s!.fx.node.prov.authority.publicKey);
            signers = [s!.fx.node.prov.authority];
            break;
          case 'resolve_dispute':
            // the attacker as admin: the whole escrow to the provider and the whole stake to himself
            i = resolveIx(s!.fx, s!.remaining, provOf(s!).stake, attacker.publicKey);
            signers = [attacker];
            break;
          default:
            i = rateIx(s!.fx, 1);
            signers = [s!.fx.user.kp];
        }
        instruction = replaceAccount(i, accountIndex(name, 'config'), base.evil);
        wantErr = 'InvalidConfig';
        desc = `forge ${name}${s && op.what >= FORGED_GLOBAL ? ` s${sessions.indexOf(s)}` : ''}`;
        break;
      }
      case 'donate': {
        // anyone may send to any account: tokens to a vault, lamports to a Session
        const s = pickS(op.s, (x) => x.state !== 'Gone' && x.chainState !== 'Gone' && (!op.tokens || x.spl));
        if (!s || s.state === 'Gone' || s.chainState === 'Gone') break;
        const donor = base.attacker;
        const amount = BigInt(op.amount);
        if (op.tokens && s.spl) {
          instruction = createTransferInstruction(donor.token, s.fx.vault!, donor.kp.publicKey, amount);
          move(donor.token, 0n, -amount);
          move(s.fx.vault, 0n, amount);
          apply = () => {
            s.donT += amount;
          };
        } else {
          instruction = SystemProgram.transfer({ fromPubkey: donor.kp.publicKey, toPubkey: s.fx.session, lamports: amount });
          move(donor.kp.publicKey, -amount);
          move(s.fx.session, amount);
          apply = () => {
            s.donL += amount;
          };
        }
        signers = [donor.kp];
        expectOkay = true;
        desc = `donate ${amount} ${op.tokens && s.spl ? 'token units to the vault' : 'lamports to the Session'} of s${sessions.indexOf(s)} (${s.state})`;
        break;
      }
      case 'spam': {
        // a squatter rates the session it never paid for; a provider its own session
        const s = pickS(op.s & ~1, (x) => x.squat && x.state !== 'Gone' && !x.rated);
        if (!s || !s.squat || s.state === 'Gone') break;
        const signer = s.fx.user.kp;
        instruction = rateIx(s.fx, op.rating, signer.publicKey);
        signers = [signer];
        // (a squatter's tick is 777 or 1 lamports: under the 1,000 minimum)
        wantErr = s.self ? 'SelfRating' : s.state === 'Active' && now < s.end ? 'SessionNotEnded' : 'RatingNotEarned';
        desc = `spam rate s${sessions.indexOf(s)} (${s.state}) ${op.rating} by ${s.self ? 'its provider' : 'its squatter'}`;
        break;
      }
      case 'bump': {
        // the attacker's own PDA bumps: another valid bump than the canonical one
        const ui = op.user;
        const u = base.users[ui];
        // a node the session could open on otherwise (the node's own checks come first):
        // active, a free slot, enough stake, and a USDC price for a USDC session
        const fits = nodes.filter(
          (x) => x.isActive && x.active < x.fx.maxCapacity && provs[x.prov].stake >= CFG.minProviderStake && (op.what === 0 || x.fx.pricePerMinuteToken > 0n),
        );
        const n = fits[op.node % Math.max(fits.length, 1)];
        if (op.what !== 3 && !n) break;
        if (op.what === 3) {
          // a second Provider for one authority (e.g. to shed a bad reputation)
          const a = base.attacker.kp;
          const [provider, providerBump] = otherBump([Buffer.from('provider'), a.publicKey.toBuffer()]);
          const [stakeVault, stakeVaultBump] = findStakeVaultPda(provider);
          instruction = buildInstruction('register_provider', { providerBump, stakeVaultBump }, { authority: a.publicKey, provider, stakeVault });
          signers = [a];
          extra = [provider, stakeVault, findProviderPda(a.publicKey)[0]];
          desc = 'bump register_provider';
        } else {
          const spl = op.what > 0;
          const id = userNext[ui];
          const idLe = Buffer.from(new BigUint64Array([id]).buffer);
          const args = { sessionId: id, mode: SessionMode.Time, durationMinutes: 1, tickAmount: spl ? n.fx.pricePerMinuteToken : n.fx.pricePerMinute, maxTicks: 0n, hashChainRoot: new Uint8Array(32) };
          const [session, sb] = op.what === 2 ? findSessionPda(n.fx.node, u.kp.publicKey, id) : otherBump([Buffer.from('session'), n.fx.node.toBuffer(), u.kp.publicKey.toBuffer(), idLe]);
          const accounts = { user: u.kp.publicKey, provider: n.fx.prov.provider, node: n.fx.node, session };
          if (!spl) {
            instruction = buildInstruction('open_session', { ...args, sessionBump: sb }, accounts);
            extra = [session];
          } else {
            // what 1: the Session at another bump; what 2: its vault at another bump
            const [vault, vb] = op.what === 2 ? otherBump([Buffer.from('vault'), session.toBuffer()]) : findSessionVaultPda(session);
            instruction = buildInstruction('open_session_spl', { ...args, sessionBump: sb, vaultBump: vb }, { ...accounts, vault, tokenMint: w.usdc.mint, userToken: u.token });
            extra = [session, vault];
          }
          signers = [u.kp];
          desc = `bump open u${ui} n${op.node} ${['session', 'spl session', 'spl vault'][op.what]}`;
        }
        wantErr = 'NonCanonicalBump';
        break;
      }
    }

    if (!instruction) {
      if (op.k !== 'warp') log.push(`${step}: ${rawOp.k} (nothing to apply it to)`);
    } else {
      const keys = uniq([...tracked(), ...extra]);
      const before = read(keys);
      const r = env.send(instruction, signers);
      log.push(`${step}: ${desc} -> ${r.ok ? 'ok' : r.error?.name}`);
      const statKey = `${rawOp.k === 'close' && rawOp.squat ? 'evict' : rawOp.k} -> ${r.ok ? 'ok' : r.error?.name}`;
      STATS.set(statKey, (STATS.get(statKey) ?? 0) + 1);
      const fail = (msg: string) => {
        throw new Error(`${msg}\n--- operations ---\n${log.join('\n')}\n--- logs ---\n${r.logs.join('\n')}`);
      };
      if (r.ok !== expectOkay) fail(`step ${step} (${desc}): expected ${expectOkay ? 'success' : 'failure'}, got ${r.ok ? 'success' : r.error?.name}`);
      if (!r.ok && wantErr && r.error?.name !== wantErr) fail(`step ${step} (${desc}): expected ${wantErr}, got ${r.error?.name}`);
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
        const wrong = verify(r);
        if (wrong) fail(`step ${step} (${desc}): ${wrong}`);
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
      const got = { state: chainState, lastTick: a.lastTick, remaining: a.remainingBalance, claimed: a.claimedAmount, fee: a.feeAmount, refunded: a.refundedAmount, bytes: a.bytesUsed, released: a.capacityReleased, rated: a.rated, lock: a.disputeLock };
      const want = { state: s.state, lastTick: s.lastTick, remaining: s.remaining, claimed: s.claimed, fee: s.fee, refunded: s.refunded, bytes: s.bytes, released: !s.slot, rated: s.rated, lock: s.lock };
      for (const f of Object.keys(want) as (keyof typeof want)[]) {
        if (got[f] !== want[f]) failInv(`s${i}.${f} is ${String(got[f])}, model says ${String(want[f])}`);
      }
      if (a.escrowAmount !== a.claimedAmount + a.refundedAmount + a.remainingBalance) failInv(`s${i}: escrow != claimed + refunded + remaining`);
      // the accounts hold exactly the remaining escrow, the rent and what was donated to them
      if (s.spl) {
        if (env.tokenBalance(s.fx.vault!) !== a.remainingBalance + s.donT) failInv(`s${i}: vault holds ${env.tokenBalance(s.fx.vault!)}, remaining ${a.remainingBalance} + donated ${s.donT}`);
        if (env.lamports(s.fx.session) !== rentS + s.donL) failInv(`s${i}: token session holds ${env.lamports(s.fx.session)} lamports`);
      } else if (env.lamports(s.fx.session) !== rentS + a.remainingBalance + s.donL) {
        failInv(`s${i}: session holds ${env.lamports(s.fx.session)} lamports, rent + remaining + donated is ${rentS + a.remainingBalance + s.donL}`);
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
      const got = [a.stakeLamports, a.unstakingLamports, a.slashedLamports, a.openDisputes, a.lockedLamports, a.ratingSum, a.ratingWeight, a.ratingCount, a.reputationScore, a.totalEarnedLamports, a.totalEarnedToken, a.totalUptimeSeconds, a.totalSessions];
      const want = [p.stake, p.unstaking, p.slashed, p.openDisputes, p.locked, p.ratingSum, p.ratingWeight, p.ratingCount, score(p.ratingSum, p.ratingWeight), p.earnedL, p.earnedT, p.uptime, p.total];
      // the stake vault holds exactly rent + active + unbonding stake
      if (env.lamports(p.fx.stakeVault) !== rentOf(env, 'StakeVault') + a.stakeLamports + a.unstakingLamports) failInv(`p${i}: stake vault holds ${env.lamports(p.fx.stakeVault)}`);
      if (got.some((g, j) => g !== want[j])) failInv(`p${i}: provider counters ${got.join(',')} != model ${want.join(',')}`);
      // locked_lamports is exactly the dispute_lock of its open disputes
      const open = sessions.filter((s) => s.state === 'Disputed' && provOf(s) === p).reduce((t, s) => t + s.lock, 0n);
      if (a.lockedLamports !== open) failInv(`p${i}: locked_lamports ${a.lockedLamports}, open disputes lock ${open}`);
    }
    for (const [i, u] of userStates.entries()) {
      // a user's UserState exists from its first open, holds its rent and the next id
      const raw = env.raw(u);
      const nextId = raw ? decodeUserState(raw.data).nextSessionId : 0n;
      if (nextId !== userNext[i] || (raw ? raw.lamports !== rentU : userNext[i] !== 0n)) failInv(`u${i}: UserState next id ${nextId}, model ${userNext[i]}`);
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
    // the hostile actor was there: every refused attack was tried (and never succeeded,
    // or the run above failed), squatters opened and were evicted. (A donated session
    // reaches its payout in only a few runs: the scripted run below always sweeps one.)
    const seen = (k: string) => STATS.get(k) ?? 0;
    if (RUNS * STEPS < 2_000) return; // (a short run, e.g. to replay a seed, may miss some)
    for (const k of ['forge -> InvalidConfig', 'bump -> NonCanonicalBump', 'spam -> RatingNotEarned', 'spam -> SelfRating', 'donate -> ok', 'squat -> ok', 'evict -> ok', 'evict -> SessionNotIdle']) {
      expect(seen(k), k).toBeGreaterThan(0);
    }
    for (const k of ['forge', 'bump', 'spam']) expect(seen(`${k} -> ok`), `${k} succeeded`).toBe(0);
  }, Math.max(600_000, RUNS * STEPS * 150)); // ~4 minutes for 200 runs on a loaded 2-core machine; make fuzz runs more

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
      { k: 'open', user: 2, node: 0, usage: false, spl: false, minutes: 1, tickAmount: 1, maxTicks: 1, idShift: 1 },
      { k: 'open', user: 2, node: 0, usage: true, spl: false, minutes: 5, tickAmount: 5, maxTicks: 10, wrongPrice: true },
      { k: 'open', user: 2, node: 0, usage: true, spl: false, minutes: 5, tickAmount: 5, maxTicks: 10, wrongPrice: false },
      { k: 'open', user: 0, node: 2, usage: false, spl: false, minutes: 5, tickAmount: 1, maxTicks: 1 },
      { k: 'dispute', s: 3, by: 0, reason: 1 },
      // the dispute freed s3's slot on n2 (capacity 2): two more sessions fit, a third does not
      { k: 'open', user: 1, node: 2, usage: false, spl: false, minutes: 5, tickAmount: 1, maxTicks: 1 },
      { k: 'open', user: 2, node: 2, usage: false, spl: true, minutes: 5, tickAmount: 1, maxTicks: 1 },
      { k: 'open', user: 1, node: 2, usage: false, spl: false, minutes: 5, tickAmount: 1, maxTicks: 1 },
      { k: 'unstake', prov: 1, withdraw: false, all: true },
      { k: 'close', s: 0, stranger: false, provider: true },
      { k: 'warp', secs: 91 },
      { k: 'close', s: 0, stranger: false, provider: true },
      { k: 'payout', s: 3, by: 1 },
      { k: 'unstake', prov: 1, withdraw: true },
      { k: 'warp', secs: 300 },
      { k: 'resolve', s: 3, permille: 0, slash: false, admin: true, overCap: true },
      { k: 'unstake', prov: 1, withdraw: true },
      { k: 'unstake', prov: 1, withdraw: true },
      { k: 'payout', s: 3, by: 1 },
      { k: 'unstake', prov: 1, withdraw: true },
      { k: 'unstake', prov: 1, withdraw: true },
      { k: 'unstake', prov: 0, withdraw: false },
      // a disputed usage session still pays revealed preimages; a disputed time session is frozen
      { k: 'open', user: 0, node: 0, usage: true, spl: false, minutes: 5, tickAmount: 1, maxTicks: 10 },
      { k: 'claim', s: 13, mode: 2, pick: 0, bytes: 1, bad: false },
      { k: 'dispute', s: 13, by: 0, reason: 2 },
      { k: 'claim', s: 13, mode: 2, pick: 0, bytes: 1, bad: false },
      { k: 'dispute', s: 11, by: 1, reason: 3 },
      { k: 'claim', s: 11, mode: 0, pick: 0, bytes: 1, bad: false },
      // ---- the hostile actor ----
      { k: 'bump', user: 0, node: 0, what: 0 },
      { k: 'bump', user: 0, node: 0, what: 1 },
      { k: 'bump', user: 0, node: 0, what: 2 },
      { k: 'bump', user: 0, node: 0, what: 3 },
      { k: 'squat', who: 0, node: 0, minutes: 1 },
      { k: 'squat', who: 2, node: 0, minutes: 1 },
      { k: 'close', s: 0, stranger: false, provider: true, squat: true },
      { k: 'spam', s: 0, rating: 1 },
      { k: 'donate', s: 5, tokens: true, amount: 5 },
      { k: 'donate', s: 5, tokens: false, amount: 1_000 },
      ...FORGED.map((_, what): Op => ({ k: 'forge', s: 5, what })),
      { k: 'warp', secs: 91 },
      { k: 'close', s: 0, stranger: false, provider: true, squat: true },
      { k: 'spam', s: 0, rating: 1 },
      { k: 'spam', s: 2, rating: 5 },
      { k: 'warp', secs: 200 },
      { k: 'payout', s: 5, by: 1 },
      // a disputed usage session whose dispute window ends before its settle deadline:
      // the default rule waits for the settle deadline (its revealed ticks stay claimable)
      { k: 'open', user: 1, node: 0, usage: true, spl: false, minutes: 10, tickAmount: 1, maxTicks: 10 },
      { k: 'dispute', s: 9, by: 0, reason: 2 },
      { k: 'warp', secs: 301 },
      { k: 'payout', s: 9, by: 1 },
      { k: 'warp', secs: 420 },
      { k: 'payout', s: 9, by: 1 },
    ];
    const log = runOps(ops);
    expect(log).toEqual([
      expect.stringMatching(/^0: open u0 n0 id 0 time SOL .* -> ok$/),
      expect.stringMatching(/^1: open u1 n2 id 0 usage USDC .* -> ok$/),
      expect.stringMatching(/^2: warp 30/),
      expect.stringMatching(/^3: claim s0 tick 30 .* -> ok$/),
      expect.stringMatching(/^4: claim s1 tick 1 .* -> ok$/),
      '5: foreign claim s0 -> InvalidPda',
      '6: foreign close s1 -> NotSessionParty',
      '7: close s1 (Active) -> ok',
      expect.stringMatching(/^8: claim s1 tick 5 \(last 1, Closing\).* -> ok$/),
      '9: dispute s0 (Active) by user -> ok',
      expect.stringMatching(/^10: resolve s0 \(Disputed\) amount \d+ of \d+ slash 1000000 -> ok$/),
      '11: rate s0 (Resolved) 4 weight 100 -> ok',
      '12: payout s0 (Resolved) by user -> ok',
      expect.stringMatching(/^13: warp 200/),
      '14: payout s1 (Closing) by keeper -> ok',
      '15: toggle n1 false -> ok',
      expect.stringMatching(/^16: open u2 n1 id 0 time SOL .* -> NodeInactive$/),
      // ids are per user: u2's next id is 0 (whatever the node counts), 1 is refused
      expect.stringMatching(/^17: open u2 n0 id 1 time SOL .* -> InvalidSessionId$/),
      // a usage price other than the node's is refused, the node's opens
      expect.stringMatching(/^18: open u2 n0 id 0 usage SOL .* -> PriceMismatch$/),
      expect.stringMatching(/^19: open u2 n0 id 0 usage SOL 5min escrow 7770 -> ok$/),
      expect.stringMatching(/^20: open u0 n2 id 1 time SOL .* -> ok$/),
      '21: dispute s3 (Active) by user -> ok',
      expect.stringMatching(/^22: open u1 n2 id 1 time SOL .* -> ok$/),
      expect.stringMatching(/^23: open u2 n2 id 1 time USDC .* -> ok$/),
      expect.stringMatching(/^24: open u1 n2 id 2 time SOL .* -> NodeFull$/),
      // unbonding stake stays slashable: unstaking is allowed under an open dispute
      '25: unstake p1 10000000000 (open disputes 1) -> ok',
      // the provider evicts an idle usage session only after the idle timeout
      '26: close s2 (Active) by provider -> SessionNotIdle',
      expect.stringMatching(/^27: warp 91/),
      '28: close s2 (Active) by provider (idle) -> ok',
      // an unresolved dispute: nobody settles it within its window
      '29: payout s3 (Disputed) by keeper -> DisputeWindowOpen',
      '30: withdraw p1 7500000000 of 10000000000 (locked 2500000000) -> UnbondingNotElapsed',
      expect.stringMatching(/^31: warp 300/),
      // the admin may slash at most the dispute_lock (25 % of the 10 SOL staked at the dispute)
      '32: resolve s3 (Disputed) amount 0 of 4999995 slash 2500000001 -> SlashExceedsCap',
      // all but the dispute_lock may leave, the lock may not
      '33: withdraw p1 7500000000 of 10000000000 (locked 2500000000) -> ok',
      '34: withdraw p1 0 of 2500000000 (locked 2500000000) -> StakeLockedByDispute',
      // anyone settles the expired dispute by the default rule, which releases the lock
      '35: payout s3 (Disputed) by keeper -> ok',
      '36: withdraw p1 2500000000 of 2500000000 (locked 0) -> ok',
      '37: withdraw p1 0 of 0 (locked 0) -> NothingToWithdraw',
      '38: unstake p0 500000000 (open disputes 0) -> ok',
      expect.stringMatching(/^39: open u0 n0 id 2 usage SOL 5min escrow 7770 -> ok$/),
      expect.stringMatching(/^40: claim s6 tick 1 \(last 0, Active\).* -> ok$/),
      '41: dispute s6 (Active) by user -> ok',
      expect.stringMatching(/^42: claim s6 tick 2 \(last 1, Disputed\).* -> ok$/),
      '43: dispute s4 (Active) by provider -> ok',
      expect.stringMatching(/^44: claim s4 tick \d+ \(last 0, Disputed\).* -> SessionDisputed$/),
      // the hostile actor: his own bumps, squatting, donations, his own Config, rating spam
      '45: bump open u0 n0 session -> NonCanonicalBump',
      '46: bump open u0 n0 spl session -> NonCanonicalBump',
      '47: bump open u0 n0 spl vault -> NonCanonicalBump',
      '48: bump register_provider -> NonCanonicalBump',
      '49: squat u3 n0 id 0 usage SOL 1min escrow 777 -> ok',
      // the provider squats its own node (u5 is its wallet)
      '50: squat u5 n0 id 0 usage SOL 1min escrow 777 -> ok',
      '51: close s7 (Active) by provider -> SessionNotIdle',
      '52: spam rate s7 (Active) 1 by its squatter -> SessionNotEnded',
      '53: donate 5 token units to the vault of s5 (Active) -> ok',
      '54: donate 1000 lamports to the Session of s5 (Active) -> ok',
      ...FORGED.map((name, i) => `${55 + i}: forge ${name}${i >= FORGED_GLOBAL ? ' s5' : ''} -> InvalidConfig`),
      expect.stringMatching(/^66: warp 91/),
      // no claim for the idle timeout: the provider evicts the squatter
      '67: close s7 (Active) by provider (idle) -> ok',
      '68: spam rate s7 (Closing) 1 by its squatter -> RatingNotEarned',
      '69: spam rate s8 (Active) 5 by its provider -> SelfRating',
      expect.stringMatching(/^70: warp 200/),
      // sweeps the 5 donated token units (PayoutClaimed.swept, checked in runOps) and the 1000 lamports to the user
      '71: payout s5 (Active) by keeper -> ok',
      expect.stringMatching(/^72: open u1 n0 id 2 usage SOL 10min .* -> ok$/),
      '73: dispute s9 (Active) by user -> ok',
      expect.stringMatching(/^74: warp 301/),
      '75: payout s9 (Disputed) by keeper -> SettleWindowOpen',
      expect.stringMatching(/^76: warp 420/),
      '77: payout s9 (Disputed) by keeper -> ok',
    ]);
  });
});

