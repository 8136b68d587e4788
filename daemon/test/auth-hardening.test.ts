// Auth under attack, against the real HTTP server (TCP on loopback, real
// embedded chain, in-memory WireGuard): one WireGuard key per session under
// concurrent requests, keys that can never handshake, no chain read for an
// unauthenticated request, and the rate limit while the process is busy.
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMessage, signAuthMessage } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { closeSessionIx, createProviderWithNode, initConfig, openTimeSession, openUsageSession, type ConfigCtx, type NodeCtx, type SessionCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair, isLowOrderWgKey } from '../src/wireguard/keys.js';
import { http } from './helpers/http.js';
import { authBody, startInProcess, waitFor, type InProc } from './helpers/inproc.js';

let chain: Chain;
let cfg: ConfigCtx;
let nodeCtx: NodeCtx;

/** A JSON-RPC forwarder on loopback that counts what the daemon asks the chain. */
interface CountingRpc {
  url: string;
  methods: string[];
  /** true: accept requests and never answer them (an RPC that hangs). */
  hang: boolean;
  close(): Promise<void>;
}

async function countingRpc(target: string): Promise<CountingRpc> {
  const methods: string[] = [];
  const upstream = new URL(target);
  const state = { hang: false };
  const server: Server = createServer((req, res) => {
    if (state.hang) {
      req.resume();
      return; // never answers
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString('utf8'));
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) methods.push(String(call.method));
      } catch {
        methods.push('?');
      }
      const up = request(
        { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'application/json' });
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    methods,
    get hang() {
      return state.hang;
    },
    set hang(v: boolean) {
      state.hang = v;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
  nodeCtx = await createProviderWithNode(chain, { maxCapacity: 64, endpoint: '192.0.2.1:51820' });
}, 60_000);

afterAll(() => {
  chain?.close();
});

