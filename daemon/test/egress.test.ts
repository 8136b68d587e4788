// The VPN carries the user's traffic to the internet. Four network namespaces:
// a client and a second peer, each on its own veth to the node (their "ISP"
// is the node: their default route goes there, so a leak would reach the
// internet and be seen), the node (daemon with DVPN_EGRESS=nat + wireguard-go),
// and an "internet" namespace behind the node's egress interface holding a TCP
// server and a DNS server. `dvpn connect --apply` runs in the client and the
// peer. Needs root, /dev/net/tun, wireguard-go, wg, ip, nft, ping.
import { type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, type NodeCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Target } from './helpers/http.js';
import { waitFor } from './helpers/inproc.js';
import { Procs, REPO, inNs, lines, pipeServer, removeNamespaces, run, sleep, stop, tunnelPrerequisites } from './helpers/netns.js';

const DAEMON_BIN = resolve(REPO, 'daemon/bin/dvpn-daemon.ts');
const CONNECT = resolve(REPO, 'daemon/test/helpers/dvpn-connect.ts');
const FORWARD = resolve(REPO, 'daemon/test/helpers/forward.mjs');
const NET = resolve(REPO, 'daemon/test/helpers/internet.mjs');

const pre = tunnelPrerequisites('daemon egress test', ['wireguard-go', 'wg', 'ip', 'nft', 'ping']);

const tag = `${process.pid % 10000}${Math.floor(Math.random() * 90 + 10)}`;
const NS_N = `dvpn-en-${tag}`; // node
const NS_C = `dvpn-ec-${tag}`; // client
const NS_P = `dvpn-ep-${tag}`; // a second peer
const NS_I = `dvpn-ei-${tag}`; // the internet
const IF_N = `den${tag}`;
const IF_C = `dec${tag}`;
const IF_P = `dep${tag}`;
const EGRESS = `egn${tag}`; // the node's way out (its peer in NS_I: egi)
const NODE_IP = '192.0.2.1'; // node, on the client's link (and the chain's endpoint)
const CLIENT_IP = '192.0.2.2';
const NODE_IP_P = '198.51.100.1'; // node, on the second peer's link
const PEER_IP = '198.51.100.2';
const NODE_OUT = '203.0.113.1'; // the node's address towards the internet
const NET_IP = '203.0.113.2'; // the internet's servers
const POOL = '10.78.0.0/24';
const SERVER_TUN = '10.78.0.1';
const ORIGINAL_RESOLV = '# the namespace resolv.conf before connecting\nnameserver 192.0.2.53\n';

const procs = new Procs();
let dir: string;
let chain: Chain;
let nodeCtx: NodeCtx;
let api: Target;
let daemon: ChildProcess | undefined;
const hostServers: net.Server[] = [];
const netEvents: Array<Record<string, any>> = [];
const clients: Record<string, { child: ChildProcess; events: Array<Record<string, any>>; connected: Record<string, any> }> = {};
let failed = false;
/** The client namespace's routing before connecting, to compare after --down. */
let before: { rules: string; routes: string; tables: string };
/** Packets the client's leak counter saw before the tunnel (the deliberate direct probe). */
let leakedBefore = 0;

const js = async (p: Promise<string>) => JSON.parse((await p).trim().split('\n').at(-1)!);
const probe = (ns: string, host: string, port: number, ms = 2000) => js(inNs(ns, [process.execPath, NET, 'tcp-probe', host, String(port), String(ms)], 15_000));
const lookupIn = (ns: string, name: string, ms = 5000) => js(inNs(ns, [process.execPath, NET, 'lookup', name, String(ms)], 15_000));
const resolvOf = (ns: string) => readFileSync(`/etc/netns/${ns}/resolv.conf`, 'utf8');
const counter = async (ns: string, table: string, name: string) => {
  const text = await inNs(ns, ['nft', 'list', 'counter', 'inet', table, name]);
  return Number(/packets (\d+)/.exec(text)?.[1] ?? NaN);
};
const snapshot = async (ns: string) => ({
  rules: await inNs(ns, ['ip', '-4', 'rule', 'show']),
  routes: await inNs(ns, ['ip', '-4', 'route', 'show', 'table', 'all']),
  tables: await inNs(ns, ['nft', 'list', 'tables']),
});

