// `dvpn session resolve`: admin settles a disputed session.
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { formatSol, parseSol } from '../../format.js';
import { withContext } from '../../run.js';
import { moneyOf, settlement, eventData } from './shared.js';

export function sessionResolveCommand(): Command {
  return new Command('resolve')
    .argument('<SESSION>', 'Session address (in dispute)')
    .description('Admin: settle a disputed session: pay the provider part of the remaining escrow, refund the rest, optionally slash stake')
    .requiredOption('--provider-amount <AMOUNT>', "provider's share of the remaining escrow, in the session's currency (SOL or USDC)")
    .option('--slash <SOL>', 'SOL to slash from the provider stake to the treasury', '0')
    .addHelpText('after', '\nExamples:\n  $ dvpn session resolve 9qW2...Lm --provider-amount 0\n  $ dvpn session resolve 9qW2...Lm --provider-amount 0.004 --slash 0.5 --json')
    .action(
      withContext(async (ctx, arg: string, o: { providerAmount: string; slash: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const providerAmount = money.parse(o.providerAmount, '--provider-amount');
        const slashLamports = parseSol(o.slash, '--slash');
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([
          ...prepare,
          ix.resolveDispute({ admin: ctx.signer.publicKey, user: s.user, ...base, spl, providerAmount, slashLamports }),
        ]);
        const ev = eventData<{ providerAmount: bigint; fee: bigint; refund: bigint; slashed: bigint }>(res, 'DisputeResolved');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Dispute on ${address.toBase58()} resolved`, [
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['refund', ev ? money.format(ev.refund) : undefined],
          ['slashed', ev ? formatSol(ev.slashed) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

}
