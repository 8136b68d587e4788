// `dvpn session tick`: print the preimage that pays a usage session through a tick.
import { Command } from 'commander';
import { CliError } from '../../errors.js';
import { hex, parseInteger, parsePubkey } from '../../format.js';
import { withContext } from '../../run.js';
import { chainFromState, readSessionState, recordRevealedTick, sessionStatePath } from '../../state.js';

export function sessionTickCommand(): Command {
  return new Command('tick')
    .argument('<SESSION>', 'Session address of one of your usage sessions')
    .argument('<TICK>', 'tick number to pay through (1..max ticks)')
    .description('Usage sessions (user side): print the preimage w_TICK that pays ticks up to TICK, to hand to the provider')
    .addHelpText('after', '\nExamples:\n  $ dvpn session tick 9qW2...Lm 25\n  $ dvpn session tick 9qW2...Lm 25 --json | jq -r .preimage')
    .action(
      withContext(async (ctx, arg: string, tickArg: string) => {
        const session = parsePubkey(arg, 'session');
        const state = readSessionState(session.toBase58());
        if (!state) throw new CliError(`no local secret for session ${session.toBase58()} in ${sessionStatePath(session.toBase58())}`);
        const tick = parseInteger(tickArg, 'TICK', 1n, BigInt(state.maxTicks));
        const preimage = chainFromState(state).preimage(tick);
        recordRevealedTick(session.toBase58(), tick);
        ctx.printRows({ session, tick, preimage }, null, [
          ['session', session],
          ['tick', tick],
          ['preimage', hex(preimage)],
        ]);
      }),
    );

}
