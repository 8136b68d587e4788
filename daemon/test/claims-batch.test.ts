// Batched claims of an in-process daemon on the embedded chain (the real
// program; WireGuard in memory): one round over 24 sessions (time and usage,
// SOL and the harness token) pays each session exactly what it is owed in at
// most ceil(n/5) transactions; one claim the program refuses does not stop the
// others of its batch; a crash with a batch's signature journaled (landed
// before the restart, or landing only after it) neither loses nor repeats a
// claim.
import type { VersionedTransaction } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionMode, protocolFee, timeEarned, type SessionAccount } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import {
  claimChunkIx,
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

const FEE_PER_SIGNATURE = 5_000n;
const OVERRIDES = { usage: { tickIntervalSeconds: 3600, tickGraceSeconds: 3600 }, claims: { intervalSeconds: 1 } };

let chain: Chain;
let cfg: ConfigCtx;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
}, 60_000);

afterAll(() => chain?.close());

const rec = (d: InProc, s: SessionCtx) => d.daemon.ctx.store.sessions.get(s.session.toBase58())!;
const metric = async (d: InProc, re: RegExp) => Number(re.exec((await http(d.target, 'GET', '/metrics')).text)?.[1] ?? 0);
const okTransactions = /dvpn_claim_transactions_total\{result="ok"\} (\d+)/;
const failedTransactions = /dvpn_claim_transactions_total\{result="failed"\} (\d+)/;

async function admit(d: InProc, s: SessionCtx, ticks?: number): Promise<void> {
  const auth = await http(d.target, 'POST', '/session/auth', authBody(s.session, s.user, generateWgKeypair().publicKey));
  expect(auth.status, auth.text).toBe(200);
  if (ticks) {
    const paid = await http(d.target, 'POST', `/session/${s.session.toBase58()}/ticks`, {
      tick: ticks,
      preimage: Buffer.from(s.hashChain!.preimage(ticks)).toString('hex'),
    });
    expect(paid.status, paid.text).toBe(200);
  }
}

/** Polls (as the daemon's timer would) until every session's claim through `tick(s)` is recorded and none is pending. */
async function roundUntil(d: InProc, sessions: SessionCtx[], tick: (s: SessionCtx) => bigint, what: string): Promise<void> {
  await waitFor(
    async () => {
      await d.daemon.ctx.lifecycle.pollOnce();
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'claims idle');
      return sessions.every((s) => rec(d, s).chainTick === tick(s) && rec(d, s).pending === null);
    },
    what,
    60_000,
    200,
  );
}

describe('a batched round', () => {
  let nodeCtx: NodeCtx;
  let d: InProc;
  const usage: SessionCtx[] = [];
  const time: SessionCtx[] = [];
  const TICKS = (i: number) => 3 + i; // distinct per session, so a mix-up would show

  beforeAll(async () => {
    nodeCtx = await createProviderWithNode(chain, { maxCapacity: 64, endpoint: '192.0.2.1:51820' });
    d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES });
    // 24 sessions: more than one packet holds, so the round needs several batches; a third pay in the token.
    for (let i = 0; i < 12; i++) usage.push(await openUsageSession(chain, nodeCtx, { maxTicks: 50, durationMinutes: 30 }, { spl: i % 3 === 2 }));
    for (let i = 0; i < 12; i++) time.push(await openTimeSession(chain, nodeCtx, 10, { spl: i % 3 === 2 }));
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('pays every session exactly what it is owed, in at most ceil(n/5) transactions', async () => {
    const all = [...usage, ...time];
    for (const [i, s] of usage.entries()) await admit(d, s, TICKS(i));
    for (const s of time) await admit(d, s);
    const authority = nodeCtx.owner.authority.publicKey;
    const before = {
      authority: await chain.lamports(authority),
      treasury: await chain.lamports(cfg.treasury.publicKey),
      providerToken: await chain.tokenBalance(authority),
      treasuryToken: await chain.tokenBalance(cfg.treasury.publicKey),
    };
    const WARP = 120n;
    await chain.warpSeconds(WARP);
    await new Promise((r) => setTimeout(r, 1100)); // the claim interval
    await roundUntil(d, all, (s) => (s.mode === SessionMode.Usage ? BigInt(TICKS(usage.indexOf(s))) : WARP), 'one batched round');

    const owed = { sol: 0n, solFee: 0n, token: 0n, tokenFee: 0n };
    const signatures = new Set<string>();
    for (const s of all) {
      const acc: SessionAccount = await mustFetchSession(chain, s.session);
      const expected =
        s.mode === SessionMode.Usage
          ? BigInt(TICKS(usage.indexOf(s))) * acc.tickAmount
          : timeEarned(acc.escrowAmount, acc.endTs - acc.startTs, WARP);
      expect(acc.lastTick).toBe(s.mode === SessionMode.Usage ? BigInt(TICKS(usage.indexOf(s))) : WARP);
      expect(acc.claimedAmount).toBe(expected);
      const fee = protocolFee(expected, cfg.protocolFeeBps);
      expect(acc.feeAmount).toBe(fee);
      // The daemon's record of it: one claim, amounts from this session's own event in the batch.
      const claims = rec(d, s).claims;
      expect(claims).toHaveLength(1);
      expect(claims[0]).toMatchObject({ kind: 'chunk', tick: acc.lastTick, amount: expected, fee, providerAmount: expected - fee, via: 'tx' });
      signatures.add(claims[0].signature!);
      if (s.spl) {
        owed.token += expected - fee;
        owed.tokenFee += fee;
      } else {
        owed.sol += expected - fee;
        owed.solFee += fee;
      }
    }
    const txs = BigInt(signatures.size);
    expect(signatures.size).toBeLessThanOrEqual(Math.ceil(all.length / 5));
    expect(await metric(d, okTransactions)).toBe(signatures.size);
    // Balances: the provider got its shares minus one fee per transaction, the treasury its fees.
    expect((await chain.lamports(authority)) - before.authority).toBe(owed.sol - txs * FEE_PER_SIGNATURE);
    expect((await chain.lamports(cfg.treasury.publicKey)) - before.treasury).toBe(owed.solFee);
    expect((await chain.tokenBalance(authority)) - before.providerToken).toBe(owed.token);
    expect((await chain.tokenBalance(cfg.treasury.publicKey)) - before.treasuryToken).toBe(owed.tokenFee);
    expect(owed.token).toBeGreaterThan(0n);
    expect(signatures.size).toBeGreaterThan(1);

    // Nothing more is due: another round sends nothing.
    for (let i = 0; i < 2; i++) {
      await d.daemon.ctx.lifecycle.pollOnce();
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'claims idle');
    }
    expect(await metric(d, okTransactions)).toBe(signatures.size);
  });
});

