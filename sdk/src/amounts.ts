// The program's u64/u128 arithmetic (docs/PROGRAM.md "Amounts"), with floor division.
type Int = bigint | number;

export function protocolFee(payment: Int, feeBps: Int): bigint {
  return (BigInt(payment) * BigInt(feeBps)) / 10_000n;
}

/** What the provider receives of a payment: payment - fee. */
export function providerShare(payment: Int, feeBps: Int): bigint {
  return BigInt(payment) - protocolFee(payment, feeBps);
}

/** Time session: earned through second t (clamped to 0..duration) = escrow * t / duration. */
export function timeEarned(escrow: Int, durationSeconds: Int, t: Int): bigint {
  const d = BigInt(durationSeconds);
  if (d <= 0n) return 0n;
  let tt = BigInt(t);
  if (tt < 0n) tt = 0n;
  if (tt > d) tt = d;
  return (BigInt(escrow) * tt) / d;
}

/** Usage session: ticks * tick_amount. */
export function usageCharge(ticks: Int, tickAmount: Int): bigint {
  return BigInt(ticks) * BigInt(tickAmount);
}

/** Escrow of a time session: price per minute * minutes. */
export function timeEscrow(pricePerMinute: Int, durationMinutes: Int): bigint {
  return BigInt(pricePerMinute) * BigInt(durationMinutes);
}

/** Escrow of a usage session: tick_amount * max_ticks. */
export function usageEscrow(tickAmount: Int, maxTicks: Int): bigint {
  return BigInt(tickAmount) * BigInt(maxTicks);
}

/**
 * Provider reputation 0..2000 from the weighted rating sums (Provider
 * rating_sum and rating_weight; 1000 before the first rating).
 */
export function reputationScore(ratingSum: Int, ratingWeight: Int): number {
  const w = BigInt(ratingWeight);
  if (w === 0n) return 1000;
  const score = ((BigInt(ratingSum) - w) * 500n) / w;
  return Number(score > 2000n ? 2000n : score);
}

/** One session's rating counts at most this many times (update_reputation). */
export const MAX_RATING_WEIGHT = 100n;

/**
 * How many times a session's rating counts: the Config minimums it paid the
 * provider (claimed_amount / min_rating_*), at most MAX_RATING_WEIGHT; 0 means
 * the session has not earned a rating (RatingNotEarned).
 */
export function ratingWeight(paid: Int, minimum: Int): bigint {
  const m = BigInt(minimum);
  const w = BigInt(paid) / (m > 0n ? m : 1n);
  return w > MAX_RATING_WEIGHT ? MAX_RATING_WEIGHT : w;
}
