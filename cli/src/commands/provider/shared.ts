// What the `dvpn provider` subcommands share.
import { StakeChangeKind } from '@dvpn/sdk';
import { formatSol, isoTime } from '../../format.js';
import type { Context } from '../../context.js';

export const stakeKindName = (k: number) => StakeChangeKind[k] ?? String(k);

export async function printStake(ctx: Context, title: string, res: { signature: string; events: { name: string; data: unknown }[] }, withdraw = false) {
  const ev = res.events.find((e) => e.name === 'StakeChanged')?.data as
    | { kind: number; amount: bigint; stakeLamports: bigint; unstakingLamports: bigint; unstakeAt: bigint }
    | undefined;
  const value = { signature: res.signature, ...(ev ? { ...ev, kind: stakeKindName(ev.kind) } : {}), events: res.events };
  ctx.printRows(value, title, [
    ['amount', ev ? formatSol(ev.amount) : undefined],
    ['active stake', ev ? formatSol(ev.stakeLamports) : undefined],
    ['unstaking', ev ? formatSol(ev.unstakingLamports) : undefined],
    [
      withdraw ? 'kept back' : 'withdrawable at',
      ev && ev.unstakingLamports > 0n ? (withdraw ? 'the rest of the unstaking stake: open disputes could slash it (withdraw again once they are resolved)' : isoTime(ev.unstakeAt)) : undefined,
    ],
    ['signature', res.signature],
  ]);
}
