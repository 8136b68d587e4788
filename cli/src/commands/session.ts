// `dvpn session`: VPN sessions; one file per subcommand in session/.
import { Command } from 'commander';
import { sessionOpenCommand } from './session/open.js';
import { sessionShowCommand } from './session/show.js';
import { sessionListCommand } from './session/list.js';
import { sessionTickCommand } from './session/tick.js';
import { sessionClaimCommand } from './session/claim.js';
import { sessionCloseCommand } from './session/close.js';
import { sessionPayoutCommand } from './session/payout.js';
import { sessionDisputeCommand } from './session/dispute.js';
import { sessionResolveCommand } from './session/resolve.js';
import { sessionRateCommand } from './session/rate.js';

export function sessionCommand(): Command {
  const cmd = new Command('session').description('VPN sessions: open and pay, inspect, settle, dispute, rate')
    .addHelpText('after', '\nExamples:\n  $ dvpn session open --node <NODE> --sol --minutes 30\n  $ dvpn session show <SESSION>\n  $ dvpn session close <SESSION> && dvpn session payout <SESSION>\n  $ dvpn session claim <SESSION>        # provider: claim what was earned so far');

  cmd.addCommand(sessionOpenCommand());
  cmd.addCommand(sessionShowCommand());
  cmd.addCommand(sessionListCommand());
  cmd.addCommand(sessionTickCommand());
  cmd.addCommand(sessionClaimCommand());
  cmd.addCommand(sessionCloseCommand());
  cmd.addCommand(sessionPayoutCommand());
  cmd.addCommand(sessionDisputeCommand());
  cmd.addCommand(sessionResolveCommand());
  cmd.addCommand(sessionRateCommand());
  return cmd;
}
