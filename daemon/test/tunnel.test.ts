// End to end over a real WireGuard tunnel. Two network namespaces joined by
// a veth pair (192.0.2.1 server, 192.0.2.2 client), wireguard-go in each, the
// embedded Solana runtime in this process (reached from the namespaces
// through Unix-socket forwarders: no route to any host interface), the
// daemon spawned in the server namespace, `dvpn connect --apply` spawned in
// the client namespace. Needs root, /dev/net/tun, wireguard-go, wg, ip, ping.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keypair, PublicKey } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionState, parseEvents, protocolFee } from '@dvpn/sdk';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import {
  claimChunkIx,
  closeSessionIx,
  createProviderWithNode,
  initConfig,
  mustFetchSession,
  openTimeSession,
  openUsageSession,
  splitRunning,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Target } from './helpers/http.js';
import { authBody, waitFor } from './helpers/inproc.js';
import { Procs, createNamespacePair, forwardIntoNamespaces, inNs, lines, removeNamespaces, sleep, startWireguardGo, stop, tunnelPrerequisites } from './helpers/netns.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '../..');
const DAEMON_BIN = resolve(REPO, 'daemon/bin/dvpn-daemon.ts');
const CONNECT = resolve(HERE, 'helpers/dvpn-connect.ts');
const NETCHECK = resolve(HERE, 'helpers/netcheck.mjs');

// --- can this machine run it? (CI: DVPN_REQUIRE_TUNNEL_TESTS=1 turns a skip into a failure) ---
const pre = tunnelPrerequisites('daemon tunnel test', ['wireguard-go', 'wg', 'ip', 'ping']);
const SKIP = pre.skip;
if (pre.skip && pre.required) {
  describe('WireGuard tunnel end to end (required)', () => {
    it('has what the real-tunnel tests need', () => {
      throw new Error(`DVPN_REQUIRE_TUNNEL_TESTS=1 but: ${pre.missing.join('; ')}`);
    });
  });
}

// --- names (distinct per run: the wireguard-go UAPI socket folder is shared across namespaces) ---
const tag = `${process.pid % 10000}${Math.floor(Math.random() * 90 + 10)}`;
const NS_S = `dvpn-s-${tag}`;
const NS_C = `dvpn-c-${tag}`;
const IF_S = `dvs${tag}`;
const IF_C = `dvc${tag}`;
const VETH_S = `vs${tag}`;
const VETH_C = `vc${tag}`;
const SERVER_IP = '192.0.2.1';
const CLIENT_IP = '192.0.2.2';
const TUNNEL_SERVER = '10.77.0.1';
const TICK_AMOUNT = 10_000n; // 0.00001 SOL, the node's price per tick (connect pays the node's price)
const TRANSFER = 2 * 1024 * 1024;

const procs = new Procs();
const start = (ns: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; log?: string } = {}) => procs.start(ns, argv, opts);

async function serverPeers(): Promise<string[]> {
  const dump = await inNs(NS_S, ['wg', 'show', IF_S, 'dump']);
  return dump
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t')[0]);
}

// --- state -----------------------------------------------------------------------
let dir: string;
let chain: Chain;
let cfg: ConfigCtx;
let nodeCtx: NodeCtx;
let user: Keypair;
let api: Target;
let daemon: ChildProcess | undefined;
let client: ChildProcess | undefined;
const hostServers: net.Server[] = [];
const clientEvents: Array<Record<string, any>> = [];
let session = '';
let failed = false;

