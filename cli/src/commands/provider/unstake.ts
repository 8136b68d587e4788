// `dvpn provider unstake`: Start unbonding part of your stake (withdrawable after the unbonding period; a new request restarts the clock)
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { resolveProvider } from '../../accounts.js';
import { formatSol, parseSol } from '../../format.js';
import { withContext } from '../../run.js';
import { printStake } from './shared.js';

export function providerUnstakeCommand(): Command {
  return new Command('unstake')
    .argument('<SOL>', 'amount of active stake to start unbonding')
    .description('Start unbonding part of your stake (withdrawable after the unbonding period; a new request restarts the clock)')
    .addHelpText('after', '\nWarns when the stake left is below the Config minimum (your nodes stop being bookable). Allowed during a dispute: unbonding stake stays slashable until it is withdrawn.\n\nExamples:\n  $ dvpn provider unstake 0.5\n  $ dvpn provider unstake 0.5 && sleep 604800 && dvpn provider withdraw')
    .action(
      withContext(async (ctx, amount: string) => {
        const lamports = parseSol(amount, 'SOL');
        const { account: p } = await resolveProvider(ctx);
        const config = await ctx.config();
        const left = p.stakeLamports - lamports;
        if (lamports <= p.stakeLamports && left < config.minProviderStake) {
          // stderr, so --json output stays one document.
          process.stderr.write(
            `warning: this leaves ${formatSol(left)} staked, below the minimum provider stake of ${formatSol(config.minProviderStake)}: ` +
              `your ${p.nodeCount} node(s) cannot be booked until you stake again\n`,
          );
        }
        const res = await ctx.send([ix.requestUnstake({ authority: ctx.signer.publicKey, amount: lamports })]);
        await printStake(ctx, 'Unstake requested', res);
      }),
    );
}
