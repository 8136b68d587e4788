// Provider stake: stake / request unstake / withdraw, and slashes.
import { b58 } from '../decode.js';
import type { Handler } from './types.js';

export const StakeChanged: Handler<'StakeChanged'> = (ctx, d) => {
  const kind = (['STAKE', 'REQUEST_UNSTAKE', 'WITHDRAW'] as const)[d.kind];
  const unstakeAt = d.unstakeAt === 0n ? null : d.unstakeAt;
  ctx.fx.stakeChanges.push({
    signature: ctx.signature,
    slot: ctx.slot,
    ixIndex: ctx.ne.ixIndex,
    eventIndex: ctx.ne.eventIndex,
    provider: b58(d.provider),
    kind,
    amount: d.amount,
    stakeLamports: d.stakeLamports,
    unstakingLamports: d.unstakingLamports,
    unstakeAt,
    session: null,
    timestamp: ctx.ts,
  });
  const p = ctx.provider(b58(d.provider));
  if (p && ctx.fresh(p)) {
    p.stakeLamports = d.stakeLamports;
    p.unstakingLamports = d.unstakingLamports;
    p.unstakeAt = unstakeAt;
  }
};

export const Slashed: Handler<'Slashed'> = (ctx, d) => {
  const p = ctx.provider(b58(d.provider));
  ctx.fx.stakeChanges.push({
    signature: ctx.signature,
    slot: ctx.slot,
    ixIndex: ctx.ne.ixIndex,
    eventIndex: ctx.ne.eventIndex,
    provider: b58(d.provider),
    kind: 'SLASH',
    amount: d.amount,
    stakeLamports: d.stakeLamports,
    unstakingLamports: d.unstakingLamports,
    unstakeAt: p?.unstakeAt ?? null,
    session: b58(d.session),
    timestamp: ctx.ts,
  });
  if (!p) return;
  p.slashedLamports += d.amount;
  if (ctx.fresh(p)) {
    p.stakeLamports = d.stakeLamports;
    p.unstakingLamports = d.unstakingLamports;
  }
};
