// `dvpn provider stake`: Move SOL from your wallet into your stake vault
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { resolveProvider } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { parseSol } from '../../format.js';
import { withContext } from '../../run.js';
import { printStake } from './shared.js';

export function providerStakeCommand(): Command {
  return new Command('stake')
    .argument('<SOL>', 'amount of SOL to add to your stake')
    .description('Move SOL from your wallet into your stake vault')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider stake 1.5')
    .action(
      withContext(async (ctx, amount: string) => {
        const lamports = parseSol(amount, 'SOL');
        if (lamports === 0n) throw new CliError('stake amount must be greater than zero');
        await resolveProvider(ctx);
        const res = await ctx.send([ix.stakeProvider({ authority: ctx.signer.publicKey, amount: lamports })]);
        await printStake(ctx, 'Staked', res);
      }),
    );
}
