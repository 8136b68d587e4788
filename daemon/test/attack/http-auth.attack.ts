// Outside attack on the daemon's HTTP API and auth (real embedded chain, real
// HTTP server over TCP on loopback, in-memory WireGuard). Every test asserts a
// promise of daemon/README.md; the ones that fail are findings.
//
// Run (from the repository root; excluded from the default run):
//   npx vitest run --config daemon/test/attack/vitest.config.ts daemon/test/attack/http-auth.attack.ts
//
// Distinct loopback source addresses (127.0.0.x, all routed to lo on Linux)
// stand for distinct clients, so one test's buckets do not touch another's.
import { connect } from 'node:net';
import { request } from 'node:http';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../../tests/harness/surfnet.js';
import { closeSessionIx, createProviderWithNode, initConfig, openTimeSession, type ConfigCtx, type NodeCtx } from '../../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../../src/wireguard/keys.js';
import { authBody, startInProcess, type InProc } from '../helpers/inproc.js';

let chain: Chain;
let cfg: ConfigCtx;
let nodeA: NodeCtx;
let nodeB: NodeCtx;
/** Default settings but small, explicit limits. */
let a: InProc;
/** The same with DVPN_TRUST_PROXY=true (a reverse proxy in front). */
let b: InProc;

const limits = { rateLimit: { perSecond: 1000, burst: 1000 }, authFailureLimit: { perSecond: 1, burst: 5 }, maxInFlightPerClient: 16 };

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
  nodeA = await createProviderWithNode(chain, { maxCapacity: 8, endpoint: '192.0.2.1:51820' });
  nodeB = await createProviderWithNode(chain, { maxCapacity: 8, endpoint: '192.0.2.2:51820' });
  a = await startInProcess(chain, nodeA, { overrides: { http: { ...limits } } });
  b = await startInProcess(chain, nodeB, { overrides: { http: { ...limits, trustProxy: true } } });
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  chain?.close();
});

interface Reply {
  status: number;
  body: string;
}

/** One request over its own TCP connection from a chosen loopback address. */
function send(d: InProc, from: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: d.tcp.port,
        localAddress: from,
        method,
        path,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A raw request line (no client-side URL handling), one connection. */
function raw(d: InProc, from: string, text: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: d.tcp.port!, localAddress: from }, () => sock.write(text));
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0);
      resolve({ status, body: all.slice(all.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/** A well-formed auth body whose signature is not the named user's: 401 bad_signature, no chain read. */
function badSignatureBody() {
  const body = authBody(Keypair.generate().publicKey, Keypair.generate());
  return { ...body, user: Keypair.generate().publicKey.toBase58() };
}

const count = (replies: Reply[], status: number) => replies.filter((r) => r.status === status).length;

describe('failed-auth limit', () => {
  it('control: sequential bad signatures from one client are cut to the burst, then 429', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 20; i++) replies.push(await send(a, '127.0.0.2', 'POST', '/session/auth', badSignatureBody()));
    expect(count(replies, 401)).toBeLessThanOrEqual(6);
    expect(count(replies, 429)).toBeGreaterThanOrEqual(14);
  });

  // FINDING: the limit is checked (peek) when a request starts and charged when it fails, and a
  // bucket never goes below zero. A client that opens 16 requests, sends each one's headers and
  // all but the last body byte, then the last bytes together, gets 16 failures through each time
  // its bucket holds one token: ~16 failed auths per second against a limit of 1 per second.
  it('holds against requests held open until they all passed the check (16 per round, 4 rounds)', async () => {
    const from = '127.0.0.4';
    const rounds = 4;
    const replies: Reply[] = [];
    for (let round = 0; round < rounds; round++) {
      const socks = await Promise.all(
        Array.from({ length: 16 }, () => {
          const payload = JSON.stringify(badSignatureBody());
          return new Promise<{ finish: () => Promise<Reply> }>((resolve, reject) => {
            const sock = connect({ host: '127.0.0.1', port: a.tcp.port!, localAddress: from }, () => {
              sock.write(
                `POST /session/auth HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload.slice(0, -1)}`,
              );
              const chunks: Buffer[] = [];
              const done = new Promise<Reply>((res) => {
                sock.on('data', (c: Buffer) => chunks.push(c));
                sock.on('end', () => {
                  const all = Buffer.concat(chunks).toString('utf8');
                  res({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0), body: all });
                });
              });
              resolve({
                finish: () => {
                  sock.write(payload.slice(-1));
                  return done;
                },
              });
            });
            sock.on('error', reject);
          });
        }),
      );
      // Let the server parse every request's headers (each passes the check: no failure yet).
      await new Promise((r) => setTimeout(r, 300));
      replies.push(...(await Promise.all(socks.map((s) => s.finish()))));
      await new Promise((r) => setTimeout(r, 1100));
    }
    const failures = count(replies, 401);
    // The promise: burst 5 plus ~1 per second over ~6 s.
    expect(failures, `401s: ${failures}, 429s: ${count(replies, 429)}`).toBeLessThanOrEqual(5 + 8);
  });

  // FINDING: a 404 session_not_found is not a failed authentication. Anyone signs with a throwaway
  // wallet (the signature checks out against the `user` it names) for random session addresses:
  // each request costs the node a chain read and is never cut by the failed-auth limit.
  it('cuts a client that authenticates random (non-existent) sessions with its own wallet, and stops reading the chain for it', async () => {
    const me = Keypair.generate();
    const readsBefore = a.daemon.ctx.cache.reads;
    const replies: Reply[] = [];
    for (let i = 0; i < 30; i++) replies.push(await send(a, '127.0.0.3', 'POST', '/session/auth', authBody(Keypair.generate().publicKey, me)));
    const reads = a.daemon.ctx.cache.reads - readsBefore;
    expect(count(replies, 404), 'every request reached the chain').toBeLessThan(30);
    expect(reads, `chain reads caused by one client: ${reads}`).toBeLessThanOrEqual(10);
  });
});