function daemonEnv(): NodeJS.ProcessEnv {
  return {
    DVPN_RPC_URL: 'http://127.0.0.1:8899',
    DVPN_WS_URL: 'ws://127.0.0.1:8900',
    DVPN_AUTHORITY_KEYPAIR: join(dir, 'authority.json'),
    DVPN_NODE: nodeCtx.node.toBase58(),
    DVPN_HTTP_HOST: NODE_IP,
    DVPN_HTTP_PORT: '51820',
    DVPN_HTTP_SOCKET: join(dir, 'api.sock'),
    DVPN_WG_INTERFACE: IF_N,
    DVPN_WG_CONFIGURE: 'true',
    DVPN_WG_PRIVATE_KEY_FILE: join(dir, 'server.key'),
    DVPN_WG_LISTEN_PORT: '51820',
    DVPN_WG_POOL: POOL,
    DVPN_WG_DNS: NET_IP,
    // DVPN_WG_CLIENT_ALLOWED_IPS left at its default: 0.0.0.0/0, a full tunnel.
    DVPN_EGRESS: 'nat',
    DVPN_EGRESS_INTERFACE: EGRESS,
    DVPN_POLL_INTERVAL_MS: '500',
    DVPN_STATE_DIR: join(dir, 'state'),
    DVPN_LOG_LEVEL: 'debug',
  };
}