describe('a claim the program refuses inside a batch', () => {
  it('applies that session its rule (StaleClaim) and claims the others at once', async () => {
    const nodeCtx = await createProviderWithNode(chain, { maxCapacity: 64, endpoint: '192.0.2.1:51820' });
    const d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES });
    try {
      const sessions: SessionCtx[] = [];
      for (let i = 0; i < 6; i++) sessions.push(await openUsageSession(chain, nodeCtx, { maxTicks: 50, durationMinutes: 30 }));
      for (const s of sessions) await admit(d, s, 7);
      const bad = sessions[2];
      // The provider claims one of them by hand meanwhile; the daemon acts on a read from before that.
      await chain.send(claimChunkIx(chain, bad, cfg.treasury.publicKey, 7), [nodeCtx.owner.authority]);
      const { now, sessions: lookups } = await d.daemon.ctx.chain.readSessions(sessions.map((s) => s.session));
      for (const s of sessions) {
        let lookup = lookups.get(s.session.toBase58())!;
        if (s === bad) lookup = { kind: 'session', account: { ...(lookup as { account: SessionAccount }).account, lastTick: 0n } };
        rec(d, s).lastClaimAt = 0;
        d.daemon.ctx.claimer.schedule(rec(d, s), lookup, now);
      }
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'the batch');

      expect(await metric(d, /dvpn_claims_total\{kind="chunk",result="StaleClaim"\} (\d+)/)).toBe(1);
      expect(rec(d, bad).pending).toBeNull();
      expect(rec(d, bad).chainTick).toBe(7n);
      expect(rec(d, bad).claims).toHaveLength(0); // claimed by hand, not by the daemon
      const others = sessions.filter((s) => s !== bad);
      const signatures = new Set<string>();
      for (const s of others) {
        expect(rec(d, s).pending).toBeNull();
        expect(rec(d, s).claims).toHaveLength(1);
        expect(rec(d, s).programErrors).toBe(0);
        signatures.add(rec(d, s).claims[0].signature!);
        const acc = await mustFetchSession(chain, s.session);
        expect(acc.lastTick).toBe(7n);
        expect(acc.claimedAmount).toBe(7n * acc.tickAmount);
      }
      // The five others went out together, in the resent transaction; the refused one landed nothing.
      expect(signatures.size).toBe(1);
      expect(await metric(d, okTransactions)).toBe(1);
      expect(await metric(d, failedTransactions)).toBe(1);
      const byHand = await mustFetchSession(chain, bad.session);
      expect(byHand.claimedAmount).toBe(7n * byHand.tickAmount); // once, by hand
    } finally {
      await d.close();
    }
  });
});

