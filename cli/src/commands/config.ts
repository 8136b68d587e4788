import { Command } from 'commander';
import { PublicKey } from '@solana/web3.js';
import {
  DVPN_PROGRAM_ID,
  MAX_CONFIG_WINDOW_SECONDS,
  assertProgramKeyForCluster,
  MAX_PROTOCOL_FEE_BPS,
  MAX_SLASH_BPS_CAP,
  MIN_CONFIG_WINDOW_SECONDS,
  fetchConfig,
  findConfigPda,
  ix,
  type ConfigAccount,
} from '@dvpn/sdk';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { formatSol, formatUnits, parseDuration, parseInteger, parsePubkey, parseSol, parseUnits, type Row } from '../format.js';
import { withContext } from '../run.js';

interface ConfigOpts {
  treasury?: string;
  mint?: string;
  feeBps?: string;
  minStake?: string;
  unbonding?: string;
  settleWindow?: string;
  disputeWindow?: string;
  idleTimeout?: string;
  minRatingSol?: string;
  minRatingUsdc?: string;
  maxSlashBps?: string;
  newAdmin?: string;
}

type Current = Pick<
  ConfigAccount,
  | 'protocolFeeBps'
  | 'minProviderStake'
  | 'unbondingSeconds'
  | 'settleWindowSeconds'
  | 'disputeWindowSeconds'
  | 'idleTimeoutSeconds'
  | 'minRatingLamports'
  | 'minRatingToken'
  | 'maxSlashBps'
>;

const DAY = 86_400n;
const PublicKeyDefault = PublicKey.default;

function windowOf(text: string | undefined, what: string, fallback: bigint): bigint {
  if (text === undefined) return fallback;
  const v = parseDuration(text, what);
  if (v < MIN_CONFIG_WINDOW_SECONDS || v > MAX_CONFIG_WINDOW_SECONDS) {
    throw new CliError(`${what}: ${v} s is outside 1 s .. 366 days (${MAX_CONFIG_WINDOW_SECONDS} s)`);
  }
  return v;
}

/** Config values from the options; unspecified ones come from `current` (update) or the defaults (init). */
function configValues(o: ConfigOpts, tokenDecimals: number, current?: Current) {
  const protocolFeeBps = o.feeBps !== undefined ? Number(parseInteger(o.feeBps, '--fee-bps', 0n, 65535n)) : current?.protocolFeeBps ?? 250;
  if (protocolFeeBps > MAX_PROTOCOL_FEE_BPS) throw new CliError(`--fee-bps: at most ${MAX_PROTOCOL_FEE_BPS} (10%)`);
  const maxSlashBps = o.maxSlashBps !== undefined ? Number(parseInteger(o.maxSlashBps, '--max-slash-bps', 0n, 65535n)) : current?.maxSlashBps ?? MAX_SLASH_BPS_CAP;
  if (maxSlashBps > MAX_SLASH_BPS_CAP) throw new CliError(`--max-slash-bps: at most ${MAX_SLASH_BPS_CAP} (25% of a provider's stake per dispute)`);
  return {
    protocolFeeBps,
    minProviderStake: o.minStake !== undefined ? parseSol(o.minStake, '--min-stake') : current?.minProviderStake ?? 1_000_000_000n,
    unbondingSeconds: windowOf(o.unbonding, '--unbonding', current?.unbondingSeconds ?? 7n * DAY),
    settleWindowSeconds: windowOf(o.settleWindow, '--settle-window', current?.settleWindowSeconds ?? DAY),
    disputeWindowSeconds: windowOf(o.disputeWindow, '--dispute-window', current?.disputeWindowSeconds ?? 7n * DAY),
    idleTimeoutSeconds: windowOf(o.idleTimeout, '--idle-timeout', current?.idleTimeoutSeconds ?? 1800n),
    // 0.0001 SOL, and 0.01 token (in the mint's base units).
    minRatingLamports: o.minRatingSol !== undefined ? parseSol(o.minRatingSol, '--min-rating-sol') : current?.minRatingLamports ?? 100_000n,
    minRatingToken:
      o.minRatingUsdc !== undefined
        ? parseUnits(o.minRatingUsdc, tokenDecimals, '--min-rating-usdc')
        : current?.minRatingToken ?? (tokenDecimals >= 2 ? 10n ** BigInt(tokenDecimals - 2) : 1n),
    maxSlashBps,
  };
}

function valueRows(v: ReturnType<typeof configValues>, tokenDecimals: number): Row[] {
  return [
    ['protocol fee', `${v.protocolFeeBps} bps`],
    ['min stake', formatSol(v.minProviderStake)],
    ['unbonding', `${v.unbondingSeconds} s`],
    ['settle window', `${v.settleWindowSeconds} s`],
    ['dispute window', `${v.disputeWindowSeconds} s`],
    ['idle timeout', `${v.idleTimeoutSeconds} s`],
    ['min rating', `${formatSol(v.minRatingLamports)} / ${formatUnits(v.minRatingToken, tokenDecimals)} USDC`],
    ['max slash', `${v.maxSlashBps} bps of the stake per dispute`],
  ];
}

