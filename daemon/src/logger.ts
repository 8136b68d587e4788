// Structured logs (pino, JSON lines on stdout); one child logger per subsystem.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name = 'dvpn-daemon'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never log key material, even by accident.
    redact: { paths: ['privateKey', '*.privateKey', 'secretKey', '*.secretKey'], censor: '[redacted]' },
  });
}

export type { Logger };
