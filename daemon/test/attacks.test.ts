// An outside attack on the daemon's promises (README: HTTP API, Who pays
// what, Peers go away when, State, Metrics), from a hostile user, a hostile
// peer and a hostile network. Real embedded chain, real daemon server over
// TCP on loopback (in process, in-memory WireGuard: these attacks are on
// admission, ticks and HTTP, not on packets; see attacks-net.test.ts for
// those). Each test is an attack; what the daemon must still do is asserted.
import bs58 from 'bs58';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import {
  closeSessionIx,
  createProviderWithNode,
  initConfig,
  openTimeSession,
  openUsageSession,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../../tests/harness/fixtures.js';
import { clientKey } from '../src/http/server.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Target } from './helpers/http.js';
import { authBody, startInProcess, waitFor, type InProc } from './helpers/inproc.js';

let chain: Chain;
let cfg: ConfigCtx;
let nodeCtx: NodeCtx;
let otherNode: NodeCtx;
let d: InProc;
let t: Target;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
  nodeCtx = await createProviderWithNode(chain, { maxCapacity: 40, endpoint: '192.0.2.1:51820' });
  otherNode = await createProviderWithNode(chain, { maxCapacity: 8 });
  d = await startInProcess(chain, nodeCtx);
  t = d.tcp;
}, 90_000);

afterAll(async () => {
  await d?.close();
  chain?.close();
});

/** The peers WireGuard has for `session` according to the daemon's record, and the record's key. */
function wgKeysOf(session: SessionCtx): { recKey: string | null; inWg: boolean } {
  const rec = d.daemon.ctx.store.sessions.get(session.session.toBase58());
  const recKey = rec?.peer?.publicKey ?? null;
  return { recKey, inWg: recKey !== null && d.wg.peers.has(recKey) };
}