describe('a crash in the middle of a batch', () => {
  let nodeCtx: NodeCtx;
  let d: InProc;
  const sessions: SessionCtx[] = [];

  beforeAll(async () => {
    nodeCtx = await createProviderWithNode(chain, { maxCapacity: 64, endpoint: '192.0.2.1:51820' });
    d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES });
    for (let i = 0; i < 6; i++) sessions.push(await openUsageSession(chain, nodeCtx, { maxTicks: 50, durationMinutes: 30 }, { spl: i % 3 === 0 }));
    for (const s of sessions) await admit(d, s, 4);
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  /** Every session: exactly the given claims (tick, signature) recorded, and the chain paid exactly through the last. */
  async function expectClaimedOnce(ticks: bigint[], signatureOfLast: string): Promise<void> {
    for (const s of sessions) {
      const r = rec(d, s);
      expect(r.pending).toBeNull();
      expect(r.claims.map((c) => c.tick)).toEqual(ticks);
      expect(r.claims.at(-1)!.signature).toBe(signatureOfLast);
      expect(r.claims.at(-1)!.amount).not.toBeNull(); // attributed from this session's own event
      const acc = await mustFetchSession(chain, s.session);
      expect(acc.lastTick).toBe(ticks.at(-1));
      expect(acc.claimedAmount).toBe(ticks.at(-1)! * acc.tickAmount);
    }
  }

  it('after the batch landed: each session resolves the journaled signature, recorded once, nothing resent', async () => {
    // The process "dies" after the batch is signed, journaled and sent, before its confirmation is seen.
    (d.daemon.ctx.chain as unknown as { confirm: () => Promise<never> }).confirm = () => new Promise<never>(() => undefined);
    await new Promise((r) => setTimeout(r, 1100));
    await d.daemon.ctx.lifecycle.pollOnce();
    const signature = await waitFor((): string | null => {
      const sigs = new Set(sessions.map((s) => rec(d, s).pending?.signature ?? null));
      return sigs.size === 1 ? [...sigs][0] : null;
    }, 'one batch signature journaled by every session');
    await waitFor(async () => (await mustFetchSession(chain, sessions[0].session)).lastTick === 4n, 'the batch landed');
    const dir = d.dir;
    await d.daemon.destroy();

    d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES, dir, wg: d.wg });
    await roundUntil(d, sessions, () => 4n, 'pending batch resolved');
    await expectClaimedOnce([4n], signature);
    expect(await metric(d, okTransactions)).toBe(0); // the new process sent nothing
  });

  it('before the batch landed: the restarted daemon waits for the journaled signature, then records what landed once', async () => {
    for (const s of sessions) {
      const paid = await http(d.target, 'POST', `/session/${s.session.toBase58()}/ticks`, {
        tick: 9,
        preimage: Buffer.from(s.hashChain!.preimage(9)).toString('hex'),
      });
      expect(paid.status).toBe(200);
    }
    // The process "dies" with the batch signed and journaled but still on its way: hold the bytes.
    let held: Buffer | null = null;
    const connection = d.daemon.ctx.chain.connection as unknown as { sendRawTransaction: (raw: Buffer | VersionedTransaction) => Promise<string> };
    connection.sendRawTransaction = (raw) => {
      held = Buffer.from(raw as Buffer);
      return new Promise<never>(() => undefined);
    };
    await new Promise((r) => setTimeout(r, 1100));
    await d.daemon.ctx.lifecycle.pollOnce();
    await waitFor(() => held, 'batch signed and journaled');
    const signature = rec(d, sessions[0]).pending!.signature!;
    expect(sessions.every((s) => rec(d, s).pending?.signature === signature)).toBe(true);
    const dir = d.dir;
    await d.daemon.destroy();

    d = await startInProcess(chain, nodeCtx, { overrides: OVERRIDES, dir, wg: d.wg });
    // Still valid and unseen: nothing new is sent for these sessions while it may land.
    for (let i = 0; i < 3; i++) {
      await d.daemon.ctx.lifecycle.pollOnce();
      await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'claims idle');
    }
    expect(sessions.every((s) => rec(d, s).pending?.signature === signature)).toBe(true);
    expect((await mustFetchSession(chain, sessions[0].session)).lastTick).toBe(4n);
    expect(await metric(d, okTransactions)).toBe(0);

    // The network delivers it late.
    const landed = await chain.connection.sendRawTransaction(held!, { skipPreflight: true });
    expect(landed).toBe(signature);
    await waitFor(async () => (await mustFetchSession(chain, sessions[0].session)).lastTick === 9n, 'the late batch landed');
    await roundUntil(d, sessions, () => 9n, 'pending batch resolved');
    await expectClaimedOnce([4n, 9n], signature);
    expect(await metric(d, okTransactions)).toBe(0);
  });
});