describe('one WireGuard key, one session', () => {
  let d: InProc;
  let a: SessionCtx;
  let b: SessionCtx;

  beforeAll(async () => {
    d = await startInProcess(chain, nodeCtx);
    a = await openTimeSession(chain, nodeCtx, 30);
    b = await openTimeSession(chain, nodeCtx, 30);
  }, 60_000);
  afterAll(async () => {
    await d?.close();
  });

  const holders = (key: string) => d.daemon.ctx.sessions.records().filter((r) => r.peer?.publicKey === key).map((r) => r.session);

  it('gives a fresh key to exactly one of two sessions authenticating with it at once (many rounds)', async () => {
    const ts = Math.floor(Date.now() / 1000);
    for (let round = 0; round < 12; round++) {
      const key = generateWgKeypair().publicKey;
      // Both correctly signed by their own user, sent at the same moment on separate connections.
      const [ra, rb] = await Promise.all([
        http(d.tcp, 'POST', '/session/auth', authBody(a.session, a.user, key, ts - round)),
        http(d.tcp, 'POST', '/session/auth', authBody(b.session, b.user, key, ts - round)),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses, `${ra.text} ${rb.text}`).toEqual([200, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect(loser.json.error.code).toBe('key_in_use');
      const winner = ra.status === 200 ? a : b;
      expect(holders(key)).toEqual([winner.session.toBase58()]);
      expect(d.wg.peers.get(key)?.address).toBe((ra.status === 200 ? ra : rb).json.wireguard.interface.address.split('/')[0]);
    }
  });

  it('keeps the key with its session when that session and another both send it at once', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const key = generateWgKeypair().publicKey;
    expect((await http(d.tcp, 'POST', '/session/auth', authBody(a.session, a.user, key, ts - 100))).status).toBe(200);
    for (let round = 0; round < 8; round++) {
      const [ra, rb] = await Promise.all([
        http(d.tcp, 'POST', '/session/auth', authBody(a.session, a.user, key, ts - 101 - round)),
        http(d.tcp, 'POST', '/session/auth', authBody(b.session, b.user, key, ts - 101 - round)),
      ]);
      expect(ra.status, ra.text).toBe(200);
      expect(rb.status, rb.text).toBe(409);
      expect(rb.json.error.code).toBe('key_in_use');
      expect(holders(key)).toEqual([a.session.toBase58()]);
    }
    // B holds its own key from the rounds before (or gets one now).
    const bKey = generateWgKeypair().publicKey;
    expect((await http(d.tcp, 'POST', '/session/auth', authBody(b.session, b.user, bKey))).status).toBe(200);

    // Closing A takes A's peer away and nothing of B's.
    await chain.send(closeSessionIx(chain, a, cfg.treasury.publicKey), [a.user]);
    await d.daemon.ctx.lifecycle.pollOnce();
    expect(d.wg.peers.has(key)).toBe(false);
    expect(d.wg.peers.has(bKey)).toBe(true);
    expect(holders(bKey)).toEqual([b.session.toBase58()]);
    const metrics = await http(d.tcp, 'GET', '/metrics');
    expect(metrics.text).toMatch(new RegExp(`^dvpn_peers ${d.wg.peers.size}$`, 'm'));
    // The key A gave up is free for another session now.
    const c = await openTimeSession(chain, nodeCtx, 30);
    expect((await http(d.tcp, 'POST', '/session/auth', authBody(c.session, c.user, key))).status).toBe(200);
  });
});

describe('peers reconciled with the records at run time', () => {
  it('counts the old key\'s last bytes when sessions re-key at once (one shared dump, nothing lost)', async () => {
    const d = await startInProcess(chain, nodeCtx);
    try {
      const sessions = await Promise.all([0, 1, 2, 3].map(() => openTimeSession(chain, nodeCtx, 30)));
      const first = sessions.map(() => generateWgKeypair().publicKey);
      const t0 = Math.floor(Date.now() / 1000);
      for (const [i, s] of sessions.entries()) {
        expect((await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, first[i], t0 - 2))).status).toBe(200);
      }
      // Traffic on the old keys after the last poll, then every session re-keys at the same moment.
      sessions.forEach((_, i) => d.wg.traffic(first[i], BigInt(1000 * (i + 1)), BigInt(2000 * (i + 1))));
      const rekeys = await Promise.all(
        sessions.map((s) => http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, generateWgKeypair().publicKey, t0 - 1))),
      );
      expect(rekeys.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (const [i, s] of sessions.entries()) {
        const view = await http(d.tcp, 'GET', `/session/${s.session.toBase58()}`);
        expect(view.json.daemon.bytes).toMatchObject({ rx: String(1000 * (i + 1)), tx: String(2000 * (i + 1)) });
      }
    } finally {
      await d.close();
    }
  });

  it('does not "repair" a re-key made while the dump was being read', async () => {
    const d = await startInProcess(chain, nodeCtx);
    try {
      const s1 = await openTimeSession(chain, nodeCtx, 30);
      const k1 = generateWgKeypair().publicKey;
      const k2 = generateWgKeypair().publicKey;
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s1.session, s1.user, k1))).status).toBe(200);
      // The poll reads WireGuard (k1 present), then the user re-keys to k2 before the dump is reconciled.
      const stale = await d.daemon.ctx.sessions.peers.readDump();
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s1.session, s1.user, k2))).status).toBe(200);
      await d.daemon.ctx.sessions.peers.reconcile(stale);
      expect([...d.wg.peers.keys()]).toEqual([k2]);
      expect(d.wg.calls.filter((c) => c.op === 'remove').map((c) => c.args[0])).toEqual([k1]); // once, by the re-key
      const m = await http(d.tcp, 'GET', '/metrics');
      expect(m.text).toMatch(/^dvpn_peers 1$/m);
      expect(m.text).not.toMatch(/^dvpn_peer_reconcile_total/m);
    } finally {
      await d.close();
    }
  });

  it('does not take a re-key\'s old key for a stranger while the re-key is removing it', async () => {
    const d = await startInProcess(chain, nodeCtx);
    try {
      const [s1, s2] = [await openTimeSession(chain, nodeCtx, 30), await openTimeSession(chain, nodeCtx, 30)];
      const [k1, k2, k3, k4] = Array.from({ length: 4 }, () => generateWgKeypair().publicKey);
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s1.session, s1.user, k1))).status).toBe(200);
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s2.session, s2.user, k2))).status).toBe(200);
      const gates = new Map<string, () => void>();
      for (const k of [k1, k2]) d.wg.holdRemove.set(k, new Promise<void>((r) => gates.set(k, r)));
      const removing = async (k: string) => {
        while (!d.wg.calls.some((c) => c.op === 'remove' && c.args[0] === k)) await new Promise((r) => setTimeout(r, 5));
      };
      // Session 2 re-keys (k2 -> k4); a poll reads WireGuard meanwhile and its reconcile, past session 1
      // (k1 present), waits for session 2.
      const rekey2 = http(d.tcp, 'POST', '/session/auth', authBody(s2.session, s2.user, k4));
      await removing(k2);
      const reconciled = d.daemon.ctx.sessions.peers.reconcile(await d.daemon.ctx.sessions.peers.readDump());
      // Session 1 re-keys (k1 -> k3) while the reconcile waits: k1 is released, its removal under way.
      const rekey1 = http(d.tcp, 'POST', '/session/auth', authBody(s1.session, s1.user, k3));
      await removing(k1);
      gates.get(k2)!();
      await new Promise((r) => setTimeout(r, 200)); // the reconcile goes on to the strangers
      gates.get(k1)!();
      expect((await rekey1).status).toBe(200);
      expect((await rekey2).status).toBe(200);
      await reconciled;
      expect([...d.wg.peers.keys()].sort()).toEqual([k3, k4].sort());
      // Each old key removed once, by its re-key; nothing counted as a repair.
      expect(d.wg.calls.filter((c) => c.op === 'remove').map((c) => c.args[0])).toEqual([k2, k1]);
      expect((await http(d.tcp, 'GET', '/metrics')).text).not.toMatch(/^dvpn_peer_reconcile_total/m);
    } finally {
      await d.close();
    }
  });

  it('restores a peer removed behind the daemon\'s back, removes a stranger in the pool, counts only present peers', async () => {
    const d = await startInProcess(chain, nodeCtx);
    try {
      const s1 = await openTimeSession(chain, nodeCtx, 30);
      const s2 = await openTimeSession(chain, nodeCtx, 30);
      const k1 = generateWgKeypair().publicKey;
      const k2 = generateWgKeypair().publicKey;
      const r1 = await http(d.tcp, 'POST', '/session/auth', authBody(s1.session, s1.user, k1));
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s2.session, s2.user, k2))).status).toBe(200);
      const address1 = r1.json.wireguard.interface.address.split('/')[0];
      // Behind the daemon's back: an operator's `wg set wg0 peer K1 remove`, and a peer nobody admitted.
      d.wg.peers.delete(k1);
      const stranger = generateWgKeypair().publicKey;
      d.wg.peers.set(stranger, { address: '10.77.0.200', rx: 0n, tx: 0n, handshake: 0 });
      // An operator's own peer outside the pool is none of the daemon's business.
      const operator = generateWgKeypair().publicKey;
      d.wg.peers.set(operator, { address: '192.0.2.77', rx: 0n, tx: 0n, handshake: 0 });
      await d.daemon.ctx.lifecycle.pollOnce();
      expect(d.wg.peers.get(k1)?.address).toBe(address1);
      expect(d.wg.peers.has(k2)).toBe(true);
      expect(d.wg.peers.has(stranger)).toBe(false);
      expect(d.wg.peers.has(operator)).toBe(true);
      let m = await http(d.tcp, 'GET', '/metrics');
      expect(m.text).toMatch(/^dvpn_peers 2$/m);
      expect(m.text).toMatch(/^dvpn_peer_reconcile_total\{action="restored"\} 1$/m);
      expect(m.text).toMatch(/^dvpn_peer_reconcile_total\{action="removed_stranger"\} 1$/m);
      // A peer WireGuard lacks and cannot get back (wg fails) is not counted; once wg works, it is back.
      d.wg.peers.delete(k2);
      d.wg.failSet = true;
      await d.daemon.ctx.lifecycle.pollOnce();
      m = await http(d.tcp, 'GET', '/metrics');
      expect(m.text).toMatch(/^dvpn_peers 1$/m);
      d.wg.failSet = false;
      await d.daemon.ctx.lifecycle.pollOnce();
      expect(d.wg.peers.has(k2)).toBe(true);
      m = await http(d.tcp, 'GET', '/metrics');
      expect(m.text).toMatch(/^dvpn_peers 2$/m);
    } finally {
      await d.close();
    }
  });
});

