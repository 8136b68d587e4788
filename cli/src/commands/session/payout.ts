// `dvpn session payout`: settle a session and close its account.
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { withContext } from '../../run.js';
import { removeSessionState } from '../../state.js';
import { moneyOf, settlement, eventData } from './shared.js';

export function sessionPayoutCommand(): Command {
  return new Command('payout')
    .argument('<SESSION>', 'Session address')
    .description('Settle a session and close its account: pays what was earned, refunds the rest to the user (anyone may call after the settle deadline; the user at once once funds are settled)')
    .addHelpText('after', '\nExamples:\n  $ dvpn session payout 9qW2...Lm\n  $ dvpn session payout 9qW2...Lm --json')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([...prepare, ix.claimPayout({ caller: ctx.signer.publicKey, user: s.user, ...base, spl })]);
        removeSessionState(address.toBase58());
        const ev = eventData<{ providerAmount: bigint; fee: bigint; refund: bigint; claimedAmount: bigint; refundedAmount: bigint }>(res, 'PayoutClaimed');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Session ${address.toBase58()} settled and closed`, [
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['refund', ev ? money.format(ev.refund) : undefined],
          ['claimed total', ev ? money.format(ev.claimedAmount) : undefined],
          ['refunded total', ev ? money.format(ev.refundedAmount) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

}
