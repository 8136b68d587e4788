// The `dvpn` command tree (commander); main.ts runs it.
import { Command, Option } from 'commander';
import { airdropCommand } from './commands/airdrop.js';
import { configCommand } from './commands/config.js';
import { connectCommand } from './commands/connect.js';
import { devCommand } from './commands/dev.js';
import { keygenCommand } from './commands/keygen.js';
import { nodeCommand } from './commands/node.js';
import { providerCommand } from './commands/provider.js';
import { sessionCommand } from './commands/session.js';

export function buildProgram(): Command {
  const program = new Command('dvpn')
    .description('DVPN: decentralized VPN marketplace on Solana — providers, nodes, sessions')
    .version('0.1.0')
    .addOption(new Option('-u, --url <URL>', 'cluster JSON-RPC URL (default: http://127.0.0.1:8899)').env('SOLANA_RPC_URL'))
    .addOption(new Option('--ws-url <URL>', 'cluster websocket URL (default: derived from --url)').env('SOLANA_WS_URL'))
    .addOption(new Option('-k, --keypair <PATH>', 'signer keypair file, Solana CLI JSON (default: ~/.config/solana/id.json)').env('DVPN_KEYPAIR'))
    .option('--json', 'machine-readable JSON output (amounts as strings of base units)')
    .option('-v, --verbose', 'print program logs when a transaction fails')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Amounts are given in SOL or USDC (e.g. 0.5); --json prints base units
(lamports, token units) as strings. Usage-session secrets live in
$DVPN_HOME/sessions (default ~/.config/dvpn/sessions).

Examples:
  $ dvpn --url https://api.devnet.solana.com node list --available
  $ dvpn provider register --stake 1 --keypair provider.json
  $ dvpn session open --node 5Fh3...Xk --sol --minutes 30
  $ dvpn session show 9qW2...Lm --json`,
    );
  program.addCommand(configCommand());
  program.addCommand(providerCommand());
  program.addCommand(nodeCommand());
  program.addCommand(sessionCommand());
  program.addCommand(connectCommand());
  program.addCommand(keygenCommand());
  program.addCommand(airdropCommand());
  program.addCommand(devCommand());
  return program;
}
