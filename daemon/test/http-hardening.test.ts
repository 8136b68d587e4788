// The HTTP API and auth under attack (from an outside audit): real embedded chain, real
// HTTP server over TCP on loopback, in-memory WireGuard. Every test asserts a promise of
// daemon/README.md.
//
// Distinct loopback source addresses (127.0.0.x, all routed to lo on Linux)
// stand for distinct clients, so one test's buckets do not touch another's.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { request } from 'node:http';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { closeSessionIx, createProviderWithNode, initConfig, openTimeSession, openUsageSession, type ConfigCtx, type NodeCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { authBody, startInProcess, type InProc } from './helpers/inproc.js';

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
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) replies.push(await send(a, '127.0.0.2', 'POST', '/session/auth', badSignatureBody()));
    // The burst (5) plus what the bucket refilled (1/s) while the requests were made, on a machine of any speed.
    const allowed = 5 + Math.ceil((Date.now() - t0) / 1000);
    expect(count(replies, 401)).toBeLessThanOrEqual(allowed);
    expect(count(replies, 429)).toBeGreaterThanOrEqual(20 - allowed);
  });

  // A client opens 16 requests, sends each one's headers and all but the last body byte, then
  // the last bytes together. Were the limit only checked at the start and charged on failure,
  // all 16 would pass the check each time the bucket held one token.
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

  // Anyone signs with a throwaway wallet (the signature checks out against the `user` it names)
  // for random session addresses: each costs a chain read, so each 404 counts as a failure.
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

describe('failed ticks', () => {
  it('counts wrong preimages and unknown sessions as failures (cut to the burst, then 429); paid ticks cost nothing', async () => {
    const s = await openUsageSession(chain, nodeA, { maxTicks: 100, durationMinutes: 30 });
    const pda = s.session.toBase58();
    const ok = await send(a, '127.0.0.11', 'POST', '/session/auth', authBody(s.session, s.user));
    expect(ok.status, ok.body).toBe(200);
    const replies: Reply[] = [];
    for (let i = 0; i < 8; i++) replies.push(await send(a, '127.0.0.12', 'POST', `/session/${pda}/ticks`, { tick: 90, preimage: randomBytes(32).toString('hex') }));
    for (let i = 0; i < 4; i++) {
      replies.push(await send(a, '127.0.0.12', 'POST', `/session/${Keypair.generate().publicKey.toBase58()}/ticks`, { tick: 1, preimage: randomBytes(32).toString('hex') }));
    }
    expect(count(replies, 400) + count(replies, 404), JSON.stringify(replies.map((r) => r.status))).toBeLessThanOrEqual(6);
    expect(count(replies, 429)).toBeGreaterThanOrEqual(6);
    // Another client pays tick after tick: successes never use up its failure budget (5).
    for (let t = 1; t <= 12; t++) {
      const r = await send(a, '127.0.0.11', 'POST', `/session/${pda}/ticks`, { tick: t, preimage: Buffer.from(s.hashChain!.preimage(t)).toString('hex') });
      expect(r.status, r.body).toBe(200);
    }
    // A long gap (checked on the hash worker) pays too.
    const far = await send(a, '127.0.0.11', 'POST', `/session/${pda}/ticks`, { tick: 92, preimage: Buffer.from(s.hashChain!.preimage(92)).toString('hex') });
    expect(far.status, far.body).toBe(200);
    expect(JSON.parse(far.body).paidTick).toBe('92');
  });
});

describe('client address behind a proxy (DVPN_TRUST_PROXY=true)', () => {
  it('control: without X-Forwarded-For the socket address is the client', async () => {
    const replies: Reply[] = [];
    for (let i = 0; i < 12; i++) replies.push(await send(b, '127.0.0.5', 'POST', '/session/auth', badSignatureBody()));
    expect(count(replies, 429)).toBeGreaterThan(0);
  });

  // The first X-Forwarded-For entries are whatever the client wrote; a proxy (nginx
  // $proxy_add_x_forwarded_for, HAProxy, Caddy) appends the address it saw at the end.
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
  // A '#' after a dot segment could hide it from a check of the path, while WHATWG URL parsing
  // still resolves it (and %2e%2e too).
  it.each(['/node/x/..#', '/node/x/%2e%2e#', '/node/x/.%2E#y'])('refuses %s with 400 bad_url instead of resolving it', async (path) => {
    const r = await raw(a, '127.0.0.7', `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(r.status, r.body.slice(0, 200)).toBe(400);
    expect(r.body).toContain('bad_url');
  });

  // Errors are short: the path is not echoed.
  it('answers a 12 kB unknown path with a short error', async () => {
    const r = await send(a, '127.0.0.7', 'GET', `/${'A'.repeat(12_000)}`);
    expect(r.status).toBe(404);
    expect(r.body.length, 'bytes of the 404 body').toBeLessThan(1024);
  });
});

describe('auth races with the chain', () => {
  // The session cache is refreshed by the poll only; a new key is checked against the chain now.
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

  // X25519 ignores the top bit of a public key (RFC 7748): K and K with bit 255 set are one key.
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
    expect([400, 409], r2.body.slice(0, 300)).toContain(r2.status);
    expect(a.wg.peers.has(k2)).toBe(false);
  });

  // The node's own key in another spelling is still the node's own key.
  it("refuses the node's own key with its top bit set, as it refuses the key itself", async () => {
    const s = await openTimeSession(chain, nodeA, 10);
    const own = Buffer.from(nodeA.wgServerPubkey);
    own[31] |= 0x80;
    const r = await send(a, '127.0.0.10', 'POST', '/session/auth', authBody(s.session, s.user, own.toString('base64')));
    expect(r.status, r.body.slice(0, 300)).toBe(400);
  });
});
