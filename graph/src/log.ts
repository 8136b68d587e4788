// pino, one child logger per subsystem (`{ sub: 'live' }`, ...).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'dvpn-graph',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything (tests that do not want output). */
export const silentLogger: Logger = pino({ level: 'silent' });
