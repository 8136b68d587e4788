// `dvpn config update`: Admin only: change Config values (unspecified values are kept); --new-admin only proposes, the new admin runs accept-admin
import { Command } from 'commander';
import { fetchConfig, ix } from '@dvpn/sdk';
import { parsePubkey } from '../../format.js';
import { withContext } from '../../run.js';
import { type ConfigOpts, PublicKeyDefault, configValues, valueRows, WINDOW_OPTS, decimalsOf } from './shared.js';

export function configUpdateCommand(): Command {
  return WINDOW_OPTS(
    new Command('update')
      .description('Admin only: change Config values (unspecified values are kept); --new-admin only proposes, the new admin runs accept-admin')
      .option('--new-admin <PUBKEY>', 'propose another wallet as admin (it must run `dvpn config accept-admin`); your own key cancels a proposal')
      .option('--treasury <PUBKEY>', 'new treasury wallet')
      .option('--mint <PUBKEY>', 'new accepted token mint'),
    false,
  )
    .addHelpText(
      'after',
      '\nNew values apply to sessions opened later; open sessions keep the fee and windows they were opened under.\n\nExamples:\n  $ dvpn config update --fee-bps 300\n  $ dvpn config update --new-admin 9aE4...Qx --settle-window 2d',
    )
    .action(
      withContext(async (ctx, o: ConfigOpts) => {
        const current = await ctx.config();
        const newAdmin = o.newAdmin ? parsePubkey(o.newAdmin, '--new-admin') : current.pendingAdmin.equals(PublicKeyDefault) ? current.admin : current.pendingAdmin;
        const treasury = o.treasury ? parsePubkey(o.treasury, '--treasury') : current.treasury;
        const tokenMint = o.mint ? parsePubkey(o.mint, '--mint') : current.tokenMint;
        const decimals = o.mint ? await ctx.mintDecimals(tokenMint) : await decimalsOf(ctx, tokenMint);
        const values = configValues(o, decimals, current);
        const res = await ctx.send([ix.updateConfig({ admin: ctx.signer.publicKey, newAdmin, treasury, tokenMint, ...values })]);
        const after = await fetchConfig(ctx.connection);
        const pendingAdmin = after && !after.pendingAdmin.equals(PublicKeyDefault) ? after.pendingAdmin : null;
        ctx.printRows(
          { signature: res.signature, admin: after?.admin ?? current.admin, pendingAdmin, treasury, tokenMint, ...values, events: res.events },
          'Config updated',
          [
            ['admin', after?.admin ?? current.admin],
            ['pending admin', pendingAdmin ? `${pendingAdmin.toBase58()} (must run: dvpn config accept-admin)` : null],
            ['treasury', treasury],
            ['token mint', tokenMint],
            ...valueRows(values, decimals),
            ['signature', res.signature],
          ],
        );
      }),
    );
}
