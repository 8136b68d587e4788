// `dvpn node list`: List nodes (all providers unless --provider), cheapest first
import { Command } from 'commander';
import { listNodes, resolveProvider } from '../../accounts.js';
import { formatSol, formatTable } from '../../format.js';
import { withContext } from '../../run.js';
import { tokenFormat, nodeJson } from './shared.js';

export function nodeListCommand(): Command {
  return new Command('list')
    .description('List nodes (all providers unless --provider), cheapest first')
    .option('--provider <PUBKEY>', 'only this provider (authority wallet or Provider account)')
    .option('--region <REGION>', 'only this region')
    .option('--active', 'only nodes accepting sessions')
    .option('--available', 'only active nodes with free capacity')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dvpn node list --available --region eu-west\n  $ dvpn node list --provider 7xKX...9fQ --json | jq ".[].address"',
    )
    .action(
      withContext(async (ctx, o: { provider?: string; region?: string; active?: boolean; available?: boolean }) => {
        const provider = o.provider ? (await resolveProvider(ctx, o.provider)).address : undefined;
        let nodes = await listNodes(ctx, { provider });
        if (o.region) nodes = nodes.filter((n) => n.account.region === o.region);
        if (o.active || o.available) nodes = nodes.filter((n) => n.account.isActive);
        if (o.available) nodes = nodes.filter((n) => n.account.activeSessions < n.account.maxCapacity);
        nodes.sort((a, b) =>
          a.account.pricePerMinute === b.account.pricePerMinute
            ? a.address.toBase58().localeCompare(b.address.toBase58())
            : a.account.pricePerMinute < b.account.pricePerMinute ? -1 : 1,
        );
        const token = await tokenFormat(ctx);
        const human =
          nodes.length === 0
            ? 'No nodes found.'
            : formatTable(
                ['NODE', 'ID', 'REGION', 'ENDPOINT', 'SOL/MIN', 'USDC/MIN', 'SOL/TICK', 'USDC/TICK', 'SESSIONS', 'ACTIVE'],
                nodes.map(({ address, account: n }) => [
                  address.toBase58(),
                  n.nodeId.toString(),
                  n.region,
                  n.endpoint,
                  formatSol(n.pricePerMinute).replace(' SOL', ''),
                  n.pricePerMinuteToken > 0n ? token.format(n.pricePerMinuteToken).replace(' USDC', '') : '-',
                  n.pricePerTick > 0n ? formatSol(n.pricePerTick).replace(' SOL', '') : '-',
                  n.pricePerTickToken > 0n ? token.format(n.pricePerTickToken).replace(' USDC', '') : '-',
                  `${n.activeSessions}/${n.maxCapacity}`,
                  n.isActive ? 'yes' : 'no',
                ]),
              );
        ctx.print(nodes.map(({ address, account }) => nodeJson(address, account)), human);
      }),
    );
}
