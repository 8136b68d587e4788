// `dvpn node show`: Show a node: endpoint, prices, capacity, totals
import { Command } from 'commander';
import { resolveNode } from '../../accounts.js';
import { withContext } from '../../run.js';
import { printNode } from './shared.js';

export function nodeShowCommand(): Command {
  return new Command('show')
    .argument('<NODE>', 'Node address, or the node id (0, 1, ...) of your provider')
    .description('Show a node: endpoint, prices, capacity, totals')
    .addHelpText('after', '\nExamples:\n  $ dvpn node show 5Fh3...Xk\n  $ dvpn node show 0 --keypair provider.json --json')
    .action(
      withContext(async (ctx, nodeArg: string) => {
        const { address, account } = await resolveNode(ctx, nodeArg);
        await printNode(ctx, address, account, `Node ${address.toBase58()}`);
      }),
    );
}
