import {
  MAX_CONFIG_WINDOW_SECONDS,
  MAX_ENDPOINT_LEN,
  MAX_PROTOCOL_FEE_BPS,
  MAX_REGION_LEN,
  MAX_SLASH_BPS_CAP,
  MAX_TICKS_PER_CLAIM,
  MAX_TIME_SESSION_MINUTES,
  MAX_USAGE_SESSION_MINUTES,
  programErrorFrom,
  type DvpnErrorInfo,
} from '@dvpn/sdk';

/**
 * The limit behind each program error that is a limit, said in the message
 * (the commands pre-check most of them with the actual figures; this covers
 * the transactions that still reach the program, e.g. after a race).
 */
const LIMITS: Record<string, string> = {
  NodeFull: "the node's max capacity of concurrent sessions is reached (`dvpn node show <NODE>` shows active/capacity)",
  InsufficientStake: "the provider's stake is below the Config's minimum stake (`dvpn config show`; add with `dvpn provider stake <SOL>`)",
  TooManyTicks: `at most ${MAX_TICKS_PER_CLAIM} ticks per claim`,
  StringTooLong: `endpoint 1..${MAX_ENDPOINT_LEN} bytes, region 1..${MAX_REGION_LEN} bytes`,
  FeeTooHigh: `the protocol fee is at most ${MAX_PROTOCOL_FEE_BPS} bps`,
  SlashExceedsCap: `a dispute may slash at most the Config's max slash (<= ${MAX_SLASH_BPS_CAP} bps) of the stake locked when it was raised`,
  SessionTooLong: `time sessions at most ${MAX_TIME_SESSION_MINUTES} minutes, usage sessions at most ${MAX_USAGE_SESSION_MINUTES} minutes`,
  InvalidConfigValue: `windows 1 s..${MAX_CONFIG_WINDOW_SECONDS} s, max slash <= ${MAX_SLASH_BPS_CAP} bps`,
};

const withLimit = (program: DvpnErrorInfo) => `${program.name} — ${program.msg}${LIMITS[program.name] ? ` (limit: ${LIMITS[program.name]})` : ''}`;

/** A user-facing error: printed as "Error: <message>", exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A transaction the cluster refused; `program` is the dvpn error from the IDL when there is one. */
export class TxFailedError extends CliError {
  constructor(
    message: string,
    readonly logs: string[],
    readonly program: DvpnErrorInfo | undefined,
  ) {
    super(program ? withLimit(program) : message, program ? { ...program } : {});
    this.name = 'TxFailedError';
  }
}

/** What a transport failure to the RPC looks like (node fetch / web3.js). */
export const RPC_UNREACHABLE = /ECONNREFUSED|fetch failed/;

export function describeError(err: unknown): { message: string; details: Record<string, unknown>; logs: string[] } {
  if (err instanceof TxFailedError) return { message: err.message, details: err.details, logs: err.logs };
  if (err instanceof CliError) return { message: err.message, details: err.details, logs: [] };
  const program = programErrorFrom(err);
  if (program) return { message: withLimit(program), details: { ...program }, logs: [] };
  const message = err instanceof Error ? err.message : String(err);
  if (RPC_UNREACHABLE.test(message)) {
    return { message: `cannot reach the cluster RPC (${message}); check --url or SOLANA_RPC_URL`, details: {}, logs: [] };
  }
  return { message, details: {}, logs: [] };
}
