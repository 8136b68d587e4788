import { Command } from 'commander';
import { StakeChangeKind, findProviderPda, findStakeVaultPda, ix } from '@dvpn/sdk';
import { resolveProvider } from '../accounts.js';
import { CliError } from '../errors.js';
import { formatSol, formatUnits, isoTime, parseSol } from '../format.js';
import { withContext } from '../run.js';
import type { Context } from '../context.js';

const stakeKindName = (k: number) => StakeChangeKind[k] ?? String(k);

async function printStake(ctx: Context, title: string, res: { signature: string; events: { name: string; data: unknown }[] }, withdraw = false) {
  const ev = res.events.find((e) => e.name === 'StakeChanged')?.data as
    | { kind: number; amount: bigint; stakeLamports: bigint; unstakingLamports: bigint; unstakeAt: bigint }
    | undefined;
  const value = { signature: res.signature, ...(ev ? { ...ev, kind: stakeKindName(ev.kind) } : {}), events: res.events };
  ctx.printRows(value, title, [
    ['amount', ev ? formatSol(ev.amount) : undefined],
    ['active stake', ev ? formatSol(ev.stakeLamports) : undefined],
    ['unstaking', ev ? formatSol(ev.unstakingLamports) : undefined],
    [
      withdraw ? 'kept back' : 'withdrawable at',
      ev && ev.unstakingLamports > 0n ? (withdraw ? 'the rest of the unstaking stake: open disputes could slash it (withdraw again once they are resolved)' : isoTime(ev.unstakeAt)) : undefined,
    ],
    ['signature', res.signature],
  ]);
}

export function providerCommand(): Command {
  const cmd = new Command('provider').description('Provider account of your keypair: registration and stake')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider register --stake 1\n  $ dvpn provider show\n  $ dvpn provider unstake 0.5 && dvpn provider withdraw   # withdraw after the unbonding period');

  cmd
    .command('register')
    .description('Register your keypair as a provider (creates the Provider and its stake vault)')
    .option('--stake <SOL>', 'also stake this much SOL in the same transaction')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider register\n  $ dvpn provider register --stake 2 --keypair ~/.config/solana/provider.json')
    .action(
      withContext(async (ctx, o: { stake?: string }) => {
        const authority = ctx.signer.publicKey;
        const ixs = [ix.registerProvider({ authority })];
        const stake = o.stake !== undefined ? parseSol(o.stake, '--stake') : 0n;
        if (stake > 0n) ixs.push(ix.stakeProvider({ authority, amount: stake }));
        const res = await ctx.send(ixs);
        const [provider] = findProviderPda(authority);
        const [stakeVault] = findStakeVaultPda(provider);
        ctx.printRows({ signature: res.signature, provider, authority, stakeVault, stakeLamports: stake, events: res.events }, 'Provider registered', [
          ['provider', provider],
          ['authority', authority],
          ['stake vault', stakeVault],
          ['stake', formatSol(stake)],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('show')
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

  cmd
    .command('stake')
    .argument('<SOL>', 'amount of SOL to add to your stake')
    .description('Move SOL from your wallet into your stake vault')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider stake 1.5')
    .action(
      withContext(async (ctx, amount: string) => {
        const lamports = parseSol(amount, 'SOL');
        if (lamports === 0n) throw new CliError('stake amount must be greater than zero');
        await resolveProvider(ctx);
        const res = await ctx.send([ix.stakeProvider({ authority: ctx.signer.publicKey, amount: lamports })]);
        await printStake(ctx, 'Staked', res);
      }),
    );

  cmd
    .command('unstake')
    .argument('<SOL>', 'amount of active stake to start unbonding')
    .description('Start unbonding part of your stake (withdrawable after the unbonding period; a new request restarts the clock)')
    .addHelpText('after', '\nWarns when the stake left is below the Config minimum (your nodes stop being bookable). Allowed during a dispute: unbonding stake stays slashable until it is withdrawn.\n\nExamples:\n  $ dvpn provider unstake 0.5\n  $ dvpn provider unstake 0.5 && sleep 604800 && dvpn provider withdraw')
    .action(
      withContext(async (ctx, amount: string) => {
        const lamports = parseSol(amount, 'SOL');
        const { account: p } = await resolveProvider(ctx);
        const config = await ctx.config();
        const left = p.stakeLamports - lamports;
        if (lamports <= p.stakeLamports && left < config.minProviderStake) {
          // stderr, so --json output stays one document.
          process.stderr.write(
            `warning: this leaves ${formatSol(left)} staked, below the minimum provider stake of ${formatSol(config.minProviderStake)}: ` +
              `your ${p.nodeCount} node(s) cannot be booked until you stake again\n`,
          );
        }
        const res = await ctx.send([ix.requestUnstake({ authority: ctx.signer.publicKey, amount: lamports })]);
        await printStake(ctx, 'Unstake requested', res);
      }),
    );

  cmd
    .command('withdraw')
    .description('Withdraw the unbonded lamports to your wallet (after the unbonding period; open disputes keep back what they could slash)')
    .addHelpText(
      'after',
      '\nWhile disputes against you are open, the part of their lock (locked in provider show) beyond your active stake stays in the vault until they are resolved; StakeLockedByDispute when nothing can leave.\n\nExamples:\n  $ dvpn provider withdraw',
    )
    .action(
      withContext(async (ctx) => {
        await resolveProvider(ctx);
        const res = await ctx.send([ix.withdrawStake({ authority: ctx.signer.publicKey })]);
        await printStake(ctx, 'Stake withdrawn', res, true);
      }),
    );
  return cmd;
}
