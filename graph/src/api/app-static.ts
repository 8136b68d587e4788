// The web app's production build (app/dist, `make app`) served by the API under a path
// (API_APP_DIR, API_APP_PATH, default /app/), so one process can serve both; any static host
// serves the same files. Hashed assets (assets/*, their names change with their content) are
// cached for a year as immutable; everything else (index.html, config.json) is revalidated
// on every load (no-cache), so a new build or config is seen at once. Paths that are not files
// get index.html (client-side routes), except ones naming a file type: a missing script is a
// 404, never HTML under a script's name. Also used by scripts/app-server.ts (make dev).
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Paths the API answers itself: the app cannot be mounted over them. */
const RESERVED = ['graphql', 'healthz', 'readyz', 'metrics', 'nodes', 'sessions', 'stats', 'providers'];

/** `/app` or `/app/` -> `/app/`; refuses `/` and the API's own paths. */
export function normalizeAppPath(path: string): string {
  const p = `/${path.replace(/^\/+|\/+$/g, '')}/`;
  if (p === '//' || !/^(\/[A-Za-z0-9._-]+)+\/$/.test(p) || p.split('/').includes('..')) {
    throw new Error(`API_APP_PATH must be a path like /app/ (not "/", no "..", letters, digits, . _ -), not "${path}"`);
  }
  const first = p.split('/')[1]!;
  if (RESERVED.includes(first)) throw new Error(`API_APP_PATH ${p} would hide the API's own /${first}`);
  return p;
}

export interface AppStaticOptions {
  /** The build directory (with index.html). */
  dir: string;
  /** Where it is served, default /app/. */
  path?: string;
  /** A config.json to answer instead of the directory's own (make dev makes one per stack, once it knows it). */
  configJson?: string | (() => string);
}

/** A request handler: true when the request was the app's (answered), false to let the API answer. */
export type AppStaticHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createAppStatic(opts: AppStaticOptions): AppStaticHandler {
  const root = resolve(opts.dir);
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}/index.html is missing: build the app first (make app)`);
  const base = opts.path === undefined ? '/app/' : opts.path === '/' ? '/' : normalizeAppPath(opts.path);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (base !== '/' && url.pathname === base.slice(0, -1)) {
      // Relative asset paths (the build's base './') resolve only under the trailing slash.
      res.writeHead(308, { location: `${base}${url.search}` }).end();
      return true;
    }
    if (!url.pathname.startsWith(base)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname.slice(base.length));
    } catch {
      res.writeHead(400, { 'content-type': TYPES['.txt']! }).end('bad path encoding\n');
      return true;
    }
    const headers = (file: string, cache: string) => ({
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
      // No other site may frame the app: the dev wallet signs without a prompt, so a framed
      // page under a decoy could have its buttons clicked (clickjacking).
      'x-frame-options': 'DENY',
      'content-security-policy': "frame-ancestors 'none'",
    });
    if (rel === 'config.json' && opts.configJson !== undefined) {
      res.writeHead(200, headers('config.json', 'no-store'));
      res.end(req.method === 'HEAD' ? undefined : typeof opts.configJson === 'function' ? opts.configJson() : opts.configJson);
      return true;
    }
    let file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(400, { 'content-type': TYPES['.txt']! }).end('bad path\n');
      return true;
    }
    const isFile = existsSync(file) && statSync(file).isFile();
    if (!isFile) {
      if (extname(rel) !== '' && extname(rel) !== '.html') {
        res.writeHead(404, { 'content-type': TYPES['.txt']!, 'cache-control': 'no-cache' }).end(`not found: ${url.pathname}\n`);
        return true;
      }
      file = join(root, 'index.html');
    }
    const immutable = file.startsWith(join(root, 'assets') + sep);
    res.writeHead(200, { ...headers(file, immutable ? IMMUTABLE : 'no-cache'), 'content-length': String(statSync(file).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
