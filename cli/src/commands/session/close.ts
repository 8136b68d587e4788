// `dvpn session close`: user ends an active session.
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { withContext } from '../../run.js';
import { stateName, moneyOf, settlement, eventData } from './shared.js';

export function sessionCloseCommand(): Command {
  return new Command('close')
    .argument('<SESSION>', 'Session address (yours)')
    .description('User: end an active session (time: pays elapsed time and refunds the rest; usage: stops it, the provider may still claim during the settle window)')
    .addHelpText('after', '\nExamples:\n  $ dvpn session close 9qW2...Lm\n  $ dvpn session close 9qW2...Lm --json | jq .refund')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([...prepare, ix.closeSession({ user: ctx.signer.publicKey, ...base, spl })]);
        const ev = eventData<{ state: number; providerAmount: bigint; fee: bigint; refund: bigint; remainingBalance: bigint }>(res, 'SessionClosed');
        ctx.printRows(
          { signature: res.signature, session: address, currency: money.symbol, ...(ev ? { ...ev, state: stateName(ev.state) } : {}), events: res.events },
          `Session ${address.toBase58()} closed`,
          [
            ['state', ev ? stateName(ev.state) : undefined],
            ['to provider', ev ? money.format(ev.providerAmount) : undefined],
            ['protocol fee', ev ? money.format(ev.fee) : undefined],
            ['refund', ev ? money.format(ev.refund) : undefined],
            ['remaining', ev ? money.format(ev.remainingBalance) : undefined],
            ['signature', res.signature],
          ],
        );
      }),
    );

}
