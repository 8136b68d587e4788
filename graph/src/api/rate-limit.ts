// Per-client rate limit (rate-limiter-flexible, in memory, per API process):
// each client (its IP address) may make `points` requests per
// `durationSeconds`: HTTP requests to GraphQL and REST, WebSocket connections
// and graphql-ws subscribe messages all count. Past that the client gets 429
// with Retry-After (or a RATE_LIMITED GraphQL error on a WebSocket) until its
// window ends. Probes (/healthz, /readyz, /metrics) are not limited.
//
// The same limiter also keeps a per-client budget of query cost (yoga.ts,
// use-complexity-limit.ts): each operation takes its cost from it.
//
// Behind a reverse proxy every client shares the proxy's address: set
// `trustProxy` so the first address of X-Forwarded-For names the client
// (only when the proxy overwrites that header).
import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  /** Requests per window per client (default 300). */
  points?: number;
  /** Window length (default 10 s). */
  durationSeconds?: number;
  /** Take the client from X-Forwarded-For (default false). */
  trustProxy?: boolean;
}

export const RATE_LIMIT_DEFAULTS = { points: 300, durationSeconds: 10 } as const;
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface RateLimiter {
  /** Takes `points` (default 1) from the client's budget. null: allowed; otherwise seconds until the client may retry. */
  take(req: IncomingMessage, points?: number): Promise<number | null>;
  readonly points: number;
  readonly durationSeconds: number;
}

export function clientKey(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    // The right-most address is the one the proxy in front of us appended (the peer it saw); everything to its
    // left came from the client and can be anything, so it never names the client.
    const fwd = req.headers['x-forwarded-for'];
    const last = (Array.isArray(fwd) ? fwd.join(',') : fwd)?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

export function isLimitedPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?')[0];
  return !UNLIMITED_PATHS.has(path);
}

export function createRateLimiter(opts: RateLimitOptions = {}): RateLimiter {
  const points = opts.points ?? RATE_LIMIT_DEFAULTS.points;
  const durationSeconds = opts.durationSeconds ?? RATE_LIMIT_DEFAULTS.durationSeconds;
  const limiter = new RateLimiterMemory({ points, duration: durationSeconds });
  return {
    points,
    durationSeconds,
    async take(req, take = 1) {
      try {
        await limiter.consume(clientKey(req, opts.trustProxy ?? false), take);
        return null;
      } catch (e) {
        if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw e;
      }
    },
  };
}

export function rateLimitMessage(retryAfter: number): string {
  return `Too many requests from this client; retry in ${retryAfter} s.`;
}