describe('keys that can never handshake', () => {
  let d: InProc;
  let s: SessionCtx;

  beforeAll(async () => {
    d = await startInProcess(chain, nodeCtx);
    s = await openTimeSession(chain, nodeCtx, 30);
  }, 60_000);
  afterAll(async () => {
    await d?.close();
  });

  const P = 2n ** 255n - 19n;
  const le = (u: bigint) => {
    const b = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) b[i] = Number((u >> BigInt(8 * i)) & 0xffn);
    return b;
  };
  const withTopBit = (b: Buffer) => {
    const c = Buffer.from(b);
    c[31] |= 0x80;
    return c;
  };
  const order8a = Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex');
  const order8b = Buffer.from('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'hex');
  const lowOrder: Array<[string, Buffer]> = [
    ['all-zero', Buffer.alloc(32)],
    ['1', le(1n)],
    ['p-1', le(P - 1n)],
    ['order 8 (a)', order8a],
    ['order 8 (b)', order8b],
    ['p (= 0)', le(P)],
    ['p+1 (= 1)', le(P + 1n)],
    ['all-zero with the top bit', withTopBit(Buffer.alloc(32))],
    ['order 8 (a) with the top bit', withTopBit(order8a)],
    ['p-1 with the top bit', withTopBit(le(P - 1n))],
  ];

  it('the list is what X25519 says: every one gives an all-zero shared secret', () => {
    const ours = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), randomBytes(32)]), format: 'der', type: 'pkcs8' });
    const spki = (b: Buffer) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), b]), format: 'der', type: 'spki' });
    for (const [name, bytes] of lowOrder) {
      let secret: Buffer | null = null;
      try {
        secret = diffieHellman({ privateKey: ours, publicKey: spki(bytes) });
      } catch {
        secret = null; // OpenSSL refuses an all-zero result outright
      }
      expect(secret === null || secret.every((x) => x === 0), name).toBe(true);
      expect(isLowOrderWgKey(bytes), name).toBe(true);
    }
    const fine = Buffer.from(generateWgKeypair().publicKey, 'base64');
    expect(diffieHellman({ privateKey: ours, publicKey: spki(fine) }).some((x) => x !== 0)).toBe(true);
    expect(isLowOrderWgKey(fine)).toBe(false);
  });

  for (const [name, bytes] of lowOrder) {
    it(`refuses the ${name} key with 400 and adds no peer`, async () => {
      const before = d.wg.calls.length;
      const r = await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, bytes.toString('base64')));
      expect(r.status, r.text).toBe(400);
      expect(r.json.error.code).toBe('invalid_request');
      expect(r.json.error.message).toMatch(/clientWgPubkey.*low-order/);
      expect(d.wg.calls.length).toBe(before);
    });
  }

  it("refuses the node's own public key with 400 and adds no peer", async () => {
    const before = d.wg.calls.length;
    const own = Buffer.from(nodeCtx.wgServerPubkey).toString('base64');
    const r = await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, own));
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.json.error.message).toMatch(/own WireGuard key/);
    expect(d.wg.calls.length).toBe(before);
    expect((await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
  });
});