describe('forged and replayed auth messages', () => {
  it('one signature re-encoded (base64, hex, base58) and one timestamp re-spelled is still one message: replays refused', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const key = generateWgKeypair().publicKey;
    const body = authBody(s.session, s.user, key);
    const first = await http(t, 'POST', '/session/auth', body);
    expect(first.status, first.text).toBe(200);
    const sig = Buffer.from(body.signature, 'base64');
    for (const variant of [
      { ...body, signature: sig.toString('hex') },
      { ...body, signature: sig.toString('hex').toUpperCase() },
      { ...body, signature: bs58.encode(sig) },
      { ...body, timestamp: String(body.timestamp) },
      { ...body, timestamp: `0${body.timestamp}` },
    ]) {
      const r = await http(t, 'POST', '/session/auth', variant);
      expect(r.status, JSON.stringify(variant)).toBe(409);
      expect(r.json.error.code).toBe('auth_replayed');
    }
    expect(wgKeysOf(s)).toEqual({ recKey: key, inWg: true });
  });

  it("a replayed message cannot take back a session's old key after a re-key", async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const old = authBody(s.session, s.user);
    expect((await http(t, 'POST', '/session/auth', old)).status).toBe(200);
    const fresh = authBody(s.session, s.user);
    expect((await http(t, 'POST', '/session/auth', fresh)).status).toBe(200);
    const r = await http(t, 'POST', '/session/auth', old);
    expect(r.status).toBe(409);
    expect(wgKeysOf(s)).toEqual({ recKey: fresh.clientWgPubkey, inWg: true });
    expect(d.wg.peers.has(old.clientWgPubkey)).toBe(false);
  });

  it('a signature by another wallet, a user field naming another wallet, or a message for another key admits nothing', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const mallory = Keypair.generate();
    const peersBefore = d.wg.peers.size;
    // Mallory signs for the victim's session, naming herself: the chain says the user is someone else.
    const a = await http(t, 'POST', '/session/auth', authBody(s.session, mallory));
    expect(a.status).toBe(401);
    expect(a.json.error.code).toBe('bad_signature');
    // Mallory takes the victim's signed body and swaps in her own key.
    const victim = authBody(s.session, s.user);
    const swapped = { ...victim, clientWgPubkey: generateWgKeypair().publicKey };
    const b = await http(t, 'POST', '/session/auth', swapped);
    expect(b.status).toBe(401);
    // Or names the victim as user with her own signature.
    const c = await http(t, 'POST', '/session/auth', { ...authBody(s.session, mallory), user: s.user.publicKey.toBase58() });
    expect(c.status).toBe(401);
    // Flipped bit in the signature.
    const sig = Buffer.from(victim.signature, 'base64');
    sig[5] ^= 1;
    const e = await http(t, 'POST', '/session/auth', { ...victim, signature: sig.toString('base64') });
    expect(e.status).toBe(401);
    expect(d.wg.peers.size).toBe(peersBefore);
    // The victim's own untouched request still works (nothing above consumed it).
    expect((await http(t, 'POST', '/session/auth', victim)).status).toBe(200);
  });

  it('timestamps outside the window (past, future, zero, huge) are 401/400 and consume nothing', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const window = d.config.auth.timestampWindowSeconds;
    for (const ts of [now() - window - 5, now() + window + 5, 0, 1]) {
      const r = await http(t, 'POST', '/session/auth', authBody(s.session, s.user, undefined, ts));
      expect(r.status, String(ts)).toBe(401);
      expect(r.json.error.code).toBe('stale_timestamp');
    }
    for (const ts of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '1e9', ' 1', '１２３', '0x10']) {
      const body = { ...authBody(s.session, s.user), timestamp: ts };
      const r = await http(t, 'POST', '/session/auth', body);
      expect([400, 401], String(ts)).toContain(r.status);
    }
    expect(wgKeysOf(s).recKey).toBe(null);
  });

  it("a session of another node is 403 wrong_node, even signed by its user", async () => {
    const s = await openTimeSession(chain, otherNode, 30);
    const r = await http(t, 'POST', '/session/auth', authBody(s.session, s.user));
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('wrong_node');
    const g = await http(t, 'GET', `/session/${s.session.toBase58()}`);
    expect(g.status).toBe(404);
  });

  it('hostile field shapes: unicode look-alikes, overlong strings, extra and prototype keys, non-canonical keys are 400', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const good = authBody(s.session, s.user);
    const pda = good.sessionPda;
    const variants: Array<Record<string, unknown>> = [
      { ...good, sessionPda: pda.replace(/[a-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)) }, // fullwidth letter
      { ...good, sessionPda: `${pda}\u200b` },
      { ...good, sessionPda: `1${pda}` },
      { ...good, user: 'A'.repeat(4000) },
      { ...good, clientWgPubkey: `${good.clientWgPubkey}\n` },
      { ...good, clientWgPubkey: good.clientWgPubkey.replace(/=$/, '') },
      // the last base64 digit with non-zero padding bits: another spelling of the same 32 bytes
      { ...good, clientWgPubkey: good.clientWgPubkey.slice(0, 42) + String.fromCharCode(good.clientWgPubkey.charCodeAt(42) + 1) + '=' },
      { ...good, signature: `${good.signature}=` },
      { ...good, signature: good.signature.replace(/==$/, '') },
      { ...good, extra: 1 },
      JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(good).slice(1)}`),
      { ...good, timestamp: [good.timestamp] },
      { ...good, sessionPda: [pda] },
    ];
    for (const v of variants) {
      const r = await http(t, 'POST', '/session/auth', v);
      expect([400, 401], JSON.stringify(v).slice(0, 200)).toContain(r.status);
    }
    expect(wgKeysOf(s).recKey).toBe(null);
    expect((await http(t, 'POST', '/session/auth', good)).status).toBe(200);
  });
});

describe('races on keys and sessions', () => {
  it('twelve concurrent auths of one session with twelve keys leave exactly one peer, and the eleven losing keys free', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const bodies = Array.from({ length: 12 }, () => authBody(s.session, s.user));
    const answers = await Promise.all(bodies.map((b) => http(t, 'POST', '/session/auth', b)));
    for (const a of answers) expect([200, 409], a.text).toContain(a.status);
    const keys = new Set(bodies.map((b) => b.clientWgPubkey));
    const { recKey, inWg } = wgKeysOf(s);
    expect(recKey !== null && keys.has(recKey)).toBe(true);
    expect(inWg).toBe(true);
    // Exactly one of the twelve keys is in WireGuard.
    expect([...keys].filter((k) => d.wg.peers.has(k))).toEqual([recKey]);
    // A losing key belongs to no one: another session may take it.
    const loser = [...keys].find((k) => k !== recKey)!;
    const other = await openTimeSession(chain, nodeCtx, 30);
    const r = await http(t, 'POST', '/session/auth', authBody(other.session, other.user, loser));
    expect(r.status, r.text).toBe(200);
    expect(wgKeysOf(other)).toEqual({ recKey: loser, inWg: true });
    expect(wgKeysOf(s).recKey).toBe(recKey);
  });

  it('one key sent by six sessions at once (their users colluding or copying) goes to exactly one', async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, () => openTimeSession(chain, nodeCtx, 30)));
    const key = generateWgKeypair().publicKey;
    const answers = await Promise.all(sessions.map((s) => http(t, 'POST', '/session/auth', authBody(s.session, s.user, key))));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409 && a.json.error.code === 'key_in_use')).toHaveLength(5);
    expect(sessions.filter((s) => wgKeysOf(s).recKey === key)).toHaveLength(1);
  });

  it('auth racing a close on chain: once the close is visible no new key gets in, and the poll removes the peer', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    expect((await http(t, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
    const racing = Array.from({ length: 4 }, () => authBody(s.session, s.user));
    const [answers] = await Promise.all([
      Promise.all(racing.map((b) => http(t, 'POST', '/session/auth', b))),
      chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]),
    ]);
    for (const a of answers) expect([200, 409]).toContain(a.status);
    const after = await http(t, 'POST', '/session/auth', authBody(s.session, s.user));
    expect(after.status).toBe(409);
    expect(after.json.error.code).toBe('session_not_active');
    await d.daemon.ctx.lifecycle.pollOnce();
    expect(wgKeysOf(s).recKey).toBe(null);
    for (const b of racing) expect(d.wg.peers.has(b.clientWgPubkey)).toBe(false);
  });
});

describe('usage-session tick abuse', () => {
  let u: SessionCtx;
  let pda: string;
  beforeAll(async () => {
    u = await openUsageSession(chain, nodeCtx, { maxTicks: 50, durationMinutes: 30 });
    pda = u.session.toBase58();
    const r = await http(t, 'POST', '/session/auth', authBody(u.session, u.user));
    expect(r.status, r.text).toBe(200);
  });
  const pre = (n: number) => hex(u.hashChain!.preimage(n));
  const tick = (body: unknown) => http(t, 'POST', `/session/${pda}/ticks`, body);

  it('wrong preimages, a preimage of another tick, tick 0, huge and beyond-chain ticks pay nothing', async () => {
    const cases: Array<[unknown, number]> = [
      [{ tick: 3, preimage: pre(2) }, 400],
      [{ tick: 3, preimage: pre(4) }, 400],
      [{ tick: 3, preimage: '00'.repeat(32) }, 400],
      [{ tick: 0, preimage: pre(0) }, 400],
      [{ tick: 51, preimage: '11'.repeat(32) }, 400],
      [{ tick: Number.MAX_SAFE_INTEGER, preimage: pre(1) }, 400],
      [{ tick: '99999999999999999999', preimage: pre(1) }, 400],
      [{ tick: -1, preimage: pre(1) }, 400],
      [{ tick: 1, preimage: pre(1).slice(0, 62) }, 400],
      [{ tick: 1, preimage: `${pre(1)}00` }, 400],
      [{ tick: 1, preimage: pre(1), extra: true }, 400],
    ];
    for (const [body, status] of cases) {
      const r = await tick(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
    }
    expect(d.daemon.ctx.store.sessions.get(pda)!.latestTick).toBe(0n);
  });

  it('out of order and duplicate ticks: a later tick pays through it, an earlier one is stale, a repeat is harmless', async () => {
    expect((await tick({ tick: 5, preimage: pre(5) })).status).toBe(200);
    const dup = await tick({ tick: 5, preimage: pre(5).toUpperCase() });
    expect(dup.status).toBe(200);
    expect(dup.json.paidTick).toBe('5');
    const old = await tick({ tick: 3, preimage: pre(3) });
    expect(old.status).toBe(409);
    expect(old.json.error.code).toBe('stale_tick');
    // the same tick with another (wrong) preimage is not a duplicate
    expect((await tick({ tick: 5, preimage: pre(4) })).status).toBe(409);
    const concurrent = await Promise.all([6, 7, 8, 9, 10].map((n) => tick({ tick: n, preimage: pre(n) })));
    for (const r of concurrent) expect([200, 409]).toContain(r.status);
    const rec = d.daemon.ctx.store.sessions.get(pda)!;
    expect(rec.latestTick).toBe(10n);
    expect(rec.latestPreimage).toBe(pre(10));
  });

  it('ticks on a session the node never admitted, or a time session, are refused', async () => {
    const stranger = await openUsageSession(chain, nodeCtx, { maxTicks: 5, durationMinutes: 30 });
    const r = await http(t, 'POST', `/session/${stranger.session.toBase58()}/ticks`, { tick: 1, preimage: hex(stranger.hashChain!.preimage(1)) });
    expect(r.status).toBe(404);
    const time = await openTimeSession(chain, nodeCtx, 30);
    expect((await http(t, 'POST', '/session/auth', authBody(time.session, time.user))).status).toBe(200);
    const r2 = await http(t, 'POST', `/session/${time.session.toBase58()}/ticks`, { tick: 1, preimage: '22'.repeat(32) });
    expect(r2.status).toBe(409);
    expect(r2.json.error.code).toBe('not_usage_session');
  });
});

describe('HTTP abuse and leaks', () => {
  it('path tricks never reach another route or echo the path', async () => {
    for (const path of ['/session/..%2fnode', '/session/%2e%2e/node', '/node/..', '/node/%2E', '/node#x', '/session%2fauth', '/node\\..\\metrics']) {
      const r = await http(t, 'GET', path);
      expect([400, 404], path).toContain(r.status);
      expect(r.text).not.toContain('node"');
    }
    const long = `/${'a'.repeat(8000)}<script>`;
    const r = await http(t, 'GET', long);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('<script>');
    const huge = await http(t, 'GET', '/node', undefined, { headers: { 'x-junk': 'j'.repeat(20_000) } });
    // node:http's header cap (16 KiB): refused before any handler runs
    expect([400, 431]).toContain(huge.status);
  });

  it('/metrics, /healthz and /node name no session, wallet, client key or client address', async () => {
    const s = await openUsageSession(chain, nodeCtx, { maxTicks: 5, durationMinutes: 30 });
    const body = authBody(s.session, s.user);
    const a = await http(t, 'POST', '/session/auth', body);
    expect(a.status).toBe(200);
    const texts = [(await http(t, 'GET', '/metrics')).text, (await http(t, 'GET', '/healthz')).text, (await http(t, 'GET', '/node')).text];
    for (const text of texts) {
      expect(text).not.toContain(s.session.toBase58());
      expect(text).not.toContain(s.user.publicKey.toBase58());
      expect(text).not.toContain(body.clientWgPubkey);
      expect(text).not.toContain(a.json.wireguard.interface.address.split('/')[0]);
    }
  });

  it("a session's view is 404 for an address that holds no session of this node", async () => {
    const mallory = Keypair.generate();
    const r = await http(t, 'GET', `/session/${mallory.publicKey.toBase58()}`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('session_not_found');
  });
});

describe('rate limits against a client with many addresses', () => {
  let p: InProc;
  beforeAll(async () => {
    p = await startInProcess(chain, nodeCtx, {
      overrides: { http: { trustProxy: true, rateLimit: { perSecond: 1, burst: 5 }, authFailureLimit: { perSecond: 1, burst: 3 } } },
    });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('an IPv6 client rotating through the addresses of its own /64 is still one client (behind a trusted proxy)', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const mallory = Keypair.generate();
    // One home connection has a /64 (2^64 addresses); each request from another address of it.
    const statuses: number[] = [];
    for (let i = 1; i <= 30; i++) {
      const r = await http(p.tcp, 'POST', '/session/auth', authBody(s.session, mallory), {
        headers: { 'x-forwarded-for': `2001:db8:77:1:${i.toString(16)}:0:0:${(i * 7).toString(16)}` },
      });
      statuses.push(r.status);
    }
    // Failures cost the /64 its bucket: at most the burst of failures, then 429.
    expect(statuses.filter((x) => x === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(25);
    // Another /64 is another client.
    const other = await http(p.tcp, 'GET', '/node', undefined, { headers: { 'x-forwarded-for': '2001:db8:78:1::1' } });
    expect(other.status).toBe(200);
    // IPv4 clients are still one address each.
    const v4 = await http(p.tcp, 'GET', '/node', undefined, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(v4.status).toBe(200);
    // Every spelling of one /64 is one client; IPv4 (also IPv4-mapped) is the address itself.
    const same = ['2001:db8:77:1::1', '2001:0db8:0077:0001:ffff:ffff:ffff:ffff', '2001:DB8:77:1:0:0:1.2.3.4', '2001:db8:77:1::9%eth0'].map(clientKey);
    expect(new Set(same).size).toBe(1);
    expect(clientKey('2001:db8:77:2::1')).not.toBe(same[0]);
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientKey('198.51.100.7')).not.toBe(clientKey('198.51.100.8'));
  });
});

describe('two daemons on one state directory', () => {
  it('of two processes taking over a dead daemon\'s lock at the same moment, at most one gets the directory', async () => {
    const { spawn, spawnSync } = await import('node:child_process');
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const base = mkdtempSync(join(tmpdir(), 'dvpn-lockrace-'));
    // A pid that is certainly dead: a process that already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const rounds = 150;
    for (let r = 0; r < rounds; r++) {
      mkdirSync(join(base, String(r)));
      writeFileSync(join(base, String(r), 'daemon.lock'), `${dead}\n`);
    }
    const racer = resolve(__dirname, 'helpers/lock-racer.ts');
    const startAt = Date.now() + 4000; // both have loaded by then
    const children = [0, 40].map((offsetUs) =>
      spawn(process.execPath, ['--import', 'tsx', racer, base, String(rounds), String(startAt), '15', String(offsetUs)], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    try {
      const results = await Promise.all(
        children.map(
          (c) =>
            new Promise<boolean[]>((res, rej) => {
              const ok: boolean[] = [];
              let buf = '';
              c.stdout!.on('data', (d: Buffer) => {
                buf += d.toString();
                for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
                  const line = buf.slice(0, i);
                  buf = buf.slice(i + 1);
                  if (line === 'done') return res(ok);
                  const m = JSON.parse(line) as { r: number; ok: boolean };
                  ok[m.r] = m.ok;
                }
              });
              c.once('exit', (code) => rej(new Error(`lock racer exited ${code}`)));
            }),
        ),
      );
      const both = results[0].map((a, r) => a && results[1][r]).filter(Boolean).length;
      const none = results[0].map((a, r) => !a && !results[1][r]).filter(Boolean).length;
      // Exactly one owner per directory: never two daemons writing one journal, never a directory left to nobody.
      expect({ both, none }).toEqual({ both: 0, none: 0 });
    } finally {
      for (const c of children) c.kill('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('floods of the unlimited routes', () => {
  let p: InProc;
  beforeAll(async () => {
    p = await startInProcess(chain, nodeCtx, { overrides: { http: { rateLimit: { perSecond: 20, burst: 40 } } } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('one client pipelining GET /metrics on 16 keep-alive sockets gets few renders; other clients and the local socket still scrape', async () => {
    const { spawn } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const seconds = 3;
    const child = spawn(
      process.execPath,
      [resolve(__dirname, 'helpers/pipeline-flood.mjs'), '127.0.0.1', String(p.tcp.port), '/metrics', String(seconds), '16', '8', '127.0.0.5'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (x: Buffer) => (out += x.toString()));
    await new Promise((r) => child.once('exit', r));
    const { answers, statuses } = JSON.parse(out) as { answers: number; statuses: Record<string, number> };
    expect(answers).toBeGreaterThan(100); // the flood was real
    // Before: every one of ~700 requests a second was a full render (~1 ms of the event loop
    // each), and another client's GET /node went from ~10 ms to ~330 ms.
    expect(statuses['200'] ?? 0).toBeLessThanOrEqual(40 + 20 * (seconds + 1));
    const other = await http({ host: '127.0.0.1', port: p.tcp.port }, 'GET', '/metrics');
    expect(other.status).toBe(200); // another address (the test's own 127.0.0.1) is another client
    expect((await http(p.target, 'GET', '/metrics')).status).toBe(200);
  }, 30_000);
});

describe('slow and idle connections', () => {
  let p: InProc;
  beforeAll(async () => {
    p = await startInProcess(chain, nodeCtx, {
      overrides: { http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, maxConnectionsPerClient: 8 } },
    });
  });
  afterAll(async () => {
    await p?.close();
  });

  const connect = async (localAddress: string) => {
    const net = await import('node:net');
    const s = net.connect({ host: '127.0.0.1', port: p.tcp.port!, localAddress });
    const closed = new Promise<number>((r) => s.once('close', () => r(Date.now())));
    s.on('error', () => undefined);
    s.resume(); // read what the server sends (its 408 and FIN)
    await new Promise<void>((r) => {
      s.once('connect', () => r());
      s.once('close', () => r());
    });
    return { s, closed };
  };

  it('a slowloris trickling a request head one byte at a time is cut within the headers timeout', async () => {
    const { s, closed } = await connect('127.0.0.21');
    const started = Date.now();
    const head = 'GET /node HTTP/1.1\r\nhost: x\r\nx-a: ';
    let i = 0;
    const drip = setInterval(() => {
      if (!s.destroyed) s.write(i < head.length ? head[i++] : 'a');
    }, 100);
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
    clearInterval(drip);
    s.destroy();
    expect(at).toBeGreaterThan(0);
    expect(at - started).toBeLessThan(4000);
  });

  it('one address holding 40 idle keep-alive sockets keeps 8; another address is still served', async () => {
    const socks = await Promise.all(Array.from({ length: 40 }, () => connect('127.0.0.22')));
    await new Promise((r) => setTimeout(r, 300));
    const open = socks.filter((x) => !x.s.destroyed && x.s.readyState === 'open');
    expect(open.length).toBeLessThanOrEqual(8);
    const r = await http({ host: '127.0.0.1', port: p.tcp.port }, 'GET', '/node');
    expect(r.status).toBe(200);
    for (const x of socks) x.s.destroy();
  });
});

describe('state directory tampering', () => {
  it('a corrupted snapshot stops the start with an error instead of starting with empty state (replays and debts would be forgotten)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'dvpn-tamper-'));
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'state.json'), '{"version":1,"seq":7,"sessions":[{"session":"x"');
    await expect(startInProcess(chain, nodeCtx, { dir })).rejects.toThrow();
    writeFileSync(join(dir, 'state', 'state.json'), JSON.stringify({ version: 1, seq: 1, sessions: [{ session: 'not a record' }], replay: {} }));
    await expect(startInProcess(chain, nodeCtx, { dir })).rejects.toThrow();
  });
});

describe('ticks paid far ahead of the claims', () => {
  it("a user revealing 600,000 ticks ahead does not make each claim hash its way down on the daemon's event loop", async () => {
    const cheap = await createProviderWithNode(chain, { maxCapacity: 4 });
    const p = await startInProcess(chain, cheap);
    try {
      const n = 600_000;
      const u = await openUsageSession(chain, cheap, { maxTicks: n, tickAmount: 2n, durationMinutes: 30 });
      const pda = u.session.toBase58();
      expect((await http(p.target, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
      // Pay (reveal) the whole chain ahead, in the largest steps the node allows (checked on its hash worker).
      const step = p.config.usage.maxTickGap;
      for (let tick = step; ; tick += step) {
        const t = Math.min(tick, n);
        const r = await http(p.target, 'POST', `/session/${pda}/ticks`, { tick: t, preimage: hex(u.hashChain!.preimage(t)) });
        expect(r.status, r.text).toBe(200);
        if (t === n) break;
      }
      // Watch the event loop while the poll plans and sends the claims (512 ticks each: far behind, so at once).
      let worst = 0;
      let last = performance.now();
      const watch = setInterval(() => {
        const t = performance.now();
        worst = Math.max(worst, t - last);
        last = t;
      }, 5);
      try {
        for (let i = 0; i < 3; i++) {
          const before = p.daemon.ctx.store.sessions.get(pda)!.chainTick;
          await p.daemon.ctx.lifecycle.pollOnce();
          await waitFor(() => p.daemon.ctx.store.sessions.get(pda)!.chainTick > before, 'a claim of 512 ticks', 30_000, 20);
        }
      } finally {
        clearInterval(watch);
      }
      expect(p.daemon.ctx.store.sessions.get(pda)!.chainTick).toBe(3n * 512n);
      // Before: each claim derived its preimage by ~600,000 SHA-256 rounds in line (~1 s here, every poll).
      expect(worst).toBeLessThan(1000);
    } finally {
      await p.close();
    }
  }, 120_000);
});

describe('a key on its way out', () => {
  it("another session cannot take a re-keyed session's old key while its removal is under way (its peer would be removed right after its 200)", async () => {
    const a = await openTimeSession(chain, nodeCtx, 30);
    const b = await openTimeSession(chain, nodeCtx, 30);
    const k1 = generateWgKeypair().publicKey;
    expect((await http(t, 'POST', '/session/auth', authBody(a.session, a.user, k1))).status).toBe(200);
    // A's re-key: the removal of k1 from WireGuard takes a while (a `wg` call in progress).
    let release!: () => void;
    d.wg.holdRemove.set(k1, new Promise<void>((r) => (release = r)));
    const rekey = http(t, 'POST', '/session/auth', authBody(a.session, a.user));
    await waitFor(() => d.wg.calls.some((c) => c.op === 'remove' && c.args[0] === k1), 'the removal of k1 under way');
    // B sends k1 meanwhile (anyone can read a public key off a config or the wire).
    const grabBody = authBody(b.session, b.user, k1);
    const grab = http(t, 'POST', '/session/auth', grabBody);
    await new Promise((r) => setTimeout(r, 200));
    release();
    d.wg.holdRemove.delete(k1);
    const [r1, r2] = await Promise.all([rekey, grab]);
    expect(r1.status).toBe(200);
    // Whatever B was told must be true afterwards. Before: B got 200, then A's removal took k1
    // out of WireGuard (until a later poll restored it).
    if (r2.status === 200) expect(d.wg.peers.has(k1), 'B was admitted with k1 but WireGuard lost it').toBe(true);
    expect(r2.status).toBe(409);
    expect(r2.json.error.code).toBe('key_in_use');
    // Once the removal is done, the key is free again.
    const again = await http(t, 'POST', '/session/auth', authBody(b.session, b.user, k1, grabBody.timestamp - 1)); // a new message
    expect(again.status).toBe(200);
    expect(d.wg.peers.has(k1)).toBe(true);
  });
});

describe('re-keys and disputes against metering and admission', () => {
  it('re-keying while the poll meters counts every byte of the old and the new key once', async () => {
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 10, durationMinutes: 30 });
    const pda = u.session.toBase58();
    const k1 = generateWgKeypair().publicKey;
    expect((await http(t, 'POST', '/session/auth', authBody(u.session, u.user, k1))).status).toBe(200);
    d.wg.traffic(k1, 1000n, 10n);
    const [, r] = await Promise.all([d.daemon.ctx.lifecycle.pollOnce(), http(t, 'POST', '/session/auth', authBody(u.session, u.user))]);
    expect(r.status).toBe(200);
    const k2 = r.json.clientPublicKey as string;
    d.wg.traffic(k2, 500n, 5n);
    await d.daemon.ctx.lifecycle.pollOnce();
    await d.daemon.ctx.lifecycle.pollOnce();
    const rec = d.daemon.ctx.store.sessions.get(pda)!;
    expect({ rx: rec.bytesRx, tx: rec.bytesTx }).toEqual({ rx: 1500n, tx: 15n });
  });

  it('a user who disputes loses the peer at the next poll and cannot come back with a new key; paid ticks still count', async () => {
    const { ix } = await import('@dvpn/sdk');
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 10, durationMinutes: 30 });
    const pda = u.session.toBase58();
    expect((await http(t, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
    expect((await http(t, 'POST', `/session/${pda}/ticks`, { tick: 2, preimage: hex(u.hashChain!.preimage(2)) })).status).toBe(200);
    await chain.send(
      ix.raiseDispute({ signer: u.user.publicKey, provider: nodeCtx.owner.provider, node: nodeCtx.node, session: u.session, reason: 1 }),
      [u.user],
    );
    const r = await http(t, 'POST', '/session/auth', authBody(u.session, u.user));
    expect(r.status).toBe(409);
    await d.daemon.ctx.lifecycle.pollOnce();
    const rec = d.daemon.ctx.store.sessions.get(pda)!;
    expect(rec.peer).toBe(null);
    expect(rec.latestTick).toBe(2n);
    const again = await http(t, 'POST', '/session/auth', authBody(u.session, u.user, undefined, now() - 1));
    expect(again.status).toBe(409);
  });
});

describe('a lock left by a daemon that died with the machine', () => {
  it('is taken over after a reboot even when its pid now belongs to another live process; before a reboot a live owner keeps it', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { StateStore } = await import('../src/state/store.js');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // After the reboot, the dead daemon's pid is some unrelated process (here: a sleep).
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'dvpn-reboot-'));
    try {
      // A lock written by this daemon version names the boot it was taken in.
      const store = await StateStore.open({ dir });
      expect(readFileSync(join(dir, 'daemon.lock'), 'utf8').trim()).toBe(`${process.pid} ${bootId}`);
      await store.close();
      writeFileSync(join(dir, 'daemon.lock'), `${other.pid} 00000000-0000-4000-8000-000000000000\n`);
      const taken = await StateStore.open({ dir });
      await taken.close();
      writeFileSync(join(dir, 'daemon.lock'), `${other.pid} ${bootId}\n`);
      await expect(StateStore.open({ dir })).rejects.toThrow(/in use by process/);
      // A lock of an earlier version (pid only) still keeps a second daemon off while its owner lives.
      writeFileSync(join(dir, 'daemon.lock'), `${other.pid}\n`);
      await expect(StateStore.open({ dir })).rejects.toThrow(/in use by process/);
    } finally {
      other.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ticks paid far ahead, across a restart', () => {
  it('the first claims after a restart do not hash down from the latest preimage on the event loop either', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const node = await createProviderWithNode(chain, { maxCapacity: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'dvpn-restart-'));
    let p = await startInProcess(chain, node, { dir });
    try {
      const n = 600_000;
      const u = await openUsageSession(chain, node, { maxTicks: n, tickAmount: 2n, durationMinutes: 30 });
      const pda = u.session.toBase58();
      expect((await http(p.target, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
      const step = p.config.usage.maxTickGap;
      for (let tick = step; ; tick += step) {
        const t = Math.min(tick, n);
        expect((await http(p.target, 'POST', `/session/${pda}/ticks`, { tick: t, preimage: hex(u.hashChain!.preimage(t)) })).status).toBe(200);
        if (t === n) break;
      }
      // A restart: what the daemon knew in memory besides its state is gone.
      await p.daemon.destroy();
      let worst = 0;
      let last = performance.now();
      const watch = setInterval(() => {
        const t = performance.now();
        worst = Math.max(worst, t - last);
        last = t;
      }, 5);
      try {
        // (the start itself polls once)
        p = await startInProcess(chain, node, { dir });
        await waitFor(
          async () => {
            await p.daemon.ctx.lifecycle.pollOnce();
            return p.daemon.ctx.store.sessions.get(pda)!.chainTick >= 3n * 512n;
          },
          'three claims after the restart',
          60_000,
          50,
        );
      } finally {
        clearInterval(watch);
      }
      // Before: the first poll after the restart hashed ~600,000 times in line (~2.5 s here).
      expect(worst).toBeLessThan(1000);
    } finally {
      await p.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("a session's claim history", () => {
  it('does not make every later write of the session grow with the number of claims made', async () => {
    const { statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const node = await createProviderWithNode(chain, { maxCapacity: 4 });
    const p = await startInProcess(chain, node);
    try {
      const n = 40 * 512;
      const u = await openUsageSession(chain, node, { maxTicks: n + 10, tickAmount: 2n, durationMinutes: 60 });
      const pda = u.session.toBase58();
      expect((await http(p.target, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
      const step = p.config.usage.maxTickGap;
      for (let tick = step; ; tick += step) {
        const t = Math.min(tick, n);
        expect((await http(p.target, 'POST', `/session/${pda}/ticks`, { tick: t, preimage: hex(u.hashChain!.preimage(t)) })).status).toBe(200);
        if (t === n) break;
      }
      // 39 claims of 512 ticks, one per poll while more than 512 are due (a year-long time
      // session makes one every claim interval: ~100,000).
      for (let i = 0; i < 39; i++) {
        const before = p.daemon.ctx.store.sessions.get(pda)!.chainTick;
        await p.daemon.ctx.lifecycle.pollOnce();
        await waitFor(() => p.daemon.ctx.store.sessions.get(pda)!.chainTick > before, 'a claim', 30_000, 20);
      }
      const claimed = p.daemon.ctx.store.sessions.get(pda)!.chainTick;
      expect(claimed).toBe(39n * 512n);
      // One more tick: what it costs the journal.
      const journal = join(p.config.state.dir, 'journal.jsonl');
      const size = statSync(journal).size;
      expect((await http(p.target, 'POST', `/session/${pda}/ticks`, { tick: n + 1, preimage: hex(u.hashChain!.preimage(n + 1)) })).status).toBe(200);
      const grew = statSync(journal).size - size;
      // Before: the whole history was journaled again with every change (~8 KB here, ~25 MB for a year of claims).
      expect(grew).toBeLessThan(6000);
      const view = await http(p.target, 'GET', `/session/${pda}`);
      expect(view.json.daemon.claims.at(-1).tick).toBe(String(claimed));
    } finally {
      await p.close();
    }
  }, 120_000);
});

describe('closed, settled and malleated', () => {
  it('a settled session (closed and paid out by its user at once) gets no peer: 404, and its old peer goes at the next poll', async () => {
    const { claimPayoutIx } = await import('../../tests/harness/fixtures.js');
    const s = await openTimeSession(chain, nodeCtx, 30);
    const first = authBody(s.session, s.user);
    expect((await http(t, 'POST', '/session/auth', first)).status).toBe(200);
    await chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]);
    await chain.send(claimPayoutIx(chain, s, cfg.treasury.publicKey, s.user.publicKey), [s.user]);
    const r = await http(t, 'POST', '/session/auth', authBody(s.session, s.user));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('session_not_found');
    await d.daemon.ctx.lifecycle.pollOnce();
    expect(d.wg.peers.has(first.clientWgPubkey)).toBe(false);
    expect(d.daemon.ctx.store.sessions.get(s.session.toBase58())?.peer).toBe(null);
  });

  it('ticks revealed after a close are still taken and claimed (the program keeps them claimable until the settle deadline); the peer stays gone', async () => {
    const u = await openUsageSession(chain, nodeCtx, { maxTicks: 10, durationMinutes: 30 });
    const pda = u.session.toBase58();
    expect((await http(t, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(200);
    expect((await http(t, 'POST', `/session/${pda}/ticks`, { tick: 2, preimage: hex(u.hashChain!.preimage(2)) })).status).toBe(200);
    await chain.send(closeSessionIx(chain, u, cfg.treasury.publicKey), [u.user]);
    await d.daemon.ctx.lifecycle.pollOnce();
    expect(d.daemon.ctx.store.sessions.get(pda)!.peer).toBe(null);
    const late = await http(t, 'POST', `/session/${pda}/ticks`, { tick: 3, preimage: hex(u.hashChain!.preimage(3)) });
    expect(late.status, late.text).toBe(200);
    expect(late.json.peerActive).toBe(false);
    await waitFor(
      async () => {
        await d.daemon.ctx.lifecycle.pollOnce();
        return d.daemon.ctx.store.sessions.get(pda)!.chainTick === 3n;
      },
      'the claim through tick 3',
      30_000,
      100,
    );
    expect((await http(t, 'POST', '/session/auth', authBody(u.session, u.user))).status).toBe(409);
  });

  it('a malleated signature (S + L) is refused or a replay, never a second admission', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const body = authBody(s.session, s.user);
    expect((await http(t, 'POST', '/session/auth', body)).status).toBe(200);
    const sig = Buffer.from(body.signature, 'base64');
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let S = 0n;
    for (let i = 63; i >= 32; i--) S = (S << 8n) | BigInt(sig[i]);
    const S2 = S + L;
    expect(S2 < 2n ** 256n).toBe(true);
    const mal = Buffer.from(sig);
    let v = S2;
    for (let i = 32; i < 64; i++) {
      mal[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    const r = await http(t, 'POST', '/session/auth', { ...body, signature: mal.toString('base64') });
    expect([401, 409]).toContain(r.status);
  });
});

describe("the operator's RPC credentials", () => {
  it('an RPC that stops answering does not put its URL (with its API key) into public answers', async () => {
    const { createServer, request } = await import('node:http');
    let hang = false;
    const upstream = new URL(chain.rpcUrl);
    // A paid RPC's URL carries its key; this one forwards to the embedded chain until told to hang.
    const proxy = createServer((req, res) => {
      if (hang) return; // accepts, never answers
      const fwd = request({ host: upstream.hostname, port: upstream.port, path: '/', method: req.method, headers: { ...req.headers, host: upstream.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const secret = 'SECRET-API-KEY-5f2c';
    const port = (proxy.address() as { port: number }).port;
    const p = await startInProcess(chain, nodeCtx, {
      overrides: {
        chain: { rpcUrl: `http://127.0.0.1:${port}/v1/${secret}?api-key=${secret}`, rpcTimeoutMs: 500 },
        auth: { sessionCacheMaxAgeMs: 0 },
      },
    });
    try {
      const s = await openTimeSession(chain, nodeCtx, 30);
      expect((await http(p.target, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
      hang = true;
      const view = await http(p.tcp, 'GET', `/session/${s.session.toBase58()}`);
      const auth = await http(p.tcp, 'POST', '/session/auth', authBody(s.session, s.user));
      expect(auth.status).toBe(503);
      await p.daemon.ctx.lifecycle.pollOnce();
      const health = await http(p.tcp, 'GET', '/healthz');
      const view2 = await http(p.tcp, 'GET', `/session/${s.session.toBase58()}`);
      for (const a of [view, auth, health, view2]) expect(a.text).not.toContain(secret);
      // It still says what went wrong.
      expect(view.json.chainError ?? view2.json.chainError).toMatch(/did not answer|RPC/);
    } finally {
      hang = false;
      await p.close();
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});
