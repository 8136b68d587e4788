// `dvpn provider`: the provider account and its stake; one file per subcommand in provider/.
import { Command } from 'commander';
import { providerRegisterCommand } from './provider/register.js';
import { providerShowCommand } from './provider/show.js';
import { providerStakeCommand } from './provider/stake.js';
import { providerUnstakeCommand } from './provider/unstake.js';
import { providerWithdrawCommand } from './provider/withdraw.js';

export function providerCommand(): Command {
  const cmd = new Command('provider').description('Provider account of your keypair: registration and stake')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider register --stake 1\n  $ dvpn provider show\n  $ dvpn provider unstake 0.5 && dvpn provider withdraw   # withdraw after the unbonding period');
  cmd.addCommand(providerRegisterCommand());
  cmd.addCommand(providerShowCommand());
  cmd.addCommand(providerStakeCommand());
  cmd.addCommand(providerUnstakeCommand());
  cmd.addCommand(providerWithdrawCommand());
  return cmd;
}
