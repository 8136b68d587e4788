// IDL vs program: fails when idl/dvpn.json and the built program disagree.
// This is the one test that re-derives discriminators (sha256) and decodes with
// Anchor's own coders straight from idl/dvpn.json (not through the SDK).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import anchor, { type Idl } from '@coral-xyz/anchor';
import { IdlCoder } from '@coral-xyz/anchor/dist/cjs/coder/borsh/idl.js';
import { Connection, Keypair, PublicKey, TransactionInstruction } from '@solana/web3.js';
import { buildInstruction, createHashChain, findPda, type PdaName, findConfigPda, findUserStatePda, findNodePda, findProviderPda, findSessionPda, findSessionVaultPda, findStakeVaultPda, ix } from '@dvpn/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addNode,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createBareWorld,
  createMarket,
  createWorld,
  DEFAULT_CONFIG,
  disputeIx,
  expectOk,
  openIx,
  openTime,
  openUsage,
  payoutIx,
  rateIx,
  replaceAccount,
  resolveIx,
  ROOT,
  SessionMode,
  SOL,
  type SendResult,
  type TestEnv,
  type World,
} from './setup.js';

const { BN, BorshAccountsCoder, BorshEventCoder } = anchor;

interface RawIdl {
  address: string;
  instructions: { name: string; discriminator: number[]; accounts: { name: string }[]; args: { name: string; type: unknown }[] }[];
  accounts: { name: string; discriminator: number[] }[];
  events: { name: string; discriminator: number[] }[];
  errors: { code: number; name: string; msg: string }[];
  types: { name: string; type: { kind: string; fields?: { name: string; type: unknown }[] } }[];
}
const IDL_TEXT = readFileSync(join(ROOT, 'idl', 'dvpn.json'), 'utf8');
const RAW: RawIdl = JSON.parse(IDL_TEXT);
const IDL = JSON.parse(IDL_TEXT) as Idl;
const accountsCoder = new BorshAccountsCoder(IDL);
const eventCoder = new BorshEventCoder(IDL);

const sha8 = (s: string) => [...createHash('sha256').update(s).digest().subarray(0, 8)];
const errorCode = (name: string) => {
  const e = RAW.errors.find((x) => x.name === name);
  if (!e) throw new Error(`no IDL error ${name}`);
  return e.code;
};

