import { Command } from 'commander';
import { fetchConfig, findConfigPda, ix, MAX_PROTOCOL_FEE_BPS } from '@dvpn/sdk';
import { CliError } from '../errors.js';
import { formatSol, parseDuration, parseInteger, parsePubkey, parseSol, type Row } from '../format.js';
import { withContext } from '../run.js';

interface ConfigOpts {
  treasury?: string;
  mint?: string;
  feeBps?: string;
  minStake?: string;
  unbonding?: string;
  settleWindow?: string;
  newAdmin?: string;
}

function configValues(o: ConfigOpts, current?: { protocolFeeBps: number; minProviderStake: bigint; unbondingSeconds: bigint; settleWindowSeconds: bigint }) {
  const protocolFeeBps = o.feeBps !== undefined ? Number(parseInteger(o.feeBps, '--fee-bps', 0n, 65535n)) : current?.protocolFeeBps ?? 250;
  if (protocolFeeBps > MAX_PROTOCOL_FEE_BPS) throw new CliError(`--fee-bps: at most ${MAX_PROTOCOL_FEE_BPS} (10%)`);
  return {
    protocolFeeBps,
    minProviderStake: o.minStake !== undefined ? parseSol(o.minStake, '--min-stake') : current?.minProviderStake ?? 1_000_000_000n,
    unbondingSeconds: o.unbonding !== undefined ? parseDuration(o.unbonding, '--unbonding') : current?.unbondingSeconds ?? 7n * 86_400n,
    settleWindowSeconds: o.settleWindow !== undefined ? parseDuration(o.settleWindow, '--settle-window') : current?.settleWindowSeconds ?? 86_400n,
  };
}

export function configCommand(): Command {
  const cmd = new Command('config').description('The protocol Config (admin, treasury, fee, stake and time windows)')
    .addHelpText('after', '\nExamples:\n  $ dvpn config init --treasury <WALLET> --mint <USDC_MINT>\n  $ dvpn config show --json');

  cmd
    .command('init')
    .description('Create the Config; your keypair becomes the admin (dispute resolver). Once per cluster.')
    .requiredOption('--treasury <PUBKEY>', 'wallet that receives protocol fees (SOL, and its token account for USDC)')
    .requiredOption('--mint <PUBKEY>', 'accepted payment token mint (USDC)')
    .option('--fee-bps <N>', 'protocol fee in basis points, at most 1000 (default 250 = 2.5%)')
    .option('--min-stake <SOL>', 'minimum provider stake to run nodes, in SOL (default 1)')
    .option('--unbonding <DURATION>', 'wait between unstake request and withdrawal: seconds or 10m/12h/7d (default 7d)')
    .option('--settle-window <DURATION>', 'time after a session ends for claims and disputes (default 1d)')
    .addHelpText(
      'after',
      `
Examples:
  $ dvpn config init --treasury 7xKX...9fQ --mint EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v
  $ dvpn config init --treasury 7xKX...9fQ --mint <MINT> --fee-bps 100 --min-stake 5 --unbonding 3d --settle-window 12h --json`,
    )
    .action(
      withContext(async (ctx, o: ConfigOpts) => {
        const values = configValues(o);
        const treasury = parsePubkey(o.treasury!, '--treasury');
        const tokenMint = parsePubkey(o.mint!, '--mint');
        const admin = ctx.signer.publicKey;
        const res = await ctx.send([ix.initializeConfig({ admin, treasury, tokenMint, ...values })]);
        const [config] = findConfigPda();
        ctx.printRows(
          { signature: res.signature, config, admin, treasury, tokenMint, ...values, events: res.events },
          `Config initialized: ${config.toBase58()}`,
          [
            ['admin', admin],
            ['treasury', treasury],
            ['token mint', tokenMint],
            ['protocol fee', `${values.protocolFeeBps} bps`],
            ['min stake', formatSol(values.minProviderStake)],
            ['unbonding', `${values.unbondingSeconds} s`],
            ['settle window', `${values.settleWindowSeconds} s`],
            ['signature', res.signature],
          ],
        );
      }),
    );

  cmd
    .command('update')
    .description('Admin only: change Config values (unspecified values are kept)')
    .option('--new-admin <PUBKEY>', 'hand the admin role to another wallet')
    .option('--treasury <PUBKEY>', 'new treasury wallet')
    .option('--mint <PUBKEY>', 'new accepted token mint')
    .option('--fee-bps <N>', 'protocol fee in basis points (at most 1000)')
    .option('--min-stake <SOL>', 'minimum provider stake in SOL')
    .option('--unbonding <DURATION>', 'unbonding period: seconds or 10m/12h/7d')
    .option('--settle-window <DURATION>', 'settle window: seconds or 10m/12h/7d')
    .addHelpText('after', '\nExamples:\n  $ dvpn config update --fee-bps 300\n  $ dvpn config update --new-admin 9aE4...Qx --settle-window 2d')
    .action(
      withContext(async (ctx, o: ConfigOpts) => {
        const current = await ctx.config();
        const values = configValues(o, current);
        const newAdmin = o.newAdmin ? parsePubkey(o.newAdmin, '--new-admin') : current.admin;
        const treasury = o.treasury ? parsePubkey(o.treasury, '--treasury') : current.treasury;
        const tokenMint = o.mint ? parsePubkey(o.mint, '--mint') : current.tokenMint;
        const res = await ctx.send([
          ix.updateConfig({ admin: ctx.signer.publicKey, newAdmin, treasury, tokenMint, ...values }),
        ]);
        ctx.printRows({ signature: res.signature, admin: newAdmin, treasury, tokenMint, ...values, events: res.events }, 'Config updated', [
          ['admin', newAdmin],
          ['treasury', treasury],
          ['token mint', tokenMint],
          ['protocol fee', `${values.protocolFeeBps} bps`],
          ['min stake', formatSol(values.minProviderStake)],
          ['unbonding', `${values.unbondingSeconds} s`],
          ['settle window', `${values.settleWindowSeconds} s`],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('show')
    .description('Print the Config')
    .addHelpText('after', '\nExamples:\n  $ dvpn config show\n  $ dvpn config show --json | jq .protocolFeeBps')
    .action(
      withContext(async (ctx) => {
        const [address] = findConfigPda();
        const config = await fetchConfig(ctx.connection);
        if (!config) throw new CliError('the dvpn Config is not initialized on this cluster (run: dvpn config init)');
        const rows: Row[] = [
          ['admin', config.admin],
          ['treasury', config.treasury],
          ['token mint', config.tokenMint],
          ['protocol fee', `${config.protocolFeeBps} bps`],
          ['min stake', formatSol(config.minProviderStake)],
          ['unbonding', `${config.unbondingSeconds} s`],
          ['settle window', `${config.settleWindowSeconds} s`],
        ];
        ctx.printRows({ address, ...config }, `Config ${address.toBase58()}`, rows);
      }),
    );
  return cmd;
}