describe('no chain read for an unauthenticated request', () => {
  let d: InProc;
  let rpc: CountingRpc;
  let s: SessionCtx;

  beforeAll(async () => {
    rpc = await countingRpc(chain.rpcUrl);
    d = await startInProcess(chain, nodeCtx, { overrides: { chain: { rpcUrl: rpc.url } } });
    s = await openTimeSession(chain, nodeCtx, 30);
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await rpc?.close();
  });

  it('answers bad signatures, unknown sessions and GETs of unserved sessions without asking the chain', async () => {
    const before = rpc.methods.length;
    const stranger = Keypair.generate();
    for (let i = 0; i < 20; i++) {
      // Signed by someone else than the user it names.
      const forged = { ...authBody(Keypair.generate().publicKey, stranger), user: s.user.publicKey.toBase58() };
      const r = await http(d.tcp, 'POST', '/session/auth', forged);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('bad_signature');
    }
    // A real session, the right user named, a signature by someone else.
    const ts = Math.floor(Date.now() / 1000);
    const message = authMessage({ sessionPda: s.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: ts });
    const wrong = Buffer.from(signAuthMessage(message, stranger.secretKey)).toString('base64');
    const r = await http(d.tcp, 'POST', '/session/auth', { ...authBody(s.session, s.user, message.split('|')[2], ts), signature: wrong });
    expect(r.status).toBe(401);
    const g = await http(d.tcp, 'GET', `/session/${Keypair.generate().publicKey.toBase58()}`);
    expect(g.status).toBe(404);
    expect(rpc.methods.length - before).toBe(0);
  });

  it("reads a session once for its user's first auth, serves the live peer's re-auth from what the poll reads, reads again for a new key", async () => {
    const before = rpc.methods.length;
    const key = generateWgKeypair().publicKey;
    // Distinct timestamps: the same key signed twice at one timestamp is one message (a replay).
    const ts = Math.floor(Date.now() / 1000);
    const ok = await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, key, ts));
    expect(ok.status, ok.text).toBe(200);
    expect(rpc.methods.slice(before)).toEqual(['getMultipleAccounts']);
    await d.daemon.ctx.lifecycle.pollOnce();
    // The poll hands the session to the claimer, which reads the Config once in the background.
    await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'the claimer to go idle');
    const afterPoll = rpc.methods.length;
    const again = await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, key, ts - 1));
    expect(again.status, again.text).toBe(200);
    const view = await http(d.tcp, 'GET', `/session/${s.session.toBase58()}`);
    expect(view.status).toBe(200);
    expect(view.json.chain.state).toBe('Active');
    expect(rpc.methods.slice(afterPoll)).toEqual([]);
    // A new key is a new admission: checked against the chain as it is now (closed sessions get none).
    const rekey = await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user, undefined, ts - 2));
    expect(rekey.status, rekey.text).toBe(200);
    expect(rpc.methods.slice(afterPoll)).toEqual(['getMultipleAccounts']);
  });

  it("refuses a correct signature by a wallet that is not the session's user", async () => {
    const other = await openTimeSession(chain, nodeCtx, 30);
    const body = authBody(s.session, other.user);
    const r = await http(d.tcp, 'POST', '/session/auth', body);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('bad_signature');
    expect(r.json.error.message).toContain(s.user.publicKey.toBase58());
  });
});

