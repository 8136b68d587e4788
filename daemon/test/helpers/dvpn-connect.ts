// A minimal `dvpn` with the global options of the CLI and the connect command
// only, for the tunnel test (independent of how cli/src/main.ts is wired).
import { Command, Option } from 'commander';
import { registerConnect } from '../../../cli/src/commands/connect.js';
import { describeError } from '../../../cli/src/errors.js';

const program = new Command('dvpn')
  .addOption(new Option('-u, --url <URL>', 'cluster JSON-RPC URL').env('SOLANA_RPC_URL'))
  .addOption(new Option('--ws-url <URL>', 'cluster websocket URL').env('SOLANA_WS_URL'))
  .addOption(new Option('-k, --keypair <PATH>', 'signer keypair file').env('DVPN_KEYPAIR'))
  .option('--json', 'JSON output')
  .option('-v, --verbose', 'verbose');
registerConnect(program);
try {
  await program.parseAsync(process.argv);
  process.stdout.write('', () => process.exit(0));
} catch (err) {
  const { message } = describeError(err);
  process.stderr.write(`Error: ${message}\n`);
  process.stdout.write(`${JSON.stringify({ event: 'error', message })}\n`, () => process.exit(1));
}
