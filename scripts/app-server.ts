// Serves the web app (app/) for `make dev` and the browser tests, with the runtime
// config.json the app reads at start (API, websocket, RPC, cluster, daemon URLs):
//   - a production build (app/dist, or any `vite build` output): a small static server,
//     the same files any static host serves with an operator's config.json beside them;
//   - the sources through Vite's dev server (hot reload), for development.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createAppStatic } from '../graph/src/api/app-static.js';

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

const JSON_TYPE = 'application/json; charset=utf-8';

/** Static files of a build directory (the API's handler, graph/src/api/app-static.ts, at /); /config.json is the given config; unknown paths get index.html. */
export async function serveAppDist(dir: string, config: AppRuntimeConfig, opts: { host?: string; port?: number } = {}): Promise<AppServer> {
  const app = createAppStatic({ dir, path: '/', configJson: JSON.stringify(config, null, 2) });
  const server: Server = createServer((req, res) => {
    app(req, res);
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
            res.setHeader('content-type', JSON_TYPE);
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