describe('an RPC that accepts connections but never answers', () => {
  it('auth answers 503 chain_unavailable, the poll and GET /session/:pda return, and all recovers when the RPC answers again', async () => {
    const rpc = await countingRpc(chain.rpcUrl);
    const d = await startInProcess(chain, nodeCtx, { overrides: { chain: { rpcUrl: rpc.url, rpcTimeoutMs: 300 }, auth: { sessionCacheMaxAgeMs: 0 } } });
    try {
      const admitted = await openTimeSession(chain, nodeCtx, 30);
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(admitted.session, admitted.user))).status).toBe(200);
      const fresh = await openTimeSession(chain, nodeCtx, 30);
      rpc.hang = true;
      const r = await http(d.tcp, 'POST', '/session/auth', authBody(fresh.session, fresh.user));
      expect(r.status, r.text).toBe(503);
      expect(r.json.error.code).toBe('chain_unavailable');
      await d.daemon.ctx.lifecycle.pollOnce();
      expect(d.daemon.ctx.lifecycle.lastPollOk).toBe(false);
      const g = await http(d.tcp, 'GET', `/session/${admitted.session.toBase58()}`);
      expect(g.status).toBe(200);
      expect(g.json.chainError).toMatch(/did not answer/);
      const m = await http(d.tcp, 'GET', '/metrics');
      expect(m.text).toMatch(/^dvpn_poll_errors_total\{stage="chain"\} [1-9]/m);
      rpc.hang = false;
      const again = await http(d.tcp, 'POST', '/session/auth', authBody(fresh.session, fresh.user));
      expect(again.status, again.text).toBe(200);
      await d.daemon.ctx.lifecycle.pollOnce();
      expect(d.daemon.ctx.lifecycle.lastPollOk).toBe(true);
    } finally {
      await d.close();
      await rpc.close();
    }
  });
});

