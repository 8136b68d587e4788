// `dvpn config init`: Create the Config; your keypair becomes the admin (dispute resolver). Once per cluster.
import { Command } from 'commander';
import { DVPN_PROGRAM_ID, assertProgramKeyForCluster, MAX_PROTOCOL_FEE_BPS, MAX_SLASH_BPS_CAP, findConfigPda, ix } from '@dvpn/sdk';
import { CliError } from '../../errors.js';
import { parsePubkey } from '../../format.js';
import { withContext } from '../../run.js';
import { type ConfigOpts, configValues, valueRows, WINDOW_OPTS } from './shared.js';

export function configInitCommand(): Command {
  return WINDOW_OPTS(
    new Command('init')
      .description('Create the Config; your keypair becomes the admin (dispute resolver). Once per cluster.')
      .requiredOption('--treasury <PUBKEY>', 'wallet that receives protocol fees (SOL, and its token account for USDC)')
      .requiredOption('--mint <PUBKEY>', 'accepted payment token mint (USDC)'),
    true,
  )
    .addHelpText(
      'after',
      `
Windows and timeouts are 1 s .. 366 days; --fee-bps <= ${MAX_PROTOCOL_FEE_BPS}; --max-slash-bps <= ${MAX_SLASH_BPS_CAP}.

Examples:
  $ dvpn config init --treasury 7xKX...9fQ --mint EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v
  $ dvpn config init --treasury 7xKX...9fQ --mint <MINT> --fee-bps 100 --min-stake 5 --unbonding 3d --settle-window 12h \\
      --dispute-window 3d --idle-timeout 15m --min-rating-sol 0.001 --min-rating-usdc 0.1 --max-slash-bps 1000 --json`,
    )
    .action(
      withContext(async (ctx, o: ConfigOpts) => {
        const treasury = parsePubkey(o.treasury!, '--treasury');
        const tokenMint = parsePubkey(o.mint!, '--mint');
        // The committed program keypair is public: never initialise it on devnet/testnet/mainnet (told by genesis hash).
        await assertProgramKeyForCluster(ctx.connection, DVPN_PROGRAM_ID, 'dvpn config init').catch((e: unknown) => {
          // Both the refusal and an unknown cluster (RPC error, junk genesis) are a clear error, not a stack.
          throw e instanceof Error ? new CliError(e.message) : e;
        });
        // A mint this cluster does not have would fail as InvalidMint: say which mint and where.
        const decimals = await ctx.mintDecimals(tokenMint);
        const values = configValues(o, decimals);
        const admin = ctx.signer.publicKey;
        const res = await ctx.send([ix.initializeConfig({ admin, treasury, tokenMint, ...values })]);
        const [config] = findConfigPda();
        ctx.printRows(
          { signature: res.signature, config, admin, treasury, tokenMint, ...values, events: res.events },
          `Config initialized: ${config.toBase58()}`,
          [['admin', admin], ['treasury', treasury], ['token mint', tokenMint], ...valueRows(values, decimals), ['signature', res.signature]],
        );
      }),
    );
}
