// The compute-unit scenario: every instruction once (SOL and USDC) and
// claim_chunk by ticks per claim, in litesvm on target/deploy/dvpn.so with
// fixed keypairs, clock and seeds, so the figures are deterministic. Used by
// bench/compute-units.ts (the README table) and tests/program/cu-budget.test.ts.
import { createHashChain, findNodePda, findProviderPda, ix } from '@dvpn/sdk';
import type { Keypair, TransactionInstruction } from '@solana/web3.js';
import {
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createBareWorld,
  createWorld,
  disputeIx,
  nextSessionId,
  openIx,
  openTime,
  openUsage,
  payoutIx,
  rateIx,
  resolveIx,
  SessionMode,
  SOL,
  type SendResult,
  type TestEnv,
  type World,
} from '../tests/program/setup.js';


export interface CuRow {
  name: string;
  cu: bigint;
  cpis: number;
}
export interface TickRow {
  ticks: number;
  sol: bigint;
  usdc: bigint;
  cpisSol: number;
  cpisUsdc: number;
}

export function measureComputeUnits(): { rows: CuRow[]; tickRows: TickRow[] } {
  const det = { deterministic: true };
  const rows: CuRow[] = [];

  function measure(env: TestEnv, name: string, instruction: TransactionInstruction, signers: Keypair[]): SendResult {
    const r = env.send(instruction, signers);
    if (!r.ok) throw new Error(`${name} failed: ${r.error?.name}\n${r.logs.join('\n')}`);
    if (r.programCu.length !== 1) throw new Error(`${name}: expected one dvpn invocation`);
    rows.push({ name, cu: r.programCu[0], cpis: r.cpis[0] ?? 0 });
    return r;
  }

  function market(w: World) {
    const prov = addProvider(w);
    const node = addNode(w, prov);
    const user = addUser(w);
    return { prov, node, user };
  }

  // ---- config, provider, node, stake ----
  {
    const b = createBareWorld(det);
    const cfg = {
      protocolFeeBps: 250, minProviderStake: SOL, unbondingSeconds: 604_800n, settleWindowSeconds: 3_600n,
      disputeWindowSeconds: 604_800n, idleTimeoutSeconds: 1_800n, minRatingLamports: 1_000n, minRatingToken: 10n, maxSlashBps: 2_500,
    };
    const accounts = { admin: b.admin.publicKey, treasury: b.treasury.publicKey, tokenMint: b.usdc.mint };
    measure(b.env, 'initialize_config', ix.initializeConfig({ ...accounts, ...cfg }), [b.admin]);
    measure(b.env, 'update_config', ix.updateConfig({ ...accounts, newAdmin: b.admin.publicKey, ...cfg }), [b.admin]);
    const authority = b.env.wallet(100n * SOL, 'bench-provider');
    measure(b.env, 'register_provider', ix.registerProvider({ authority: authority.publicKey }), [authority]);
    measure(b.env, 'stake_provider', ix.stakeProvider({ authority: authority.publicKey, amount: 5n * SOL }), [authority]);
    measure(b.env, 'register_node', ix.registerNode({ authority: authority.publicKey, nodeId: 0n, endpoint: 'bench.example.net:51820', region: 'eu-west', pricePerMinute: 1_000_000n, pricePerMinuteToken: 10_000n, wgServerPubkey: new Uint8Array(32).fill(1), maxCapacity: 10 }), [authority]);
    const [node] = findNodePda(findProviderPda(authority.publicKey)[0], 0n);
    measure(b.env, 'update_node', ix.updateNode({ authority: authority.publicKey, node, pricePerMinute: 2_000_000n, isActive: true }), [authority]);
    measure(b.env, 'request_unstake', ix.requestUnstake({ authority: authority.publicKey, amount: SOL }), [authority]);
    b.env.warp(cfg.unbondingSeconds + 1n);
    measure(b.env, 'withdraw_stake', ix.withdrawStake({ authority: authority.publicKey }), [authority]);
  }

  // ---- sessions, SOL and USDC ----
  for (const spl of [false, true]) {
    const tag = spl ? ' (USDC)' : ' (SOL)';
    const w = createWorld({}, det);
    const { prov, node, user } = market(w);
    const env = w.env;

    measure(env, `open_session${spl ? '_spl' : ''}, time${tag}`, openIx(w, user, node, SessionMode.Time, { sessionId: nextSessionId(w, user), spl, minutes: 60 }).instruction, [user.kp]);
    measure(env, `open_session${spl ? '_spl' : ''}, usage${tag}`, openIx(w, user, node, SessionMode.Usage, { sessionId: nextSessionId(w, user), spl, minutes: 60, chain: createHashChain(10, new Uint8Array(32).fill(5)) }).instruction, [user.kp]);

    const t = openTime(w, user, node, { spl, minutes: 60 });
    env.warp(600);
    measure(env, `claim_chunk, time${tag}`, claimIx(t, 600, { bytesUsed: 1_000n }), [prov.authority]);
    env.warp(600);
    measure(env, `close_session, time${tag}`, closeIx(t), [user.kp]);
    measure(env, `update_reputation${tag}`, rateIx(t, 5), [user.kp]);
    measure(env, `claim_payout, closed by user${tag}`, payoutIx(t, user.kp.publicKey), [user.kp]);

    const u = openUsage(w, user, node, { spl, minutes: 60, maxTicks: 20, chain: createHashChain(20, new Uint8Array(32).fill(6)) });
    measure(env, `close_session, usage${tag}`, closeIx(u), [user.kp]);
    env.warp(w.cfg.settleWindowSeconds + 1n);
    measure(env, `claim_payout, usage refund after window${tag}`, payoutIx(u, prov.authority.publicKey), [prov.authority]);

    const e = openTime(w, user, node, { spl, minutes: 10 });
    env.warp(600n + w.cfg.settleWindowSeconds + 1n);
    measure(env, `claim_payout, expired time session${tag}`, payoutIx(e, prov.authority.publicKey), [prov.authority]);

    const d = openTime(w, user, node, { spl, minutes: 10 });
    measure(env, `raise_dispute${tag}`, disputeIx(d, user.kp.publicKey, 1), [user.kp]);
    measure(env, `resolve_dispute, split + slash${tag}`, resolveIx(d, d.escrow / 2n, SOL / 10n), [w.admin]);
  }

  // ---- claim_chunk (usage) by ticks per claim ----
  const tickRows: TickRow[] = [];
  {
    const per: Record<string, { cu: bigint; cpis: number }> = {};
    for (const spl of [false, true]) {
      const w = createWorld({}, det);
      const { prov, node, user } = market(w);
      for (const ticks of [1, 10, 50, 100, 500]) {
        const s = openUsage(w, user, node, { spl, minutes: 60, tickAmount: 100n, chain: createHashChain(ticks, new Uint8Array(32).fill(ticks & 0xff)) });
        const r = w.env.send(claimIx(s, ticks), [prov.authority]);
        if (!r.ok) throw new Error(`claim ${ticks} ticks failed: ${r.error?.name}\n${r.logs.join('\n')}`);
        per[`${spl}/${ticks}`] = { cu: r.programCu[0], cpis: r.cpis[0] ?? 0 };
      }
    }
    for (const ticks of [1, 10, 50, 100, 500]) {
      const a = per[`false/${ticks}`];
      const b = per[`true/${ticks}`];
      tickRows.push({ ticks, sol: a.cu, usdc: b.cu, cpisSol: a.cpis, cpisUsdc: b.cpis });
    }
  }
  return { rows, tickRows };
}

