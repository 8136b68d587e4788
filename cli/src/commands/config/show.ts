// `dvpn config show`: Print the Config
import { Command } from 'commander';
import { fetchConfig, findConfigPda } from '@dvpn/sdk';
import { CliError } from '../../errors.js';
import type { Row } from '../../format.js';
import { withContext } from '../../run.js';
import { PublicKeyDefault, valueRows, decimalsOf } from './shared.js';

export function configShowCommand(): Command {
  return new Command('show')
    .description('Print the Config')
    .addHelpText('after', '\nExamples:\n  $ dvpn config show\n  $ dvpn config show --json | jq .protocolFeeBps')
    .action(
      withContext(async (ctx) => {
        const [address] = findConfigPda();
        const config = await fetchConfig(ctx.connection);
        if (!config) throw new CliError('the dvpn Config is not initialized on this cluster (run: dvpn config init)');
        const decimals = await decimalsOf(ctx, config.tokenMint);
        const pending = config.pendingAdmin.equals(PublicKeyDefault) ? null : config.pendingAdmin;
        const rows: Row[] = [
          ['admin', config.admin],
          ['pending admin', pending],
          ['treasury', config.treasury],
          ['token mint', config.tokenMint],
          ...valueRows(config, decimals),
        ];
        ctx.printRows({ address, ...config, pendingAdmin: pending }, `Config ${address.toBase58()}`, rows);
      }),
    );
}
