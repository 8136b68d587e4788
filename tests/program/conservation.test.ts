// Conservation, measured from balances: for every settled session,
// provider payout + protocol fee + user refund == escrow, to the unit, in SOL
// and in USDC; all rent goes back to the user, except the rent of the user's
// UserState (paid on the first open, never closed); the events tell the same story.
import type { Keypair, TransactionInstruction } from '@solana/web3.js';
import { findUserStatePda } from '@dvpn/sdk';
import { describe, expect, it } from 'vitest';
import {
  addUser,
  claimIx,
  closeIx,
  createMarket,
  disputeIx,
  expectOk,
  openTime,
  openUsage,
  payoutIx,
  rentOf,
  resolveIx,
  SOL,
  track,
  type SendResult,
  type SessionFx,
} from './setup.js';

type Market = ReturnType<typeof createMarket>;
interface Ctx {
  m: Market;
  s: SessionFx;
  run: (ix: TransactionInstruction, signers: Keypair[]) => SendResult;
  slashed: bigint;
}

type Scenario = [name: string, open: (m: Market, spl: boolean) => SessionFx, steps: (c: Ctx) => void];

const scenarios: Scenario[] = [
  [
    'time: two claims, user close, user payout',
    (m, spl) => openTime(m.w, m.user, m.node, { spl, minutes: 10 }),
    ({ m, s, run }) => {
      m.env.setTime(s.startTs + 100n);
      run(claimIx(s, 100), [m.prov.authority]);
      m.env.setTime(s.startTs + 333n);
      run(claimIx(s, 250), [m.prov.authority]);
      m.env.setTime(s.startTs + 400n);
      run(closeIx(s), [m.user.kp]);
      run(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
    },
  ],
  [
    'time: never claimed, settled by a keeper after expiry',
    (m, spl) => openTime(m.w, m.user, m.node, { spl, minutes: 7 }),
    ({ m, s, run }) => {
      m.env.setTime(s.startTs + 420n + m.w.cfg.settleWindowSeconds + 1n);
      const keeper = addUser(m.w);
      run(payoutIx(s, keeper.kp.publicKey), [keeper.kp]);
    },
  ],
  [
    'time: odd price, many claims, closed after the end',
    (m, spl) => openTime(m.w, m.user, m.node, { spl, minutes: 3 }),
    ({ m, s, run }) => {
      for (const t of [1n, 7n, 13n, 61n, 119n, 120n, 179n]) {
        m.env.setTime(s.startTs + t);
        run(claimIx(s, t), [m.prov.authority]);
      }
      m.env.setTime(s.startTs + 500n);
      run(closeIx(s), [m.user.kp]);
      m.env.setTime(s.startTs + 500n + m.w.cfg.settleWindowSeconds + 1n);
      run(payoutIx(s, m.prov.authority.publicKey), [m.prov.authority]);
    },
  ],
  [
    'time: claim, dispute, split resolution with a slash, payout',
    (m, spl) => openTime(m.w, m.user, m.node, { spl, minutes: 10 }),
    (c) => {
      const { m, s, run } = c;
      m.env.setTime(s.startTs + 50n);
      run(claimIx(s, 50), [m.prov.authority]);
      m.env.setTime(s.startTs + 100n);
      run(disputeIx(s, m.user.kp.publicKey), [m.user.kp]);
      const remaining = m.env.session(s.session).remainingBalance;
      c.slashed = SOL / 10n;
      run(resolveIx(s, remaining / 2n + 1n, c.slashed), [m.w.admin]);
      run(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
    },
  ],
  [
    'time: closed at once',
    (m, spl) => openTime(m.w, m.user, m.node, { spl, minutes: 60 }),
    ({ m, s, run }) => {
      run(closeIx(s), [m.user.kp]);
      run(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
    },
  ],
  [
    'usage: claims, close, a late claim while Closing, payout after the window',
    (m, spl) => openUsage(m.w, m.user, m.node, { spl, minutes: 30, tickAmount: 1_234n, maxTicks: 40 }),
    ({ m, s, run }) => {
      run(claimIx(s, 3, { bytesUsed: 1n }), [m.prov.authority]);
      m.env.warp(60);
      run(claimIx(s, 10, { bytesUsed: 2n }), [m.prov.authority]);
      run(closeIx(s), [m.user.kp]);
      m.env.warp(30);
      run(claimIx(s, 15, { bytesUsed: 3n }), [m.prov.authority]);
      m.env.warp(m.w.cfg.settleWindowSeconds);
      const keeper = addUser(m.w);
      run(payoutIx(s, keeper.kp.publicKey), [keeper.kp]);
    },
  ],
  [
    'usage: one claim, settled after expiry',
    (m, spl) => openUsage(m.w, m.user, m.node, { spl, minutes: 5, tickAmount: 999n, maxTicks: 20 }),
    ({ m, s, run }) => {
      run(claimIx(s, 5), [m.prov.authority]);
      m.env.setTime(s.startTs + 300n + m.w.cfg.settleWindowSeconds + 1n);
      run(payoutIx(s, m.prov.authority.publicKey), [m.prov.authority]);
    },
  ],
  [
    'usage: dispute while Active, everything to the provider, payout',
    (m, spl) => openUsage(m.w, m.user, m.node, { spl, minutes: 30, tickAmount: 10_001n, maxTicks: 9 }),
    ({ m, s, run }) => {
      run(claimIx(s, 2), [m.prov.authority]);
      run(disputeIx(s, m.prov.authority.publicKey), [m.prov.authority]);
      run(resolveIx(s, m.env.session(s.session).remainingBalance, 0n), [m.w.admin]);
      run(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
    },
  ],
];

describe.each([
  { currency: 'SOL', spl: false },
  { currency: 'USDC', spl: true },
])('conservation in $currency', ({ spl }) => {
  it.each(scenarios)('%s', (_name, open, steps) => {
    // given a market, with every party's balances recorded before the session opens
    const m = createMarket({}, { pricePerMinute: 1_000_037n, pricePerMinuteToken: 10_009n });
    const wallets = {
      user: m.user.kp.publicKey,
      userToken: m.user.token,
      provider: m.prov.authority.publicKey,
      providerToken: m.prov.token,
      treasury: m.w.treasury.publicKey,
      treasuryToken: m.w.treasuryToken,
      stakeVault: m.prov.stakeVault,
      userState: findUserStatePda(m.user.kp.publicKey)[0],
    };
    const d = track(m.env, wallets);
    const s = open(m, spl);
    const results: SendResult[] = [];
    const ctx: Ctx = {
      m,
      s,
      slashed: 0n,
      run: (instruction, signers) => {
        const r = expectOk(m.env.send(instruction, signers));
        results.push(r);
        return r;
      },
    };

    // when the session runs to its end and is settled
    steps(ctx);

    // then the session and its vault are gone
    expect(m.env.exists(s.session)).toBe(false);
    if (s.vault) expect(m.env.exists(s.vault)).toBe(false);
    const lam = d();
    const tok = d.token();
    // the user's first open created its UserState, paid by the user; it stays (not escrow)
    const rentU = rentOf(m.env, 'UserState');
    expect(lam.userState).toBe(rentU);
    const paid = spl
      ? { provider: tok.providerToken, fee: tok.treasuryToken, user: tok.userToken }
      : { provider: lam.provider, fee: lam.treasury - ctx.slashed, user: lam.user + rentU };
    const refund = s.escrow + paid.user;
    // and provider payout + fee + refund is the escrow, to the unit
    expect(paid.provider + paid.fee + refund).toBe(s.escrow);
    expect(paid.provider).toBeGreaterThanOrEqual(0n);
    expect(paid.fee).toBeGreaterThanOrEqual(0n);
    expect(refund).toBeGreaterThanOrEqual(0n);
    // the slash is the only stake movement, and it went to the treasury
    expect(lam.stakeVault).toBe(-ctx.slashed);
    if (spl) {
      // all rent came back but the UserState's: the user's lamports are where they started less that
      expect(lam.user).toBe(-rentU);
      expect(lam.provider).toBe(0n);
      expect(lam.treasury).toBe(ctx.slashed);
    } else {
      expect(tok.userToken + tok.providerToken + tok.treasuryToken).toBe(0n);
    }

    // and the events account for every unit
    let evProvider = 0n;
    let evFee = 0n;
    let evRefund = 0n;
    for (const r of results) {
      for (const e of r.events) {
        if (e.name === 'ChunkClaimed' || e.name === 'SessionClosed' || e.name === 'PayoutClaimed' || e.name === 'DisputeResolved') {
          evProvider += e.data.providerAmount;
          evFee += e.data.fee;
        }
        if (e.name === 'SessionClosed' || e.name === 'PayoutClaimed' || e.name === 'DisputeResolved') evRefund += e.data.refund;
      }
    }
    expect({ provider: evProvider, fee: evFee, refund: evRefund }).toEqual({ provider: paid.provider, fee: paid.fee, refund });
    const last = results[results.length - 1].events.find((e) => e.name === 'PayoutClaimed');
    expect(last?.name).toBe('PayoutClaimed');
    if (last?.name === 'PayoutClaimed') {
      expect(last.data.claimedAmount).toBe(paid.provider + paid.fee);
      expect(last.data.refundedAmount).toBe(refund);
    }
    // and the provider's lifetime earnings count its net payouts
    const p = m.env.provider(m.prov.provider);
    expect(spl ? p.totalEarnedToken : p.totalEarnedLamports).toBe(paid.provider);
  });
});
