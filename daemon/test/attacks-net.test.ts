// A hostile peer inside the tunnel (attack, see attacks.test.ts for the API
// side): the real daemon with DVPN_EGRESS=nat in a node namespace, real
// wireguard-go on both ends, a client admitted through the daemon's API, and
// behind the node's egress link an "internet" that also holds what a cloud
// VM sees on its own network: the instance metadata service (169.254.169.254)
// and a host of the provider's private network (10.20.0.5). The client must
// reach the internet, and nothing the node can reach only because it is
// the provider's machine. Needs root, /dev/net/tun, wireguard-go, wg, ip, nft.
import { type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, type NodeCtx } from '../../tests/harness/fixtures.js';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { http, type Target } from './helpers/http.js';
import { authBody, waitFor } from './helpers/inproc.js';
import { Procs, REPO, inNs, lines, pipeServer, removeNamespaces, run, tunnelPrerequisites, wgQuickUp } from './helpers/netns.js';

const DAEMON_BIN = resolve(REPO, 'daemon/bin/dvpn-daemon.ts');
const FORWARD = resolve(REPO, 'daemon/test/helpers/forward.mjs');
const NET = resolve(REPO, 'daemon/test/helpers/internet.mjs');

const pre = tunnelPrerequisites('daemon egress attack test', ['wireguard-go', 'wg', 'ip', 'nft']);

const tag = `${process.pid % 10000}${Math.floor(Math.random() * 90 + 10)}`;
const NS_N = `dvpn-an-${tag}`;
const NS_C = `dvpn-ac-${tag}`;
const NS_I = `dvpn-ai-${tag}`;
const IF_N = `dan${tag}`;
const IF_C = `dac${tag}`;
const EGRESS = `ean${tag}`;
const NODE_IP = '192.0.2.1';
const CLIENT_IP = '192.0.2.2';
const NODE_OUT = '203.0.113.1';
const NET_IP = '203.0.113.2';
const METADATA = '169.254.169.254';
const PRIVATE_HOST = '10.20.0.5';
const PRIVATE_DNS = '172.16.0.53'; // a provider resolver in a private range, named in DVPN_WG_DNS
const POOL = '10.79.0.0/24';

const procs = new Procs();
let dir: string;
let chain: Chain;
let nodeCtx: NodeCtx;
let api: Target;
let daemon: ChildProcess | undefined;
const hostServers: net.Server[] = [];
let failed = false;

const js = async (p: Promise<string>) => JSON.parse((await p).trim().split('\n').at(-1)!);
const probe = (host: string, port: number, ms = 2000) => js(inNs(NS_C, [process.execPath, NET, 'tcp-probe', host, String(port), String(ms)], 15_000));

if (pre.skip && pre.required) {
  describe('daemon egress attacks (real tunnel, required)', () => {
    it('has what the real-tunnel tests need', () => {
      throw new Error(`DVPN_REQUIRE_TUNNEL_TESTS=1 but: ${pre.missing.join('; ')}`);
    });
  });
}

