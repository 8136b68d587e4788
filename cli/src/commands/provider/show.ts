// `dvpn provider show`: Show a provider: stake, unbonding, reputation, totals
import { Command } from 'commander';
import { findStakeVaultPda } from '@dvpn/sdk';
import { resolveProvider } from '../../accounts.js';
import { formatSol, formatUnits, isoTime } from '../../format.js';
import { withContext } from '../../run.js';

export function providerShowCommand(): Command {
  return new Command('show')
    .argument('[PROVIDER]', 'provider authority (wallet) or Provider account; default: your keypair')
    .description('Show a provider: stake, unbonding, reputation, totals')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider show\n  $ dvpn provider show 7xKX...9fQ --json')
    .action(
      withContext(async (ctx, arg: string | undefined) => {
        const { address, account: p } = await resolveProvider(ctx, arg);
        const [stakeVault] = findStakeVaultPda(address);
        const vaultLamports = BigInt(await ctx.connection.getBalance(stakeVault));
        const now = await ctx.clockNow();
        let earnedToken = `${p.totalEarnedToken} token base units`;
        try {
          const mint = (await ctx.config()).tokenMint;
          earnedToken = `${formatUnits(p.totalEarnedToken, await ctx.mintDecimals(mint))} USDC`;
        } catch {
          /* no Config or mint: base units */
        }
        let minStake: bigint | undefined;
        try {
          minStake = (await ctx.config()).minProviderStake;
        } catch {
          /* no Config */
        }
        const bookable = minStake === undefined ? undefined : p.stakeLamports >= minStake;
        const stars = p.ratingCount > 0 ? (1 + p.reputationScore / 500).toFixed(2) : 'unrated';
        ctx.printRows({ address, stakeVault, stakeVaultLamports: vaultLamports, ...p, bookable: bookable ?? null }, `Provider ${address.toBase58()}`, [
          ['authority', p.authority],
          ['stake', formatSol(p.stakeLamports)],
          ['unstaking', formatSol(p.unstakingLamports)],
          [
            'withdrawable at',
            p.unstakingLamports > 0n ? `${isoTime(p.unstakeAt)}${p.unstakeAt <= now ? ' (now)' : ` (in ${p.unstakeAt - now} s)`}` : undefined,
          ],
          ['slashed', formatSol(p.slashedLamports)],
          ['open disputes', p.openDisputes],
          [
            'locked by disputes',
            p.lockedLamports > 0n ? `${formatSol(p.lockedLamports)} (slashable until resolved; withdraw keeps it back beyond the active stake)` : undefined,
          ],
          ['bookable', bookable === undefined ? undefined : bookable ? 'yes' : `no: stake below the minimum of ${formatSol(minStake!)}`],
          ['stake vault', `${stakeVault.toBase58()} (${formatSol(vaultLamports)})`],
          ['nodes', p.nodeCount],
          ['sessions', p.totalSessions],
          ['uptime', `${p.totalUptimeSeconds} s`],
          ['earned (SOL)', formatSol(p.totalEarnedLamports)],
          ['earned (token)', earnedToken],
          ['reputation', `${p.reputationScore}/2000 (${stars}${p.ratingCount > 0 ? ` stars, ${p.ratingCount} ratings` : ''})`],
          ['registered', isoTime(p.registeredAt)],
        ]);
      }),
    );
}
