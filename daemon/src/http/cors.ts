// CORS for browser apps (app/): only the exact origins configured in
// http.corsOrigins (DVPN_CORS_ORIGINS) get the Access-Control-* headers; any
// other origin gets none (its browser then refuses to read the answer). The
// Origin header is never reflected unless it is on that list.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Methods and request headers the daemon's API uses (GET/HEAD reads, POST JSON bodies). */
const ALLOW_METHODS = 'GET, HEAD, POST';
const ALLOW_HEADERS = 'content-type';
/** Browsers cache a preflight answer this long (seconds). */
const MAX_AGE = '600';

/** "scheme://host[:port]" as browsers send it in Origin: no path, query or trailing slash. */
export function normaliseOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.origin === 'null' || url.username || url.password) return null;
  // `new URL` accepts a path; an origin has none (a trailing "/" alone is tolerated).
  if (value.replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return null;
  return url.origin;
}

export class Cors {
  private readonly origins: Set<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins.map((o) => normaliseOrigin(o) ?? o));
  }

  get enabled(): boolean {
    return this.origins.size > 0;
  }

  /** The request's Origin when it is one of ours, else null. */
  allowed(req: IncomingMessage): string | null {
    const origin = req.headers.origin;
    return typeof origin === 'string' && this.origins.has(origin) ? origin : null;
  }

  /**
   * Sets the CORS headers on every answer (errors too, so the app can read them) for an
   * allowed origin; `Vary: Origin` always when CORS is on, so caches keep answers apart.
   */
  apply(req: IncomingMessage, res: ServerResponse): void {
    if (!this.enabled) return;
    res.setHeader('vary', 'origin');
    const origin = this.allowed(req);
    if (!origin) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'retry-after');
  }

  /** A CORS preflight: OPTIONS with Access-Control-Request-Method. */
  static isPreflight(req: IncomingMessage): boolean {
    return req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';
  }

  /** Answers a preflight: 204 with the allowed methods/headers for our origins, 403 without any for others. */
  preflight(req: IncomingMessage, res: ServerResponse): number {
    const origin = this.allowed(req);
    if (!origin) {
      res.writeHead(403, { 'content-length': '0', 'cache-control': 'no-store' });
      res.end();
      return 403;
    }
    res.writeHead(204, {
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': MAX_AGE,
      'content-length': '0',
    });
    res.end();
    return 204;
  }
}
