// What the daemon remembers and reports, under attack (from an outside audit; real
// embedded chain, in-process daemon, in-memory WireGuard): crash copies of the state
// directory, the pool under concurrent auths, and whether /healthz, /metrics and
// GET /session agree with WireGuard.
//
// A crash is simulated by copying the state directory while the daemon runs:
// everything the daemon acknowledged was fdatasync'd before the answer, so the
// copy is what a kill -9 at that instant leaves on disk.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, openUsageSession, type NodeCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http } from './helpers/http.js';
import { authBody, startInProcess, type InProc } from './helpers/inproc.js';

let chain: Chain;
const started: InProc[] = [];

beforeAll(async () => {
  chain = await startChain();
  await initConfig(chain);
}, 120_000);

afterAll(async () => {
  for (const d of started) await d.close();
  chain?.close();
});

async function daemonFor(node: NodeCtx, overrides: Record<string, unknown> = {}, dir?: string): Promise<InProc> {
  const d = await startInProcess(chain, node, { overrides, dir });
  started.push(d);
  return d;
}

/** A crash copy of `d`'s state in a fresh daemon directory. */
function crashCopy(d: InProc): string {
  const dir = mkdtempSync(join(tmpdir(), 'dvpn-atk-'));
  cpSync(join(d.dir, 'state'), join(dir, 'state'), { recursive: true });
  return dir;
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('crash copies', () => {
  it('an auth message accepted before a crash is refused after restart (replay store on disk)', async () => {
    const node = await createProviderWithNode(chain, { maxCapacity: 8 });
    const d1 = await daemonFor(node);
    const s = await openTimeSession(chain, node, 10);
    const body = authBody(s.session, s.user);
    const ok = await http(d1.target, 'POST', '/session/auth', body);
    expect(ok.status, ok.text).toBe(200);
    const dir = crashCopy(d1);
    await d1.close();
    const d2 = await daemonFor(node, {}, dir);
    const again = await http(d2.target, 'POST', '/session/auth', body);
    expect(again.status, again.text).toBe(409);
    expect(again.json.error.code).toBe('auth_replayed');
    // The peer admitted before the crash is back in WireGuard.
    expect(d2.wg.peers.has(body.clientWgPubkey)).toBe(true);
  });

  it('a tick acknowledged before a crash is still paid after restart, and its replay is harmless', async () => {
    const node = await createProviderWithNode(chain, { maxCapacity: 8 });
    const d1 = await daemonFor(node);
    const s = await openUsageSession(chain, node, { maxTicks: 50, durationMinutes: 30 });
    expect((await http(d1.target, 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
    const tick = (d: InProc, n: number, from = n) =>
      http(d.target, 'POST', `/session/${s.session.toBase58()}/ticks`, { tick: n, preimage: Buffer.from(s.hashChain!.preimage(from)).toString('hex') });
    expect((await tick(d1, 7)).status).toBe(200);
    const dir = crashCopy(d1);
    await d1.close();
    const d2 = await daemonFor(node, {}, dir);
    const view = await http(d2.target, 'GET', `/session/${s.session.toBase58()}`);
    expect(view.json.daemon.payment.paidTick).toBe('7');
    expect((await tick(d2, 7)).status).toBe(200);
    expect((await tick(d2, 6)).status).toBe(409);
    // A preimage of a later tick sent as an earlier tick number is not a proof of it.
    expect((await tick(d2, 8, 9)).status).toBe(400);
    expect((await tick(d2, 9)).status).toBe(200);
  });
});

describe('the pool under concurrent auths', () => {
  it('a /29 pool (5 client addresses) with 8 sessions authenticating at once: 5 peers, 3 pool_exhausted, no address twice', async () => {
    const node = await createProviderWithNode(chain, { maxCapacity: 8 });
    const d = await daemonFor(node, { wireguard: { pool: '10.78.0.0/29' } });
    const sessions = [];
    for (let i = 0; i < 8; i++) sessions.push(await openTimeSession(chain, node, 10));
    const replies = await Promise.all(sessions.map((s) => http(d.tcp, 'POST', '/session/auth', authBody(s.session, s.user))));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 503, 503, 503]);
    const addresses = [...d.wg.peers.values()].map((p) => p.address);
    expect(new Set(addresses).size).toBe(5);
    expect(addresses).not.toContain('10.78.0.1');
  });
});

describe('what the daemon reports', () => {
  // The session cache is filled by anyone's auth attempts too (a throwaway wallet's 401 for another
  // node's session comes after a chain read): GET must not show what it holds of other nodes.
  it('GET /session/:pda of a session this daemon does not serve stays 404 after someone tried to authenticate it', async () => {
    const node = await createProviderWithNode(chain, { maxCapacity: 8 });
    const other = await createProviderWithNode(chain, { maxCapacity: 8 });
    const d = await daemonFor(node);
    const foreign = await openTimeSession(chain, other, 10);
    const before = await http(d.target, 'GET', `/session/${foreign.session.toBase58()}`);
    expect(before.status).toBe(404);
    const attempt = await http(d.target, 'POST', '/session/auth', authBody(foreign.session, Keypair.generate()));
    expect(attempt.status).toBe(401);
    const after = await http(d.target, 'GET', `/session/${foreign.session.toBase58()}`);
    expect(after.status, after.text.slice(0, 300)).toBe(404);
  });

  // A peer disappears and cannot be restored: /healthz, /metrics and GET /session all report
  // what WireGuard has, and /healthz names the problem.
  it('/healthz peers equals the peers WireGuard has when a peer could not be restored', async () => {
    const node = await createProviderWithNode(chain, { maxCapacity: 8 });
    const d = await daemonFor(node);
    const s1 = await openTimeSession(chain, node, 10);
    const s2 = await openTimeSession(chain, node, 10);
    const k1 = generateWgKeypair().publicKey;
    expect((await http(d.target, 'POST', '/session/auth', authBody(s1.session, s1.user, k1))).status).toBe(200);
    expect((await http(d.target, 'POST', '/session/auth', authBody(s2.session, s2.user))).status).toBe(200);
    // The peer vanishes behind the daemon's back (an operator, a wireguard-go restart) and
    // WireGuard refuses changes for a while.
    d.wg.peers.delete(k1);
    d.wg.failSet = true;
    await d.daemon.ctx.lifecycle.pollOnce();
    const m = await http(d.target, 'GET', '/metrics');
    const h = await http(d.target, 'GET', '/healthz');
    const view = await http(d.target, 'GET', `/session/${s1.session.toBase58()}`);
    expect(d.wg.peers.size).toBe(1);
    expect(metric(m.text, 'dvpn_peers')).toBe(1);
    expect(h.json.peers, JSON.stringify(h.json)).toBe(1);
    expect(view.json.daemon.peer, 'GET /session shows a peer WireGuard does not have').toBeNull();
    expect(view.json.daemon.peerMissing.publicKey).toBe(k1);
    expect(h.status).toBe(503);
    expect(h.json.problems).toContain('peers_out_of_sync');
    // WireGuard takes changes again: the next poll restores the peer and the problem clears.
    d.wg.failSet = false;
    await d.daemon.ctx.lifecycle.pollOnce();
    const healed = await http(d.target, 'GET', '/healthz');
    expect(healed.json.peers).toBe(2);
    expect(healed.json.problems).not.toContain('peers_out_of_sync');
    expect(d.wg.peers.has(k1)).toBe(true);
  });
});
