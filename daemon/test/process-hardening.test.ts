// The daemon as a process under attack (from an outside audit): the real binary
// (daemon/bin/dvpn-daemon.ts) spawned with a real wireguard-go interface,
// against the embedded chain. Needs root, /dev/net/tun, wireguard-go, wg, ip,
// prlimit (skipped with the reason printed otherwise; DVPN_REQUIRE_TUNNEL_TESTS=1
// makes that a failure). wireguard-go runs in its own network namespace; the
// daemon drives it through its UAPI socket (/var/run/wireguard/<iface>.sock),
// so nothing touches the host's interfaces.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemProgram } from '@solana/web3.js';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { closeSessionIx, createProviderWithNode, initConfig, mustFetchSession, openUsageSession, type ConfigCtx, type NodeCtx, type SessionCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Answer, type Target } from './helpers/http.js';
import { authBody, waitFor } from './helpers/inproc.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const onPath = (bin: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing: string[] = [];
if (process.getuid?.() !== 0) missing.push('not root');
if (!existsSync('/dev/net/tun')) missing.push('no /dev/net/tun');
for (const bin of ['wireguard-go', 'wg', 'ip', 'prlimit']) if (!onPath(bin)) missing.push(`${bin} not installed`);
if (missing.length && process.env.DVPN_REQUIRE_TUNNEL_TESTS === '1') {
  throw new Error(`process-hardening.test.ts cannot run (DVPN_REQUIRE_TUNNEL_TESTS=1): ${missing.join(', ')}`);
}
if (missing.length) console.warn(`[daemon process-hardening test] skipped: ${missing.join('; ')}`);

