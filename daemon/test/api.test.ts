// The HTTP API against a real daemon server (in process, real chain, in-memory
// WireGuard): routing, body limits, validation of hostile input, and every
// auth refusal — each a clear 4xx that adds no peer.
import { existsSync, rmSync } from 'node:fs';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionState } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import {
  claimChunkIx,
  closeSessionIx,
  createProviderWithNode,
  initConfig,
  mustFetchSession,
  openTimeSession,
  openUsageSession,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Target } from './helpers/http.js';
import { authBody, startInProcess, type InProc } from './helpers/inproc.js';

let chain: Chain;
let cfg: ConfigCtx;
let nodeCtx: NodeCtx;
let otherNode: NodeCtx;
let d: InProc;
let t: Target;
let usage: SessionCtx;

const MARKER = '/tmp/dvpn-pwned-marker';

beforeAll(async () => {
  rmSync(MARKER, { force: true });
  chain = await startChain();
  cfg = await initConfig(chain);
  nodeCtx = await createProviderWithNode(chain, { maxCapacity: 8, endpoint: '192.0.2.1:51820' });
  otherNode = await createProviderWithNode(chain, { maxCapacity: 8 });
  usage = await openUsageSession(chain, nodeCtx, { maxTicks: 100, tickAmount: 10_000n, durationMinutes: 30 });
  d = await startInProcess(chain, nodeCtx, { overrides: { http: { bodyLimitBytes: 4096 } } });
  t = d.target;
}, 60_000);

afterAll(async () => {
  await d?.close();
  chain?.close();
});

const peerSets = () => d.wg.calls.filter((c) => c.op === 'set').length;

async function expectRefused(body: unknown, status: number, code: string) {
  const before = peerSets();
  const peers = d.wg.peers.size;
  const r = await http(t, 'POST', '/session/auth', body);
  expect(r.status, r.text).toBe(status);
  expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
  expect(peerSets()).toBe(before);
  expect(d.wg.peers.size).toBe(peers);
  return r;
}

