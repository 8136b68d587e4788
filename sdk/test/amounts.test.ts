import { describe, expect, it } from 'vitest';
import { protocolFee, providerShare, ratingWeight, reputationScore, timeEarned, timeEscrow, usageCharge, usageEscrow } from '../src/index.js';

describe('amounts', () => {
  it('protocol fee floors', () => {
    expect(protocolFee(10_001n, 250)).toBe(250n);
    expect(protocolFee(39, 250)).toBe(0n);
    expect(protocolFee(40, 250)).toBe(1n);
    expect(providerShare(10_001n, 250)).toBe(9_751n);
    expect(protocolFee(2n ** 64n - 1n, 1000)).toBe((2n ** 64n - 1n) / 10n);
  });
  it('time earned floors, clamps and reaches escrow at the end', () => {
    expect(timeEarned(1000n, 3600n, 1800n)).toBe(500n);
    expect(timeEarned(7, 3, 1)).toBe(2n);
    expect(timeEarned(7, 3, 3)).toBe(7n);
    expect(timeEarned(7, 3, 10)).toBe(7n);
    expect(timeEarned(7, 3, -4)).toBe(0n);
    // u128 intermediate: escrow * t overflows u64 but not bigint
    expect(timeEarned(2n ** 64n - 1n, 3600n, 3599n)).toBe(((2n ** 64n - 1n) * 3599n) / 3600n);
  });
  it('usage charge, escrows and reputation', () => {
    expect(usageCharge(12, 1000n)).toBe(12_000n);
    expect(timeEscrow(5000, 30)).toBe(150_000n);
    expect(usageEscrow(1000, 500)).toBe(500_000n);
    expect(reputationScore(0, 0)).toBe(1000);
    expect(reputationScore(5, 1)).toBe(2000);
    expect(reputationScore(1, 1)).toBe(0);
    expect(reputationScore(7, 2)).toBe(1250);
    // weighted: a 5-star session paying 3 minimums and a 1-star one paying 1
    expect(reputationScore(5 * 3 + 1, 3 + 1)).toBe(1500);
    expect(ratingWeight(999, 1000)).toBe(0n);
    expect(ratingWeight(5_500, 1000)).toBe(5n);
    expect(ratingWeight(10n ** 18n, 1000)).toBe(100n);
    expect(ratingWeight(0, 0)).toBe(0n);
  });
});
