// `dvpn session rate`: user rates the provider after the session.
import { Command } from 'commander';
import { fetchProvider, ix, ratingWeight } from '@dvpn/sdk';
import { isTokenSession, loadSession } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { parseInteger } from '../../format.js';
import { withContext } from '../../run.js';
import { moneyOf, eventData } from './shared.js';

export function sessionRateCommand(): Command {
  return new Command('rate')
    .argument('<SESSION>', 'Session address (yours, ended)')
    .argument('<RATING>', '1 (worst) .. 5 (best)')
    .description("User: rate the provider once after the session ended (updates the provider's reputation; only sessions that paid at least the Config minimum count, weighted by what they paid)")
    .addHelpText('after', '\nExamples:\n  $ dvpn session rate 9qW2...Lm 5')
    .action(
      withContext(async (ctx, arg: string, ratingArg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const rating = Number(parseInteger(ratingArg, 'RATING', 1n, 5n));
        const me = ctx.signer.publicKey;
        const provider = await fetchProvider(ctx.connection, s.provider);
        if (provider && provider.authority.equals(me)) throw new CliError('SelfRating — a provider cannot rate its own session');
        const config = await ctx.config();
        const minimum = isTokenSession(s) ? config.minRatingToken : config.minRatingLamports;
        if (ratingWeight(s.claimedAmount, minimum) === 0n) {
          const money = await moneyOf(ctx, s);
          throw new CliError(
            `RatingNotEarned — the session paid the provider ${money.format(s.claimedAmount)}, less than the ${money.format(minimum)} a rating needs (Config minimum)`,
          );
        }
        const res = await ctx.send([ix.updateReputation({ user: me, provider: s.provider, session: address, rating })]);
        const ev = eventData<{ reputationScore: number; ratingCount: number }>(res, 'ReputationUpdated');
        ctx.printRows({ signature: res.signature, session: address, rating, ...(ev ?? {}), events: res.events }, `Rated ${rating}/5`, [
          ['provider', s.provider],
          ['reputation', ev ? `${ev.reputationScore}/2000 after ${ev.ratingCount} ratings` : undefined],
          ['signature', res.signature],
        ]);
      }),
    );
}
