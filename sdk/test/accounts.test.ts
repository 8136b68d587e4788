import { PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_SIZES,
  SessionMode,
  SessionState,
  decodeAccount,
  decodeConfig,
  decodeNode,
  decodeProvider,
  decodeSession,
  decodeStakeVault,
} from '../src/index.js';
import { Writer, disc, hex } from './helpers.js';

const key = (n: number) => new PublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + n) % 256));
const bytes32 = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i + n) % 256);
const BIG = 2n ** 64n - 2n; // beyond Number.MAX_SAFE_INTEGER: must come back as an exact bigint
const padded = (s: string, n: number) => {
  const b = Buffer.alloc(n);
  b.write(s, 'utf8');
  return b;
};

// Hand-built with the program's #[repr(C)] offsets (see the comments), not with Anchor.
function sessionBytes(): Buffer {
  const b = new Writer().bytes(disc('account', 'Session'))
    .bytes(key(1).toBytes()) // 8 user
    .bytes(key(2).toBytes()) // 40 node
    .bytes(key(3).toBytes()) // 72 provider
    .bytes(key(4).toBytes()) // 104 payment_mint
    .bytes(key(5).toBytes()) // 136 vault
    .bytes(key(6).toBytes()) // 168 disputed_by
    .bytes(bytes32(7)) // 200 hash_chain_root
    .bytes(bytes32(8)) // 232 last_proof_hash
    .u64(42n) // 264 session_id
    .i64(1_700_000_000n) // 272 start_ts
    .i64(1_700_003_600n) // 280 end_ts
    .i64(0n) // 288 closed_at
    .i64(-5n) // 296 dispute_ts
    .u64(BIG) // 304 escrow_amount
    .u64(900n) // 312 remaining_balance
    .u64(100n) // 320 claimed_amount
    .u64(2n) // 328 fee_amount
    .u64(0n) // 336 refunded_amount
    .u64(123_456_789n) // 344 bytes_used
    .u64(10n) // 352 last_tick
    .u64(10n) // 360 tick_amount
    .u64(100n) // 368 max_ticks
    .u8(1) // 376 mode = Usage
    .u8(3) // 377 state = Disputed
    .u8(2) // 378 dispute_reason
    .u8(1) // 379 rated
    .u8(0) // 380 capacity_released
    .u8(254) // 381 bump
    .u8(253) // 382 vault_bump
    .u8(0) // 383 padding
    .i64(3600n) // 384 settle_window_seconds
    .i64(604_800n) // 392 dispute_window_seconds
    .i64(1800n) // 400 idle_timeout_seconds
    .i64(1_700_000_100n) // 408 last_activity_ts
    .u16(250) // 416 protocol_fee_bps
    .bytes(new Uint8Array(6)) // 418 padding2
    .u64(77n) // 424 dispute_lock
    .done();
  return b;
}

function nodeBytes(): Buffer {
  return new Writer().bytes(disc('account', 'Node'))
    .bytes(key(10).toBytes()) // 8 provider
    .bytes(bytes32(11)) // 40 wg_server_pubkey
    .bytes(padded('vpn.example.org:51820', 64)) // 72 endpoint
    .bytes(padded('eu-west', 16)) // 136 region
    .u64(3n) // 152 node_id
    .u64(5000n) // 160 price_per_minute
    .u64(0n) // 168 price_per_minute_token
    .u64(7200n) // 176 total_uptime_seconds
    .u64(9n) // 184 total_sessions
    .i64(1_690_000_000n) // 192 created_at
    .u32(50) // 200 max_capacity
    .u32(4) // 204 active_sessions
    .u8(1) // 208 is_active
    .u8(255) // 209 bump
    .bytes(new Uint8Array(6)) // 210 padding
    .u64(11n) // 216 price_per_tick
    .u64(0n) // 224 price_per_tick_token
    .done();
}

