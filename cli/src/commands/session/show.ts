// `dvpn session show`: one session: payment, progress, state, deadlines.
import { Command } from 'commander';
import { SessionMode, SessionState, disputeDeadline, settleDeadline, timeEarned } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { formatSol, isoTime, type Row } from '../../format.js';
import { withContext } from '../../run.js';
import { readSessionState, sessionStatePath } from '../../state.js';
import { modeName, stateName, moneyOf, sessionJson } from './shared.js';

export function sessionShowCommand(): Command {
  return new Command('show')
    .argument('<SESSION>', 'Session address')
    .description('Show a session: payment, progress, state, settle deadline')
    .addHelpText('after', '\nExamples:\n  $ dvpn session show 9qW2...Lm\n  $ dvpn session show 9qW2...Lm --json | jq .remainingBalance')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const now = await ctx.clockNow();
        const deadline = settleDeadline(s);
        const disputeEnd = s.state === SessionState.Disputed ? disputeDeadline(s) : undefined;
        const duration = s.endTs - s.startTs;
        const elapsed = now - s.startTs < 0n ? 0n : now - s.startTs > duration ? duration : now - s.startTs;
        const earnedNow = s.mode === SessionMode.Time ? timeEarned(s.escrowAmount, duration, elapsed) : undefined;
        const local = readSessionState(address.toBase58());
        const rows: Row[] = [
          ['state', stateName(s.state)],
          ['mode', modeName(s.mode)],
          ['user', s.user],
          ['node', s.node],
          ['provider', s.provider],
          ['session id', s.sessionId],
          ['escrow', money.format(s.escrowAmount)],
          ['claimed', `${money.format(s.claimedAmount)} (fee ${money.format(s.feeAmount)})`],
          ['refunded', money.format(s.refundedAmount)],
          ['remaining', money.format(s.remainingBalance)],
          ['started', isoTime(s.startTs)],
          ['ends', `${isoTime(s.endTs)}${now >= s.endTs ? ' (ended)' : ` (in ${s.endTs - now} s)`}`],
          ['closed at', s.closedAt > 0n ? isoTime(s.closedAt) : undefined],
          ['settle deadline', `${isoTime(deadline)} (settle window ${s.settleWindowSeconds} s)`],
          ['terms', `fee ${s.protocolFeeBps} bps, dispute window ${s.disputeWindowSeconds} s${s.mode === SessionMode.Usage ? `, idle timeout ${s.idleTimeoutSeconds} s` : ''}`],
          ['dispute deadline', disputeEnd !== undefined ? `${isoTime(disputeEnd)} (then anyone may settle it by the default rule: dvpn session payout)` : undefined],
          [s.mode === SessionMode.Time ? 'claimed through' : 'ticks claimed', s.mode === SessionMode.Time ? `${s.lastTick} s` : `${s.lastTick} / ${s.maxTicks}`],
          ['tick amount', s.mode === SessionMode.Usage ? money.format(s.tickAmount) : undefined],
          ['earned so far', earnedNow !== undefined ? money.format(earnedNow) : undefined],
          ['bytes used', s.bytesUsed],
          ['disputed by', s.state === SessionState.Disputed || s.state === SessionState.Resolved ? s.disputedBy : undefined],
          ['dispute reason', s.state === SessionState.Disputed || s.state === SessionState.Resolved ? s.disputeReason : undefined],
          ['dispute lock', s.state === SessionState.Disputed ? `${formatSol(s.disputeLock)} of the provider stake (the most the admin may slash)` : undefined],
          ['rated', s.rated],
          ['local secret', local ? sessionStatePath(address.toBase58()) : undefined],
        ];
        ctx.printRows(
          sessionJson(address, s, {
            currency: money.symbol,
            now,
            settleDeadline: deadline,
            disputeDeadline: disputeEnd ?? null,
            earnedNow: earnedNow ?? null,
            stateFile: local ? sessionStatePath(address.toBase58()) : null,
          }),
          `Session ${address.toBase58()}`,
          rows,
        );
      }),
    );

}
