// Serves the web app (app/) for `make dev` and the browser tests, with the runtime
// config.json the app reads at start (API, websocket, RPC, cluster, daemon URLs):
//   - a production build (app/dist, or any `vite build` output): a small static server,
//     the same files any static host serves with an operator's config.json beside them;
//   - the sources through Vite's dev server (hot reload), for development.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface AppRuntimeConfig {
  cluster: 'localnet' | 'devnet' | 'testnet' | 'mainnet-beta';
  graphqlUrl: string;
  graphqlWsUrl: string;
  graphiqlUrl?: string;
  rpcUrl: string;
  rpcWsUrl?: string;
  daemonUrls?: Record<string, string>;
}

export interface AppServer {
  url: string;
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
};

/** Static files of a build directory; /config.json is the given config; unknown paths get index.html. */
export async function serveAppDist(dir: string, config: AppRuntimeConfig, opts: { host?: string; port?: number } = {}): Promise<AppServer> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}/index.html is missing: build the app first (make app)`);
  const configJson = JSON.stringify(config, null, 2);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' }).end(configJson);
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(400).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // Hashed assets never change; index.html must be fetched again after a new build.
      'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${a.port}/`,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** Vite's dev server on app/ (hot reload) with the same /config.json. */
export async function serveAppDev(appDir: string, config: AppRuntimeConfig, opts: { host?: string; port?: number } = {}): Promise<AppServer> {
  const { createServer: createVite } = await import('vite');
  const configJson = JSON.stringify(config, null, 2);
  const vite = await createVite({
    configFile: join(appDir, 'vite.config.ts'),
    root: appDir,
    logLevel: 'warn',
    server: { host: opts.host ?? '127.0.0.1', port: opts.port ?? 5173, strictPort: true },
    plugins: [
      {
        name: 'dvpn-runtime-config',
        configureServer(s) {
          s.middlewares.use('/config.json', (_req, res) => {
            res.setHeader('content-type', TYPES['.json']);
            res.setHeader('cache-control', 'no-store');
            res.end(configJson);
          });
        },
      },
    ],
  });
  await vite.listen();
  const a = vite.httpServer!.address() as AddressInfo;
  return { url: `http://${opts.host ?? '127.0.0.1'}:${a.port}/`, stop: () => vite.close() };
}
