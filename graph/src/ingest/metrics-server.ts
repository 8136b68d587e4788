// The indexer's own scrape endpoint, for an indexer running without an API in
// its process: GET /metrics (the process registry: default Node.js metrics and
// `dvpn_indexer_*`) and GET /healthz (200 while it runs, with its role).
// Loopback by default; Prometheus scrapes it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { processRegistry } from '../metrics.js';
import { collectIndexerMetrics } from './metrics.js';

export async function startIndexerMetricsServer(port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      processRegistry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': processRegistry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    } else if (path === '/healthz') {
      const roles = collectIndexerMetrics().map((m) => ({ role: m.role, lagSlots: m.lagSlots }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', indexers: roles }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
