// `dvpn dev warp`: moves the embedded runtime's clock forward (surfpool's
// surfnet_timeTravel cheatcode), e.g. to let a time session accrue or a settle window pass.
import { Command } from 'commander';
import { refuseOnMainnet } from '../cluster.js';
import { CliError } from '../errors.js';
import { isoTime, parseDuration } from '../format.js';
import { withContext } from '../run.js';

/** A century: far beyond any session or window, and the target stays an exact integer in milliseconds. */
const MAX_WARP_SECONDS = 36_500n * 86_400n;

export function devWarpCommand(): Command {
  return new Command('warp')
    .argument('<DURATION>', 'how far forward: seconds or 10m/12h/7d')
    .description("Move the dev cluster's clock forward (the embedded runtime of make dev / make chain only; forward only)")
    .addHelpText('after', '\nExamples:\n  $ dvpn dev warp 600\n  $ dvpn dev warp 1d --json')
    .action(
      withContext(async (ctx, durationText: string) => {
        const seconds = parseDuration(durationText, '<DURATION>');
        if (seconds === 0n) throw new CliError('<DURATION>: must be more than 0');
        if (seconds > MAX_WARP_SECONDS) throw new CliError(`<DURATION>: at most ${MAX_WARP_SECONDS / 86_400n} days in one warp`);
        await refuseOnMainnet(ctx.connection, ctx.rpcUrl, 'dev warp');
        const before = await ctx.clockNow();
        const target = before + seconds;
        const res = await fetch(ctx.rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'surfnet_timeTravel', params: [{ absoluteTimestamp: Number(target * 1000n) }] }),
        });
        const body = (await res.json().catch(() => ({}))) as { result?: { absoluteSlot?: number }; error?: { code?: number; message?: string } };
        if (body.error) {
          if (body.error.code === -32601) {
            throw new CliError(`this cluster (${ctx.rpcUrl}) cannot move its clock: only the embedded runtime of make dev / make chain has time travel`);
          }
          throw new CliError(`time travel failed: ${body.error.message ?? JSON.stringify(body.error)}`);
        }
        let now = before;
        for (let i = 0; i < 50 && now < target; i++) {
          await new Promise((r) => setTimeout(r, 100));
          now = await ctx.clockNow();
        }
        if (now < target) throw new CliError(`the clock did not reach ${isoTime(target)} (it reads ${isoTime(now)})`);
        ctx.printRows({ before, now, slot: body.result?.absoluteSlot ?? null }, `Clock moved forward ${seconds} s`, [
          ['before', isoTime(before)],
          ['now', isoTime(now)],
          ['slot', body.result?.absoluteSlot ?? null],
        ]);
      }),
    );
}