/** The README's markers around the table (tests/program/cu-budget.test.ts checks what is between them). */
export const CU_TABLE_START = '<!-- cu-table:start (written by bench/compute-units.ts) -->';
export const CU_TABLE_END = '<!-- cu-table:end -->';

/** The README's compute-unit tables, as markdown. */
export function cuTableMarkdown(rows: CuRow[], tickRows: TickRow[]): string {
  const fmt = (n: bigint) => n.toLocaleString('en-US');
  const out: string[] = [];
  out.push('### Compute units per instruction');
  out.push('');
  out.push('Measured with litesvm on `target/deploy/dvpn.so` (`make bench`). CU includes the CPIs the instruction makes.');
  out.push('');
  out.push('| instruction | compute units | CPIs |');
  out.push('| --- | ---: | ---: |');
  for (const r of rows) out.push(`| ${r.name} | ${fmt(r.cu)} | ${r.cpis} |`);
  out.push('');
  out.push('### claim_chunk (usage session) by ticks verified per claim');
  out.push('');
  out.push('| ticks per claim | CU (SOL) | CU (USDC) | CU per tick (SOL) | CPIs (SOL / USDC) |');
  out.push('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of tickRows) {
    out.push(`| ${r.ticks} | ${fmt(r.sol)} | ${fmt(r.usdc)} | ${(Number(r.sol) / r.ticks).toFixed(1)} | ${r.cpisSol} / ${r.cpisUsdc} |`);
  }
  return out.join('\n');
}