describe('client address behind a proxy (DVPN_TRUST_PROXY=true)', () => {
  it('control: without X-Forwarded-For the socket address is the client', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 12; i++) replies.push(await send(b, '127.0.0.5', 'POST', '/session/auth', badSignatureBody()));
    expect(count(replies, 429)).toBeGreaterThan(0);
  });

  // FINDING: the daemon takes the FIRST X-Forwarded-For entry, which the client writes itself; a
  // proxy (nginx $proxy_add_x_forwarded_for, HAProxy, Caddy) appends the address it saw at the end.
  // One client behind the proxy names a new "client" each request and is never limited.
  it('one real client (the address the proxy appended) stays one client whatever it puts first', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 30; i++) {
      replies.push(
        await send(b, '127.0.0.6', 'POST', '/session/auth', badSignatureBody(), {
          // What the daemon receives from a proxy that appended the real client 203.0.113.7.
          'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.7`,
        }),
      );
    }
    expect(count(replies, 429), `401s: ${count(replies, 401)}`).toBeGreaterThanOrEqual(20);
  });
});

describe('paths and errors', () => {
  // FINDING: the dot-segment check splits the raw target at '?' only; a '#' after the dot segment
  // hides it from the check, and WHATWG URL parsing then resolves it (and %2e%2e too).
  it.each(['/node/x/..#', '/node/x/%2e%2e#', '/node/x/.%2E#y'])('refuses %s with 400 bad_url instead of resolving it', async (path) => {
    const r = await raw(a, '127.0.0.7', `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(r.status, r.body.slice(0, 200)).toBe(400);
    expect(r.body).toContain('bad_url');
  });

  // FINDING: 404 echoes the whole path; errors are meant to be short.
  it('answers a 12 kB unknown path with a short error', async () => {
    const r = await send(a, '127.0.0.7', 'GET', `/${'A'.repeat(12_000)}`);
    expect(r.status).toBe(404);
    expect(r.body.length, 'bytes of the 404 body').toBeLessThan(1024);
  });
});

describe('auth races with the chain', () => {
  // FINDING: auth answers from the session cache (kept up to sessionCacheMaxAgeMs, refreshed by the
  // poll), so a session closed on chain is still admitted with a new key until the next poll.
  it('refuses a new key for a session that is already Closed on chain', async () => {
    const s = await openTimeSession(chain, nodeA, 10);
    const first = await send(a, '127.0.0.8', 'POST', '/session/auth', authBody(s.session, s.user));
    expect(first.status, first.body).toBe(200);
    await chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]);
    const key = generateWgKeypair().publicKey;
    const second = await send(a, '127.0.0.8', 'POST', '/session/auth', authBody(s.session, s.user, key));
    expect(second.status, second.body.slice(0, 300)).toBe(409);
    expect(a.wg.peers.has(key)).toBe(false);
  });

  // FINDING (low): X25519 ignores the top bit of a public key (RFC 7748; keys.ts says so for the
  // low-order check), but key ownership compares the base64 strings, so one X25519 key is held by
  // two sessions: K and K with bit 255 set.
  it('refuses the same X25519 key in another encoding (top bit set) for a second session', async () => {
    const s1 = await openTimeSession(chain, nodeA, 10);
    const s2 = await openTimeSession(chain, nodeA, 10);
    const k = generateWgKeypair().publicKey;
    const bytes = Buffer.from(k, 'base64');
    bytes[31] |= 0x80;
    const k2 = bytes.toString('base64');
    const r1 = await send(a, '127.0.0.9', 'POST', '/session/auth', authBody(s1.session, s1.user, k));
    expect(r1.status, r1.body).toBe(200);
    const r2 = await send(a, '127.0.0.9', 'POST', '/session/auth', authBody(s2.session, s2.user, k2));
    expect(r2.status, r2.body.slice(0, 300)).toBe(409);
  });

  // FINDING (low): the node's own key is refused by string comparison only; the same X25519 key
  // with bit 255 set is admitted as a client key.
  it("refuses the node's own key with its top bit set, as it refuses the key itself", async () => {
    const s = await openTimeSession(chain, nodeA, 10);
    const own = Buffer.from(nodeA.wgServerPubkey);
    own[31] |= 0x80;
    const r = await send(a, '127.0.0.10', 'POST', '/session/auth', authBody(s.session, s.user, own.toString('base64')));
    expect(r.status, r.body.slice(0, 300)).toBe(400);
  });
});
