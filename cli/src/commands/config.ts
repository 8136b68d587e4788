// `dvpn config`: the protocol Config; one file per subcommand in config/.
import { Command } from 'commander';
import { configInitCommand } from './config/init.js';
import { configUpdateCommand } from './config/update.js';
import { configAcceptAdminCommand } from './config/accept-admin.js';
import { configShowCommand } from './config/show.js';

export function configCommand(): Command {
  const cmd = new Command('config').description('The protocol Config (admin, treasury, fee, stake, time windows, rating and slash limits)')
    .addHelpText('after', '\nExamples:\n  $ dvpn config init --treasury <WALLET> --mint <USDC_MINT>\n  $ dvpn config show --json');
  cmd.addCommand(configInitCommand());
  cmd.addCommand(configUpdateCommand());
  cmd.addCommand(configAcceptAdminCommand());
  cmd.addCommand(configShowCommand());
  return cmd;
}
