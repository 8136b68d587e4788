import { PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import {
  DVPN_PROGRAM_ID,
  IDL,
  INSTRUCTION_NAMES,
  SessionMode,
  SYSTEM_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  buildInstruction,
  findConfigPda,
  findNodePda,
  findProviderPda,
  findSessionPda,
  findSessionVaultPda,
  findUserStatePda,
  findStakeVaultPda,
  ix,
} from '../src/index.js';
import { Writer, disc, hex } from './helpers.js';

const key = (n: number) => new PublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) % 256));
const admin = key(1);
const treasury = key(2);
const mint = key(3);
const authority = key(4);
const user = key(5);

const metas = (i: { keys: { pubkey: PublicKey; isSigner: boolean; isWritable: boolean }[] }) =>
  i.keys.map((k) => [k.pubkey.toBase58(), k.isSigner, k.isWritable]);

describe('PDAs', () => {
  it('use the documented seeds (u64 ids little-endian)', () => {
    const seed = (s: string) => Buffer.from(s);
    const [provider] = findProviderPda(authority);
    expect(findConfigPda()[0].equals(PublicKey.findProgramAddressSync([seed('config')], DVPN_PROGRAM_ID)[0])).toBe(true);
    expect(provider.equals(PublicKey.findProgramAddressSync([seed('provider'), authority.toBuffer()], DVPN_PROGRAM_ID)[0])).toBe(true);
    expect(findStakeVaultPda(provider)[0].equals(PublicKey.findProgramAddressSync([seed('stake'), provider.toBuffer()], DVPN_PROGRAM_ID)[0])).toBe(true);
    const id258 = Buffer.from([2, 1, 0, 0, 0, 0, 0, 0]);
    const [node] = findNodePda(provider, 258);
    expect(node.equals(PublicKey.findProgramAddressSync([seed('node'), provider.toBuffer(), id258], DVPN_PROGRAM_ID)[0])).toBe(true);
    expect(findNodePda(provider, 258n)[0].equals(node)).toBe(true);
    const [session] = findSessionPda(node, user, 258n);
    expect(session.equals(
      PublicKey.findProgramAddressSync([seed('session'), node.toBuffer(), user.toBuffer(), id258], DVPN_PROGRAM_ID)[0],
    )).toBe(true);
    expect(findSessionVaultPda(session)[0].equals(PublicKey.findProgramAddressSync([seed('vault'), session.toBuffer()], DVPN_PROGRAM_ID)[0])).toBe(true);
  });
});

