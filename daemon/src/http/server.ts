// The HTTP API on node:http: routing, per-client rate limit, JSON answers and
// errors, request metrics and logs. Listens on TCP and, optionally, on a
// Unix socket with the same handler.
import { existsSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo, type Socket } from 'node:net';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { routes } from '../routes/index.js';
import { StateWriteError } from '../state/store.js';
import { bigintReplacer } from '../state/types.js';
import { Cors } from './cors.js';
import { RateLimiter } from './rate-limit.js';
import { Router, type RouteResponse } from './router.js';

/**
 * JSON with bigints as strings. A replacer function makes JSON.stringify call back for every
 * value, which costs on every answer; most answers hold no bigint, so the plain form is tried
 * first (it throws a TypeError on a bigint).
 */
function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(value, bigintReplacer);
    throw err;
  }
}

const address0 = (s: Server) => (s.address() as AddressInfo).port;
/** An IPv4-mapped IPv6 address (::ffff:1.2.3.4) as the IPv4 address it is. */
const plainAddress = (a: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a);

/**
 * The client an address stands for in rate limits and connection caps: an IPv4 address is
 * itself; an IPv6 address is its /64, the smallest block a home or a server is given (one
 * client holds 2^64 addresses, and would otherwise get a fresh bucket per request).
 */