describe('account decoding', () => {
  it('Session: every field, bigint amounts, enums as numbers', () => {
    const data = sessionBytes();
    expect(data.length).toBe(ACCOUNT_SIZES.Session);
    const s = decodeSession(data);
    expect(s.user.equals(key(1))).toBe(true);
    expect(s.node.equals(key(2))).toBe(true);
    expect(s.provider.equals(key(3))).toBe(true);
    expect(s.paymentMint.equals(key(4))).toBe(true);
    expect(s.vault.equals(key(5))).toBe(true);
    expect(s.disputedBy.equals(key(6))).toBe(true);
    expect(s.hashChainRoot).toBeInstanceOf(Uint8Array);
    expect(hex(s.hashChainRoot)).toBe(hex(bytes32(7)));
    expect(hex(s.lastProofHash)).toBe(hex(bytes32(8)));
    expect(s.sessionId).toBe(42n);
    expect(s.startTs).toBe(1_700_000_000n);
    expect(s.endTs).toBe(1_700_003_600n);
    expect(s.closedAt).toBe(0n);
    expect(s.disputeTs).toBe(-5n);
    expect(s.escrowAmount).toBe(BIG);
    expect(s.remainingBalance).toBe(900n);
    expect(s.claimedAmount).toBe(100n);
    expect(s.feeAmount).toBe(2n);
    expect(s.refundedAmount).toBe(0n);
    expect(s.bytesUsed).toBe(123_456_789n);
    expect(s.lastTick).toBe(10n);
    expect(s.tickAmount).toBe(10n);
    expect(s.maxTicks).toBe(100n);
    expect(s.settleWindowSeconds).toBe(3600n);
    expect(s.disputeWindowSeconds).toBe(604_800n);
    expect(s.idleTimeoutSeconds).toBe(1800n);
    expect(s.lastActivityTs).toBe(1_700_000_100n);
    expect(s.protocolFeeBps).toBe(250);
    expect(s.disputeLock).toBe(77n);
    expect(s.mode).toBe(SessionMode.Usage);
    expect(s.state).toBe(SessionState.Disputed);
    expect(s.disputeReason).toBe(2);
    expect(s.rated).toBe(true);
    expect(s.capacityReleased).toBe(false);
    expect(s.bump).toBe(254);
    expect(s.vaultBump).toBe(253);
    expect('padding' in s).toBe(false);
  });

  it('Node: endpoint and region lose their zero padding', () => {
    const data = nodeBytes();
    expect(data.length).toBe(ACCOUNT_SIZES.Node);
    const n = decodeNode(data);
    expect(n.provider.equals(key(10))).toBe(true);
    expect(hex(n.wgServerPubkey)).toBe(hex(bytes32(11)));
    expect(n.endpoint).toBe('vpn.example.org:51820');
    expect(n.region).toBe('eu-west');
    expect(n.nodeId).toBe(3n);
    expect(n.pricePerMinute).toBe(5000n);
    expect(n.pricePerMinuteToken).toBe(0n);
    expect(n.totalUptimeSeconds).toBe(7200n);
    expect(n.totalSessions).toBe(9n);
    expect(n.createdAt).toBe(1_690_000_000n);
    expect(n.maxCapacity).toBe(50);
    expect(n.activeSessions).toBe(4);
    expect(n.isActive).toBe(true);
    expect(n.bump).toBe(255);
  });

  it('checks the discriminator and the size', () => {
    const node = nodeBytes();
    expect(() => decodeSession(node)).toThrow();
    const bad = sessionBytes();
    bad[0] ^= 1;
    expect(() => decodeSession(bad)).toThrow(/discriminator/);
    expect(() => decodeSession(sessionBytes().subarray(0, 300))).toThrow(/expected 432/);
  });

  it('decodeAccount picks the type by discriminator', () => {
    const a = decodeAccount(nodeBytes());
    expect(a.name).toBe('Node');
    if (a.name === 'Node') expect(a.account.endpoint).toBe('vpn.example.org:51820');
    const b = decodeAccount(new Uint8Array(sessionBytes()));
    expect(b.name).toBe('Session');
    if (b.name === 'Session') expect(b.account.escrowAmount).toBe(BIG);
    expect(() => decodeAccount(new Uint8Array(400))).toThrow(/unknown discriminator/);
  });

  it('Config, Provider and StakeVault decode at their documented sizes', () => {
    const config = new Writer().bytes(disc('account', 'Config')).bytes(key(1).toBytes()).bytes(key(2).toBytes())
      .bytes(key(3).toBytes()).bytes(key(9).toBytes()).u64(10n ** 9n).i64(86_400n).i64(3_600n).i64(7_200n).i64(1_800n)
      .u64(1_000n).u64(10n).u16(250).u16(2_500).u8(251).bytes(new Uint8Array(3)).done();
    expect(config.length).toBe(ACCOUNT_SIZES.Config);
    const c = decodeConfig(config);
    expect([c.admin.equals(key(1)), c.treasury.equals(key(2)), c.tokenMint.equals(key(3)), c.pendingAdmin.equals(key(9))]).toEqual([true, true, true, true]);
    expect([c.minProviderStake, c.unbondingSeconds, c.settleWindowSeconds, c.disputeWindowSeconds, c.idleTimeoutSeconds]).toEqual([10n ** 9n, 86_400n, 3_600n, 7_200n, 1_800n]);
    expect([c.minRatingLamports, c.minRatingToken, c.protocolFeeBps, c.maxSlashBps, c.bump]).toEqual([1_000n, 10n, 250, 2_500, 251]);

    const w = new Writer().bytes(disc('account', 'Provider')).bytes(key(4).toBytes());
    for (let i = 1n; i <= 11n; i++) w.u64(i * 1000n); // node_count .. registered_at
    const provider = w.u32(3).u16(1500).u8(250).u8(249).u64(12n).u32(2).bytes(new Uint8Array(4)).u64(13n).done();
    expect(provider.length).toBe(ACCOUNT_SIZES.Provider);
    const p = decodeProvider(provider);
    expect(p.authority.equals(key(4))).toBe(true);
    expect([p.nodeCount, p.stakeLamports, p.unstakingLamports, p.unstakeAt, p.registeredAt]).toEqual([1000n, 2000n, 3000n, 4000n, 11000n]);
    expect([p.ratingCount, p.reputationScore, p.bump, p.stakeVaultBump]).toEqual([3, 1500, 250, 249]);
    expect([p.ratingWeight, p.openDisputes, p.lockedLamports]).toEqual([12n, 2, 13n]);

    const vault = new Writer().bytes(disc('account', 'StakeVault')).bytes(key(5).toBytes()).u8(7).bytes(new Uint8Array(7)).done();
    expect(vault.length).toBe(ACCOUNT_SIZES.StakeVault);
    const v = decodeStakeVault(vault);
    expect(v.provider.equals(key(5))).toBe(true);
    expect(v.bump).toBe(7);
  });
});

