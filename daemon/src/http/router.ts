// Routes: one file per route under routes/, each exporting a Route. Matching
// prefers the most specific pattern (fewest :params); a path that matches
// with another method is 405 with an Allow header.
import type { IncomingMessage } from 'node:http';
import type { AppContext } from '../context.js';

export interface RouteRequest {
  req: IncomingMessage;
  params: Record<string, string>;
  /** Client identity for rate limiting and logs (address, or "unix"). */
  client: string;
}

export interface RouteResponse {
  status?: number;
  /** Serialised as JSON (bigints as strings). */
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** Label for metrics and logs. */
  name: string;
  /** Subject to the per-client rate limit (default true). */
  rateLimited?: boolean;
  /**
   * A 4xx answer (but 429) is a failed request charged to the client's failure bucket.
   * The token is reserved when the request starts (and given back on success), so requests
   * held open together can never fail more often than the bucket allows.
   */
  countsFailures?: boolean;
  /**
   * Not rate limited, but costly to answer: a bucket of its own per client (Unix-socket
   * clients, the local operator, exempt), so that scraping never competes with the API's
   * buckets and one client cannot keep the event loop busy rendering.
   */
  scrapeLimited?: boolean;
  handle(r: RouteRequest, ctx: AppContext): Promise<RouteResponse>;
}

interface Compiled {
  route: Route;
  segments: string[];
  params: number;
}

export type Match = { kind: 'found'; route: Route; params: Record<string, string> } | { kind: 'method'; allow: string[] } | { kind: 'none' };

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map((route) => {
      const segments = route.path.split('/').filter(Boolean);
      return { route, segments, params: segments.filter((s) => s.startsWith(':')).length };
    });
  }

  match(method: string, pathname: string): Match {
    const parts = pathname.split('/').filter(Boolean);
    const hits: Array<{ c: Compiled; params: Record<string, string> }> = [];
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i];
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        } else ok = seg === parts[i];
      }
      if (ok) hits.push({ c, params });
    }
    if (hits.length === 0) return { kind: 'none' };
    const best = Math.min(...hits.map((h) => h.c.params));
    const specific = hits.filter((h) => h.c.params === best);
    const hit = specific.find((h) => h.c.route.method === method || (method === 'HEAD' && h.c.route.method === 'GET'));
    if (!hit) return { kind: 'method', allow: [...new Set(specific.map((h) => h.c.route.method))] };
    return { kind: 'found', route: hit.c.route, params: hit.params };
  }
}
