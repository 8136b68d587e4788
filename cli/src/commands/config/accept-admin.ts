// `dvpn config accept-admin`: The proposed admin (Config pending admin) signs to become the admin
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { CliError } from '../../errors.js';
import { withContext } from '../../run.js';
import { PublicKeyDefault } from './shared.js';

export function configAcceptAdminCommand(): Command {
  return new Command('accept-admin')
    .description('The proposed admin (Config pending admin) signs to become the admin')
    .addHelpText('after', '\nExamples:\n  $ dvpn config accept-admin --keypair new-admin.json')
    .action(
      withContext(async (ctx) => {
        const current = await ctx.config();
        const me = ctx.signer.publicKey;
        if (current.pendingAdmin.equals(PublicKeyDefault)) throw new CliError('no admin transfer is pending (the admin proposes one with: dvpn config update --new-admin <PUBKEY>)');
        if (!current.pendingAdmin.equals(me)) {
          throw new CliError(`NotPendingAdmin — the proposed admin is ${current.pendingAdmin.toBase58()}, not your keypair ${me.toBase58()}`);
        }
        const res = await ctx.send([ix.acceptAdmin({ newAdmin: me })]);
        ctx.printRows({ signature: res.signature, admin: me, previousAdmin: current.admin, events: res.events }, 'Admin transferred', [
          ['admin', me],
          ['previous admin', current.admin],
          ['signature', res.signature],
        ]);
      }),
    );
}