/** Anchor-decoded value -> plain comparable value (bigint, base58, number[], enum variant name). */
function plain(v: unknown): unknown {
  if (BN.isBN(v)) return BigInt((v as { toString(): string }).toString());
  if (v instanceof PublicKey) return v.toBase58();
  if (Array.isArray(v) || v instanceof Uint8Array) return Array.from(v as ArrayLike<unknown>, plain);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 1 && entries[0][1] && typeof entries[0][1] === 'object' && Object.keys(entries[0][1] as object).length === 0) {
      return entries[0][0]; // enum variant
    }
    return Object.fromEntries(entries.map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function decodeRaw(env: TestEnv, name: string, address: PublicKey): Record<string, unknown> {
  const a = env.raw(address);
  if (!a) throw new Error(`${name} ${address.toBase58()} does not exist`);
  expect(a.owner.toBase58()).toBe(RAW.address);
  expect(a.data.length).toBe(accountsCoder.size(name));
  expect([...a.data.subarray(0, 8)]).toEqual(sha8(`account:${name}`));
  return plain(accountsCoder.decode(name, Buffer.from(a.data))) as Record<string, unknown>;
}

const b58 = (k: PublicKey) => k.toBase58();
const padded = (s: string, n: number) => [...Buffer.concat([Buffer.from(s), Buffer.alloc(n - Buffer.byteLength(s))])];
const bytes = (u: Uint8Array) => [...u];
const DEFAULT = PublicKey.default.toBase58();
const fee = (pay: bigint, bps: bigint) => (pay * bps) / 10_000n;

describe('discriminators', () => {
  it('every IDL instruction / account / event discriminator is sha256("<kind>:<name>")[..8]', () => {
    for (const i of RAW.instructions) expect(i.discriminator, i.name).toEqual(sha8(`global:${i.name}`));
    for (const a of RAW.accounts) expect(a.discriminator, a.name).toEqual(sha8(`account:${a.name}`));
    for (const e of RAW.events) expect(e.discriminator, e.name).toEqual(sha8(`event:${e.name}`));
    // The dispatch table (generated.rs) switches on them: no two may be equal.
    expect(new Set(RAW.instructions.map((i) => i.discriminator.join())).size).toBe(RAW.instructions.length);
  });

  it('error codes run from 6000 in IDL order', () => {
    RAW.errors.forEach((e, i) => expect(e.code, e.name).toBe(6000 + i));
  });
});

describe('PDAs', () => {
  // Anchor's own account resolver, reading only idl/dvpn.json, against the
  // SDK's findPda: every PDA of every instruction, with fresh accounts and ids.
  it("Anchor's resolver derives every IDL PDA where the SDK does", async () => {
    const connection = new Connection('http://127.0.0.1:9'); // never called: every seed is a constant, an account or an argument
    const program = new anchor.Program(IDL, new anchor.AnchorProvider(connection, new anchor.Wallet(Keypair.generate()), {}));
    const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const valueOf = (type: unknown): unknown => {
      if (type === 'u64' || type === 'i64') return new BN(Math.floor(Math.random() * 2 ** 48));
      if (typeof type === 'string' && /^[ui](8|16|32)$/.test(type)) return 7;
      if (type === 'bool') return true;
      if (type === 'string') return 'x';
      if (type === 'pubkey') return Keypair.generate().publicKey;
      const t = type as { array?: [unknown, number]; option?: unknown; defined?: { name: string } };
      if (t.array) return new Array(t.array[1]).fill(0);
      if (t.option) return null;
      if (t.defined?.name === 'SessionMode') return { time: {} };
      throw new Error(`no sample value for ${JSON.stringify(type)}`);
    };
    let checked = 0;
    for (const ixDef of RAW.instructions as (Omit<RawIdl['instructions'][number], 'accounts'> & { accounts: { name: string; address?: string; pda?: unknown }[] })[]) {
      const args = ixDef.args.map((a) => valueOf(a.type));
      const given = Object.fromEntries(ixDef.accounts.filter((a) => !a.pda && !a.address).map((a) => [camel(a.name), Keypair.generate().publicKey]));
      const method = (program.methods as Record<string, (...a: unknown[]) => { accountsPartial(a: object): { pubkeys(): Promise<Record<string, PublicKey>> } }>)[camel(ixDef.name)];
      const resolved = await method(...args).accountsPartial(given).pubkeys();
      const inputs: Record<string, PublicKey | bigint> = {};
      for (const a of ixDef.accounts) if (resolved[camel(a.name)]) inputs[a.name] = resolved[camel(a.name)];
      ixDef.args.forEach((a, i) => {
        if (BN.isBN(args[i])) inputs[a.name] = BigInt((args[i] as { toString(): string }).toString());
      });
      for (const a of ixDef.accounts.filter((x) => x.pda)) {
        expect(b58(findPda(a.name as PdaName, inputs)[0]), `${ixDef.name}.${a.name}`).toBe(b58(resolved[camel(a.name)]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

// ---------------------------------------------------------------------------
// One scripted history with distinct values in every field: each account is
// decoded (from idl/dvpn.json, by Anchor) right after the instruction that
// creates it and again after the history, and compared with what was sent.

describe('account layouts: IDL size == created size, fields decode in IDL order', () => {
  const FEE_BPS = 321n;
  const CFG = {
    protocolFeeBps: 321, minProviderStake: 1_234_567_891n, unbondingSeconds: 86_401n, settleWindowSeconds: 3_599n,
    disputeWindowSeconds: 7_201n, idleTimeoutSeconds: 1_801n, minRatingLamports: 1_003n, minRatingToken: 17n, maxSlashBps: 2_345,
  };
  const snaps: Record<string, Record<string, unknown>> = {};
  const expected: Record<string, Record<string, unknown>> = {};
  const events = new Set<string>();
  const eventPayloads: string[] = [];
  let w: World;

  const record = (r: SendResult) => {
    for (const line of r.logs) {
      if (!line.startsWith('Program data: ')) continue;
      const payload = line.slice('Program data: '.length);
      const ev = eventCoder.decode(payload);
      if (ev) {
        events.add(ev.name);
        eventPayloads.push(payload);
      }
    }
    return r;
  };

  beforeAll(() => {
    // config
    const bare = createBareWorld();
    const env = bare.env;
    const [config, configBump] = findConfigPda();
    record(expectOk(env.send(ix.initializeConfig({ admin: bare.admin.publicKey, treasury: bare.treasury.publicKey, tokenMint: bare.usdc.mint, ...CFG }), [bare.admin])));
    snaps.configCreated = decodeRaw(env, 'Config', config);
    expected.configCreated = {
      admin: b58(bare.admin.publicKey),
      treasury: b58(bare.treasury.publicKey),
      token_mint: b58(bare.usdc.mint),
      min_provider_stake: CFG.minProviderStake,
      unbonding_seconds: CFG.unbondingSeconds,
      settle_window_seconds: CFG.settleWindowSeconds,
      pending_admin: DEFAULT,
      dispute_window_seconds: CFG.disputeWindowSeconds,
      idle_timeout_seconds: CFG.idleTimeoutSeconds,
      min_rating_lamports: CFG.minRatingLamports,
      min_rating_token: CFG.minRatingToken,
      protocol_fee_bps: 321,
      max_slash_bps: 2_345,
      bump: configBump,
      padding: [0, 0, 0],
    };
    w = { ...bare, config, cfg: CFG, sessionIds: new Map() };

    // provider, right after creation
    env.warp(11);
    const authority = env.wallet(1000n * SOL);
    const [provider, providerBump] = findProviderPda(authority.publicKey);
    const [stakeVault, vaultBump] = findStakeVaultPda(provider);
    const registeredAt = env.now();
    record(expectOk(env.send(ix.registerProvider({ authority: authority.publicKey }), [authority])));
    snaps.providerCreated = decodeRaw(env, 'Provider', provider);
    snaps.stakeVault = decodeRaw(env, 'StakeVault', stakeVault);
    expected.stakeVault = { provider: b58(provider), bump: vaultBump, padding: [0, 0, 0, 0, 0, 0, 0] };
    const providerBase = {
      authority: b58(authority.publicKey),
      node_count: 0n,
      stake_lamports: 0n,
      unstaking_lamports: 0n,
      unstake_at: 0n,
      slashed_lamports: 0n,
      rating_sum: 0n,
      total_uptime_seconds: 0n,
      total_sessions: 0n,
      total_earned_lamports: 0n,
      total_earned_token: 0n,
      registered_at: registeredAt,
      rating_count: 0,
      reputation_score: 1000,
      bump: providerBump,
      stake_vault_bump: vaultBump,
      rating_weight: 0n,
      open_disputes: 0,
      padding: [0, 0, 0, 0],
      locked_lamports: 0n,
    };
    expected.providerCreated = providerBase;
    record(expectOk(env.send(ix.stakeProvider({ authority: authority.publicKey, amount: 5_000_000_011n }), [authority])));
    const prov = { authority, provider, stakeVault, token: env.createTokenAccount(bare.usdc, authority.publicKey) };

    // nodes 0 and 1
    const wg0 = new Uint8Array(32).map((_, i) => 0xa0 + i);
    const wg1 = new Uint8Array(32).map((_, i) => (i * 3) & 0xff);
    env.warp(5);
    const node0 = addNode(w, prov, { pricePerMinute: 1_000_000n, pricePerMinuteToken: 11_111n, pricePerTick: 0n, pricePerTickToken: 0n, maxCapacity: 5, endpoint: 'n0.example:51820', region: 'eu-central', wgServerPubkey: wg0 });
    const node0Created = env.now();
    env.warp(7);
    const [node1Addr, node1Bump] = findNodePda(provider, 1n);
    const node1CreatedAt = env.now();
    record(
      expectOk(
        env.send(
          ix.registerNode({
            authority: authority.publicKey,
            nodeId: 1n,
            endpoint: 'node-one.example.org:443',
            region: 'ap-southeast-1',
            pricePerMinute: 2_222_222_227n,
            pricePerMinuteToken: 33_333n,
            pricePerTick: 2_229n,
            pricePerTickToken: 1_111n,
            wgServerPubkey: wg1,
            maxCapacity: 17,
          }),
          [authority],
        ),
      ),
    );
    snaps.nodeCreated = decodeRaw(env, 'Node', node1Addr);
    const nodeBase = {
      provider: b58(provider),
      wg_server_pubkey: bytes(wg1),
      endpoint: padded('node-one.example.org:443', 64),
      region: padded('ap-southeast-1', 16),
      node_id: 1n,
      price_per_minute: 2_222_222_227n,
      price_per_minute_token: 33_333n,
      total_uptime_seconds: 0n,
      total_sessions: 0n,
      created_at: node1CreatedAt,
      max_capacity: 17,
      active_sessions: 0,
      is_active: true,
      bump: node1Bump,
      padding: [0, 0, 0, 0, 0, 0],
      price_per_tick: 2_229n,
      price_per_tick_token: 1_111n,
    };
    expected.nodeCreated = nodeBase;
    const node1 = { node: node1Addr, nodeId: 1n, prov, pricePerMinute: 2_222_222_227n, pricePerMinuteToken: 33_333n, pricePerTick: 2_229n, pricePerTickToken: 1_111n, maxCapacity: 17 };
    const user = addUser(w, { usdc: 1_000_000n });

    // S2: USDC usage session on node 1 (its first: id 0), right after creation
    env.warp(3);
    const chain = createHashChain(50);
    const s2Start = env.now();
    const s2 = openUsage(w, user, node1, { spl: true, minutes: 45, tickAmount: 1_111n, chain });
    record(s2.opened);
    const [s2Addr, s2Bump] = findSessionPda(node1Addr, user.kp.publicKey, 0n); // the user's first session
    const [s2Vault, s2VaultBump] = findSessionVaultPda(s2Addr);
    expect(s2.session.toBase58()).toBe(s2Addr.toBase58());
    snaps.sessionCreated = decodeRaw(env, 'Session', s2Addr);
    const sessionBase = {
      user: b58(user.kp.publicKey),
      node: b58(node1Addr),
      provider: b58(provider),
      payment_mint: b58(bare.usdc.mint),
      vault: b58(s2Vault),
      disputed_by: DEFAULT,
      hash_chain_root: bytes(chain.root),
      last_proof_hash: bytes(chain.root),
      session_id: 0n,
      start_ts: s2Start,
      end_ts: s2Start + 2700n,
      closed_at: 0n,
      dispute_ts: 0n,
      escrow_amount: 55_550n,
      remaining_balance: 55_550n,
      claimed_amount: 0n,
      fee_amount: 0n,
      refunded_amount: 0n,
      bytes_used: 0n,
      last_tick: 0n,
      tick_amount: 1_111n,
      max_ticks: 50n,
      mode: 'Usage',
      state: 'Active',
      dispute_reason: 0,
      rated: false,
      capacity_released: false,
      bump: s2Bump,
      vault_bump: s2VaultBump,
      padding: [0],
      settle_window_seconds: CFG.settleWindowSeconds,
      dispute_window_seconds: CFG.disputeWindowSeconds,
      idle_timeout_seconds: CFG.idleTimeoutSeconds,
      last_activity_ts: s2Start,
      protocol_fee_bps: 321,
      padding2: [0, 0, 0, 0, 0, 0],
      dispute_lock: 0n,
    };
    expected.sessionCreated = sessionBase;
    // S2: 7 ticks claimed, then closed 5 s after start (Closing)
    record(expectOk(env.send(claimIx(s2, 7, { bytesUsed: 123_456n }), [authority])));
    env.setTime(s2Start + 5n);
    record(expectOk(env.send(closeIx(s2), [user.kp])));

    // S1: SOL time session on node 0 (id 0): claim at 60 s, closed at 77 s
    env.warp(2);
    const s1 = openTime(w, user, node0, { minutes: 10 });
    env.setTime(s1.startTs + 60n);
    record(expectOk(env.send(claimIx(s1, 60), [authority])));
    env.setTime(s1.startTs + 77n);
    record(expectOk(env.send(closeIx(s1), [user.kp])));

    // ratings 4 (S1) and 5 (S2)
    record(expectOk(env.send(rateIx(s1, 4), [user.kp])));
    record(expectOk(env.send(rateIx(s2, 5), [user.kp])));

    // unstake request, then S3 (id 1) disputed at +11 and resolved with a slash at +13
    env.warp(1);
    const unstakeAt = env.now() + CFG.unbondingSeconds;
    record(expectOk(env.send(ix.requestUnstake({ authority: authority.publicKey, amount: 1_000_000_003n }), [authority])));
    const s3 = openTime(w, user, node0, { minutes: 20 });
    env.setTime(s3.startTs + 11n);
    record(expectOk(env.send(disputeIx(s3, user.kp.publicKey, 42), [user.kp])));
    env.setTime(s3.startTs + 13n);
    record(expectOk(env.send(resolveIx(s3, 0n, 7_000_009n), [bare.admin])));

    snaps.providerAfter = decodeRaw(env, 'Provider', provider);
    const s1Earned = (10_000_000n * 77n) / 600n;
    const s1Fee = fee(s1Earned, FEE_BPS); // on the running total
    expected.providerAfter = {
      ...providerBase,
      node_count: 2n,
      stake_lamports: 5_000_000_011n - 1_000_000_003n - 7_000_009n,
      unstaking_lamports: 1_000_000_003n,
      unstake_at: unstakeAt,
      slashed_lamports: 7_000_009n,
      // both sessions paid over 100 minimums: weight 100 each
      rating_sum: 4n * 100n + 5n * 100n,
      rating_weight: 200n,
      total_uptime_seconds: 5n + 77n + 11n, // S3's slot is freed when it is disputed
      total_sessions: 3n,
      total_earned_lamports: s1Earned - s1Fee,
      total_earned_token: 7_777n - fee(7_777n, FEE_BPS),
      rating_count: 2,
      reputation_score: 1750,
    };
    snaps.node0After = decodeRaw(env, 'Node', node0.node);
    expected.node0After = {
      provider: b58(provider),
      wg_server_pubkey: bytes(wg0),
      endpoint: padded('n0.example:51820', 64),
      region: padded('eu-central', 16),
      node_id: 0n,
      price_per_minute: 1_000_000n,
      price_per_minute_token: 11_111n,
      total_uptime_seconds: 77n + 11n,
      total_sessions: 2n,
      created_at: node0Created,
      max_capacity: 5,
      active_sessions: 0,
      is_active: true,
      bump: findNodePda(provider, 0n)[1],
      padding: [0, 0, 0, 0, 0, 0],
      price_per_tick: 0n,
      price_per_tick_token: 0n,
    };
    snaps.node1After = decodeRaw(env, 'Node', node1Addr);
    expected.node1After = { ...nodeBase, total_uptime_seconds: 5n, total_sessions: 1n };
    snaps.s2After = decodeRaw(env, 'Session', s2Addr);
    expected.s2After = {
      ...sessionBase,
      last_proof_hash: bytes(chain.preimage(7)),
      closed_at: s2Start + 5n,
      remaining_balance: 55_550n - 7_777n,
      claimed_amount: 7_777n,
      fee_amount: fee(7_777n, FEE_BPS),
      bytes_used: 123_456n,
      last_tick: 7n,
      state: 'Closing',
      rated: true,
      capacity_released: true,
      last_activity_ts: s2Start,
    };
    snaps.s1After = decodeRaw(env, 'Session', s1.session);
    expect(snaps.s1After.closed_at).toBe(s1.startTs + 77n);
    snaps.s3After = decodeRaw(env, 'Session', s3.session);
    expected.s3After = {
      user: b58(user.kp.publicKey),
      node: b58(node0.node),
      provider: b58(provider),
      payment_mint: DEFAULT,
      vault: DEFAULT,
      disputed_by: b58(user.kp.publicKey),
      hash_chain_root: new Array(32).fill(0),
      last_proof_hash: snaps.s3After.last_proof_hash, // unspecified for time sessions
      session_id: 2n,
      start_ts: s3.startTs,
      end_ts: s3.startTs + 1200n,
      closed_at: snaps.s3After.closed_at, // unspecified for a resolved session
      dispute_ts: s3.startTs + 11n,
      escrow_amount: 20_000_000n,
      remaining_balance: 0n,
      claimed_amount: 0n,
      fee_amount: 0n,
      refunded_amount: 20_000_000n,
      bytes_used: 0n,
      last_tick: 0n,
      tick_amount: snaps.s3After.tick_amount, // unspecified for time sessions
      max_ticks: snaps.s3After.max_ticks,
      mode: 'Time',
      state: 'Resolved',
      dispute_reason: 42,
      rated: false,
      capacity_released: true,
      bump: findSessionPda(node0.node, user.kp.publicKey, 2n)[1],
      vault_bump: snaps.s3After.vault_bump,
      padding: [0],
      settle_window_seconds: CFG.settleWindowSeconds,
      dispute_window_seconds: CFG.disputeWindowSeconds,
      idle_timeout_seconds: CFG.idleTimeoutSeconds,
      last_activity_ts: s3.startTs,
      protocol_fee_bps: 321,
      padding2: [0, 0, 0, 0, 0, 0],
      // max_slash_bps of the stake (active + unbonding) when the dispute was raised
      dispute_lock: ((5_000_000_011n) * 2_345n) / 10_000n,
    };
    expected.s1After = {
      ...snaps.s1After,
      session_id: 1n,
      escrow_amount: 10_000_000n,
      claimed_amount: s1Earned,
      fee_amount: s1Fee,
      refunded_amount: 10_000_000n - s1Earned,
      remaining_balance: 0n,
      last_tick: 77n,
      state: 'Closed',
      rated: true,
      mode: 'Time',
    };
    // payout of S1 (closes it) so claim_payout is in the history too
    record(expectOk(env.send(payoutIx(s1, user.kp.publicKey), [user.kp])));
    // a second provider withdraws stake; update_config / update_node run unchanged values
    const p2 = addProvider(w, { stake: 2n * SOL });
    record(expectOk(env.send(ix.requestUnstake({ authority: p2.authority.publicKey, amount: SOL }), [p2.authority])));
    env.warp(CFG.unbondingSeconds + 1n);
    record(expectOk(env.send(ix.withdrawStake({ authority: p2.authority.publicKey }), [p2.authority])));
    record(expectOk(env.send(ix.updateConfig({ admin: bare.admin.publicKey, newAdmin: bare.admin.publicKey, treasury: bare.treasury.publicKey, tokenMint: bare.usdc.mint, ...CFG }), [bare.admin])));
    record(expectOk(env.send(ix.updateNode({ authority: authority.publicKey, node: node1Addr, isActive: true }), [authority])));
    snaps.configAfter = decodeRaw(env, 'Config', config);
    const [userState, userStateBump] = findUserStatePda(user.kp.publicKey);
    snaps.userState = decodeRaw(env, 'UserState', userState);
    expected.userState = { user: b58(user.kp.publicKey), next_session_id: 3n, bump: userStateBump, padding: [0, 0, 0, 0, 0, 0, 0] };
    snaps.node1Final = decodeRaw(env, 'Node', node1Addr);
  });

  it('Config: 200 bytes, fields as initialize_config wrote them (and unchanged by an identical update)', () => {
    expect(accountsCoder.size('Config')).toBe(200);
    expect(snaps.configCreated).toEqual(expected.configCreated);
    expect(snaps.configAfter).toEqual(expected.configCreated);
  });

  it('Provider: 160 bytes, creation values, then every counter in its own slot', () => {
    expect(accountsCoder.size('Provider')).toBe(160);
    expect(snaps.providerCreated).toEqual(expected.providerCreated);
    expect(snaps.providerAfter).toEqual(expected.providerAfter);
  });

  it('UserState: 56 bytes, the user and the id of its next session', () => {
    expect(accountsCoder.size('UserState')).toBe(56);
    expect(snaps.userState).toEqual(expected.userState);
  });

  it('StakeVault: 48 bytes, provider and bump', () => {
    expect(accountsCoder.size('StakeVault')).toBe(48);
    expect(snaps.stakeVault).toEqual(expected.stakeVault);
  });

  it('Node: 232 bytes, fields as register_node wrote them, counters after sessions', () => {
    expect(accountsCoder.size('Node')).toBe(232);
    expect(snaps.nodeCreated).toEqual(expected.nodeCreated);
    expect(snaps.node1After).toEqual(expected.node1After);
    expect(snaps.node0After).toEqual(expected.node0After);
    expect(snaps.node1Final).toEqual(expected.node1After);
  });

  it('Session: 432 bytes, fields as open_session_spl wrote them, then claim / close / dispute / resolve fields', () => {
    expect(accountsCoder.size('Session')).toBe(432);
    expect(snaps.sessionCreated).toEqual(expected.sessionCreated);
    expect(snaps.s2After).toEqual(expected.s2After);
    expect(snaps.s1After).toEqual(expected.s1After);
    expect(snaps.s3After).toEqual(expected.s3After);
  });

  it('every IDL event was emitted, decodes, and re-encodes to exactly its bytes', () => {
    expect([...events].sort()).toEqual(RAW.events.map((e) => e.name).sort());
    for (const payload of eventPayloads) {
      const bytesIn = Buffer.from(payload, 'base64');
      const ev = eventCoder.decode(payload)!;
      const typeDef = IDL.types!.find((t) => t.name === ev.name)!;
      const layout = IdlCoder.typeDefLayout({ typeDef, types: IDL.types! });
      const out = Buffer.alloc(1000);
      const len = layout.encode(ev.data, out);
      expect(len + 8, ev.name).toBe(bytesIn.length);
      expect(out.subarray(0, len).equals(bytesIn.subarray(8)), ev.name).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------
// Instruction discriminators and account lists.

interface Case {
  name: string;
  build: () => { env: TestEnv; instruction: TransactionInstruction; signers: Keypair[] };
}

const cases: Case[] = [
  {
    name: 'initialize_config',
    build: () => {
      const b = createBareWorld();
      return {
        env: b.env,
        instruction: ix.initializeConfig({ admin: b.admin.publicKey, treasury: b.treasury.publicKey, tokenMint: b.usdc.mint, ...DEFAULT_CONFIG }),
        signers: [b.admin],
      };
    },
  },
  {
    name: 'update_config',
    build: () => {
      const w = createWorld();
      const next = Keypair.generate().publicKey;
      return {
        env: w.env,
        instruction: ix.updateConfig({ admin: w.admin.publicKey, newAdmin: next, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...DEFAULT_CONFIG, protocolFeeBps: 100 }),
        signers: [w.admin],
      };
    },
  },
  {
    name: 'accept_admin',
    build: () => {
      const w = createWorld();
      const next = w.env.wallet(SOL);
      expectOk(w.env.send(ix.updateConfig({ admin: w.admin.publicKey, newAdmin: next.publicKey, treasury: w.treasury.publicKey, tokenMint: w.usdc.mint, ...DEFAULT_CONFIG }), [w.admin]));
      return { env: w.env, instruction: ix.acceptAdmin({ newAdmin: next.publicKey }), signers: [next] };
    },
  },
  {
    name: 'register_provider',
    build: () => {
      const w = createWorld();
      const a = w.env.wallet(10n * SOL);
      return { env: w.env, instruction: ix.registerProvider({ authority: a.publicKey }), signers: [a] };
    },
  },
  {
    name: 'register_node',
    build: () => {
      const w = createWorld();
      const p = addProvider(w);
      return {
        env: w.env,
        instruction: ix.registerNode({ authority: p.authority.publicKey, nodeId: 0n, endpoint: 'a:1', region: 'eu', pricePerMinute: 1n, pricePerMinuteToken: 1n, wgServerPubkey: new Uint8Array(32), maxCapacity: 1 }),
        signers: [p.authority],
      };
    },
  },
  {
    name: 'update_node',
    build: () => {
      const m = createMarket();
      return { env: m.env, instruction: ix.updateNode({ authority: m.prov.authority.publicKey, node: m.node.node, isActive: false }), signers: [m.prov.authority] };
    },
  },
  ...[false, true].map((spl) => ({
    name: spl ? 'open_session_spl' : 'open_session',
    build: () => {
      const m = createMarket();
      return { env: m.env, instruction: openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 0n, spl }).instruction, signers: [m.user.kp] };
    },
  })),
  ...[false, true].flatMap((spl) => [
    {
      name: `claim_chunk${spl ? ' (USDC)' : ''}`,
      build: () => {
        const m = createMarket();
        const s = openTime(m.w, m.user, m.node, { spl, minutes: 10 });
        m.env.warp(60);
        return { env: m.env, instruction: claimIx(s, 30), signers: [m.prov.authority] };
      },
    },
    {
      name: `close_session${spl ? ' (USDC)' : ''}`,
      build: () => {
        const m = createMarket();
        const s = openTime(m.w, m.user, m.node, { spl, minutes: 10 });
        m.env.warp(60);
        return { env: m.env, instruction: closeIx(s), signers: [m.user.kp] };
      },
    },
    {
      name: `claim_payout${spl ? ' (USDC)' : ''}`,
      build: () => {
        const m = createMarket();
        const s = openTime(m.w, m.user, m.node, { spl, minutes: 10 });
        m.env.warp(600n + m.w.cfg.settleWindowSeconds + 1n);
        const keeper = m.env.wallet(SOL);
        return { env: m.env, instruction: payoutIx(s, keeper.publicKey), signers: [keeper] };
      },
    },
    {
      name: `resolve_dispute${spl ? ' (USDC)' : ''}`,
      build: () => {
        const m = createMarket();
        const s = openTime(m.w, m.user, m.node, { spl, minutes: 10 });
        expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
        return { env: m.env, instruction: resolveIx(s, s.escrow / 2n, 1_000n), signers: [m.w.admin] };
      },
    },
  ]),
  {
    name: 'raise_dispute',
    build: () => {
      const m = createMarket();
      const s = openTime(m.w, m.user, m.node, { minutes: 10 });
      return { env: m.env, instruction: disputeIx(s, m.user.kp.publicKey), signers: [m.user.kp] };
    },
  },
  {
    name: 'update_reputation',
    build: () => {
      const m = createMarket();
      const s = openTime(m.w, m.user, m.node, { minutes: 10 });
      m.env.warp(60);
      expectOk(m.env.send(closeIx(s), [m.user.kp]));
      return { env: m.env, instruction: rateIx(s, 3), signers: [m.user.kp] };
    },
  },
  {
    name: 'stake_provider',
    build: () => {
      const m = createMarket();
      return { env: m.env, instruction: ix.stakeProvider({ authority: m.prov.authority.publicKey, amount: SOL }), signers: [m.prov.authority] };
    },
  },
  {
    name: 'request_unstake',
    build: () => {
      const m = createMarket();
      return { env: m.env, instruction: ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), signers: [m.prov.authority] };
    },
  },
  {
    name: 'withdraw_stake',
    build: () => {
      const m = createMarket();
      expectOk(m.env.send(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), [m.prov.authority]));
      m.env.warp(m.w.cfg.unbondingSeconds + 1n);
      return { env: m.env, instruction: ix.withdrawStake({ authority: m.prov.authority.publicKey }), signers: [m.prov.authority] };
    },
  },
];

/**
 * Accounts that are plain parameters of the instruction (any address is a
 * valid value): swapping two of them is a different valid call, not a mistake.
 */
const PARAMETER_ACCOUNTS: Record<string, string[]> = {
  // token_mint must be a mint, so only these two plain addresses can trade places
  update_config: ['new_admin', 'treasury'],
};

const idlName = (c: Case) => c.name.replace(' (USDC)', '');
const withKeys = (i: TransactionInstruction, keys: TransactionInstruction['keys']) =>
  new TransactionInstruction({ programId: i.programId, keys, data: Buffer.from(i.data) });

describe('instructions: discriminators and account lists', () => {
  it('covers every IDL instruction', () => {
    expect(new Set(cases.map(idlName))).toEqual(new Set(RAW.instructions.map((i) => i.name)));
  });

  it.each(cases)('$name: the IDL discriminator is accepted; a wrong or short one is InvalidInstruction', (c) => {
    const { env, instruction, signers } = c.build();
    const def = RAW.instructions.find((i) => i.name === idlName(c))!;
    expect([...instruction.data.subarray(0, 8)]).toEqual(def.discriminator);
    expect(instruction.keys.map((k) => k.pubkey.toBase58())).toHaveLength(def.accounts.length);
    const ok = env.simulate(instruction, signers);
    if (!ok.ok) throw new Error(`${c.name} should succeed: ${ok.error?.name}\n${ok.logs.join('\n')}`);
    // one flipped bit in the discriminator
    const flipped = Buffer.from(instruction.data);
    flipped[3] ^= 0x10;
    const r1 = env.simulate(new TransactionInstruction({ ...instruction, data: flipped }), signers);
    expect(r1.error?.name).toBe('InvalidInstruction');
    // fewer than 8 bytes
    const r2 = env.simulate(new TransactionInstruction({ ...instruction, data: Buffer.from(instruction.data.subarray(0, 7)) }), signers);
    expect(r2.error?.name).toBe('InvalidInstruction');
    // arguments cut short
    if (instruction.data.length > 8) {
      const r3 = env.simulate(new TransactionInstruction({ ...instruction, data: Buffer.from(instruction.data.subarray(0, instruction.data.length - 1)) }), signers);
      expect(r3.error?.name).toBe('InvalidInstruction');
    }
  });

  it.each(cases)('$name: swapping any two accounts or dropping one fails', (c) => {
    const { env, instruction, signers } = c.build();
    const names = RAW.instructions.find((i) => i.name === idlName(c))!.accounts.map((a) => a.name);
    const params = PARAMETER_ACCOUNTS[idlName(c)] ?? [];
    const ok = env.simulate(instruction, signers);
    if (!ok.ok) throw new Error(`${c.name} should succeed: ${ok.error?.name}\n${ok.logs.join('\n')}`);
    const accepted: string[] = [];
    let programErrors = 0;
    const n = instruction.keys.length;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (instruction.keys[i].pubkey.equals(instruction.keys[j].pubkey)) continue;
        if (params.includes(names[i]) && params.includes(names[j])) continue;
        const keys = instruction.keys.map((k) => ({ ...k }));
        [keys[i], keys[j]] = [keys[j], keys[i]];
        const r = env.simulate(withKeys(instruction, keys), signers);
        if (r.ok) accepted.push(`swap ${names[i]} <-> ${names[j]}`);
        if ((r.error?.code ?? 0) >= 6000) programErrors += 1;
      }
    }
    for (let i = 0; i < n; i++) {
      const keys = instruction.keys.filter((_, k) => k !== i).map((k) => ({ ...k }));
      const r = env.simulate(withKeys(instruction, keys), signers);
      if (r.ok) accepted.push(`drop ${names[i]}`);
      if (i === n - 1 && r.error?.name !== 'NotEnoughAccounts') accepted.push(`drop last (${names[i]}) gave ${r.error?.name}, not NotEnoughAccounts`);
    }
    expect(accepted).toEqual([]);
    // the program itself (not only the runtime) caught swapped accounts
    expect(programErrors).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------
// Every IDL error the program can be made to return: its code is the IDL code
// and the program logs `Error: <Name>` first.

type Trigger = () => SendResult;
const market = () => createMarket();
const withData = (i: TransactionInstruction, data: Buffer) => new TransactionInstruction({ programId: i.programId, keys: i.keys, data });

const triggers: Record<string, Trigger> = {
  InvalidInstruction: () => {
    const m = market();
    return m.env.send(withData(ix.stakeProvider({ authority: m.prov.authority.publicKey, amount: 1n }), Buffer.alloc(8, 0xee)), [m.prov.authority]);
  },
  NotEnoughAccounts: () => {
    const m = market();
    const i = ix.stakeProvider({ authority: m.prov.authority.publicKey, amount: 1n });
    return m.env.send(withKeys(i, i.keys.slice(0, 2)), [m.prov.authority]);
  },
  MissingSignature: () => {
    const m = market();
    return m.env.send(replaceAccount(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), 0, m.prov.authority.publicKey, { isSigner: false }));
  },
  AccountNotWritable: () => {
    const m = market();
    return m.env.send(replaceAccount(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), 2, m.prov.provider, { isWritable: false }), [m.prov.authority]);
  },
  InvalidAccountOwner: () => {
    const m = market();
    return m.env.send(ix.updateNode({ authority: m.prov.authority.publicKey, node: m.user.kp.publicKey, isActive: false }), [m.prov.authority]);
  },
  InvalidAccountData: () => {
    const m = market();
    return m.env.send(ix.updateNode({ authority: m.prov.authority.publicKey, node: m.prov.provider, isActive: false }), [m.prov.authority]);
  },
  InvalidPda: () => {
    const m = market();
    const other = addProvider(m.w);
    return m.env.send(ix.updateNode({ authority: other.authority.publicKey, node: m.node.node, isActive: false }), [other.authority]);
  },
  Unauthorized: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    return m.env.send(resolveIx(s, 0n, 0n, m.user.kp.publicKey), [m.user.kp]);
  },
  AlreadyInitialized: () => {
    const m = market();
    return m.env.send(ix.registerProvider({ authority: m.prov.authority.publicKey }), [m.prov.authority]);
  },
  InvalidProgram: () => {
    const m = market();
    const a = m.env.wallet(SOL);
    return m.env.send(replaceAccount(ix.registerProvider({ authority: a.publicKey }), 3, Keypair.generate().publicKey), [a]);
  },
  InvalidMint: () => {
    const m = market();
    const fake = m.env.createMint(6);
    const token = m.env.createTokenAccount(fake, m.user.kp.publicKey, 10n ** 9n);
    const i = openIx(m.w, { ...m.user, token }, m.node, SessionMode.Time, { sessionId: 0n, spl: true }).instruction;
    return m.env.send(replaceAccount(i, 6, fake.mint), [m.user.kp]);
  },
  InvalidTokenAccount: () => {
    const m = market();
    const victim = addUser(m.w);
    return m.env.send(openIx(m.w, { ...m.user, token: victim.token }, m.node, SessionMode.Time, { sessionId: 0n, spl: true }).instruction, [m.user.kp]);
  },
  InvalidTreasury: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(replaceAccount(closeIx(s), 6, m.user.kp.publicKey), [m.user.kp]);
  },
  FeeTooHigh: () => {
    const b = createBareWorld();
    return b.env.send(ix.initializeConfig({ admin: b.admin.publicKey, treasury: b.treasury.publicKey, tokenMint: b.usdc.mint, ...DEFAULT_CONFIG, protocolFeeBps: 1001 }), [b.admin]);
  },
  InvalidConfigValue: () => {
    const b = createBareWorld();
    return b.env.send(ix.initializeConfig({ admin: b.admin.publicKey, treasury: b.treasury.publicKey, tokenMint: b.usdc.mint, ...DEFAULT_CONFIG, unbondingSeconds: 0n }), [b.admin]);
  },
  ArithmeticOverflow: () => {
    const m = createMarket({}, { pricePerMinute: 1n << 63n });
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 0n, minutes: 2 }).instruction, [m.user.kp]);
  },
  ZeroAmount: () => {
    const m = market();
    return m.env.send(ix.stakeProvider({ authority: m.prov.authority.publicKey, amount: 0n }), [m.prov.authority]);
  },
  StringTooLong: () => {
    const m = market();
    return m.env.send(ix.updateNode({ authority: m.prov.authority.publicKey, node: m.node.node, region: 'r'.repeat(17) }), [m.prov.authority]);
  },
  InvalidNodeId: () => {
    const m = market();
    return m.env.send(
      ix.registerNode({ authority: m.prov.authority.publicKey, nodeId: 5n, endpoint: 'a:1', region: 'eu', pricePerMinute: 1n, pricePerMinuteToken: 1n, wgServerPubkey: new Uint8Array(32), maxCapacity: 1 }),
      [m.prov.authority],
    );
  },
  InsufficientStake: () => {
    const m = market();
    expectOk(m.env.send(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), [m.prov.authority]));
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 0n }).instruction, [m.user.kp]);
  },
  InvalidCapacity: () => {
    const m = market();
    return m.env.send(ix.updateNode({ authority: m.prov.authority.publicKey, node: m.node.node, maxCapacity: 0 }), [m.prov.authority]);
  },
  NodeInactive: () => {
    const m = market();
    expectOk(m.env.send(ix.updateNode({ authority: m.prov.authority.publicKey, node: m.node.node, isActive: false }), [m.prov.authority]));
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 0n }).instruction, [m.user.kp]);
  },
  NodeFull: () => {
    const m = createMarket({}, { maxCapacity: 1 });
    openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 1n }).instruction, [m.user.kp]);
  },
  TokenPaymentsDisabled: () => {
    const m = createMarket({}, { pricePerMinuteToken: 0n, pricePerTickToken: 0n });
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 0n, spl: true }).instruction, [m.user.kp]);
  },
  InvalidSessionParams: () => {
    // a time session carrying usage parameters, or a usage session without ticks
    const m = market();
    const i = ix.openSession({ user: m.user.kp.publicKey, provider: m.prov.provider, node: m.node.node, sessionId: 0n, mode: SessionMode.Usage, durationMinutes: 0, tickAmount: 1n, maxTicks: 1n, hashChainRoot: new Uint8Array(32) });
    return m.env.send(i, [m.user.kp]);
  },
  SessionNotActive: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(closeIx(s), [m.user.kp]));
    return m.env.send(closeIx(s), [m.user.kp]);
  },
  ClaimBeyondElapsed: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(claimIx(s, 1), [m.prov.authority]);
  },
  StaleClaim: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    return m.env.send(claimIx(s, 0), [m.prov.authority]);
  },
  InvalidPreimage: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    return m.env.send(claimIx(s, 1, { preimage: new Uint8Array(32) }), [m.prov.authority]);
  },
  TickBeyondChain: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    return m.env.send(claimIx(s, 6, { preimage: new Uint8Array(32) }), [m.prov.authority]);
  },
  TooManyTicks: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 600 });
    return m.env.send(claimIx(s, 513), [m.prov.authority]);
  },
  BytesUsedDecreased: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    expectOk(m.env.send(claimIx(s, 1, { bytesUsed: 10n }), [m.prov.authority]));
    return m.env.send(claimIx(s, 2, { bytesUsed: 9n }), [m.prov.authority]);
  },
  ClaimWindowClosed: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    m.env.warp(300n + m.w.cfg.settleWindowSeconds + 1n);
    return m.env.send(claimIx(s, 1), [m.prov.authority]);
  },
  SettleWindowOpen: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
  },
  SessionDisputed: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    m.env.warp(60);
    return m.env.send(claimIx(s, 30), [m.prov.authority]);
  },
  AlreadySettled: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(closeIx(s), [m.user.kp]));
    expectOk(m.env.send(payoutIx(s, m.user.kp.publicKey), [m.user.kp]));
    return m.env.send(payoutIx(s, m.user.kp.publicKey), [m.user.kp]);
  },
  NotSessionParty: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    const stranger = m.env.wallet(SOL);
    return m.env.send(disputeIx(s, stranger.publicKey), [stranger]);
  },
  NotDisputed: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(resolveIx(s, 0n, 0n), [m.w.admin]);
  },
  ResolutionExceedsEscrow: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    return m.env.send(resolveIx(s, s.escrow + 1n, 0n), [m.w.admin]);
  },
  SlashExceedsStake: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    return m.env.send(resolveIx(s, 0n, 1000n * SOL), [m.w.admin]);
  },
  SessionNotEnded: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    return m.env.send(rateIx(s, 5), [m.user.kp]);
  },
  AlreadyRated: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    m.env.warp(60);
    expectOk(m.env.send(closeIx(s), [m.user.kp]));
    expectOk(m.env.send(rateIx(s, 5), [m.user.kp]));
    return m.env.send(rateIx(s, 5), [m.user.kp]);
  },
  InvalidRating: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(closeIx(s), [m.user.kp]));
    return m.env.send(rateIx(s, 0), [m.user.kp]);
  },
  InsufficientStakeBalance: () => {
    const m = market();
    return m.env.send(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1000n * SOL }), [m.prov.authority]);
  },
  UnbondingNotElapsed: () => {
    const m = market();
    expectOk(m.env.send(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), [m.prov.authority]));
    return m.env.send(ix.withdrawStake({ authority: m.prov.authority.publicKey }), [m.prov.authority]);
  },
  NothingToWithdraw: () => {
    const m = market();
    return m.env.send(ix.withdrawStake({ authority: m.prov.authority.publicKey }), [m.prov.authority]);
  },
  InvalidConfig: () => {
    // any address but the canonical Config (tests/program/hostile.test.ts brings a forged one)
    const m = market();
    return m.env.send(replaceAccount(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: 1n }), 1, m.prov.provider), [m.prov.authority]);
  },
  NonCanonicalBump: () => {
    const m = market();
    const a = m.env.wallet(10n * SOL);
    const seeds = [Buffer.from('provider'), a.publicKey.toBuffer()];
    const programId = new PublicKey(RAW.address);
    const [, canonical] = findProviderPda(a.publicKey);
    // the next valid (off-curve) bump below the canonical one
    let provider: PublicKey | undefined;
    let bump = canonical - 1;
    for (; bump >= 0 && !provider; bump--) {
      try {
        provider = PublicKey.createProgramAddressSync([...seeds, Buffer.from([bump])], programId);
      } catch { /* on the curve: try the next */ }
    }
    bump += 1;
    if (!provider) throw new Error('no second bump');
    const [stakeVault, stakeVaultBump] = findStakeVaultPda(provider);
    return m.env.send(buildInstruction('register_provider', { providerBump: bump, stakeVaultBump }, { authority: a.publicKey, provider, stakeVault }), [a]);
  },
  InvalidSessionId: () => {
    // an id other than the user's next_session_id (so an old address cannot be reopened)
    const m = market();
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Time, { sessionId: 5n }).instruction, [m.user.kp]);
  },
  PriceMismatch: () => {
    const m = market();
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Usage, { sessionId: 0n, tickAmount: 1n }).instruction, [m.user.kp]);
  },
  SessionTooLong: () => {
    const m = market();
    return m.env.send(openIx(m.w, m.user, m.node, SessionMode.Usage, { sessionId: 0n, minutes: 30 * 24 * 60 + 1 }).instruction, [m.user.kp]);
  },
  SessionNotIdle: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 120, maxTicks: 5 });
    m.env.warp(m.w.cfg.idleTimeoutSeconds);
    return m.env.send(closeIx(s, m.prov.authority.publicKey), [m.prov.authority]);
  },
  SelfRating: () => {
    const m = market();
    const self = { kp: m.prov.authority, token: m.prov.token };
    const s = openTime(m.w, self, m.node, { minutes: 5 });
    m.env.warp(60);
    expectOk(m.env.send(closeIx(s), [self.kp]));
    return m.env.send(rateIx(s, 5), [self.kp]);
  },
  RatingNotEarned: () => {
    // open, close at once (nothing paid), rate: a free rating
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(closeIx(s), [m.user.kp]));
    return m.env.send(rateIx(s, 1), [m.user.kp]);
  },
  StakeLockedByDispute: () => {
    // four open disputes can slash 4 x 25 % = all of it: nothing may leave
    const m = market();
    for (let i = 0; i < 4; i++) {
      const s = openTime(m.w, m.user, m.node, { minutes: 5 });
      expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    }
    expectOk(m.env.send(ix.requestUnstake({ authority: m.prov.authority.publicKey, amount: m.w.cfg.minProviderStake }), [m.prov.authority]));
    m.env.warp(m.w.cfg.unbondingSeconds + 1n);
    return m.env.send(ix.withdrawStake({ authority: m.prov.authority.publicKey }), [m.prov.authority]);
  },
  SlashExceedsCap: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    return m.env.send(resolveIx(s, 0n, m.w.cfg.minProviderStake / 2n), [m.w.admin]);
  },
  DisputeWindowOpen: () => {
    const m = market();
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    expectOk(m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]));
    m.env.warp(300n + m.w.cfg.settleWindowSeconds + 1n);
    const stranger = m.env.wallet(SOL);
    return m.env.send(payoutIx(s, stranger.publicKey), [stranger]);
  },
  DisputeTooLate: () => {
    const m = market();
    const s = openUsage(m.w, m.user, m.node, { minutes: 5, maxTicks: 5 });
    m.env.warp(300n + m.w.cfg.settleWindowSeconds + 1n);
    return m.env.send(disputeIx(s, m.user.kp.publicKey), [m.user.kp]);
  },
  NotPendingAdmin: () => {
    const m = market();
    const next = m.env.wallet(SOL);
    const intruder = m.env.wallet(SOL);
    expectOk(m.env.send(ix.updateConfig({ admin: m.w.admin.publicKey, newAdmin: next.publicKey, treasury: m.w.treasury.publicKey, tokenMint: m.w.usdc.mint, ...m.w.cfg }), [m.w.admin]));
    return m.env.send(ix.acceptAdmin({ newAdmin: intruder.publicKey }), [intruder]);
  },
  RecipientNotRentExempt: () => {
    // the provider's own claim into its empty wallet (a settlement would forfeit it instead)
    const m = createMarket({}, { pricePerMinute: 1_000n });
    const s = openTime(m.w, m.user, m.node, { minutes: 5 });
    const a = m.env.raw(m.prov.authority.publicKey)!;
    m.env.setRaw(m.prov.authority.publicKey, { ...a, lamports: 0n });
    m.env.warp(60);
    return m.env.send(claimIx(s, 60), [m.prov.authority]);
  },
};

describe('errors: IDL code <-> program', () => {
  it('has a trigger for every IDL error', () => {
    expect(Object.keys(triggers).sort()).toEqual(RAW.errors.map((e) => e.name).sort());
  });

  it.each(RAW.errors.map((e) => [e.name, e.code] as const))('%s: custom error %i, logged as "Error: <Name>"', (name, code) => {
    const r = triggers[name]();
    expect(r.ok).toBe(false);
    expect({ code: r.error?.code, loggedError: r.loggedError }).toEqual({ code, loggedError: name });
    expect(r.logs.filter((l) => l === `Program log: Error: ${name}`)).toHaveLength(1);
    expect(errorCode(name)).toBe(code);
  });
});