describe.skipIf(pre.skip)('a peer in the tunnel attacks what the node can reach', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      failed = true;
      throw err;
    }
  }, 150_000);

  async function setUp(): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-attack-net-'));
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

    for (const ns of [NS_N, NS_C, NS_I]) await run('ip', ['netns', 'add', ns]);
    const link = async (a: string, devA: string, ipA: string, b: string, devB: string, ipB: string) => {
      await run('ip', ['-n', a, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', b]);
      await run('ip', ['-n', a, 'address', 'add', `${ipA}/24`, 'dev', devA]);
      await run('ip', ['-n', b, 'address', 'add', `${ipB}/24`, 'dev', devB]);
      await run('ip', ['-n', a, 'link', 'set', devA, 'up']);
      await run('ip', ['-n', b, 'link', 'set', devB, 'up']);
    };
    await link(NS_N, `vna${tag}`, NODE_IP, NS_C, `vca${tag}`, CLIENT_IP);
    await link(NS_N, EGRESS, NODE_OUT, NS_I, `eai${tag}`, NET_IP);
    for (const ns of [NS_N, NS_C, NS_I]) await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // Behind the egress link: the internet, the metadata service, a private host, the provider's resolver.
    for (const a of [METADATA, PRIVATE_HOST, PRIVATE_DNS]) await run('ip', ['-n', NS_I, 'address', 'add', `${a}/32`, 'dev', 'lo']);
    await run('ip', ['-n', NS_N, 'route', 'add', 'default', 'via', NET_IP]);
    await run('ip', ['-n', NS_I, 'route', 'add', '192.0.2.0/24', 'via', NODE_OUT]);

    for (const argv of [
      ['tcp-server', NET_IP, '80'],
      ['tcp-server', METADATA, '80'],
      ['tcp-server', PRIVATE_HOST, '80'],
      ['tcp-server', PRIVATE_DNS, '53'],
    ]) {
      const child = procs.start(NS_I, [process.execPath, NET, ...argv]);
      await new Promise<void>((res, rej) => {
        lines(child, (l) => JSON.parse(l).event === 'listening' && res());
        child.once('exit', (c) => rej(new Error(`${argv.join(' ')} exited ${c}`)));
      });
    }

    procs.start(NS_N, ['wireguard-go', '-f', IF_N], { log: join(dir, 'wireguard-go-node.log') });
    await waitFor(() => existsSync(`/var/run/wireguard/${IF_N}.sock`), 'node wireguard-go socket', 10_000);
    for (const [name, port] of [
      ['rpc.sock', Number(new URL(chain.rpcUrl).port)],
      ['ws.sock', Number(new URL(chain.wsUrl).port)],
    ] as const) {
      const server = pipeServer(() => net.connect(port, '127.0.0.1'));
      await new Promise<void>((r) => server.listen(join(dir, name), () => r()));
      hostServers.push(server);
    }
    const fwd = procs.start(NS_N, [process.execPath, FORWARD, `127.0.0.1:8899=${join(dir, 'rpc.sock')}`, `127.0.0.1:8900=${join(dir, 'ws.sock')}`]);
    await new Promise<void>((res, rej) => {
      lines(fwd, (l) => l === 'ready' && res());
      fwd.once('exit', (c) => rej(new Error(`forwarder exited ${c}`)));
    });

    daemon = procs.start(NS_N, [process.execPath, '--import', 'tsx', DAEMON_BIN], {
      log: join(dir, 'daemon.log'),
      env: {
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
        DVPN_WG_DNS: PRIVATE_DNS,
        DVPN_EGRESS: 'nat',
        DVPN_EGRESS_INTERFACE: EGRESS,
        DVPN_POLL_INTERVAL_MS: '1000',
        DVPN_STATE_DIR: join(dir, 'state'),
        DVPN_LOG_LEVEL: 'debug',
      },
    });
    await waitFor(
      async () => {
        if (daemon!.exitCode !== null) throw new Error(`daemon exited ${daemon!.exitCode}`);
        return (await http(api, 'GET', '/healthz')).status === 200;
      },
      'daemon healthz',
      60_000,
      200,
    );

    // A user admitted the ordinary way, then its tunnel brought up by hand (wg-quick's steps).
    const user = await chain.fundedKeypair(10);
    const s = await openTimeSession(chain, nodeCtx, 30, { user });
    const client = generateWgKeypair();
    const a = await http(api, 'POST', '/session/auth', authBody(s.session, user, client.publicKey));
    if (a.status !== 200) throw new Error(`auth: ${a.status} ${a.text}`);
    const conf = `${a.json.config}`.replace('[Interface]', `[Interface]\nPrivateKey = ${client.privateKey}`);
    await wgQuickUp(procs, NS_C, IF_C, conf, dir);
  }

  afterAll(async () => {
    if (failed && dir) {
      const log = join(dir, 'daemon.log');
      console.error(`--- daemon.log (tail) ---\n${existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n') : '(none)'}`);
    }
    await procs.stopAll();
    await removeNamespaces([NS_C, NS_N, NS_I]);
    for (const iface of [IF_N, IF_C]) rmSync(`/var/run/wireguard/${iface}.sock`, { force: true });
    for (const s of hostServers) s.close();
    chain?.close();
    if (dir && !failed) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the tunnel carries the client to the internet (so the refusals below are the rules, not a dead tunnel)', async () => {
    const r = await waitFor(async () => {
      const p = await probe(NET_IP, 80);
      return p.ok ? p : null;
    }, 'internet through the tunnel', 20_000, 500);
    // It arrives from the node's address: NAT, through the tunnel.
    expect(r.reply).toEqual({ remote: NODE_OUT });
  }, 30_000);

  it('the cloud metadata service (169.254.169.254) and the provider\'s private network are out of reach', async () => {
    const [meta, priv] = [await probe(METADATA, 80), await probe(PRIVATE_HOST, 80)];
    expect(meta.ok, JSON.stringify(meta)).toBe(false);
    expect(priv.ok, JSON.stringify(priv)).toBe(false);
  }, 30_000);

  it('the resolver the node announces (DVPN_WG_DNS) stays reachable on port 53, even in a private range', async () => {
    const dns = await probe(PRIVATE_DNS, 53);
    expect(dns).toEqual({ ok: true, reply: { remote: NODE_OUT } });
  }, 30_000);
});
