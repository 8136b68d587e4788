// pino, one child logger per subsystem (`{ sub: 'live' }`, ...).
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines to stdout, written synchronously: a line logged is in the pipe
 * before the next statement runs, so nothing is lost when the process is
 * killed (kill -9 runs no flush). The indexer and the API log little enough at
 * info level for the synchronous write to cost nothing measurable.
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'dvpn-graph',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything (tests that do not want output). */
export const silentLogger: Logger = pino({ level: 'silent' });