const run = (cmd: string, args: string[]) =>
  new Promise<string>((res, rej) => execFile(cmd, args, { timeout: 20_000 }, (err, out, errOut) => (err ? rej(new Error(`${cmd} ${args.join(' ')}: ${errOut || err.message}`)) : res(String(out)))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tag = Math.random().toString(36).slice(2, 7);
const NS = `atkns${tag}`;
const IFACE = `atkwg${tag}`;

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;
let dir: string;
let wgGo: ChildProcess | null = null;
let daemon: ChildProcess | null = null;
/** Every daemon started (a timed-out test body may go on starting them): killed by pid in afterAll. */
const spawned: ChildProcess[] = [];
let port = 0;
const target = (): Target => ({ host: '127.0.0.1', port });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Starts the daemon binary (optionally under an open-file limit) and waits for /healthz 200. */
async function startDaemon(nofile?: number, extra: Record<string, string> = {}): Promise<void> {
  // A daemon a failed test left behind would keep the port and answer in the new one's place.
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) await stopDaemon('SIGKILL');
  const env = {
    ...process.env,
    DVPN_RPC_URL: chain.rpcUrl,
    DVPN_AUTHORITY_KEYPAIR: join(dir, 'authority.json'),
    DVPN_NODE: node.node.toBase58(),
    DVPN_HTTP_HOST: '127.0.0.1',
    DVPN_HTTP_PORT: String(port),
    DVPN_HTTP_TUNNEL_PROBE: 'false',
    DVPN_WG_INTERFACE: IFACE,
    DVPN_WG_REQUIRE_CHAIN_KEY: 'false',
    DVPN_WG_ENDPOINT: '192.0.2.1:51820',
    DVPN_POLL_INTERVAL_MS: '500',
    DVPN_CLAIM_INTERVAL_SECONDS: '3600',
    DVPN_RATE_LIMIT_PER_SECOND: '1000',
    DVPN_RATE_LIMIT_BURST: '1000',
    // Every request here comes from 127.0.0.1: the failure limit is for the tests that set it.
    DVPN_AUTH_FAILURE_LIMIT_PER_SECOND: '1000',
    DVPN_AUTH_FAILURE_LIMIT_BURST: '1000',
    DVPN_STATE_DIR: join(dir, 'state'),
    DVPN_LOG_LEVEL: 'info',
    ...extra,
  };
  const argv = ['node', '--import', 'tsx', 'daemon/bin/dvpn-daemon.ts'];
  const log = openSync(join(dir, 'daemon.log'), 'a');
  daemon = nofile
    ? spawn('prlimit', [`--nofile=${nofile}:${nofile}`, '--', ...argv], { cwd: REPO, env, stdio: ['ignore', log, log] })
    : spawn(argv[0], argv.slice(1), { cwd: REPO, env, stdio: ['ignore', log, log] });
  spawned.push(daemon);
  await waitFor(async () => (await http(target(), 'GET', '/healthz')).status === 200, `daemon healthz (log: ${join(dir, 'daemon.log')})`, 60_000, 200);
}

async function stopDaemon(signal: NodeJS.Signals): Promise<void> {
  const child = daemon;
  daemon = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

const wgPeers = async () =>
  (await run('wg', ['show', IFACE, 'dump']))
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t')[0]);

describe.skipIf(missing.length > 0)('the daemon process', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-atkp-'));
    chain = await startChain();
    cfg = await initConfig(chain);
    node = await createProviderWithNode(chain, { maxCapacity: 40, endpoint: '192.0.2.1:51820' });
    saveKeypair(join(dir, 'authority.json'), node.owner.authority);
    await run('ip', ['netns', 'add', NS]);
    wgGo = spawn('ip', ['netns', 'exec', NS, 'wireguard-go', '-f', IFACE], { stdio: 'ignore' });
    await waitFor(() => existsSync(`/var/run/wireguard/${IFACE}.sock`), 'wireguard-go socket', 10_000);
    const key = (await run('wg', ['genkey'])).trim();
    writeFileSync(join(dir, 'server.key'), `${key}\n`, { mode: 0o600 });
    await run('wg', ['set', IFACE, 'private-key', join(dir, 'server.key')]);
    port = await freePort();
  }, 120_000);

  afterAll(async () => {
    await stopDaemon('SIGKILL');
    for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (wgGo && wgGo.exitCode === null) {
      const exited = new Promise((r) => wgGo!.once('exit', r));
      wgGo.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
    }
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    chain?.close();
    if (dir && !process.env.DVPN_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 in the middle of an auth and tick storm: every 200 survives, WireGuard matches the records, replays refused', async () => {
    await startDaemon();
    const sessions: SessionCtx[] = [];
    for (let i = 0; i < 12; i++) sessions.push(await openUsageSession(chain, node, { maxTicks: 500, durationMinutes: 30 }));
    const acked: Array<{ s: SessionCtx; body: ReturnType<typeof authBody> }> = [];
    const paid = new Map<string, number>();
    const unanswered = new Set<string>();
    let stop = false;
    const storm = sessions.map(async (s, i) => {
      let n = 0;
      while (!stop) {
        // Each session re-keys over and over and pays ticks in between.
        const body = authBody(s.session, s.user, generateWgKeypair().publicKey, Math.floor(Date.now() / 1000) - (n % 60));
        const r = await http(target(), 'POST', '/session/auth', body).catch(() => null);
        if (r?.status === 200) acked.push({ s, body });
        // No answer (the kill): the daemon may or may not have admitted this key.
        else if (r === null) unanswered.add(body.clientWgPubkey);
        n++;
        const t = (paid.get(s.session.toBase58()) ?? 0) + 1 + (i % 3);
        const tr = await http(target(), 'POST', `/session/${s.session.toBase58()}/ticks`, {
          tick: t,
          preimage: Buffer.from(s.hashChain!.preimage(t)).toString('hex'),
        }).catch(() => null);
        if (tr?.status === 200) paid.set(s.session.toBase58(), t);
      }
    });
    // Kill once the storm is under way (at least 15 auths answered 200), at a random moment.
    await waitFor(() => acked.length >= 15, 'auths during the storm', 60_000, 50);
    await sleep(Math.floor(Math.random() * 500));
    await stopDaemon('SIGKILL');
    stop = true;
    await Promise.all(storm);
    expect(acked.length).toBeGreaterThan(12);
    await startDaemon();
    // After the restart and one poll, WireGuard holds exactly the records' peers.
    await sleep(1500);
    const peers = new Set(await wgPeers());
    const views = await Promise.all(sessions.map((s) => http(target(), 'GET', `/session/${s.session.toBase58()}`)));
    const recordKeys = views.map((v: Answer) => v.json.daemon?.peer?.publicKey).filter(Boolean);
    expect(new Set(recordKeys).size, 'no key held twice').toBe(recordKeys.length);
    expect([...peers].sort()).toEqual([...recordKeys].sort());
    // Each session's peer is the last key it was given 200 for.
    for (const s of sessions) {
      const mine = acked.filter((a) => a.s === s);
      if (mine.length === 0) continue;
      const v = views[sessions.indexOf(s)].json.daemon;
      // The last key answered 200, or one sent after it that the kill left unanswered.
      const key = v.peer?.publicKey;
      expect(key === mine[mine.length - 1].body.clientWgPubkey || unanswered.has(key), s.session.toBase58()).toBe(true);
      expect(BigInt(v.payment.paidTick)).toBeGreaterThanOrEqual(BigInt(paid.get(s.session.toBase58()) ?? 0));
    }
    // Every acknowledged auth message is refused when replayed.
    const replays = await Promise.all(acked.slice(-20).map((a) => http(target(), 'POST', '/session/auth', a.body)));
    expect(replays.map((r) => r.json?.error?.code)).toEqual(replays.map(() => 'auth_replayed'));
    await stopDaemon('SIGTERM');
  });

  // Connections that send nothing are not requests, so no rate limit sees them. Uncapped, one
  // client holds every file descriptor the process may open: other clients are not served and
  // the poll cannot run `wg`. The limit here is 256 open files so the test stays small.
  it('one client holding many idle connections does not lock other clients out', async () => {
    const perClient = 32;
    await startDaemon(256, { DVPN_HTTP_MAX_CONNECTIONS_PER_CLIENT: String(perClient) });
    const held: Socket[] = [];
    try {
      let closed = 0;
      for (let i = 0; i < 600; i++) {
        const sock = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
        sock.on('error', () => undefined);
        sock.once('close', () => closed++);
        held.push(sock);
      }
      // The daemon closes every connection of this client beyond its cap.
      await waitFor(() => closed >= 600 - perClient, 'the daemon to close the connections over the cap', 15_000, 50);
      // The connections it kept stay open and idle while another client asks.
      const open = held.filter((s) => !s.destroyed && s.readyState === 'open').length;
      const legit = await Promise.race([
        http(target(), 'GET', '/healthz').then(
          (r) => `status ${r.status}`,
          (e: Error) => `error ${e.message}`,
        ),
        sleep(4000).then(() => 'no answer in 4 s'),
      ]);
      const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
      expect(legit, `daemon log mentions EMFILE: ${log.includes('EMFILE')}; idle connections still open: ${open}`).toBe('status 200');
    } finally {
      for (const s of held) s.destroy();
      await stopDaemon('SIGKILL');
    }
  });

  it('kill -9 at random moments while claims are made: every paid tick is claimed once, the records match the chain', { timeout: 300_000 }, async () => {
    const fast = { DVPN_CLAIM_INTERVAL_SECONDS: '1', DVPN_POLL_INTERVAL_MS: '200', DVPN_CLAIM_RETRY_BASE_MS: '100', DVPN_CLAIM_RETRY_MAX_MS: '500' };
    await startDaemon(undefined, fast);
    const s = await openUsageSession(chain, node, { maxTicks: 300, durationMinutes: 30 });
    const pda = s.session.toBase58();
    expect((await http(target(), 'POST', '/session/auth', authBody(s.session, s.user))).status).toBe(200);
    let paid = 0;
    for (let round = 0; round < 8; round++) {
      for (let k = 0; k < 3; k++) {
        const t = paid + 1 + Math.floor(Math.random() * 4);
        const r = await http(target(), 'POST', `/session/${pda}/ticks`, { tick: t, preimage: Buffer.from(s.hashChain!.preimage(t)).toString('hex') });
        expect(r.status, r.text).toBe(200);
        paid = t;
        await sleep(Math.floor(Math.random() * 500));
      }
      await stopDaemon('SIGKILL');
      await startDaemon(undefined, fast);
    }
    await chain.send(closeSessionIx(chain, s, cfg.treasury.publicKey), [s.user]);
    // A claim journaled by a killed daemon whose transaction never went out is resent only once its blockhash
    // has expired (block height past lastValidBlockHeight). The test chain makes a block per transaction, so
    // while waiting, send the blocks a live cluster makes on its own.
    const ticker = await chain.fundedKeypair(1);
    const view = await waitFor(
      async () => {
        const v = (await http(target(), 'GET', `/session/${pda}`)).json;
        if (v?.daemon && v.daemon.pendingClaim === null && v.daemon.payment.claimedTick === String(paid)) return v;
        for (let i = 0; i < 5; i++) {
          await chain.send(SystemProgram.transfer({ fromPubkey: ticker.publicKey, toPubkey: ticker.publicKey, lamports: 0 }), [ticker]).catch(() => undefined);
        }
        return null;
      },
      'the final claim',
      180_000,
      200,
    );
    const onChain = await mustFetchSession(chain, s.session);
    expect(onChain.lastTick).toBe(BigInt(paid));
    expect(onChain.claimedAmount).toBe(BigInt(paid) * onChain.tickAmount);
    const chunks = view.daemon.claims.filter((c: { kind: string }) => c.kind === 'chunk');
    const sigs = chunks.map((c: { signature: string }) => c.signature);
    expect(new Set(sigs).size, 'a claim recorded twice').toBe(sigs.length);
    const ticks = chunks.map((c: { tick: string }) => Number(c.tick));
    expect(ticks, 'recorded claims in increasing tick order').toEqual([...ticks].sort((x, y) => x - y));
    expect(new Set(ticks).size).toBe(ticks.length);
    const recorded = chunks.reduce((sum: bigint, c: { amount: string | null }) => sum + BigInt(c.amount ?? 0), 0n);
    expect(recorded, 'sum of recorded claim amounts = claimed on chain').toBe(onChain.claimedAmount);
    const statuses = await chain.connection.getSignatureStatuses(sigs, { searchTransactionHistory: true });
    expect(statuses.value.every((st) => st !== null && st.err === null), 'every recorded claim landed').toBe(true);
    await stopDaemon('SIGTERM');
  });

  // POST /session/:pda/ticks is unauthenticated and a wrong preimage costs the daemon up to
  // maxTickGap (4096) SHA-256 rounds before the 400. A few clients (here 8 addresses, 8 requests
  // in flight each), each inside the default rate limit (20/s), must not keep the event loop busy
  // for everyone else. The bound below is liveness (a 1 s answer for /node, which takes
  // milliseconds when idle), not a benchmark.
  it('invalid ticks from eight clients within their rate limits do not starve another client', async () => {
    // The default limits.
    await startDaemon(undefined, { DVPN_RATE_LIMIT_PER_SECOND: '20', DVPN_RATE_LIMIT_BURST: '40', DVPN_AUTH_FAILURE_LIMIT_PER_SECOND: '1', DVPN_AUTH_FAILURE_LIMIT_BURST: '10' });
    try {
      const s = await openUsageSession(chain, node, { maxTicks: 10_000, durationMinutes: 30 });
      const ok = await http(target(), 'POST', '/session/auth', authBody(s.session, s.user));
      expect(ok.status, ok.text).toBe(200);
      const getNode = async () => {
        const t0 = Date.now();
        const r = await http(target(), 'GET', '/node');
        expect(r.status).toBe(200);
        return Date.now() - t0;
      };
      // The same requests without the attack: what this (shared, possibly busy) machine gives.
      const baseline: number[] = [];
      for (let i = 0; i < 6; i++) {
        baseline.push(await getNode());
        await sleep(100);
      }
      let stop = false;
      const statuses = new Map<number, number>();
      const attackStarted = Date.now();
      const attacker = async (from: string) => {
        while (!stop) {
          const r = await post(from, `/session/${s.session.toBase58()}/ticks`, { tick: 4096, preimage: randomBytes(32).toString('hex') }).catch(() => 0);
          statuses.set(r, (statuses.get(r) ?? 0) + 1);
          if (r === 429) await sleep(50);
        }
      };
      const attackers = Array.from({ length: 8 }, (_, i) => `127.0.1.${i + 1}`).flatMap((a) => Array.from({ length: 8 }, () => attacker(a)));
      await sleep(2000);
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        waits.push(await getNode());
        await sleep(500);
      }
      stop = true;
      await Promise.all(attackers);
      const seconds = Math.ceil((Date.now() - attackStarted) / 1000);
      const failed = statuses.get(400) ?? 0;
      expect(failed, 'invalid ticks answered 400').toBeGreaterThan(0);
      // Each client's wrong preimages are cut to its failure budget: burst 10, then 1 per second.
      expect(failed, `attack answers: ${JSON.stringify([...statuses])}`).toBeLessThanOrEqual(8 * (10 + seconds));
      // Liveness: the attack adds less than a second to GET /node (unchecked, it added several).
      const detail = `GET /node waits (ms): ${waits.join(', ')}; without the attack: ${baseline.join(', ')}; attack answers: ${JSON.stringify([...statuses])}`;
      expect(Math.max(...waits), detail).toBeLessThan(Math.max(...baseline) + 1000);
    } finally {
      await stopDaemon('SIGKILL');
    }
  });
});

/** One POST from a chosen loopback address; resolves to the status. */
function post(from: string, path: string, body: unknown): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      { host: '127.0.0.1', port, localAddress: from, method: 'POST', path, agent: false, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } },
      (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      },
    );
    req.on('error', rej);
    req.end(payload);
  });
}