describe('a disk that fills up (tmpfs; root)', () => {
  it('answers 503 state_unwritable, never 200 for what is not on disk, and keeps every acknowledged tick across a crash', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root to mount a small tmpfs (a real full disk)');
    const base = mkdtempSync(join(tmpdir(), 'dvpn-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', base]);
    let d: InProc | null = null;
    try {
      const dir = join(base, 'run');
      d = await startInProcess(chain, nodeCtx, { dir });
      const s = await openUsageSession(chain, nodeCtx, { maxTicks: 100, tickAmount: 10_000n, durationMinutes: 30 });
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
      const tick = (n: number) => http(d!.tcp, 'POST', `/session/${s.session.toBase58()}/ticks`, { tick: n, preimage: Buffer.from(s.hashChain!.preimage(n)).toString('hex') });
      expect((await tick(1)).status).toBe(200);
      const filler = join(base, 'filler');
      for (const [bs, name] of [['4k', filler], ['1', `${filler}-tail`]]) {
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${name}`, `bs=${bs}`], { stdio: 'ignore' });
        } catch {
          /* dd stops at ENOSPC: the disk is full to the byte */
        }
      }
      // Records still fit in the journal's last page until it is full; the first that does not is refused.
      let n = 2;
      let refused = await tick(n);
      while (refused.status === 200 && n < 20) refused = await tick(++n);
      expect(refused.status, refused.text).toBe(503);
      expect(refused.json.error.code).toBe('state_unwritable');
      expect(refused.json.error.message).toMatch(/ENOSPC/);
      // The same tick again: still not on disk, so still not 200.
      expect((await tick(n)).status).toBe(503);
      const other = await openTimeSession(chain, nodeCtx, 30);
      const auth = await http(d.tcp, 'POST', '/session/auth', authBody(other.session, other.user));
      expect(auth.status, auth.text).toBe(503);
      expect(auth.json.error.code).toBe('state_unwritable');
      rmSync(filler);
      rmSync(`${filler}-tail`);
      expect((await tick(n)).status).toBe(200);
      expect((await tick(n + 1)).status).toBe(200);
      // Crash: no shutdown, the state directory reopened by a new daemon.
      const stateDir = join(dir, 'state');
      const { StateStore } = await import('../src/state/store.js');
      execFileSync('cp', ['-a', stateDir, join(base, 'after-crash')]);
      rmSync(join(base, 'after-crash', 'daemon.lock'), { force: true });
      const store = await StateStore.open({ dir: join(base, 'after-crash') });
      expect(store.sessions.get(s.session.toBase58())?.latestTick).toBe(BigInt(n + 1));
      expect(store.tornRecords).toBe(0);
      await store.close();
    } finally {
      await d?.daemon.destroy().catch(() => undefined);
      execFileSync('umount', ['-l', base]);
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('a provider authority without SOL for fees', () => {
  it('shows as insufficient_funds in metrics and authority_unfunded in /healthz, and recovers once funded', async () => {
    const n2 = await createProviderWithNode(chain, { maxCapacity: 8, endpoint: '192.0.2.1:51820' });
    const d = await startInProcess(chain, n2, { overrides: { claims: { intervalSeconds: 1 } } });
    try {
      const s = await openTimeSession(chain, n2, 30);
      expect((await http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
      const authority = n2.owner.authority.publicKey;
      chain.setLamports(authority, 1000);
      await chain.warpSeconds(60); // a minute of service to claim
      await new Promise((r) => setTimeout(r, 1100)); // the claim interval
      const metricsText = async () => (await http(d.tcp, 'GET', '/metrics')).text;
      await waitFor(async () => {
        await d.daemon.ctx.lifecycle.pollOnce();
        return /dvpn_claims_total\{kind="chunk",result="insufficient_funds"\} [1-9]/.test(await metricsText());
      }, 'a claim refused for lack of SOL', 30_000, 300);
      await d.daemon.ctx.lifecycle.pollOnce();
      const h = await http(d.tcp, 'GET', '/healthz');
      expect(h.status).toBe(503);
      expect(h.json.problems).toContain('authority_unfunded');
      expect(h.json.authority).toEqual({ address: authority.toBase58(), lamports: 1000 });
      expect(await metricsText()).toMatch(/^dvpn_authority_balance_lamports 1000$/m);
      chain.setLamports(authority, 10_000_000_000);
      await waitFor(async () => {
        await d.daemon.ctx.lifecycle.pollOnce();
        return (await http(d.tcp, 'GET', '/healthz')).status === 200 && d.daemon.ctx.store.sessions.get(s.session.toBase58())!.chainTick > 0n;
      }, 'healthy again and a claim landed', 30_000, 300);
    } finally {
      await d.close();
    }
  });
});

describe('rate limit while busy', () => {
  /** POSTs every body at once from a separate process; the status codes. */
  function flood(target: { host?: string; port?: number }, bodies: unknown[]): Promise<Array<number | string>> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [fileURLToPath(new URL('./helpers/flood.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood exited ${code}`))));
      child.stdin.end(JSON.stringify({ host: target.host, port: target.port, path: '/session/auth', bodies }));
    });
  }

  it('refuses most of 100 concurrent bad-signature auths from one client under a 20/s limit while the process is busy; /metrics answers', async () => {
    const d = await startInProcess(chain, nodeCtx, { overrides: { http: { rateLimit: { perSecond: 20, burst: 40 }, authFailureLimit: { perSecond: 1, burst: 10 } } } });
    try {
      const s = await openTimeSession(chain, nodeCtx, 30);
      const stranger = Keypair.generate();
      const bodies = Array.from({ length: 100 }, () => ({ ...authBody(s.session, stranger), user: s.user.publicKey.toBase58() }));
      // Keep the daemon's process busy meanwhile: its event loop blocked 20 ms out of every 25
      // (a stand-in for CPU-heavy work; the daemon runs in this process, the sender in another).
      const hog = setInterval(() => {
        const until = performance.now() + 20;
        while (performance.now() < until);
      }, 5);
      const sent = flood(d.tcp, bodies);
      const metrics = http(d.tcp, 'GET', '/metrics');
      const codes = await sent.finally(() => clearInterval(hog));
      const limited = codes.filter((c) => c === 429).length;
      expect(codes.every((c) => c === 401 || c === 429), JSON.stringify(codes)).toBe(true);
      expect(limited, JSON.stringify(codes)).toBeGreaterThan(50);
      const m = await metrics;
      expect(m.status).toBe(200);
      expect(m.text).toMatch(/^dvpn_up 1$/m);
      const after = await http(d.tcp, 'GET', '/metrics');
      expect(after.text).toMatch(new RegExp(`dvpn_http_rate_limited_total\\{route="session_auth"\\} ${limited}`));
    } finally {
      await d.close();
    }
  });
});
