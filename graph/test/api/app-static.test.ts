// The API serves the web app's production build under a path (API_APP_DIR / API_APP_PATH):
// the files of a build directory laid out as `vite build` writes it (index.html, hashed
// assets/, the operator's config.json), over a real socket, next to the API's own routes.
// Static files need no database: the API's Postgres URL here points at a closed port (the
// GraphQL part is not exercised beyond GraphiQL's page, which needs none either).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus.js';
import { createPrismaClient } from '../../src/db/client.js';
import { silentLogger } from '../../src/log.js';
import { IMMUTABLE, normalizeAppPath } from '../../src/api/app-static.js';
import { apiConfigFromEnv } from '../../src/api/config.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';

let dir: string;
let api: ApiServer;
let base: string;
const INDEX = '<!doctype html><html><head><script type="module" src="./assets/index-Bq3xZ9aa.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("dvpn app");\n';
const CONFIG = JSON.stringify({ cluster: 'devnet', graphqlUrl: 'https://api.example.org/graphql' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dvpn-app-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-Bq3xZ9aa.js'), SCRIPT);
  writeFileSync(join(dir, 'config.json'), CONFIG);
  writeFileSync(join(tmpdir(), 'dvpn-app-static-secret.txt'), 'outside');
  const prisma = createPrismaClient('postgresql://postgres:postgres@127.0.0.1:9/none');
  api = createApiServer({ prisma, bus: createBus(), logger: silentLogger, port: 0, rpc: null, app: { dir, path: '/app/' } });
  base = (await api.start()).url;
});

afterAll(async () => {
  await api?.stop();
  rmSync(join(tmpdir(), 'dvpn-app-static-secret.txt'), { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the API serves the web app build (API_APP_DIR)', () => {
  it('index.html at the path, revalidated on every load (no-cache)', async () => {
    const res = await fetch(`${base}/app/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    // Another site cannot frame it (the dev wallet signs without a prompt: clickjacking).
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(await res.text()).toBe(INDEX);
  });

  it('hashed assets with immutable caching and their type', async () => {
    const res = await fetch(`${base}/app/assets/index-Bq3xZ9aa.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(SCRIPT);
  });

  it("the operator's config.json, not cached", async () => {
    const res = await fetch(`${base}/app/config.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual(JSON.parse(CONFIG));
  });

  it('client routes get index.html; a missing asset is a 404, not HTML', async () => {
    const route = await fetch(`${base}/app/provider/sessions`);
    expect(route.status).toBe(200);
    expect(route.headers.get('cache-control')).toBe('no-cache');
    expect(await route.text()).toBe(INDEX);
    const missing = await fetch(`${base}/app/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('the path without its slash redirects to it (relative asset URLs need it)', async () => {
    const res = await fetch(`${base}/app?x=1`, { redirect: 'manual' });
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/app/?x=1');
  });

  it('nothing outside the build directory, and only GET/HEAD', async () => {
    // Encoded dot segments survive URL normalization on the wire; the server must refuse them.
    const escape = await fetch(`${base}/app/..%2fdvpn-app-static-secret.txt`);
    expect(escape.status).toBe(400);
    expect(await escape.text()).not.toContain('outside');
    const post = await fetch(`${base}/app/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${base}/app/assets/index-Bq3xZ9aa.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(SCRIPT)));
  });

  it("the API's own routes are unchanged beside it", async () => {
    const graphiql = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toMatch(/graphiql/i);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('API_APP_DIR / API_APP_PATH from the environment; a path over the API or "/" is refused', () => {
    const env = { DATABASE_URL: 'postgresql://x/y', API_APP_DIR: dir };
    expect(apiConfigFromEnv(env).app).toEqual({ dir, path: '/app/' });
    expect(apiConfigFromEnv({ ...env, API_APP_PATH: 'web' }).app).toEqual({ dir, path: '/web/' });
    expect(apiConfigFromEnv({ DATABASE_URL: 'postgresql://x/y' }).app).toBeUndefined();
    expect(() => normalizeAppPath('/graphql')).toThrow(/hide the API's own \/graphql/);
    expect(() => normalizeAppPath('/')).toThrow(/API_APP_PATH must be a path like \/app\//);
    expect(() => normalizeAppPath('/a/../b')).toThrow(/API_APP_PATH/);
  });

  it('a directory without index.html is refused at start, saying what to do', () => {
    const empty = mkdtempSync(join(tmpdir(), 'dvpn-app-empty-'));
    try {
      expect(() => createApiServer({ prisma: createPrismaClient('postgresql://127.0.0.1:9/none'), bus: createBus(), logger: silentLogger, rpc: null, app: { dir: empty } })).toThrow(
        /index\.html is missing: build the app first \(make app\)/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