describe('instruction data', () => {
  it('every IDL instruction has discriminator sha256("global:<name>")[..8]', () => {
    expect(INSTRUCTION_NAMES).toHaveLength(17);
    for (const i of IDL.instructions) {
      expect(hex(Uint8Array.from(i.discriminator)), i.name).toBe(hex(disc('global', i.name)));
    }
    const built = ix.withdrawStake({ authority });
    expect(hex(built.data)).toBe(hex(disc('global', 'withdraw_stake')));
  });

  it('initialize_config: u16, u64, i64 x 4, u64 x 2, u16, bump', () => {
    const built = ix.initializeConfig({
      admin, treasury, tokenMint: mint, protocolFeeBps: 250, minProviderStake: 1_000_000_000n,
      unbondingSeconds: 86_400, settleWindowSeconds: -1n, disputeWindowSeconds: 2n, idleTimeoutSeconds: 3n,
      minRatingLamports: 4n, minRatingToken: 5n, maxSlashBps: 2_500,
    });
    const [config, bump] = findConfigPda();
    const expected = new Writer().bytes(disc('global', 'initialize_config'))
      .bytes([0xfa, 0x00])
      .bytes([0x00, 0xca, 0x9a, 0x3b, 0, 0, 0, 0])
      .bytes([0x80, 0x51, 0x01, 0, 0, 0, 0, 0])
      .bytes([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
      .u64(2n).u64(3n).u64(4n).u64(5n)
      .bytes([0xc4, 0x09])
      .u8(bump)
      .done();
    expect(hex(built.data)).toBe(hex(expected));
    expect(built.programId.equals(DVPN_PROGRAM_ID)).toBe(true);
    expect(metas(built)).toEqual([
      [admin.toBase58(), true, true],
      [config.toBase58(), false, true],
      [treasury.toBase58(), false, false],
      [mint.toBase58(), false, false],
      [SYSTEM_PROGRAM_ID.toBase58(), false, false],
    ]);
  });

  it('register_node: strings are u32-length-prefixed, array inline, bump last', () => {
    const wgKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const built = ix.registerNode({
      authority, nodeId: 3, endpoint: 'vpn.example.org:51820', region: 'eu-west', pricePerMinute: 2n ** 63n + 5n,
      pricePerMinuteToken: 7, wgServerPubkey: wgKey, maxCapacity: 0x01020304,
    });
    const [provider] = findProviderPda(authority);
    const [node, nodeBump] = findNodePda(provider, 3);
    const expected = new Writer().bytes(disc('global', 'register_node'))
      .bytes([3, 0, 0, 0, 0, 0, 0, 0])
      .bytes([21, 0, 0, 0]).bytes(Buffer.from('vpn.example.org:51820'))
      .bytes([7, 0, 0, 0]).bytes(Buffer.from('eu-west'))
      .bytes([5, 0, 0, 0, 0, 0, 0, 0x80])
      .bytes([7, 0, 0, 0, 0, 0, 0, 0])
      .bytes(wgKey)
      .bytes([4, 3, 2, 1])
      .u8(nodeBump)
      .u64(0n).u64(0n) // price_per_tick(_token): absent means 0 (no usage sessions)
      .done();
    expect(hex(built.data)).toBe(hex(expected));
    expect(metas(built)).toEqual([
      [authority.toBase58(), true, true],
      [findConfigPda()[0].toBase58(), false, false],
      [provider.toBase58(), false, true],
      [node.toBase58(), false, true],
      [SYSTEM_PROGRAM_ID.toBase58(), false, false],
    ]);
  });

  it('update_node: absent options are None (0), present ones Some (1, value)', () => {
    const node = key(9);
    const built = ix.updateNode({ authority, node, maxCapacity: 9, region: 'us', isActive: false });
    const expected = new Writer().bytes(disc('global', 'update_node'))
      .u8(0).u8(0)
      .u8(1).u32(9)
      .u8(0)
      .u8(1).str('us')
      .u8(0)
      .u8(1).u8(0)
      .u8(0).u8(0) // price_per_tick(_token): None
      .done();
    expect(hex(built.data)).toBe(hex(expected));
  });

  it('open_session: Time carries the agreed price, no ticks and a zero root; Usage carries the chain; the UserState is derived', () => {
    const [provider] = findProviderPda(authority);
    const [node] = findNodePda(provider, 0);
    const [session, bump] = findSessionPda(node, user, 11);
    const [userState, userStateBump] = findUserStatePda(user);
    const time = ix.openSession({ user, provider, node, sessionId: 11, mode: SessionMode.Time, durationMinutes: 30, tickAmount: 7 });
    const expectedTime = new Writer().bytes(disc('global', 'open_session'))
      .u64(11n).u8(0).u32(30).u64(7n).u64(0n).bytes(new Uint8Array(32)).u8(bump).u8(userStateBump).done();
    expect(hex(time.data)).toBe(hex(expectedTime));
    expect(time.keys[4].pubkey.equals(session)).toBe(true);
    expect(time.keys[5].pubkey.equals(userState)).toBe(true);

    const root = Uint8Array.from({ length: 32 }, (_, i) => i);
    const usage = ix.openSession({ user, provider, node, sessionId: 11n, mode: SessionMode.Usage, durationMinutes: 60,
      tickAmount: 1000, maxTicks: 500n, hashChainRoot: root });
    const expectedUsage = new Writer().bytes(disc('global', 'open_session'))
      .u64(11n).u8(1).u32(60).u64(1000n).u64(500n).bytes(root).u8(bump).u8(userStateBump).done();
    expect(hex(usage.data)).toBe(hex(expectedUsage));
  });

  it('open_session_spl derives the vault and its bump', () => {
    const [provider] = findProviderPda(authority);
    const [node] = findNodePda(provider, 0);
    const [session] = findSessionPda(node, user, 1);
    const [vault, vaultBump] = findSessionVaultPda(session);
    const built = ix.openSessionSpl({ user, provider, node, sessionId: 1, mode: 'time', durationMinutes: 5, tickAmount: 10, tokenMint: mint, userToken: key(20) });
    const [userState, userStateBump] = findUserStatePda(user);
    expect(built.data[built.data.length - 2]).toBe(vaultBump);
    expect(built.data[built.data.length - 1]).toBe(userStateBump);
    expect(built.keys.map((k) => k.pubkey.toBase58())).toEqual([
      user, findConfigPda()[0], provider, node, session, vault, mint, key(20), TOKEN_PROGRAM_ID, userState, SYSTEM_PROGRAM_ID,
    ].map((k) => k.toBase58()));
  });
});

describe('account metas', () => {
  const [provider] = findProviderPda(authority);
  const session = key(30);

  it('claim_chunk for a SOL session passes the program id (read-only) for every optional account', () => {
    const built = ix.claimChunk({ authority, provider, session, treasury, tick: 60 });
    const pid = DVPN_PROGRAM_ID.toBase58();
    expect(metas(built)).toEqual([
      [authority.toBase58(), true, true],
      [findConfigPda()[0].toBase58(), false, false],
      [provider.toBase58(), false, true],
      [session.toBase58(), false, true],
      [treasury.toBase58(), false, true],
      [pid, false, false], [pid, false, false], [pid, false, false], [pid, false, false],
    ]);
    // Time claims: preimage = 32 zero bytes, bytes_used 0 by default
    const expected = new Writer().bytes(disc('global', 'claim_chunk')).u64(60n).bytes(new Uint8Array(32)).u64(0n).done();
    expect(hex(built.data)).toBe(hex(expected));
  });

  it('claim_chunk for a token session lists the token accounts and the token program', () => {
    const spl = { vault: key(40), providerToken: key(41), treasuryToken: key(42) };
    const built = ix.claimChunk({ authority, provider, session, treasury, tick: 2, preimage: new Uint8Array(32).fill(9), bytesUsed: 77, spl });
    expect(metas(built).slice(5)).toEqual([
      [spl.vault.toBase58(), false, true],
      [spl.providerToken.toBase58(), false, true],
      [spl.treasuryToken.toBase58(), false, true],
      [TOKEN_PROGRAM_ID.toBase58(), false, false],
    ]);
  });

  it('resolve_dispute derives the stake vault and keeps IDL order', () => {
    const node = key(50);
    const built = ix.resolveDispute({ admin, provider, node, session, user, providerAuthority: authority, treasury,
      providerAmount: 10, slashLamports: 0 });
    expect(built.keys.map((k) => k.pubkey.toBase58()).slice(0, 9)).toEqual(
      [admin, findConfigPda()[0], provider, node, session, findStakeVaultPda(provider)[0], user, authority, treasury].map((k) => k.toBase58()),
    );
    expect(built.keys).toHaveLength(14);
    expect(hex(built.data)).toBe(hex(new Writer().bytes(disc('global', 'resolve_dispute')).u64(10n).u64(0n).done()));
  });

  it('buildInstruction accepts snake_case names and keys, derives PDAs, and checks inputs', () => {
    const a = buildInstruction('stake_provider', { amount: 5n }, { authority });
    const b = ix.stakeProvider({ authority, amount: 5 });
    expect(hex(a.data)).toBe(hex(b.data));
    expect(metas(a)).toEqual(metas(b));
    expect(metas(b)[2][0]).toBe(findStakeVaultPda(provider)[0].toBase58());

    expect(() => buildInstruction('no_such_ix', {}, {})).toThrow(/unknown dvpn instruction/);
    expect(() => buildInstruction('raise_dispute', { reason: 1 }, { signer: user, provider, node: key(52) })).toThrow(/missing account session/);
    expect(() => buildInstruction('raise_dispute', {}, { signer: user, provider, node: key(52), session })).toThrow(/missing argument reason/);
    expect(() => ix.raiseDispute({ signer: user, provider, node: key(52), session, reason: 256 })).toThrow(/does not fit in u8/);
    expect(() => ix.requestUnstake({ authority, amount: -1 })).toThrow(/does not fit in u64/);
    expect(() => ix.openSession({ user, provider, node: key(51), sessionId: 0, mode: SessionMode.Usage, durationMinutes: 1,
      tickAmount: 1, hashChainRoot: new Uint8Array(31) })).toThrow(/expected 32 elements/);
  });

  it('a custom program id is used for the instruction, the PDAs and the optional placeholders', () => {
    const other = key(99);
    const built = ix.claimChunk({ authority, provider, session, treasury, tick: 1, programId: other });
    expect(built.programId.equals(other)).toBe(true);
    expect(built.keys[1].pubkey.equals(findConfigPda(other)[0])).toBe(true);
    expect(built.keys[8].pubkey.equals(other)).toBe(true);
  });
});