export function clientKey(address: string): string {
  const a = plainAddress(address);
  if (isIP(a) !== 6) return a;
  const bare = a.split('%')[0];
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, null];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  // A dotted IPv4 tail stands for two groups.
  const tailGroups = tl.length + (tl.length > 0 && tl[tl.length - 1].includes('.') ? 1 : 0);
  const groups = tail === null ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - tailGroups)).fill('0'), ...tl];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)))
    .join(':')}::/64`;
}

export class ApiServer {
  private readonly router = new Router(routes);
  private readonly limiter: RateLimiter;
  /** Rate-limited requests being handled, per client. */
  private readonly inFlight = new Map<string, number>();
  /**
   * Failed requests per client (4xx of auth and tick routes, see Route.countsFailures). A client out of these tokens is refused
   * before any work: a flood of bad signatures is cut by what it does, not by when a busy
   * process gets to read it.
   */
  private readonly failures: RateLimiter;
  /** Scrapes of costly unlimited routes (GET /metrics) per client: a monitor never needs more. */
  private readonly scrapes = new RateLimiter(20, 40);
  /** Socket peers whose X-Forwarded-For is honoured (with trustProxy). */
  private readonly trusted = new BlockList();
  /** Open connections per socket peer address (all servers together). */
  private readonly connections = new Map<string, number>();
  private openConnections = 0;
  private readonly servers: Server[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly log;
  private readonly cors: Cors;

  constructor(private readonly ctx: AppContext) {
    this.cors = new Cors(ctx.config.http.corsOrigins);
    const { perSecond, burst } = ctx.config.http.rateLimit;
    this.limiter = new RateLimiter(perSecond, burst);
    const f = ctx.config.http.authFailureLimit;
    this.failures = new RateLimiter(f.perSecond, f.burst);
    this.log = ctx.log.child({ component: 'http' });
    for (const entry of ctx.config.http.trustedProxies) {
      const [ip, bits] = entry.split('/');
      const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(ip, type);
      else this.trusted.addSubnet(ip, Number(bits), type);
    }
  }

  private isTrustedProxy(address: string | undefined): boolean {
    if (!address) return false;
    const a = plainAddress(address);
    const v = isIP(a);
    return v !== 0 && this.trusted.check(a, v === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client a request is charged to. Behind a trusted proxy: the entry that proxy (and
   * the `proxyHops - 1` proxies before it) appended to X-Forwarded-For, counted from the
   * right; what the client wrote itself sits to the left and is ignored. Anyone else's
   * X-Forwarded-For is ignored.
   */
  private clientOf(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress;
    const { trustProxy, proxyHops } = this.ctx.config.http;
    if (trustProxy && this.isTrustedProxy(peer)) {
      const fwd = req.headers['x-forwarded-for'];
      const entries = (Array.isArray(fwd) ? fwd.join(',') : (fwd ?? ''))
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const entry = entries[Math.max(0, entries.length - proxyHops)];
      if (entry && isIP(plainAddress(entry))) return clientKey(entry);
    }
    return peer ? clientKey(peer) : 'unix';
  }

  /**
   * Caps open connections (idle ones hold a descriptor without being a request, so no
   * rate limit sees them): in total, and per peer address except trusted proxies. One
   * over the cap is closed at once, before any byte is read.
   */
  private admitConnection(socket: Socket): void {
    const { maxConnections, maxConnectionsPerClient, trustProxy } = this.ctx.config.http;
    const peer = socket.remoteAddress ? clientKey(socket.remoteAddress) : 'unix';
    const mine = this.connections.get(peer) ?? 0;
    const perClient = peer !== 'unix' && !(trustProxy && this.isTrustedProxy(socket.remoteAddress));
    if (this.openConnections >= maxConnections || (perClient && mine >= maxConnectionsPerClient)) {
      this.ctx.metrics.rateLimited.inc({ route: 'connection' });
      socket.destroy();
      return;
    }
    this.openConnections++;
    this.connections.set(peer, mine + 1);
    socket.once('close', () => {
      this.openConnections--;
      const n = (this.connections.get(peer) ?? 1) - 1;
      if (n > 0) this.connections.set(peer, n);
      else this.connections.delete(peer);
    });
  }

  private send(res: ServerResponse, status: number, out: RouteResponse, headOnly: boolean): void {
    const headers: Record<string, string> = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(out.headers ?? {}),
    };
    let body: string;
    if (out.text !== undefined) {
      body = out.text;
      headers['content-type'] = out.contentType ?? 'text/plain; charset=utf-8';
    } else {
      body = `${jsonText(out.json ?? null)}\n`;
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(headOnly ? undefined : body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const client = this.clientOf(req);
    let routeName = 'unmatched';
    let status = 500;
    let counted = false;
    /** A failure token taken for this request: kept on a 4xx, given back otherwise. */
    let reserved = false;
    try {
      this.cors.apply(req, res);
      if (Cors.isPreflight(req)) {
        // Cheap and bodiless: answered before routing and rate limits (browsers send one per new request shape).
        routeName = 'preflight';
        status = this.cors.preflight(req, res);
        return;
      }
      let pathname: string;
      // A fragment never belongs in a request target, and would hide what follows it from
      // the checks below while URL parsing still resolves it (/node/x/..# is /node).
      if ((req.url ?? '/').includes('#')) throw new HttpError(400, 'bad_url', 'the request target may not hold a fragment (#)');
      const raw = (req.url ?? '/').split('?')[0];
      // Dot segments (also percent-encoded) are refused, not resolved: /session/../node is not /node.
      if (raw.split('/').some((seg) => /^(\.|%2e){1,2}$/i.test(seg)) || /%2f|%5c|\\/i.test(raw)) {
        throw new HttpError(400, 'bad_url', 'the path may not hold dot segments or encoded slashes');
      }
      try {
        pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        throw new HttpError(400, 'bad_url', 'malformed request URL');
      }
      const match = this.router.match(req.method ?? 'GET', pathname);
      // The path is not echoed: an error stays short whatever was sent.
      if (match.kind === 'none') throw new HttpError(404, 'not_found', 'no such route; see GET /node and the daemon README for the API');
      if (match.kind === 'method') {
        throw new HttpError(405, 'method_not_allowed', `use ${match.allow.join(' or ')} for this path`, undefined, {
          allow: match.allow.join(', '),
        });
      }
      routeName = match.route.name;
      if (match.route.scrapeLimited && client !== 'unix') {
        const wait = this.scrapes.take(client);
        if (wait > 0) {
          this.ctx.metrics.rateLimited.inc({ route: routeName });
          throw new HttpError(429, 'rate_limited', `too many scrapes; retry in ${wait} s`, undefined, { 'retry-after': String(wait) });
        }
      }
      if (match.route.rateLimited !== false) {
        const busy = this.inFlight.get(client) ?? 0;
        const max = this.ctx.config.http.maxInFlightPerClient;
        if (busy >= max) {
          this.ctx.metrics.rateLimited.inc({ route: routeName });
          throw new HttpError(429, 'rate_limited', `too many requests in progress from this client (limit ${max}); retry in 1 s`, undefined, {
            'retry-after': '1',
          });
        }
        const failWait = this.failures.peek(client);
        if (failWait > 0) {
          this.ctx.metrics.rateLimited.inc({ route: routeName });
          throw new HttpError(429, 'rate_limited', `too many failed requests from this client; retry in ${failWait} s`, undefined, {
            'retry-after': String(failWait),
          });
        }
        const wait = this.limiter.take(client);
        if (wait > 0) {
          this.ctx.metrics.rateLimited.inc({ route: routeName });
          throw new HttpError(429, 'rate_limited', `too many requests; retry in ${wait} s`, undefined, { 'retry-after': String(wait) });
        }
        if (match.route.countsFailures) {
          // Reserve the failure now, not when it happens: requests held open together each need
          // their own token, so they cannot all pass a check made before any of them failed.
          const failWait = this.failures.take(client);
          if (failWait > 0) {
            this.ctx.metrics.rateLimited.inc({ route: routeName });
            throw new HttpError(429, 'rate_limited', `too many failed requests from this client; retry in ${failWait} s`, undefined, {
              'retry-after': String(failWait),
            });
          }
          reserved = true;
        }
        this.inFlight.set(client, busy + 1);
        counted = true;
      }
      const out = await match.route.handle({ req, params: match.params, client }, this.ctx);
      status = out.status ?? 200;
      this.send(res, status, out, req.method === 'HEAD');
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        if (!reserved && (status === 401 || status === 403)) this.failures.take(client);
        this.send(res, status, { json: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }, headers: err.headers }, false);
      } else if (err instanceof StateWriteError) {
        status = 503;
        this.log.error({ err: err.message, route: routeName }, 'cannot write the state');
        this.send(
          res,
          503,
          { json: { error: { code: 'state_unwritable', message: `the node cannot write its state (${err.code}); nothing was acknowledged; retry later` } }, headers: { 'retry-after': '5' } },
          false,
        );
      } else {
        status = 500;
        this.log.error({ err, route: routeName }, 'request failed');
        this.send(res, 500, { json: { error: { code: 'internal_error', message: 'internal error' } } }, false);
      }
    } finally {
      if (reserved && !(status >= 400 && status < 500 && status !== 429)) this.failures.refund(client);
      if (counted) {
        const n = (this.inFlight.get(client) ?? 1) - 1;
        if (n > 0) this.inFlight.set(client, n);
        else this.inFlight.delete(client);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.ctx.metrics.httpRequests.inc({ route: routeName, status: String(status) });
      this.ctx.metrics.httpDuration.observe({ route: routeName }, seconds);
      this.log.debug({ method: req.method, url: req.url, route: routeName, status, client, ms: Math.round(seconds * 1000) }, 'request');
    }
  }

  private makeServer(): Server {
    const server = createServer(
      {
        requestTimeout: this.ctx.config.http.requestTimeoutMs,
        headersTimeout: Math.min(this.ctx.config.http.requestTimeoutMs, this.ctx.config.http.headersTimeoutMs),
        // How often Node checks those timeouts (default 30 s, which let slow clients stay ~30 s).
        connectionsCheckingInterval: Math.min(1000, this.ctx.config.http.requestTimeoutMs),
        maxHeaderSize: 16 * 1024,
      },
      (req, res) => void this.handle(req, res),
    );
    server.keepAliveTimeout = Math.min(5000, this.ctx.config.http.headersTimeoutMs);
    // prependListener: the cap runs before node:http sets the connection up.
    server.prependListener('connection', (socket: Socket) => this.admitConnection(socket));
    // A client that was too slow or sent garbage: answer if the socket still takes it, log one
    // debug line without a stack (a flood of slow clients must not flood the log).
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.log.debug({ code: err.code, client: (socket as Socket).remoteAddress }, 'client connection error');
      if (socket.writable && !socket.destroyed) {
        const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      } else socket.destroy();
    });
    return server;
  }

  /** Listens on host:port (and the Unix socket when configured). Returns the TCP address. */
  async listen(): Promise<AddressInfo> {
    const { host, port, socketPath } = this.ctx.config.http;
    const tcp = this.makeServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, host, () => resolve());
    });
    this.servers.push(tcp);
    if (this.ctx.config.http.tunnelProbe) await this.listenInTunnel(host, address0(tcp));
    if (socketPath) {
      if (existsSync(socketPath)) rmSync(socketPath, { force: true });
      const unix = this.makeServer();
      await new Promise<void>((resolve, reject) => {
        unix.once('error', reject);
        unix.listen(socketPath, () => resolve());
      });
      this.servers.push(unix);
    }
    this.sweepTimer = setInterval(() => {
      this.limiter.sweep();
      this.failures.sweep();
      this.scrapes.sweep();
    }, 60_000);
    this.sweepTimer.unref();
    const address = tcp.address() as AddressInfo;
    this.log.info({ address: `${address.address}:${address.port}`, socketPath: socketPath ?? null, probe: this.ctx.node.probeUrl }, 'HTTP API listening');
    return address;
  }

  /**
   * Clients check that the tunnel serves by reaching the API through it: on the
   * pool's server address (a second listener unless the main one is a wildcard).
   */
  private async listenInTunnel(host: string, port: number): Promise<void> {
    const tunnelHost = this.ctx.pool.serverAddress;
    const url = `http://${tunnelHost}:${port}/healthz`;
    if (host === '0.0.0.0' || host === '::' || host === tunnelHost) {
      this.ctx.node.probeUrl = url;
      return;
    }
    const server = this.makeServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, tunnelHost, () => resolve());
      });
      this.servers.push(server);
      this.ctx.node.probeUrl = url;
    } catch (err) {
      this.log.warn({ err, address: `${tunnelHost}:${port}` }, 'cannot listen on the tunnel address; clients will not probe the tunnel');
    }
  }

  get address(): AddressInfo | null {
    return (this.servers[0]?.address() as AddressInfo | null) ?? null;
  }

  /** Stops accepting, lets requests in progress finish (bounded), closes idle connections. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => {
              s.closeAllConnections();
              resolve();
            }, timeoutMs);
            force.unref();
            s.close(() => {
              clearTimeout(force);
              resolve();
            });
            s.closeIdleConnections();
          }),
      ),
    );
    this.servers.length = 0;
    const socketPath = this.ctx.config.http.socketPath;
    if (socketPath && existsSync(socketPath)) rmSync(socketPath, { force: true });
  }
}
