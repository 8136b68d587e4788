import { PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID, SessionState, StakeChangeKind, TOKEN_PROGRAM_ID, parseEvents } from '../src/index.js';
import { Writer, disc } from './helpers.js';

const key = (n: number) => new PublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 3 + n) % 256));
const PID = DVPN_PROGRAM_ID.toBase58();

const chunkClaimed = new Writer().bytes(disc('event', 'ChunkClaimed'))
  .bytes(key(1).toBytes()).bytes(key(2).toBytes()).bytes(key(3).toBytes()).bytes(key(4).toBytes())
  .u64(12n) // tick
  .u64(1200n) // amount
  .u64(1170n) // provider_amount
  .u64(30n) // fee
  .u64(1200n) // claimed_amount
  .u64(2n ** 63n) // remaining_balance
  .u64(4096n) // bytes_used
  .i64(1_700_000_123n) // timestamp
  .done().toString('base64');

const sessionClosed = new Writer().bytes(disc('event', 'SessionClosed'))
  .bytes(key(5).toBytes()).bytes(key(6).toBytes()).bytes(key(7).toBytes()).bytes(key(8).toBytes()).bytes(key(9).toBytes())
  .u64(500n).u64(12n).u64(488n).u64(0n)
  .i64(1_700_000_500n)
  .u32(3)
  .u8(2) // state Closed
  .done().toString('base64');

const stakeChanged = new Writer().bytes(disc('event', 'StakeChanged'))
  .bytes(key(10).toBytes()).bytes(key(11).toBytes())
  .u64(5n).u64(95n).u64(5n).i64(1_700_086_400n).i64(1_700_000_000n)
  .u8(1) // RequestUnstake
  .done().toString('base64');

describe('parseEvents', () => {
  it('decodes a hand-built "Program data:" line', () => {
    const events = parseEvents([
      `Program ${PID} invoke [1]`,
      'Program log: Instruction: ClaimChunk',
      `Program data: ${chunkClaimed}`,
      `Program ${PID} consumed 5000 of 200000 compute units`,
      `Program ${PID} success`,
    ]);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e.name).toBe('ChunkClaimed');
    if (e.name !== 'ChunkClaimed') return;
    expect(e.data.session.equals(key(1))).toBe(true);
    expect(e.data.paymentMint.equals(key(4))).toBe(true);
    expect(e.data.tick).toBe(12n);
    expect(e.data.amount).toBe(1200n);
    expect(e.data.providerAmount).toBe(1170n);
    expect(e.data.fee).toBe(30n);
    expect(e.data.remainingBalance).toBe(2n ** 63n);
    expect(e.data.bytesUsed).toBe(4096n);
    expect(e.data.timestamp).toBe(1_700_000_123n);
  });

  it('keeps only this program\'s lines across CPIs and several instructions, in order', () => {
    const logs = [
      `Program ${PID} invoke [1]`,
      `Program ${TOKEN_PROGRAM_ID.toBase58()} invoke [2]`,
      `Program data: ${chunkClaimed}`, // written by the token program: not ours
      `Program ${TOKEN_PROGRAM_ID.toBase58()} success`,
      `Program data: ${sessionClosed}`,
      `Program ${PID} success`,
      'Program 11111111111111111111111111111111 invoke [1]',
      `Program data: ${chunkClaimed}`, // system program instruction: not ours
      'Program 11111111111111111111111111111111 success',
      `Program ${PID} invoke [1]`,
      'Program data: bm90IGFuIGV2ZW50', // unknown discriminator: skipped
      `Program data: ${stakeChanged}`,
      `Program ${PID} success`,
    ];
    const events = parseEvents(logs);
    expect(events.map((e) => e.name)).toEqual(['SessionClosed', 'StakeChanged']);
    const [closed, stake] = events;
    if (closed.name !== 'SessionClosed' || stake.name !== 'StakeChanged') throw new Error('unreachable');
    expect(closed.data.state).toBe(SessionState.Closed);
    expect(closed.data.refund).toBe(488n);
    expect(closed.data.nodeActiveSessions).toBe(3);
    expect(stake.data.kind).toBe(StakeChangeKind.RequestUnstake);
    expect(stake.data.stakeLamports).toBe(95n);
    expect(stake.data.unstakeAt).toBe(1_700_086_400n);

    expect(parseEvents(logs, key(99))).toEqual([]);
  });
});
