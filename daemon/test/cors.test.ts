// CORS for the web app (app/): the daemon answers browsers from the configured origins
// (DVPN_CORS_ORIGINS) and only those. Real embedded chain, real HTTP over loopback,
// in-memory WireGuard.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, type NodeCtx } from '../../tests/harness/fixtures.js';
import { configFromEnv, mergeConfig, parseConfig } from '../src/config.js';
import { authBody, startInProcess, type InProc } from './helpers/inproc.js';

const APP = 'http://127.0.0.1:5173';
let chain: Chain;
let node: NodeCtx;
let d: InProc;

beforeAll(async () => {
  chain = await startChain();
  await initConfig(chain);
  node = await createProviderWithNode(chain, { maxCapacity: 4, endpoint: '192.0.2.1:51820' });
  d = await startInProcess(chain, node, { overrides: { http: { corsOrigins: [APP, 'https://app.example.org'] } } });
}, 120_000);

afterAll(async () => {
  await d?.close();
  chain?.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: d.tcp.port,
        method,
        path,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('CORS', () => {
  it('answers a preflight from an allowed origin with the methods and headers the app needs', async () => {
    const r = await send('OPTIONS', '/session/auth', { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(String(r.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(r.headers['access-control-allow-headers'])).toContain('content-type');
  });

  it('refuses a preflight from any other origin without reflecting it', async () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:5174', 'null', `${APP}.evil.example`]) {
      const r = await send('OPTIONS', '/session/auth', { origin, 'access-control-request-method': 'POST' });
      expect(r.status).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.headers['access-control-allow-methods']).toBeUndefined();
    }
  });

  it('lets the app read a real auth answer (the WireGuard config) and the errors', async () => {
    const s = await openTimeSession(chain, node, 10);
    const ok = await send('POST', '/session/auth', { origin: APP }, authBody(s.session, s.user));
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
    expect(ok.headers.vary).toMatch(/origin/i);
    expect(JSON.parse(ok.body).config).toContain('[Interface]');
    // An error answer carries the header too, so the app can show the daemon's message.
    const bad = await send('GET', '/session/11111111111111111111111111111111', { origin: APP });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.headers['access-control-allow-origin']).toBe(APP);
    // Another origin: the same answer, but no header, so its browser will not hand it over.
    const other = await send('GET', '/node', { origin: 'http://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('is configured from DVPN_CORS_ORIGINS and refuses what is not an origin', () => {
    const env = { DVPN_NODE: node.node.toBase58(), DVPN_AUTHORITY_KEYPAIR: '/k.json', DVPN_CORS_ORIGINS: `${APP}, https://app.example.org` };
    expect(parseConfig(mergeConfig({}, configFromEnv(env))).http.corsOrigins).toEqual([APP, 'https://app.example.org']);
    for (const bad of ['*', 'https://app.example.org/path', 'ftp://x.example', 'app.example.org']) {
      expect(() => parseConfig(mergeConfig({}, configFromEnv({ ...env, DVPN_CORS_ORIGINS: bad })))).toThrow(/DVPN_CORS_ORIGINS|corsOrigins/);
    }
  });
});
