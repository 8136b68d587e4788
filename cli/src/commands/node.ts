// `dvpn node`: VPN nodes of a provider; one file per subcommand in node/.
import { Command } from 'commander';
import { nodeRegisterCommand } from './node/register.js';
import { nodeUpdateCommand } from './node/update.js';
import { nodeShowCommand } from './node/show.js';
import { nodeListCommand } from './node/list.js';

export function nodeCommand(): Command {
  const cmd = new Command('node').description('VPN nodes of a provider: register, update, inspect, browse')
    .addHelpText('after', '\nExamples:\n  $ dvpn node register --endpoint vpn.example.net:51820 --region eu-west --price-sol 0.0001 --capacity 20 --wg-pubkey <KEY>\n  $ dvpn node list --available\n  $ dvpn node update 0 --inactive');
  cmd.addCommand(nodeRegisterCommand());
  cmd.addCommand(nodeUpdateCommand());
  cmd.addCommand(nodeShowCommand());
  cmd.addCommand(nodeListCommand());
  return cmd;
}
