// `dvpn session claim`: provider claims what a session earned.
import { Command } from 'commander';
import { SessionMode, ix, verifyTick } from '@dvpn/sdk';
import { loadSession } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { parseHex32, parseInteger } from '../../format.js';
import { withContext } from '../../run.js';
import { chainFromState, readSessionState } from '../../state.js';
import { moneyOf, settlement, eventData } from './shared.js';

export function sessionClaimCommand(): Command {
  return new Command('claim')
    .argument('<SESSION>', 'Session address')
    .description('Provider: claim earned payment (time: elapsed seconds; usage: ticks proven by a preimage)')
    .option('--tick <N>', 'time: seconds since start to claim through (default: all elapsed); usage: tick to claim through (required)')
    .option('--preimage <HEX>', 'usage: the w_TICK the user revealed (default: from the local session secret, if this machine has it)')
    .option('--bytes-used <N>', 'traffic counter to record (never lower than the recorded one; default: unchanged)')
    .addHelpText(
      'after',
      `
Usage sessions: at most 512 ticks per claim, and the preimage must hash to
the last accepted proof.

Examples:
  $ dvpn session claim 9qW2...Lm                         # time session: everything elapsed so far
  $ dvpn session claim 9qW2...Lm --tick 40 --preimage 5e1c...9a --bytes-used 104857600
  $ dvpn session claim 9qW2...Lm --tick 40 --json`,
    )
    .action(
      withContext(async (ctx, arg: string, o: { tick?: string; preimage?: string; bytesUsed?: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        let tick: bigint;
        let preimage: Uint8Array | undefined;
        if (s.mode === SessionMode.Time) {
          if (o.tick !== undefined) tick = parseInteger(o.tick, '--tick');
          else {
            const now = await ctx.clockNow();
            const duration = s.endTs - s.startTs;
            const elapsed = now - s.startTs;
            tick = elapsed > duration ? duration : elapsed < 0n ? 0n : elapsed;
            if (tick <= s.lastTick) throw new CliError(`nothing to claim yet: already claimed through ${s.lastTick} s of ${duration} s`);
          }
        } else {
          if (o.tick === undefined) throw new CliError(`usage session: --tick N is required (claimed so far: ${s.lastTick} of ${s.maxTicks})`);
          tick = parseInteger(o.tick, '--tick');
          if (o.preimage) preimage = parseHex32(o.preimage, '--preimage');
          else {
            const state = readSessionState(address.toBase58());
            if (!state) {
              throw new CliError(`no preimage: pass --preimage HEX (the w_${tick} the user revealed); there is no local secret for this session`);
            }
            if (tick > BigInt(state.maxTicks)) throw new CliError(`--tick ${tick} is beyond the hash chain (${state.maxTicks} ticks)`);
            preimage = chainFromState(state).preimage(tick);
          }
          if (tick > s.lastTick && tick - s.lastTick <= 512n && !verifyTick(s.lastProofHash, s.lastTick, preimage, tick) && ctx.verbose) {
            process.stderr.write(`warning: the preimage does not verify against the last proof; sending anyway\n`);
          }
        }
        const bytesUsed = o.bytesUsed !== undefined ? parseInteger(o.bytesUsed, '--bytes-used') : s.bytesUsed;
        const claim = ix.claimChunk({
          authority: ctx.signer.publicKey,
          provider: base.provider,
          session: address,
          treasury: base.treasury,
          tick,
          preimage,
          bytesUsed,
          spl: spl ? { vault: spl.vault, providerToken: spl.providerToken, treasuryToken: spl.treasuryToken } : undefined,
        });
        const res = await ctx.send([...prepare.slice(1), claim]);
        const ev = eventData<{ tick: bigint; amount: bigint; providerAmount: bigint; fee: bigint; claimedAmount: bigint; remainingBalance: bigint }>(res, 'ChunkClaimed');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Claimed on ${address.toBase58()}`, [
          ['through', s.mode === SessionMode.Time ? `${tick} s` : `tick ${tick}`],
          ['amount', ev ? money.format(ev.amount) : undefined],
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['claimed total', ev ? money.format(ev.claimedAmount) : undefined],
          ['remaining', ev ? money.format(ev.remainingBalance) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

}
