import { programErrorFrom, type DvpnErrorInfo } from '@dvpn/sdk';

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
    super(program ? `${program.name} — ${program.msg}` : message, program ? { ...program } : {});
    this.name = 'TxFailedError';
  }
}

export function describeError(err: unknown): { message: string; details: Record<string, unknown>; logs: string[] } {
  if (err instanceof TxFailedError) return { message: err.message, details: err.details, logs: err.logs };
  if (err instanceof CliError) return { message: err.message, details: err.details, logs: [] };
  const program = programErrorFrom(err);
  if (program) return { message: `${program.name} — ${program.msg}`, details: { ...program }, logs: [] };
  const message = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|fetch failed/.test(message)) {
    return { message: `cannot reach the cluster RPC (${message}); check --url or SOLANA_RPC_URL`, details: {}, logs: [] };
  }
  return { message, details: {}, logs: [] };
}
