// `dvpn provider withdraw`: Withdraw the unbonded lamports to your wallet (after the unbonding period; open disputes keep back what they could slash)
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { resolveProvider } from '../../accounts.js';
import { withContext } from '../../run.js';
import { printStake } from './shared.js';

export function providerWithdrawCommand(): Command {
  return new Command('withdraw')
    .description('Withdraw the unbonded lamports to your wallet (after the unbonding period; open disputes keep back what they could slash)')
    .addHelpText(
      'after',
      '\nWhile disputes against you are open, the part of their lock (locked in provider show) beyond your active stake stays in the vault until they are resolved; StakeLockedByDispute when nothing can leave.\n\nExamples:\n  $ dvpn provider withdraw',
    )
    .action(
      withContext(async (ctx) => {
        await resolveProvider(ctx);
        const res = await ctx.send([ix.withdrawStake({ authority: ctx.signer.publicKey })]);
        await printStake(ctx, 'Stake withdrawn', res, true);
      }),
    );
}
