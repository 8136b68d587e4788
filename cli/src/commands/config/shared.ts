// What the `dvpn config` subcommands share.
import { Command } from 'commander';
import { PublicKey } from '@solana/web3.js';
import { MAX_CONFIG_WINDOW_SECONDS, MAX_PROTOCOL_FEE_BPS, MAX_SLASH_BPS_CAP, MIN_CONFIG_WINDOW_SECONDS, type ConfigAccount } from '@dvpn/sdk';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { formatSol, formatUnits, parseDuration, parseInteger, parseSol, parseUnits, type Row } from '../../format.js';

export interface ConfigOpts {
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

export type Current = Pick<
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

export const DAY = 86_400n;
export const PublicKeyDefault = PublicKey.default;

export function windowOf(text: string | undefined, what: string, fallback: bigint): bigint {
  if (text === undefined) return fallback;
  const v = parseDuration(text, what);
  if (v < MIN_CONFIG_WINDOW_SECONDS || v > MAX_CONFIG_WINDOW_SECONDS) {
    throw new CliError(`${what}: ${v} s is outside 1 s .. 366 days (${MAX_CONFIG_WINDOW_SECONDS} s)`);
  }
  return v;
}

/** Config values from the options; unspecified ones come from `current` (update) or the defaults (init). */
export function configValues(o: ConfigOpts, tokenDecimals: number, current?: Current) {
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

export function valueRows(v: ReturnType<typeof configValues>, tokenDecimals: number): Row[] {
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

export const WINDOW_OPTS = (cmd: Command, defaults: boolean) =>
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
export async function decimalsOf(ctx: Context, mint: PublicKey): Promise<number> {
  return ctx.mintDecimals(mint).catch(() => 6);
}