function daemonEnv(): NodeJS.ProcessEnv {
  return {
    DVPN_RPC_URL: 'http://127.0.0.1:8899',
    DVPN_WS_URL: 'ws://127.0.0.1:8900',
    DVPN_AUTHORITY_KEYPAIR: join(dir, 'authority.json'),
    DVPN_NODE: nodeCtx.node.toBase58(),
    DVPN_HTTP_HOST: SERVER_IP,
    DVPN_HTTP_PORT: '51820',
    DVPN_HTTP_SOCKET: join(dir, 'api.sock'),
    DVPN_WG_INTERFACE: IF_S,
    DVPN_WG_CONFIGURE: 'true',
    DVPN_WG_PRIVATE_KEY_FILE: join(dir, 'server.key'),
    DVPN_WG_LISTEN_PORT: '51820',
    DVPN_WG_POOL: '10.77.0.0/24',
    DVPN_WG_CLIENT_ALLOWED_IPS: '10.77.0.0/24',
    DVPN_TICK_INTERVAL_SECONDS: '1',
    DVPN_TICK_GRACE_SECONDS: '6',
    DVPN_CLAIM_INTERVAL_SECONDS: '2',
    DVPN_CLAIM_RETRY_BASE_MS: '200',
    DVPN_POLL_INTERVAL_MS: '300',
    DVPN_STATE_DIR: join(dir, 'state'),
    DVPN_LOG_LEVEL: 'debug',
  };
}