const WINDOW_OPTS = (cmd: Command, defaults: boolean) =>
  cmd
    .option('--fee-bps <N>', `protocol fee in basis points, at most ${MAX_PROTOCOL_FEE_BPS}${defaults ? ' (default 250 = 2.5%)' : ''}`)
    .option('--min-stake <SOL>', `minimum provider stake to run nodes, in SOL${defaults ? ' (default 1)' : ''}`)
    .option('--unbonding <DURATION>', `wait between unstake request and withdrawal: seconds or 10m/12h/7d${defaults ? ' (default 7d)' : ''}`)
    .option('--settle-window <DURATION>', `time after a session ends for claims and disputes${defaults ? ' (default 1d)' : ''}`)
    .option('--dispute-window <DURATION>', `time the admin has to resolve a dispute before its default rule applies${defaults ? ' (default 7d)' : ''}`)
    .option('--idle-timeout <DURATION>', `a usage session with no claim for this long may be evicted by the provider${defaults ? ' (default 30m)' : ''}`)
    .option('--min-rating-sol <SOL>', `least a SOL session must have paid for its rating to count${defaults ? ' (default 0.0001)' : ''}`)
    .option('--min-rating-usdc <USDC>', `least a token session must have paid for its rating to count${defaults ? ' (default 0.01)' : ''}`)
    .option('--max-slash-bps <N>', `most one dispute may slash, in bps of the provider's stake, at most ${MAX_SLASH_BPS_CAP}${defaults ? ` (default ${MAX_SLASH_BPS_CAP})` : ''}`);

/** Decimals of the Config mint, 6 (USDC) when the mint cannot be read. */
async function decimalsOf(ctx: Context, mint: PublicKey): Promise<number> {
  return ctx.mintDecimals(mint).catch(() => 6);
}

export function configCommand(): Command {
  const cmd = new Command('config').description('The protocol Config (admin, treasury, fee, stake, time windows, rating and slash limits)')
    .addHelpText('after', '\nExamples:\n  $ dvpn config init --treasury <WALLET> --mint <USDC_MINT>\n  $ dvpn config show --json');

  WINDOW_OPTS(
    cmd
      .command('init')
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

  WINDOW_OPTS(
    cmd
      .command('update')
      .description('Admin only: change Config values (unspecified values are kept); --new-admin only proposes, the new admin runs accept-admin')
      .option('--new-admin <PUBKEY>', 'propose another wallet as admin (it must run `dvpn config accept-admin`); your own key cancels a proposal')
      .option('--treasury <PUBKEY>', 'new treasury wallet')
      .option('--mint <PUBKEY>', 'new accepted token mint'),
    false,
  )
    .addHelpText(
      'after',
      '\nNew values apply to sessions opened later; open sessions keep the fee and windows they were opened under.\n\nExamples:\n  $ dvpn config update --fee-bps 300\n  $ dvpn config update --new-admin 9aE4...Qx --settle-window 2d',
    )
    .action(
      withContext(async (ctx, o: ConfigOpts) => {
        const current = await ctx.config();
        const newAdmin = o.newAdmin ? parsePubkey(o.newAdmin, '--new-admin') : current.pendingAdmin.equals(PublicKeyDefault) ? current.admin : current.pendingAdmin;
        const treasury = o.treasury ? parsePubkey(o.treasury, '--treasury') : current.treasury;
        const tokenMint = o.mint ? parsePubkey(o.mint, '--mint') : current.tokenMint;
        const decimals = o.mint ? await ctx.mintDecimals(tokenMint) : await decimalsOf(ctx, tokenMint);
        const values = configValues(o, decimals, current);
        const res = await ctx.send([ix.updateConfig({ admin: ctx.signer.publicKey, newAdmin, treasury, tokenMint, ...values })]);
        const after = await fetchConfig(ctx.connection);
        const pendingAdmin = after && !after.pendingAdmin.equals(PublicKeyDefault) ? after.pendingAdmin : null;
        ctx.printRows(
          { signature: res.signature, admin: after?.admin ?? current.admin, pendingAdmin, treasury, tokenMint, ...values, events: res.events },
          'Config updated',
          [
            ['admin', after?.admin ?? current.admin],
            ['pending admin', pendingAdmin ? `${pendingAdmin.toBase58()} (must run: dvpn config accept-admin)` : null],
            ['treasury', treasury],
            ['token mint', tokenMint],
            ...valueRows(values, decimals),
            ['signature', res.signature],
          ],
        );
      }),
    );

  cmd
    .command('accept-admin')
    .description('The proposed admin (Config pending admin) signs to become the admin')
    .addHelpText('after', '\nExamples:\n  $ dvpn config accept-admin --keypair new-admin.json')
    .action(
      withContext(async (ctx) => {
        const current = await ctx.config();
        const me = ctx.signer.publicKey;
        if (current.pendingAdmin.equals(PublicKeyDefault)) throw new CliError('no admin transfer is pending (the admin proposes one with: dvpn config update --new-admin <PUBKEY>)');
        if (!current.pendingAdmin.equals(me)) {
          throw new CliError(`NotPendingAdmin — the proposed admin is ${current.pendingAdmin.toBase58()}, not your keypair ${me.toBase58()}`);
        }
        const res = await ctx.send([ix.acceptAdmin({ newAdmin: me })]);
        ctx.printRows({ signature: res.signature, admin: me, previousAdmin: current.admin, events: res.events }, 'Admin transferred', [
          ['admin', me],
          ['previous admin', current.admin],
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
        const decimals = await decimalsOf(ctx, config.tokenMint);
        const pending = config.pendingAdmin.equals(PublicKeyDefault) ? null : config.pendingAdmin;
        const rows: Row[] = [
          ['admin', config.admin],
          ['pending admin', pending],
          ['treasury', config.treasury],
          ['token mint', config.tokenMint],
          ...valueRows(config, decimals),
        ];
        ctx.printRows({ address, ...config, pendingAdmin: pending }, `Config ${address.toBase58()}`, rows);
      }),
    );
  return cmd;
}
