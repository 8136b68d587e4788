// `dvpn session list`: sessions filtered by user, node or provider.
import { Command, Option } from 'commander';
import { listSessions, resolveProvider } from '../../accounts.js';
import { formatTable, isoTime, parsePubkey } from '../../format.js';
import { withContext } from '../../run.js';
import { modeName, stateName, moneyOf, sessionJson } from './shared.js';

export function sessionListCommand(): Command {
  return new Command('list')
    .description('List sessions, filtered by user, node or provider')
    .option('--user <PUBKEY>', 'sessions of this user wallet')
    .option('--mine', 'sessions of your keypair (same as --user <you>)')
    .option('--node <NODE>', 'sessions on this Node address')
    .option('--provider <PUBKEY>', 'sessions of this provider (authority wallet or Provider account)')
    .addOption(new Option('--state <STATE>', 'only this state').choices(['active', 'closing', 'closed', 'disputed', 'resolved']))
    .addHelpText(
      'after',
      '\nExamples:\n  $ dvpn session list --mine\n  $ dvpn session list --provider 7xKX...9fQ --state active\n  $ dvpn session list --node 5Fh3...Xk --json',
    )
    .action(
      withContext(async (ctx, o: { user?: string; mine?: boolean; node?: string; provider?: string; state?: string }) => {
        const user = o.mine ? ctx.signer.publicKey : o.user ? parsePubkey(o.user, '--user') : undefined;
        const node = o.node ? parsePubkey(o.node, '--node') : undefined;
        const provider = o.provider ? (await resolveProvider(ctx, o.provider)).address : undefined;
        let sessions = await listSessions(ctx, { user, node, provider });
        if (o.state) sessions = sessions.filter((s) => stateName(s.account.state).toLowerCase() === o.state);
        sessions.sort((a, b) => (a.account.startTs === b.account.startTs ? 0 : a.account.startTs < b.account.startTs ? -1 : 1));
        const rows: string[][] = [];
        for (const { address, account: s } of sessions) {
          const money = await moneyOf(ctx, s);
          rows.push([
            address.toBase58(),
            modeName(s.mode),
            stateName(s.state),
            s.user.toBase58(),
            money.format(s.escrowAmount),
            money.format(s.remainingBalance),
            isoTime(s.endTs),
          ]);
        }
        ctx.print(
          sessions.map(({ address, account }) => sessionJson(address, account)),
          rows.length === 0 ? 'No sessions found.' : formatTable(['SESSION', 'MODE', 'STATE', 'USER', 'ESCROW', 'REMAINING', 'ENDS'], rows),
        );
      }),
    );

}