async function startDaemon(): Promise<ChildProcess> {
  const child = procs.start(NS_N, [process.execPath, '--import', 'tsx', DAEMON_BIN], { env: daemonEnv(), log: join(dir, 'daemon.log') });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}`);
      return (await http(api, 'GET', '/healthz')).status === 200;
    },
    'daemon healthz',
    60_000,
    200,
  );
  return child;
}

/** `dvpn --json connect <node> --sol --minutes 10 --apply` in a namespace; resolves at "connected". */
async function connectIn(name: string, ns: string, iface: string, keypair: string): Promise<Record<string, any>> {
  const events: Array<Record<string, any>> = [];
  const child = procs.start(
    ns,
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
      keypair,
      '--json',
      'connect',
      nodeCtx.node.toBase58(),
      '--sol',
      '--minutes',
      '10',
      '--apply',
      '--interface',
      iface,
      '--out',
      join(dir, `${name}.conf`),
    ],
    { env: { DVPN_HOME: join(dir, `home-${name}`) } },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  lines(child, (l) => {
    try {
      events.push(JSON.parse(l));
    } catch {
      events.push({ event: 'text', line: l });
    }
  });
  const connected = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`dvpn connect (${name}) exited ${child.exitCode}: ${stderr}`);
      return events.find((e) => e.event === 'connected');
    },
    `dvpn connect (${name})`,
    120_000,
    100,
  );
  clients[name] = { child, events, connected };
  return connected;
}

if (pre.skip && pre.required) {
  describe('daemon egress (real tunnel, required)', () => {
    it('has what the real-tunnel tests need', () => {
      throw new Error(`DVPN_REQUIRE_TUNNEL_TESTS=1 but: ${pre.missing.join('; ')}`);
    });
  });
}

describe.skipIf(pre.skip)('VPN egress: the user reaches the internet through the node, and nothing leaks', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      failed = true; // keep the logs
      throw err;
    }
  }, 150_000);

  async function setUp(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-egress-'));
    api = { socketPath: join(dir, 'api.sock') };
    chain = await startChain();
    await initConfig(chain);
    const serverKey = generateWgKeypair();
    writeFileSync(join(dir, 'server.key'), `${serverKey.privateKey}\n`, { mode: 0o600 });
    nodeCtx = await createProviderWithNode(chain, {
      endpoint: `${NODE_IP}:51820`,
      wgServerPubkey: new Uint8Array(Buffer.from(serverKey.publicKey, 'base64')),
      maxCapacity: 4,
    });
    saveKeypair(join(dir, 'authority.json'), nodeCtx.owner.authority);
    for (const name of ['client', 'peer']) saveKeypair(join(dir, `${name}.json`), (await chain.fundedKeypair(10)) as Keypair);

    for (const ns of [NS_N, NS_C, NS_P, NS_I]) await run('ip', ['netns', 'add', ns]);
    // `ip netns exec` bind-mounts these over /etc/resolv.conf: the host's own file is never touched.
    for (const ns of [NS_C, NS_P]) {
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, ORIGINAL_RESOLV);
    }
    const link = async (a: string, devA: string, ipA: string, b: string, devB: string, ipB: string) => {
      await run('ip', ['-n', a, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', b]);
      await run('ip', ['-n', a, 'address', 'add', `${ipA}/24`, 'dev', devA]);
      await run('ip', ['-n', b, 'address', 'add', `${ipB}/24`, 'dev', devB]);
      await run('ip', ['-n', a, 'link', 'set', devA, 'up']);
      await run('ip', ['-n', b, 'link', 'set', devB, 'up']);
    };
    await link(NS_N, `vnc${tag}`, NODE_IP, NS_C, `vc${tag}`, CLIENT_IP);
    await link(NS_N, `vnp${tag}`, NODE_IP_P, NS_P, `vp${tag}`, PEER_IP);
    await link(NS_N, EGRESS, NODE_OUT, NS_I, `egi${tag}`, NET_IP);
    for (const ns of [NS_N, NS_C, NS_P, NS_I]) await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // The node is the client's and the peer's only way out; the internet routes back to them, so a leak would arrive.
    await run('ip', ['-n', NS_C, 'route', 'add', 'default', 'via', NODE_IP]);
    await run('ip', ['-n', NS_P, 'route', 'add', 'default', 'via', NODE_IP_P]);
    await run('ip', ['-n', NS_I, 'route', 'add', '192.0.2.0/24', 'via', NODE_OUT]);
    await run('ip', ['-n', NS_I, 'route', 'add', '198.51.100.0/24', 'via', NODE_OUT]);
    // The internet counts what arrives from the pool (must stay 0) and from the client's own address.
    await inNs(
      NS_I,
      ['nft', '-f', '-'],
      undefined,
      `table inet watch {
  counter from_pool {}
  counter from_client {}
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    ip saddr ${POOL} counter name from_pool
    ip saddr ${CLIENT_IP} counter name from_client
  }
}
`,
    );
    // The client counts what leaves by its outer link other than to the node's WireGuard/API port.
    await inNs(
      NS_C,
      ['nft', '-f', '-'],
      undefined,
      `table inet leakwatch {
  counter leaked {}
  chain post {
    type filter hook postrouting priority 300; policy accept;
    oifname != "vc${tag}" accept
    ip daddr ${NODE_IP} udp dport 51820 accept
    ip daddr ${NODE_IP} tcp dport 51820 accept
    meta l4proto { icmpv6 } accept
    counter name leaked
  }
}
`,
    );

    // Servers: the internet's TCP and DNS; a node service peers must not reach; a service on the second peer.
    for (const [ns, argv] of [
      [NS_I, ['tcp-server', NET_IP, '8080']],
      [NS_I, ['dns-server', NET_IP]],
      [NS_N, ['tcp-server', '0.0.0.0', '2222']],
      [NS_P, ['tcp-server', '0.0.0.0', '7000']],
    ] as const) {
      const child = procs.start(ns, [process.execPath, NET, ...argv]);
      await new Promise<void>((res, rej) => {
        lines(child, (l) => {
          const e = JSON.parse(l);
          if (e.event === 'listening') res();
          else netEvents.push({ ns, ...e });
        });
        child.once('exit', (c) => rej(new Error(`${argv[0]} exited ${c}`)));
      });
    }

    procs.start(NS_N, ['wireguard-go', '-f', IF_N], { log: join(dir, 'wireguard-go-node.log') });
    await waitFor(() => existsSync(`/var/run/wireguard/${IF_N}.sock`), 'node wireguard-go socket', 10_000);

    // The chain's RPC and websocket, forwarded into the namespaces over Unix sockets.
    for (const [name, port] of [
      ['rpc.sock', Number(new URL(chain.rpcUrl).port)],
      ['ws.sock', Number(new URL(chain.wsUrl).port)],
    ] as const) {
      const server = pipeServer(() => net.connect(port, '127.0.0.1'));
      await new Promise<void>((r) => server.listen(join(dir, name), () => r()));
      hostServers.push(server);
    }
    for (const ns of [NS_N, NS_C, NS_P]) {
      const fwd = procs.start(ns, [process.execPath, FORWARD, `127.0.0.1:8899=${join(dir, 'rpc.sock')}`, `127.0.0.1:8900=${join(dir, 'ws.sock')}`]);
      await new Promise<void>((res, rej) => {
        lines(fwd, (l) => l === 'ready' && res());
        fwd.once('exit', (c) => rej(new Error(`forwarder exited ${c}`)));
      });
    }
    daemon = await startDaemon();
  }

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (failed && dir) {
      const tail = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(-60).join('\n') : '(none)');
      console.error(
        `--- daemon.log (tail) ---\n${tail('daemon.log')}\n--- clients ---\n${Object.entries(clients)
          .map(([n, c]) => `${n}: ${c.events.map((e) => JSON.stringify(e)).join('\n')}`)
          .join('\n')}\n--- internet ---\n${netEvents.map((e) => JSON.stringify(e)).join('\n')}`,
      );
    }
    await procs.stopAll();
    await removeNamespaces([NS_C, NS_P, NS_N, NS_I]);
    for (const ns of [NS_C, NS_P]) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    for (const iface of [IF_N, IF_C, IF_P]) rmSync(`/var/run/wireguard/${iface}.sock`, { force: true });
    for (const s of hostServers) s.close();
    chain?.close();
    if (dir && !failed && !process.env.DVPN_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`[daemon egress test] kept ${dir}`);
  }, 60_000);

  it('the node sets up forwarding and its own nft table; without the tunnel the client reaches the internet directly (so a leak would show)', async () => {
    expect((await inNs(NS_N, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1');
    const tables = await inNs(NS_N, ['nft', 'list', 'tables']);
    expect(tables).toContain(`table inet dvpn_${IF_N}`);
    const direct = await probe(NS_C, NET_IP, 8080);
    expect(direct).toEqual({ ok: true, reply: { remote: CLIENT_IP } });
    expect(await counter(NS_I, 'watch', 'from_client')).toBeGreaterThan(0);
    before = await snapshot(NS_C);
  }, 30_000);

  it("full tunnel: the client's TCP and DNS reach the internet from the node's address; its pool address never appears there", async () => {
    await sleep(300); // the direct probe's last packets are out
    leakedBefore = await counter(NS_C, 'leakwatch', 'leaked'); // the direct probe above went out that way, on purpose
    const c = await connectIn('client', NS_C, IF_C, join(dir, 'client.json'));
    expect(c.fullTunnel).toBe(true);
    expect(c.killSwitch).toBe(true);
    expect(String(c.address)).toMatch(/^10\.78\.0\.\d+\/32$/);
    expect(readFileSync(join(dir, 'client.conf'), 'utf8')).toMatch(/^AllowedIPs = 0\.0\.0\.0\/0$/m); // no ::/0: the pool is IPv4
    // The node's DNS is the namespace's resolver now.
    expect(resolvOf(NS_C)).toMatch(new RegExp(`^nameserver ${NET_IP.replace(/\./g, '\\.')}$`, 'm'));

    const fromClient = await counter(NS_I, 'watch', 'from_client');
    const tcp = await probe(NS_C, NET_IP, 8080, 5000);
    expect(tcp).toEqual({ ok: true, reply: { remote: NODE_OUT } });
    const dns = await lookupIn(NS_C, 'egress-check.dvpn.test');
    expect(dns).toEqual({ ok: true, address: '198.18.0.7' });
    const queries = netEvents.filter((e) => e.event === 'dns' && e.name === 'egress-check.dvpn.test');
    expect(queries.length).toBeGreaterThan(0);
    expect(new Set(queries.map((q) => q.from))).toEqual(new Set([NODE_OUT]));
    expect(await counter(NS_I, 'watch', 'from_pool')).toBe(0);
    expect(await counter(NS_I, 'watch', 'from_client')).toBe(fromClient);
    expect(netEvents.filter((e) => e.event === 'tcp' && e.ns === NS_I).map((e) => e.remote)).not.toContain(String(c.address).split('/')[0]);
    // Nothing left by the outer link but the node's WireGuard and API ports.
    expect(await counter(NS_C, 'leakwatch', 'leaked')).toBe(leakedBefore);
  }, 180_000);

  it("peers cannot reach each other, nor the node's services except its API", async () => {
    const p = await connectIn('peer', NS_P, IF_P, join(dir, 'peer.json'));
    const peerAddr = String(p.address).split('/')[0];
    const clientAddr = String(clients.client.connected.address).split('/')[0];
    // The second peer has egress too (a positive control for the drops below).
    expect(await probe(NS_P, NET_IP, 8080, 5000)).toEqual({ ok: true, reply: { remote: NODE_OUT } });
    // Its service answers locally…
    expect((await probe(NS_P, peerAddr, 7000)).ok).toBe(true);
    // …but not to the other peer, in either direction (client has no server: no answer either way).
    expect(await probe(NS_C, peerAddr, 7000, 1500)).toEqual({ ok: false, error: 'timeout' });
    await expect(inNs(NS_P, ['ping', '-c', '1', '-W', '1', clientAddr])).rejects.toThrow();
    // The node's own services are closed to peers (the tunnel address and its other addresses), its API is open.
    expect(await probe(NS_C, SERVER_TUN, 2222, 1500)).toEqual({ ok: false, error: 'timeout' });
    expect(await probe(NS_C, NODE_OUT, 2222, 1500)).toEqual({ ok: false, error: 'timeout' });
    expect((await probe(NS_N, SERVER_TUN, 2222)).ok).toBe(true); // it does listen there
    const healthz = await inNs(NS_C, [process.execPath, '-e', `fetch('http://${SERVER_TUN}:51820/healthz').then(r=>console.log(r.status))`], 15_000);
    expect(healthz.trim()).toBe('200');
  }, 180_000);

  it('the tunnel drops (wireguard-go killed): nothing leaves the client outside it', async () => {
    const state = JSON.parse(readFileSync(join(dir, 'home-client', 'tunnels', `${IF_C}.json`), 'utf8'));
    expect(state.killSwitch).toBe(`dvpn_ks_${IF_C}`);
    process.kill(state.wireguardGoPid, 'SIGKILL');
    await waitFor(async () => !(await inNs(NS_C, ['ip', 'link', 'show'])).includes(IF_C), 'client interface gone', 10_000, 100);
    const fromClient = await counter(NS_I, 'watch', 'from_client');
    expect(await counter(NS_C, 'leakwatch', 'leaked')).toBe(leakedBefore);
    // TCP, DNS (the resolver the tunnel set) and ping to the internet: all refused on the spot.
    expect((await probe(NS_C, NET_IP, 8080, 3000)).ok).toBe(false);
    expect((await lookupIn(NS_C, 'leak-check.dvpn.test', 4000)).ok).toBe(false);
    await expect(inNs(NS_C, ['ping', '-c', '1', '-W', '1', NET_IP])).rejects.toThrow();
    await sleep(500);
    expect(await counter(NS_C, 'leakwatch', 'leaked')).toBe(leakedBefore);
    expect(await counter(NS_I, 'watch', 'from_client')).toBe(fromClient);
    expect(netEvents.some((e) => e.event === 'dns' && e.name === 'leak-check.dvpn.test')).toBe(false);
    expect(await counter(NS_I, 'watch', 'from_pool')).toBe(0);
  }, 120_000);

  it('connect killed with SIGKILL: `dvpn connect --down` restores routes, rules, resolv.conf and removes the kill switch', async () => {
    await stop(clients.client.child, 'SIGKILL');
    // Still locked down after the kill.
    expect(await inNs(NS_C, ['nft', 'list', 'tables'])).toContain(`dvpn_ks_${IF_C}`);
    // With the client's DVPN_HOME, where its state file is.
    const down = await run(
      'ip',
      ['netns', 'exec', NS_C, 'env', `DVPN_HOME=${join(dir, 'home-client')}`, process.execPath, '--import', 'tsx', CONNECT, '--json', 'connect', '--down', '--interface', IF_C],
      30_000,
    );
    expect(JSON.parse(down.trim().split('\n')[0]).cleaned.length).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'home-client', 'tunnels', `${IF_C}.json`))).toBe(false);
    const after = await snapshot(NS_C);
    expect(after.rules).toBe(before.rules);
    expect(after.routes).toBe(before.routes);
    expect(after.tables).toBe(before.tables);
    expect(resolvOf(NS_C)).toBe(ORIGINAL_RESOLV);
    // The kill switch is gone: the direct path works again.
    expect(await probe(NS_C, NET_IP, 8080)).toEqual({ ok: true, reply: { remote: CLIENT_IP } });
    // A second --down has nothing left to do.
    const again = await run('ip', ['netns', 'exec', NS_C, 'env', `DVPN_HOME=${join(dir, 'home-client')}`, process.execPath, '--import', 'tsx', CONNECT, '--json', 'connect', '--down', '--interface', IF_C], 30_000);
    expect(JSON.parse(again.trim().split('\n')[0]).cleaned).toEqual([]);
  }, 180_000);

  it('the daemon removes exactly its table and restores forwarding on shutdown; a restart sets them up once', async () => {
    await stop(daemon, 'SIGTERM');
    expect(await inNs(NS_N, ['nft', 'list', 'tables'])).not.toContain(`dvpn_${IF_N}`);
    expect((await inNs(NS_N, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('0');
    daemon = await startDaemon();
    await stop(daemon, 'SIGKILL'); // a crash leaves the table…
    daemon = await startDaemon(); // …and the restart replaces it, not duplicates it
    const ruleset = await inNs(NS_N, ['nft', 'list', 'table', 'inet', `dvpn_${IF_N}`]);
    expect(ruleset.match(/masquerade/g)).toHaveLength(1);
    expect((await inNs(NS_N, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1');
    // The peer's tunnel still carries its traffic out.
    expect(await probe(NS_P, NET_IP, 8080, 5000)).toEqual({ ok: true, reply: { remote: NODE_OUT } });
    await stop(daemon, 'SIGTERM');
    expect((await inNs(NS_N, ['cat', '/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('0');
  }, 180_000);
});
