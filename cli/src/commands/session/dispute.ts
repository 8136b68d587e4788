// `dvpn session dispute`: freeze a session's escrow for the admin.
import { Command } from 'commander';
import { ix } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { parseInteger } from '../../format.js';
import { withContext } from '../../run.js';

export function sessionDisputeCommand(): Command {
  return new Command('dispute')
    .argument('<SESSION>', 'Session address')
    .description('User or provider: freeze the escrow for the admin to resolve (before the settle deadline); frees the node slot at once')
    .option('--reason <CODE>', 'reason code 0..255 (e.g. 1 = no service, 2 = overbilling, 3 = abuse)', '0')
    .addHelpText('after', '\nExamples:\n  $ dvpn session dispute 9qW2...Lm --reason 1')
    .action(
      withContext(async (ctx, arg: string, o: { reason: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const reason = Number(parseInteger(o.reason, '--reason', 0n, 255n));
        const res = await ctx.send([ix.raiseDispute({ signer: ctx.signer.publicKey, provider: s.provider, node: s.node, session: address, reason })]);
        ctx.printRows({ signature: res.signature, session: address, reason, events: res.events }, `Session ${address.toBase58()} disputed`, [
          ['reason', reason],
          ['signature', res.signature],
        ]);
      }),
    );

}