describe('fetch helpers (stub connection)', () => {
  it('fetchSession: null when missing, decoded when present, error when another program owns it', async () => {
    const { fetchSession, DVPN_PROGRAM_ID } = await import('../src/index.js');
    const data = sessionBytes();
    const accounts = new Map<string, { data: Buffer; owner: PublicKey }>([
      [key(70).toBase58(), { data, owner: DVPN_PROGRAM_ID }],
      [key(71).toBase58(), { data, owner: key(0) }],
    ]);
    const connection = { getAccountInfo: async (k: PublicKey) => accounts.get(k.toBase58()) ?? null };
    const c = connection as unknown as import('@solana/web3.js').Connection;
    expect(await fetchSession(c, key(72))).toBeNull();
    expect((await fetchSession(c, key(70)))?.escrowAmount).toBe(BIG);
    await expect(fetchSession(c, key(71))).rejects.toThrow(/not the dvpn program/);
  });

  it('fetchAll filters by size and discriminator and decodes', async () => {
    const { fetchAll, ACCOUNT_OFFSETS, pubkeyFilter, DVPN_PROGRAM_ID } = await import('../src/index.js');
    let seen: unknown;
    const connection = {
      getProgramAccounts: async (pid: PublicKey, cfg: unknown) => {
        seen = { pid: pid.toBase58(), cfg };
        return [{ pubkey: key(80), account: { data: nodeBytes() } }];
      },
    } as unknown as import('@solana/web3.js').Connection;
    const rows = await fetchAll(connection, 'Node', { filters: [pubkeyFilter(ACCOUNT_OFFSETS.Node.provider, key(10))] });
    expect(rows).toHaveLength(1);
    expect(rows[0].address.equals(key(80))).toBe(true);
    expect(rows[0].account.region).toBe('eu-west');
    const bs58 = (await import('bs58')).default;
    expect(seen).toEqual({
      pid: DVPN_PROGRAM_ID.toBase58(),
      cfg: {
        commitment: undefined,
        filters: [
          { dataSize: 232 },
          { memcmp: { offset: 0, bytes: bs58.encode(disc('account', 'Node')) } },
          { memcmp: { offset: 8, bytes: key(10).toBase58() } },
        ],
      },
    });
  });
});
