// `dvpn session open`: open a session on a node, escrowing the payment.
import { Command, Option } from 'commander';
import { resolveNode } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { isoTime, parseInteger } from '../../format.js';
import { checkDuration, openSessionOnNode, type OpenSessionFlags } from '../../open-session.js';
import { withContext } from '../../run.js';
import { SOL_MONEY, tokenMoney, eventData } from './shared.js';

interface OpenOpts extends OpenSessionFlags {
  node: string;
}

export function sessionOpenCommand(): Command {
  return new Command('open')
    .description('Open a session on a node, escrowing the payment (SOL or USDC)')
    .requiredOption('--node <NODE>', 'Node address (see: dvpn node list --available)')
    .addOption(new Option('--sol', 'pay in SOL').conflicts('usdc'))
    .addOption(new Option('--usdc', 'pay in the Config token (USDC)').conflicts('sol'))
    .option('--minutes <N>', 'time session: minutes bought; usage session: maximum duration')
    .option('--usage', "usage session paid per tick through a hash chain at the node's price per tick (needs --ticks)")
    .option('--ticks <N>', 'usage: number of ticks escrowed (hash chain length)')
    .option('--tick-amount <AMOUNT>', "usage: the price per tick you expect, in SOL or USDC; refused unless it is the node's (default: the node's price)")
    .addHelpText(
      'after',
      `
Time sessions pay price-per-minute x minutes into escrow (at most 366 days);
the provider earns it pro rata and closing early refunds the rest. Usage
sessions escrow ticks x the node's price per tick (at most 30 days); the
hash-chain secret is stored in
$DVPN_HOME/sessions/<session>.json (default ~/.config/dvpn/sessions, mode 0600)
and each tick is paid by revealing the next preimage (dvpn session tick).

Examples:
  $ dvpn session open --node 5Fh3...Xk --sol --minutes 30
  $ dvpn session open --node 5Fh3...Xk --usdc --minutes 60 --json
  $ dvpn session open --node 5Fh3...Xk --sol --usage --ticks 1000 --minutes 120
  $ dvpn session open --node 5Fh3...Xk --sol --usage --ticks 1000 --tick-amount 0.00001 --minutes 120   # refused if the price changed

The session id is your wallet's next session id (UserState.next_session_id;
the program requires it, so a session address never repeats); when another
open takes it first, the CLI reads it again and retries once.`,
    )
    .action(
      withContext(async (ctx, o: OpenOpts) => {
        if (!o.sol && !o.usdc) throw new CliError('choose how to pay: --sol or --usdc');
        if (!o.minutes) throw new CliError(o.usage ? '--minutes is required (the maximum duration of the usage session)' : '--minutes is required');
        const durationMinutes = Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn));
        if (!o.usage && (o.ticks || o.tickAmount)) throw new CliError('--ticks and --tick-amount need --usage');
        if (o.usage && !o.ticks) throw new CliError('--usage needs --ticks N');
        checkDuration(durationMinutes, !!o.usage);

        const { address: node, account: found } = await resolveNode(ctx, o.node);
        const user = ctx.signer.publicKey;
        const config = o.usdc ? await ctx.config() : undefined;
        const money = config ? await tokenMoney(ctx, config.tokenMint) : SOL_MONEY;
        let wantUsage: { maxTicks: bigint; tickAmount?: bigint } | undefined;
        if (o.usage) {
          const maxTicks = parseInteger(o.ticks!, '--ticks', 1n, BigInt(Number.MAX_SAFE_INTEGER));
          const tickAmount = o.tickAmount !== undefined ? money.parse(o.tickAmount, '--tick-amount') : undefined;
          wantUsage = { maxTicks, tickAmount };
        }
        const { plan, res, nodeAcc, usage } = await openSessionOnNode(
          ctx,
          { node, durationMinutes, config, decimals: money.decimals, usage: wantUsage },
          found,
        );
        const { session, sessionId, statePath } = plan;
        const ev = eventData<{ escrowAmount: bigint; startTs: bigint; endTs: bigint; nodeActiveSessions: number }>(res, 'SessionOpened');
        ctx.printRows(
          {
            signature: res.signature,
            session,
            sessionId,
            node,
            provider: nodeAcc.provider,
            user,
            mode: usage ? 'Usage' : 'Time',
            currency: money.symbol,
            tickAmount: usage?.tickAmount ?? null,
            escrowAmount: ev?.escrowAmount,
            startTs: ev?.startTs,
            endTs: ev?.endTs,
            stateFile: statePath ?? null,
            events: res.events,
          },
          `Session ${session.toBase58()} opened`,
          [
            ['mode', usage ? `usage (${usage.maxTicks} ticks x ${money.format(usage.tickAmount)})` : `time (${durationMinutes} min)`],
            ['node', `${node.toBase58()} (${nodeAcc.endpoint}, ${nodeAcc.region})`],
            ['session id', sessionId],
            ['escrow', ev ? money.format(ev.escrowAmount) : undefined],
            ['starts', ev ? isoTime(ev.startTs) : undefined],
            ['ends', ev ? isoTime(ev.endTs) : undefined],
            ['secret stored in', statePath],
            ['signature', res.signature],
          ],
        );
      }),
    );

}