describe('routes', () => {
  it('serves healthz, node and metrics', async () => {
    const h = await http(t, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    const n = await http(t, 'GET', '/node');
    expect(n.status).toBe(200);
    expect(n.json.node).toBe(nodeCtx.node.toBase58());
    expect(n.json.wireguard.publicKey).toBe(Buffer.from(nodeCtx.wgServerPubkey).toString('base64'));
    expect(n.json.wireguard.serverAddress).toBe('10.77.0.1');
    const m = await http(t, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(m.text).toMatch(/^dvpn_up 1$/m);
    expect(m.text).toContain('# TYPE dvpn_auth_total counter');
    // prom-client's process/runtime metrics, build info and RPC latency beside the domain metrics.
    expect(m.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(m.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(m.text).toMatch(/^dvpn_daemon_build_info\{version="[^"]+",nodejs="v\d+[^"]*",node="[1-9A-HJ-NP-Za-km-z]{32,44}"\} 1$/m);
    expect(m.text).toMatch(/^dvpn_rpc_request_duration_seconds_count\{method="getAccountInfo"\} [1-9]/m);
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    const a = await http(t, 'GET', '/nope');
    expect(a.status).toBe(404);
    expect(a.json.error.code).toBe('not_found');
    const b = await http(t, 'GET', '/session/auth');
    expect(b.status).toBe(405);
    expect(b.headers.allow).toBe('POST');
    const c = await http(t, 'DELETE', '/node');
    expect(c.status).toBe(405);
  });
});

describe('request bodies', () => {
  it('refuses malformed JSON', async () => {
    const r = await http(t, 'POST', '/session/auth', undefined, { raw: '{"sessionPda": "abc", ' });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('malformed_json');
  });

  it('refuses a body that is not JSON by content type', async () => {
    const r = await http(t, 'POST', '/session/auth', undefined, { raw: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe('unsupported_media_type');
  });

  it('refuses an oversized body with 413 (declared length)', async () => {
    const big = JSON.stringify({ sessionPda: 'x'.repeat(10_000) });
    const r = await http(t, 'POST', '/session/auth', undefined, { raw: big });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('body_too_large');
  });

  it('refuses an oversized chunked body with 413 (no length given)', async () => {
    const big = JSON.stringify({ sessionPda: 'x'.repeat(10_000) });
    const r = await http(t, 'POST', '/session/auth', undefined, { raw: big, chunked: true });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('body_too_large');
  });

  it('answers a 10 MB chunked body with 413, not a reset', async () => {
    const big = JSON.stringify({ sessionPda: 'x'.repeat(10 * 1024 * 1024) });
    const r = await http(d.tcp, 'POST', '/session/auth', undefined, { raw: big, chunked: true });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('body_too_large');
  });

  it('refuses dot segments instead of resolving them', async () => {
    const pda = usage.session.toBase58();
    for (const path of ['/session/../node', `/session/${pda}/../../metrics`, '/session/%2e%2e/node', '/session/.%2E/node', `/session/${pda}%2f..%2f..%2fmetrics`]) {
      const r = await http(d.tcp, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(r.json.error.code).toBe('bad_url');
    }
  });

  it('answers a client too slow to send its request 408 within the request timeout', async () => {
    const slow = await startInProcess(chain, otherNode, { overrides: { http: { requestTimeoutMs: 1000 } } });
    try {
      const { connect } = await import('node:net');
      const answer = await new Promise<string>((resolve, reject) => {
        const sock = connect(slow.tcp.port!, '127.0.0.1', () => sock.write('POST /session/auth HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{'));
        let got = '';
        sock.on('data', (c) => (got += c));
        sock.on('close', () => resolve(got));
        sock.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await slow.close();
    }
  });

  it('refuses unknown and missing fields', async () => {
    const body = authBody(usage.session, usage.user);
    const r1 = await http(t, 'POST', '/session/auth', { ...body, extra: 1 });
    expect(r1.status).toBe(400);
    expect(r1.json.error.code).toBe('invalid_request');
    const { signature: _s, ...missing } = body;
    const r2 = await http(t, 'POST', '/session/auth', missing);
    expect(r2.status).toBe(400);
    expect(r2.json.error.details.map((i: { path: string }) => i.path)).toContain('signature');
  });
});

describe('hostile WireGuard keys', () => {
  const valid = generateWgKeypair().publicKey;
  const hostile = [
    '$(touch /tmp/dvpn-pwned-marker)',
    `${valid.slice(0, 40)};id=`,
    '`touch /tmp/dvpn-pwned-marker`',
    `${valid} ; touch /tmp/dvpn-pwned-marker`,
    `${valid}\nallowed-ips 0.0.0.0/0`,
    `-${valid.slice(1)}`,
    `${valid.slice(0, 43)}|`,
    "'; touch /tmp/dvpn-pwned-marker #",
    Buffer.alloc(31, 1).toString('base64'), // 31 bytes
    Buffer.alloc(33, 1).toString('base64'), // 33 bytes
    `${valid.slice(0, 42)}B=`, // non-canonical base64 (low bits set)
    valid.replace(/=$/, ''), // unpadded
    'remove',
    '',
  ];
  for (const key of hostile) {
    it(`refuses ${JSON.stringify(key).slice(0, 48)}`, async () => {
      // Signed correctly, so only the key itself can be the reason.
      const ts = Math.floor(Date.now() / 1000);
      const message = `dvpn-auth/v1|${usage.session.toBase58()}|${key}|${ts}`;
      const signature = Buffer.from(
        (await import('tweetnacl')).default.sign.detached(new TextEncoder().encode(message), usage.user.secretKey),
      ).toString('base64');
      const r = await expectRefused(
        { sessionPda: usage.session.toBase58(), user: usage.user.publicKey.toBase58(), clientWgPubkey: key, signature, timestamp: ts },
        400,
        'invalid_request',
      );
      expect([...new Set(r.json.error.details.map((i: { path: string }) => i.path))]).toEqual(['clientWgPubkey']);
    });
  }

  it('never ran a shell', () => {
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses hostile session addresses in the body and in the path', async () => {
    const body = authBody(usage.session, usage.user);
    await expectRefused({ ...body, sessionPda: '../../etc/passwd' }, 400, 'invalid_request');
    await expectRefused({ ...body, sessionPda: '$(id)' }, 400, 'invalid_request');
    const r = await http(t, 'POST', `/session/${encodeURIComponent('$(touch /tmp/dvpn-pwned-marker)')}/ticks`, { tick: 1, preimage: '00'.repeat(32) });
    expect(r.status).toBe(400);
    const g = await http(t, 'GET', `/session/${encodeURIComponent('; ls')}`);
    expect(g.status).toBe(400);
    expect(existsSync(MARKER)).toBe(false);
  });
});

describe('auth', () => {
  let admittedKey: string;
  let admittedBody: ReturnType<typeof authBody>;

  it('admits the session user and answers a complete client config', async () => {
    admittedKey = generateWgKeypair().publicKey;
    admittedBody = authBody(usage.session, usage.user, admittedKey);
    const r = await http(t, 'POST', '/session/auth', admittedBody);
    expect(r.status, r.text).toBe(200);
    expect(r.json.session).toBe(usage.session.toBase58());
    expect(r.json.mode).toBe('usage');
    const address = r.json.wireguard.interface.address as string;
    expect(address).toMatch(/^10\.77\.0\.\d+\/32$/);
    expect(address).not.toBe('10.77.0.1/32');
    expect(r.json.wireguard.peer).toEqual({
      publicKey: Buffer.from(nodeCtx.wgServerPubkey).toString('base64'),
      endpoint: '192.0.2.1:51820',
      allowedIps: ['10.77.0.0/24'],
      persistentKeepalive: 25,
    });
    expect(r.json.config).toContain('[Interface]');
    expect(r.json.config).toContain(`Address = ${address}`);
    expect(r.json.config).toContain('DNS = 1.1.1.1');
    expect(r.json.config).toContain(`PublicKey = ${r.json.wireguard.peer.publicKey}`);
    expect(r.json.config).toContain('Endpoint = 192.0.2.1:51820');
    expect(r.json.config).toContain('AllowedIPs = 10.77.0.0/24');
    expect(r.json.payment).toMatchObject({ mode: 'usage', paidTick: '0', maxTicks: '100', tickAmount: '10000' });
    expect(d.wg.calls.at(-1)).toEqual({ op: 'set', args: [admittedKey, address.split('/')[0]] });
    expect(d.wg.peers.has(admittedKey)).toBe(true);
  });

  it('refuses a replayed auth message', async () => {
    await expectRefused(admittedBody, 409, 'auth_replayed');
  });

  it('refuses a signature by another wallet', async () => {
    await expectRefused(authBody(usage.session, Keypair.generate()), 401, 'bad_signature');
  });

  it('refuses a signature over another key or timestamp', async () => {
    const body = authBody(usage.session, usage.user);
    await expectRefused({ ...body, clientWgPubkey: generateWgKeypair().publicKey }, 401, 'bad_signature');
    await expectRefused({ ...body, timestamp: body.timestamp - 1 }, 401, 'bad_signature');
  });

  it('refuses a stale timestamp', async () => {
    await expectRefused(authBody(usage.session, usage.user, undefined, Math.floor(Date.now() / 1000) - 3600), 401, 'stale_timestamp');
    await expectRefused(authBody(usage.session, usage.user, undefined, Math.floor(Date.now() / 1000) + 3600), 401, 'stale_timestamp');
  });

  it("refuses another node's session", async () => {
    const s = await openTimeSession(chain, otherNode, 10);
    await expectRefused(authBody(s.session, s.user), 403, 'wrong_node');
  });

  it('refuses a session that does not exist, and an account that is not a session', async () => {
    await expectRefused(authBody(Keypair.generate().publicKey, usage.user), 404, 'session_not_found');
    await expectRefused(authBody(nodeCtx.node, usage.user), 400, 'not_a_session');
  });

  it('refuses a closed session', async () => {
    const s = await openTimeSession(chain, nodeCtx, 10);
    await chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]);
    expect((await mustFetchSession(chain, s.session)).state).toBe(SessionState.Closed);
    await expectRefused(authBody(s.session, s.user), 409, 'session_not_active');
  });

  it('refuses an unfunded session (all escrow claimed)', async () => {
    const s = await openUsageSession(chain, nodeCtx, { maxTicks: 2, tickAmount: 5_000n, durationMinutes: 30 });
    await chain.send(claimChunkIx(chain, s, cfg.treasury.publicKey, 2), [nodeCtx.owner.authority]);
    expect((await mustFetchSession(chain, s.session)).remainingBalance).toBe(0n);
    await expectRefused(authBody(s.session, s.user), 402, 'session_unfunded');
  });

  it('refuses a key already used by another session', async () => {
    const s = await openTimeSession(chain, nodeCtx, 10);
    await expectRefused(authBody(s.session, s.user, admittedKey), 409, 'key_in_use');
  });

  it('re-auth with a new key replaces the peer of the session', async () => {
    const key = generateWgKeypair().publicKey;
    const r = await http(t, 'POST', '/session/auth', authBody(usage.session, usage.user, key));
    expect(r.status, r.text).toBe(200);
    expect(d.wg.peers.has(admittedKey)).toBe(false);
    expect(d.wg.peers.has(key)).toBe(true);
    admittedKey = key;
    // Where admissions waited, by stage (a key change also waits for a metering dump).
    const m = (await http(t, 'GET', '/metrics')).text;
    for (const stage of ['session_read', 'journal', 'wireguard', 'meter']) {
      expect(m).toMatch(new RegExp(`^dvpn_auth_stage_seconds_count\\{stage="${stage}"\\} [1-9]`, 'm'));
    }
  });
});

describe('ticks', () => {
  const tick = (n: number, preimage: Uint8Array) =>
    http(t, 'POST', `/session/${usage.session.toBase58()}/ticks`, { tick: n, preimage: Buffer.from(preimage).toString('hex') });

  it('accepts verified preimages, idempotently', async () => {
    const r1 = await tick(1, usage.hashChain!.preimage(1));
    expect(r1.status, r1.text).toBe(200);
    expect(r1.json.paidTick).toBe('1');
    const r3 = await tick(3, usage.hashChain!.preimage(3));
    expect(r3.json.paidTick).toBe('3');
    const again = await tick(3, usage.hashChain!.preimage(3));
    expect(again.status).toBe(200);
    expect(again.json.paidTick).toBe('3');
  });

  it('refuses a wrong preimage, a stale tick, a tick beyond the chain', async () => {
    const bad = await tick(4, usage.hashChain!.preimage(5));
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_preimage');
    const stale = await tick(2, usage.hashChain!.preimage(2));
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('stale_tick');
    expect(stale.json.error.details.paidTick).toBe('3');
    const beyond = await tick(101, new Uint8Array(32));
    expect(beyond.status).toBe(400);
    expect(beyond.json.error.code).toBe('tick_beyond_chain');
    const zero = await tick(0, new Uint8Array(32));
    expect(zero.status).toBe(400);
    const malformed = await http(t, 'POST', `/session/${usage.session.toBase58()}/ticks`, { tick: 4, preimage: 'zz' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('invalid_request');
  });

  it('refuses ticks for unknown and time sessions', async () => {
    const unknown = await http(t, 'POST', `/session/${Keypair.generate().publicKey.toBase58()}/ticks`, { tick: 1, preimage: '00'.repeat(32) });
    expect(unknown.status).toBe(404);
    const s = await openTimeSession(chain, nodeCtx, 10);
    expect((await http(t, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
    const r = await http(t, 'POST', `/session/${s.session.toBase58()}/ticks`, { tick: 1, preimage: '00'.repeat(32) });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('not_usage_session');
  });

  it('GET /session/:pda shows the daemon and chain views', async () => {
    const r = await http(t, 'GET', `/session/${usage.session.toBase58()}`);
    expect(r.status).toBe(200);
    expect(r.json.known).toBe(true);
    expect(r.json.daemon.peer.publicKey).toBeTruthy();
    expect(r.json.daemon.payment.paidTick).toBe('3');
    expect(r.json.chain.state).toBe('Active');
    expect(r.json.chain.maxTicks).toBe('100');
    const missing = await http(t, 'GET', `/session/${Keypair.generate().publicKey.toBase58()}`);
    expect(missing.status).toBe(404);
  });
});

describe('expiry', () => {
  it('refuses an expired session', async () => {
    const s = await openTimeSession(chain, nodeCtx, 1);
    await chain.warpSeconds(61);
    await expectRefused(authBody(s.session, s.user), 410, 'session_expired');
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the burst, per client', async () => {
    const limited = await startInProcess(chain, otherNode, { overrides: { http: { rateLimit: { perSecond: 1, burst: 5 } } } });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => http(limited.target, 'GET', '/node')));
      const codes = results.map((r) => r.status);
      expect(codes.filter((c) => c === 200).length).toBe(5);
      const refused = results.find((r) => r.status === 429)!;
      expect(refused.json.error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Health and metrics stay reachable.
      expect((await http(limited.target, 'GET', '/healthz')).status).toBe(200);
      expect((await http(limited.target, 'GET', '/metrics')).text).toMatch(/dvpn_http_rate_limited_total\{route="node"\} 7/);
    } finally {
      await limited.close();
    }
  });
});