async function startDaemon(): Promise<ChildProcess> {
  const child = start(NS_S, [process.execPath, '--import', 'tsx', DAEMON_BIN], { env: daemonEnv(), log: join(dir, 'daemon.log') });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}`);
      return (await http(api, 'GET', '/healthz')).status === 200;
    },
    'daemon healthz',
    30_000,
    200,
  );
  return child;
}

/** ChunkClaimed events of a session, oldest first, once the RPC lists every expected signature. */
async function chunkEvents(pda: PublicKey, expected: string[]) {
  const sigs = await waitFor(
    async () => {
      const list = (await chain.connection.getSignaturesForAddress(pda, undefined, 'confirmed')).reverse();
      return expected.every((e) => list.some((l) => l.signature === e)) ? list : null;
    },
    'claim signatures listed',
    20_000,
    200,
  );
  const chunks: Array<{ signature: string; tick: bigint; amount: bigint; fee: bigint; providerAmount: bigint }> = [];
  for (const s of sigs) {
    const tx = await waitFor(
      () => chain.connection.getTransaction(s.signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 }),
      `transaction ${s.signature}`,
      20_000,
      100,
    );
    if (!tx.meta || tx.meta.err) continue;
    for (const e of parseEvents(tx.meta.logMessages ?? [])) {
      // A claim transaction carries several sessions' claims: keep this session's.
      if (e.name === 'ChunkClaimed' && e.data.session.equals(pda)) chunks.push({ signature: s.signature, ...(e.data as { tick: bigint; amount: bigint; fee: bigint; providerAmount: bigint }) });
    }
  }
  return chunks;
}

/** Spawns `dvpn --json connect <node> --apply ...` in the client namespace; resolves at its "connected" event. */
async function startClient(extra: string[]): Promise<Record<string, any>> {
  const from = clientEvents.length;
  client = start(
    NS_C,
    [
      process.execPath,
      '--import',
      'tsx',
      CONNECT,
      '--url',
      'http://127.0.0.1:8899',
      '--ws-url',
      'ws://127.0.0.1:8900',
      '--keypair',
      join(dir, 'user.json'),
      '--json',
      'connect',
      nodeCtx.node.toBase58(),
      ...extra,
      '--apply',
      '--interface',
      IF_C,
      '--out',
      join(dir, 'client.conf'),
    ],
    { env: { DVPN_HOME: join(dir, 'home') } },
  );
  const me = client;
  let stderr = '';
  me.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  lines(me, (l) => {
    try {
      clientEvents.push(JSON.parse(l));
    } catch {
      clientEvents.push({ event: 'text', line: l });
    }
  });
  return waitFor(
    () => {
      if (me.exitCode !== null) throw new Error(`dvpn connect exited ${me.exitCode}: ${stderr}`);
      return clientEvents.slice(from).find((e) => e.event === 'connected');
    },
    'dvpn connect',
    30_000,
    100,
  );
}

const view = async () => (await http(api, 'GET', `/session/${session}`)).json;

describe.skipIf(SKIP)('WireGuard tunnel end to end', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-tun-'));
    api = { socketPath: join(dir, 'api.sock') };

    // Chain: config, provider + node announcing the server's WireGuard key and endpoint.
    chain = await startChain();
    cfg = await initConfig(chain);
    const serverKey = generateWgKeypair();
    writeFileSync(join(dir, 'server.key'), `${serverKey.privateKey}\n`, { mode: 0o600 });
    nodeCtx = await createProviderWithNode(chain, {
      endpoint: `${SERVER_IP}:51820`,
      wgServerPubkey: new Uint8Array(Buffer.from(serverKey.publicKey, 'base64')),
      maxCapacity: 4,
      // The node sets the usage price: a session's tick_amount must equal it.
      pricePerTick: TICK_AMOUNT,
    });
    saveKeypair(join(dir, 'authority.json'), nodeCtx.owner.authority);
    user = await chain.fundedKeypair(10);
    saveKeypair(join(dir, 'user.json'), user);

    // Namespaces and the veth pair: nothing is added to the host's own namespace.
    await createNamespacePair({ server: NS_S, client: NS_C, serverIp: SERVER_IP, clientIp: CLIENT_IP, vethServer: VETH_S, vethClient: VETH_C });
    // wireguard-go for the server interface (the daemon configures it); foreground, killed at the end.
    await startWireguardGo(procs, NS_S, IF_S, join(dir, 'wireguard-go-server.log'));
    // The chain's RPC and websocket, forwarded into both namespaces over Unix sockets.
    const ports = [
      { hostPort: Number(new URL(chain.rpcUrl).port), nsPort: 8899 },
      { hostPort: Number(new URL(chain.wsUrl).port), nsPort: 8900 },
    ];
    hostServers.push(...(await forwardIntoNamespaces(procs, dir, [NS_S, NS_C], ports)));

    daemon = await startDaemon();
  }, 90_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (failed && dir) {
      const tail = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(-60).join('\n') : '(none)');
      console.error(`--- daemon.log (tail) ---\n${tail('daemon.log')}\n--- client events ---\n${clientEvents.map((e) => JSON.stringify(e)).join('\n')}`);
    }
    await procs.stopAll();
    // Anything still running in our namespaces was started by this test.
    await removeNamespaces([NS_S, NS_C]);
    for (const iface of [IF_S, IF_C]) rmSync(`/var/run/wireguard/${iface}.sock`, { force: true });
    for (const s of hostServers) s.close();
    chain?.close();
    if (dir && !failed && !process.env.DVPN_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`[daemon tunnel test] kept ${dir}`);
  }, 30_000);

  it('connects: session opened, tunnel up, ping and a TCP transfer cross it, bytes metered, ticks paid, claims land exactly', async () => {
    const connected = await startClient(['--sol', '--usage', '--ticks', '1000', '--minutes', '10']);
    session = connected.session;
    expect(clientEvents.find((e) => e.event === 'session')).toMatchObject({ session, opened: true, mode: 'usage' });
    const address = String(connected.address).split('/')[0];
    expect(address).toMatch(/^10\.77\.0\.\d+$/);
    expect(readFileSync(join(dir, 'client.conf'), 'utf8')).toMatch(/^PrivateKey = /m);

    // The peer is on the server interface with exactly the client's /32.
    const dump = await inNs(NS_S, ['wg', 'show', IF_S, 'dump']);
    const peerLine = dump.trim().split('\n')[1].split('\t');
    expect(peerLine[0]).toBe(connected.clientPublicKey);
    expect(peerLine[3]).toBe(`${address}/32`);

    // Traffic: ping, then a TCP transfer of a known size into the server namespace.
    await inNs(NS_C, ['ping', '-c', '3', '-i', '0.2', '-W', '2', TUNNEL_SERVER]);
    const sink = start(NS_S, [process.execPath, NETCHECK, 'sink', TUNNEL_SERVER, '5201']);
    await new Promise<void>((res) => lines(sink, (l) => l === 'listening' && res()));
    const result = JSON.parse(await inNs(NS_C, [process.execPath, NETCHECK, 'source', TUNNEL_SERVER, '5201', String(TRANSFER)], 30_000));
    expect(result.sent).toBe(TRANSFER);
    expect(result.sink).toEqual({ bytes: TRANSFER, sha256: result.sha256 });

    // Metered: the daemon counted at least the transfer from the client.
    await waitFor(async () => BigInt((await view()).daemon.bytes.rx) >= BigInt(TRANSFER), 'metered bytes', 10_000, 200);
    // Ticks paid while the tunnel serves, and claimed on chain with exact amounts (bytes included).
    await waitFor(async () => BigInt((await view()).daemon.payment.paidTick) >= 3n, 'ticks paid', 15_000, 200);
    const s = await waitFor(
      async () => {
        const acc = await mustFetchSession(chain, new PublicKey(session));
        return acc.lastTick >= 2n && acc.bytesUsed >= BigInt(TRANSFER) ? acc : null;
      },
      'claim with bytes on chain',
      20_000,
      250,
    );
    expect(s.claimedAmount).toBe(s.lastTick * TICK_AMOUNT);
    expect(clientEvents.some((e) => e.event === 'serving')).toBe(true);
  }, 80_000);

  it('restarts mid-session (crash): no tick or claim lost, none repeated, tunnel kept', async () => {
    const before = (await view()).daemon;
    const ackedBefore = Math.max(...clientEvents.filter((e) => e.event === 'tick').map((e) => Number(e.tick)));
    await stop(daemon, 'SIGKILL');
    // The tunnel keeps working while the daemon is down.
    await inNs(NS_C, ['ping', '-c', '1', '-W', '2', TUNNEL_SERVER]);
    await sleep(1500); // the client keeps trying to pay meanwhile
    daemon = await startDaemon();
    const after = (await view()).daemon;
    expect(BigInt(after.payment.paidTick)).toBeGreaterThanOrEqual(BigInt(ackedBefore));
    expect(BigInt(after.payment.paidTick)).toBeGreaterThanOrEqual(BigInt(before.payment.paidTick));
    const sigs = (c: Array<{ signature: string | null }>) => c.map((x) => x.signature);
    expect(sigs(after.claims).slice(0, before.claims.length)).toEqual(sigs(before.claims));
    expect(after.peer.publicKey).toBe(before.peer.publicKey);
    expect(await serverPeers()).toEqual([before.peer.publicKey]);
    // Paying and claiming go on.
    await waitFor(async () => BigInt((await view()).daemon.payment.paidTick) > BigInt(after.payment.paidTick) + 1n, 'ticks after restart', 15_000, 200);
    await waitFor(async () => BigInt((await view()).daemon.payment.claimedTick) > BigInt(before.payment.claimedTick), 'claims after restart', 15_000, 200);
  }, 60_000);

  it('stops paying when the tunnel does not serve: the node cuts the peer; reconnecting pays the debt', async () => {
    const first = client!;
    // Break the tunnel only (the API over the veth still answers).
    await inNs(NS_S, ['ip', 'link', 'set', 'dev', IF_S, 'down']);
    const from = clientEvents.length;
    await waitFor(() => clientEvents.slice(from).find((e) => e.event === 'not-serving'), 'client sees the tunnel down', 15_000, 100);
    const cutAt = clientEvents.length;
    await waitFor(async () => (await serverPeers()).length === 0, 'node cuts the unpaid peer', 20_000, 200);
    const v = (await view()).daemon;
    expect(v.peer).toBeNull();
    expect(v.peerRemoved.reason).toBe('unpaid');
    // Not a tick was paid while the tunnel was down.
    expect(clientEvents.slice(cutAt).filter((e) => e.event === 'tick')).toEqual([]);
    await waitFor(() => first.exitCode !== null, 'client gives up', 15_000, 200);
    expect(clientEvents.filter((e) => e.event === 'disconnected').at(-1)?.reason).toMatch(/peer removed/);
    expect(existsSync(`/var/run/wireguard/${IF_C}.sock`)).toBe(false);

    // Tunnel back; the user reconnects the same session: the debt is paid, the peer returns.
    await inNs(NS_S, ['ip', 'link', 'set', 'dev', IF_S, 'up']);
    const owed = BigInt(v.peerRemoved.tick);
    const again = await startClient(['--session', session]);
    expect(again.session).toBe(session);
    expect(BigInt((await view()).daemon.payment.paidTick)).toBeGreaterThanOrEqual(owed);
    await inNs(NS_C, ['ping', '-c', '2', '-i', '0.2', '-W', '2', TUNNEL_SERVER]);
    expect(await serverPeers()).toEqual([again.clientPublicKey]);
  }, 60_000);

  it('session ends: peer gone, final claim with exact amounts and no double claim, payout settles', async () => {
    const pda = new PublicKey(session);
    const acc0 = await mustFetchSession(chain, pda);
    // The user ends the session on chain (usage: Closing; the provider may still claim in the settle window).
    const ctxOfSession = { user, nodeCtx, session: pda, spl: false, vault: null } as unknown as SessionCtx;
    const closeIx = closeSessionIx(chain, ctxOfSession, cfg.treasury.publicKey);
    await chain.send(closeIx, [user]);
    await waitFor(async () => (await serverPeers()).length === 0, 'peer removed', 10_000, 200);
    // The client notices and takes its tunnel down.
    await waitFor(() => client!.exitCode !== null, 'dvpn connect exits', 15_000, 200);
    expect(clientEvents.at(-1)?.event).toBe('disconnected');
    expect(existsSync(`/var/run/wireguard/${IF_C}.sock`)).toBe(false);

    const settled = await waitFor(
      async () => {
        const v = (await view()).daemon;
        return v.pendingClaim === null && v.payment.claimedTick === v.payment.paidTick ? v : null;
      },
      'final claim',
      20_000,
      250,
    );
    const acc = await mustFetchSession(chain, pda);
    expect(acc.state).toBe(SessionState.Closing);
    expect(acc.lastTick).toBe(BigInt(settled.payment.paidTick));
    expect(acc.claimedAmount).toBe(acc.lastTick * TICK_AMOUNT);

    // Every claim on chain is one of the daemon's, each once, ticks strictly increasing, amounts exact.
    const daemonChunks = settled.claims.filter((c: { kind: string }) => c.kind === 'chunk');
    const chunks = await chunkEvents(pda, daemonChunks.map((c: { signature: string }) => c.signature));
    let prev = 0n;
    let total = 0n;
    for (const c of chunks) {
      expect(c.tick).toBeGreaterThan(prev);
      expect(c.amount).toBe((c.tick - prev) * TICK_AMOUNT);
      // The fee is on the running total: each claim pays what makes the session's fee floor(total * bps).
      expect(c.fee).toBe(splitRunning(total, c.amount, cfg.protocolFeeBps).fee);
      expect(c.providerAmount + c.fee).toBe(c.amount);
      total += c.amount;
      prev = c.tick;
    }
    expect(total).toBe(acc.claimedAmount);
    expect(acc.feeAmount).toBe(protocolFee(acc.claimedAmount, cfg.protocolFeeBps));
    expect(daemonChunks.map((c: { signature: string }) => c.signature)).toEqual(chunks.map((c) => c.signature));
    expect(new Set(chunks.map((c) => c.signature)).size).toBe(chunks.length);

    // After the settle window the daemon settles: the rest goes back to the user, the account closes.
    const userBefore = await chain.lamports(user.publicKey);
    const rent = BigInt((await chain.connection.getAccountInfo(pda))!.lamports) - acc.remainingBalance;
    await chain.setTime(acc.closedAt + cfg.settleWindowSeconds + 1n);
    await waitFor(async () => (await chain.connection.getAccountInfo(pda)) === null, 'payout', 20_000, 250);
    const final = await waitFor(async () => {
      const v = (await view()).daemon;
      return v.phase === 'settled' ? v : null;
    }, 'settled in the daemon');
    const payout = final.claims.find((c: { kind: string }) => c.kind === 'payout');
    expect(BigInt(payout.refund)).toBe(acc0.escrowAmount - acc.claimedAmount);
    expect(await chain.lamports(user.publicKey)).toBe(userBefore + BigInt(payout.refund) + rent);
  }, 60_000);

  it('refuses bad input with a clear 4xx and adds no peer', async () => {
    const peers = async () => (await serverPeers()).length;
    const base = await peers();
    const refuse = async (body: unknown, status: number, code: string, raw?: string) => {
      const r = await http(api, 'POST', '/session/auth', body, raw ? { raw } : {});
      expect(r.status, r.text).toBe(status);
      expect(r.json.error.code).toBe(code);
      expect(await peers()).toBe(base);
    };
    const t = await openTimeSession(chain, nodeCtx, 30);
    // wrong signature
    await refuse(authBody(t.session, Keypair.generate()), 401, 'bad_signature');
    // hostile key (shell metacharacters), malformed key
    const sig = authBody(t.session, t.user);
    await refuse({ ...sig, clientWgPubkey: '$(ip link del lo);`reboot`|x' }, 400, 'invalid_request');
    await refuse({ ...sig, clientWgPubkey: 'not-a-key' }, 400, 'invalid_request');
    // oversized body
    await refuse(undefined, 413, 'body_too_large', JSON.stringify({ pad: 'x'.repeat(64 * 1024) }));
    // another node's session
    const other = await createProviderWithNode(chain, { maxCapacity: 2 });
    const foreign = await openTimeSession(chain, other, 30);
    await refuse(authBody(foreign.session, foreign.user), 403, 'wrong_node');
    // closed session
    const closed = await openTimeSession(chain, nodeCtx, 30);
    await chain.send(closeSessionIx(chain, closed, cfg.treasury.publicKey), [closed.user]);
    await refuse(authBody(closed.session, closed.user), 409, 'session_not_active');
    // unfunded session (every tick already claimed)
    const drained = await openUsageSession(chain, nodeCtx, { maxTicks: 1, tickAmount: 1_000n, durationMinutes: 30 });
    await chain.send(claimChunkIx(chain, drained, cfg.treasury.publicKey, 1), [nodeCtx.owner.authority]);
    await refuse(authBody(drained.session, drained.user), 402, 'session_unfunded');
    // replayed auth: accepted once (a peer is added), refused the second time (no second peer)
    const good = authBody(t.session, t.user);
    const ok = await http(api, 'POST', '/session/auth', good);
    expect(ok.status, ok.text).toBe(200);
    const afterOk = await peers();
    expect(afterOk).toBe(base + 1);
    const replay = await http(api, 'POST', '/session/auth', good);
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('auth_replayed');
    expect(await peers()).toBe(afterOk);
    // expired session: the clock moves past its end; its peer goes, a new auth is refused
    const e = await openTimeSession(chain, nodeCtx, 1);
    await chain.warpSeconds(61);
    const r = await http(api, 'POST', '/session/auth', authBody(e.session, e.user));
    expect(r.status).toBe(410);
    expect(r.json.error.code).toBe('session_expired');
    await chain.warpSeconds(30 * 60);
    await waitFor(async () => (await peers()) === base, 'expired peer removed', 10_000, 200);
  }, 60_000);
});
