// The web app (app/) in a real browser (Debian's Chromium driven by playwright-core) against
// the real stack that `make dev` runs (scripts/dev.ts: embedded chain with the program,
// embedded Postgres, indexer, GraphQL API, a node with its daemon), serving a production
// build of the app. No mocked API, chain or wallet: the user's dev wallet is a keypair in the
// page; the provider imports its node authority's CLI keypair into its own.
//
// The node's daemon runs with real WireGuard (wireguard-go in a network namespace,
// DVPN_DEV_TUNNEL=wireguard) when this machine allows it (root, /dev/net/tun, wireguard-go,
// wg, ip, ping): the config the page offers is then brought up in a client namespace and
// carries traffic to the node, which meters it. Otherwise the daemon runs in the no-tunnel
// mode (sessions, signatures and claims real, no traffic) and the tunnel check is skipped
// saying why; with DVPN_REQUIRE_TUNNEL_TESTS=1 (CI) it fails instead.
//
// Screenshots of each view are written to docs/screenshots/ (the README shows them).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, PublicKey } from '@solana/web3.js';
import { getOrCreateAssociatedTokenAccount, mintTo } from '@solana/spl-token';
import { decodeNode, decodeProvider, findNodePda, findProviderPda } from '@dvpn/sdk';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitForProgram } from '../harness/surfnet.js';
import { Procs, inNs, lines, tunnelPrerequisites, wgQuickUp } from '../../daemon/test/helpers/netns.js';
import { TUNNEL_NODE_ADDRESS, removeTunnelNamespaces, tunnelNames } from '../../scripts/dev-tunnel.js';

const NETCHECK = join(REPO_ROOT, 'daemon', 'test', 'helpers', 'netcheck.mjs');
// Real WireGuard for the dev node when this machine can run it (else the reason is printed).
const TUNNEL = tunnelPrerequisites('browser test: real WireGuard', ['wireguard-go', 'wg', 'ip', 'ping']);
const TAG = `${process.pid % 10000}${Math.floor(Math.random() * 90 + 10)}`;
const CLIENT_IF = `dvdc${TAG}`;
const tunnelProcs = new Procs();
/** The manifest the API runs over GET: the ids the app must send. */
const MANIFEST = new Map(
  (JSON.parse(readFileSync(join(REPO_ROOT, 'graph', 'generated', 'persisted-operations.json'), 'utf8')) as { operations: { id: string; name: string; type: string }[] }).operations.map((o) => [o.id, o]),
);

const CHROMIUM = process.env.DVPN_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
/** Live updates arrive in well under a second; this only bounds a broken run. */
const LIVE = { timeout: 20_000 };

let dir: string;
let stack: ChildProcess | undefined;
let log = '';
let exports: Record<string, string> = {};
let browser: Browser;
let userCtx: BrowserContext;
let providerCtx: BrowserContext;
let user: Page;
let provider: Page;
let session = '';
/** The WireGuard config the page offered (the downloaded file). */
let wgConfig = '';
/** Every request the pages made to the GraphQL API over HTTP, and what came back. */
const apiRequests: { method: string; url: string; cacheControl?: string }[] = [];
const wsUrls: string[] = [];

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(exports.DVPN_GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** X25519 public key (base64) of a WireGuard private key (base64), by Node's crypto. */
function wgPublicKey(privateKey: string): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(privateKey, 'base64')]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(-32)).toString('base64');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Opens a view of the app. Chromium aborts requests in flight with ERR_NETWORK_CHANGED when
 * network interfaces appear or go (other tests here make namespaces and veth pairs): a load
 * that rendered nothing is loaded again (the app retries its own requests likewise).
 */
async function open(page: Page, view: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(`${exports.DVPN_APP_URL}#/${view}`);
      await page.locator('header.top').waitFor({ timeout: 15_000 });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: make system installs Debian's chromium`);
  if (!(await waitForProgram(0))) throw new Error('target/deploy/dvpn.so is missing: make program');
  dir = mkdtempSync(join(tmpdir(), 'dvpn-app-'));
  // As root, the embedded Postgres runs as the postgres user: it must reach its data directory.
  chmodSync(dir, 0o755);
  // The production build, as a static host would serve it.
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'app', 'vite.config.ts'), root: join(REPO_ROOT, 'app'), logLevel: 'warn', build: { outDir: join(dir, 'dist'), emptyOutDir: true, sourcemap: false } });
  stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--rpc-port', '0'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DVPN_HOME: join(dir, 'home'),
      DVPN_DATA_DIR: join(dir, 'data'),
      DVPN_APP_DIR: join(dir, 'dist'),
      DVPN_APP_PORT: '0',
      DVPN_DAEMON_PORT: String(await freePort()),
      ...(TUNNEL.skip ? {} : { DVPN_DEV_TUNNEL: 'wireguard', DVPN_DEV_NETNS_TAG: TAG }),
      // The dev node's daemon claims every 2 s, so the user sees a claim while the page is open.
      DVPN_CLAIM_INTERVAL_SECONDS: '2',
      // Usage sessions: the page pays a tick every second.
      DVPN_TICK_INTERVAL_SECONDS: '1',
      LOG_LEVEL: 'warn',
      SOLANA_RPC_URL: '',
      SOLANA_WS_URL: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      DVPN_DEMO: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  stack.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  exports = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/export DVPN_DAEMON_URL=\S+/.test(log)) {
        clearInterval(timer);
        resolve(Object.fromEntries([...log.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]])));
      }
    }, 200);
    stack!.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`dev stack exited ${code}:\n${log}`));
    });
  });
  expect(log).toContain(`Web app          ${exports.DVPN_APP_URL}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  userCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  providerCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // What the pages send the API: queries as persisted GETs, subscriptions over graphql-ws.
  const graphqlPath = new URL(exports.DVPN_GRAPHQL_URL).pathname;
  for (const ctx of [userCtx, providerCtx]) {
    ctx.on('request', (r) => {
      const u = new URL(r.url());
      if (u.origin === new URL(exports.DVPN_GRAPHQL_URL).origin && u.pathname === graphqlPath) apiRequests.push({ method: r.method(), url: r.url() });
    });
    ctx.on('response', async (r) => {
      const entry = apiRequests.find((a) => a.url === r.url() && a.cacheControl === undefined);
      if (entry) entry.cacheControl = (await r.allHeaders())['cache-control'] ?? '';
    });
    ctx.on('page', (p) => p.on('websocket', (w) => wsUrls.push(w.url())));
  }
  user = await userCtx.newPage();
  provider = await providerCtx.newPage();
  mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (stack && stack.exitCode === null) {
    const exited = new Promise((r) => stack!.once('exit', r));
    stack.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (stack.exitCode === null) stack.kill('SIGKILL');
  }
  // The client side of the tunnel is the test's; the dev stack removes its namespaces when it
  // stops, and again here in case it could not (killed).
  await tunnelProcs.stopAll();
  if (!TUNNEL.skip) {
    await removeTunnelNamespaces(TAG);
    rmSync(`/var/run/wireguard/${CLIENT_IF}.sock`, { force: true });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

if (TUNNEL.skip && TUNNEL.required) {
  describe('web app over a real WireGuard tunnel (required)', () => {
    it('has what the real-tunnel part needs', () => {
      throw new Error(`DVPN_REQUIRE_TUNNEL_TESTS=1 but: ${TUNNEL.missing.join('; ')}`);
    });
  });
}

describe('web app in a browser, on the dev stack', () => {
  it('a provider connects its node authority and sees its node', async () => {
    await open(provider, 'provider');
    await provider.getByRole('button', { name: 'Import a key into the dev wallet' }).click();
    const key = readFileSync(join(dir, 'home', 'dev', 'node-authority.json'), 'utf8');
    await provider.getByLabel(/Secret key/).fill(key);
    await provider.getByRole('button', { name: 'Use this key' }).click();
    await expect.poll(() => provider.getByText('dev wallet — local/test clusters only').count()).toBe(1);
    await provider.locator(`tr[data-node="${exports.DVPN_DEV_NODE}"]`).waitFor(LIVE);
    await expect.poll(() => provider.getByRole('heading', { name: /Sessions on my nodes/ }).count()).toBe(1);
    // The unbonding time comes from the program's Config through the API.
    const { config } = await gql<{ config: { unbondingSeconds: string } }>('{ config { unbondingSeconds } }');
    expect(Number(config.unbondingSeconds)).toBeGreaterThan(0);
    expect(await provider.getByTestId('unbonding').textContent()).not.toBe('…');
  });

  it('a user with the dev wallet opens a time session on the node; the provider sees it appear live', async () => {
    await open(user, 'user');
    await user.getByRole('button', { name: 'Use dev wallet (local/test clusters only)' }).click();
    await expect.poll(() => user.getByText('dev wallet — local/test clusters only').count()).toBe(1);
    await user.getByRole('button', { name: 'Airdrop 2 SOL' }).click();
    await expect.poll(() => user.getByTestId('wallet-balance').textContent(), LIVE).toBe('2 SOL');

    const row = user.locator(`tr[data-node="${exports.DVPN_DEV_NODE}"]`);
    await row.waitFor(LIVE);
    const freeBefore = await row.getByTestId('free-capacity').textContent();
    await row.getByRole('button', { name: /Choose node/ }).click();
    await user.getByLabel('Minutes').fill('30');
    await user.getByRole('button', { name: 'Open session' }).click();
    await expect.poll(() => user.getByTestId('session-state').textContent().catch(() => null), LIVE).toBe('ACTIVE');
    session = (await user.locator('#session-h code').getAttribute('title'))!;
    expect(session).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);

    // Node discovery updated without a reload: one slot fewer on the node.
    const [used, max] = freeBefore!.split(' / ').map(Number);
    await expect.poll(() => row.getByTestId('free-capacity').textContent(), LIVE).toBe(`${used - 1} / ${max}`);
    // The provider's live feed, in its own browser context, shows the opening.
    const item = provider.locator(`[data-testid="provider-feed"] li[data-session="${session}"]`);
    await expect.poll(() => item.first().textContent().catch(() => ''), LIVE).toContain('SessionOpened');
    await user.screenshot({ path: join(SHOTS, 'user.png'), fullPage: true });
  });

  it('connects: a WireGuard key made in the page, the auth message signed by the wallet, the config from the daemon as a file and a QR code', async () => {
    await user.getByRole('button', { name: 'Connect (get WireGuard config)' }).click();
    const pre = user.getByLabel('WireGuard config');
    await pre.waitFor(LIVE);
    const text = (await pre.textContent())!;
    expect(text).toMatch(/^\[Interface\]\nPrivateKey = [A-Za-z0-9+/]{43}=\nAddress = [\d.]+\/32\n/);
    expect(text).toContain('[Peer]');
    const node = (await (await fetch(`${exports.DVPN_DAEMON_URL}/node`)).json()) as { wireguard: { publicKey: string; endpoint: string } };
    expect(text).toContain(`PublicKey = ${node.wireguard.publicKey}`);
    expect(text).toContain(`Endpoint = ${node.wireguard.endpoint}`);
    // The daemon admitted the public half of the key in the file (it never saw the private one).
    const priv = /PrivateKey = (\S+)/.exec(text)![1];
    const daemonView = (await (await fetch(`${exports.DVPN_DAEMON_URL}/session/${session}`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(daemonView)).toContain(wgPublicKey(priv));
    // The file offered for download is that config.
    const [download] = await Promise.all([user.waitForEvent('download'), user.getByRole('button', { name: /^Download dvpn-.*\.conf$/ }).click()]);
    expect(download.suggestedFilename()).toBe(`dvpn-${session.slice(0, 8)}.conf`);
    expect(readFileSync((await download.path())!, 'utf8')).toBe(text);
    wgConfig = text;
    const qr = user.getByRole('img', { name: /QR code of the WireGuard config/ });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await user.screenshot({ path: join(SHOTS, 'user-connected.png'), fullPage: true });
  });

  it.skipIf(TUNNEL.skip)('the downloaded config brings up a real WireGuard tunnel: handshake with the node, traffic to it, bytes metered by the daemon', async () => {
    const names = tunnelNames(TAG);
    expect(exports.DVPN_DEV_CLIENT_NETNS).toBe(names.clientNs);
    // The file the user downloaded, brought up as wg-quick would, on wireguard-go in the client namespace.
    const { address } = await wgQuickUp(tunnelProcs, names.clientNs, CLIENT_IF, wgConfig, dir);
    expect(address).toMatch(/^10\.77\.0\.\d+$/);
    await inNs(names.clientNs, ['ping', '-c', '3', '-i', '0.2', '-W', '2', TUNNEL_NODE_ADDRESS]);
    // A handshake with the node's key: the server's peer for our key saw one, and so did we.
    const handshake = Number((await inNs(names.clientNs, ['wg', 'show', CLIENT_IF, 'latest-handshakes'])).trim().split('\t')[1]);
    expect(handshake).toBeGreaterThan(0);
    const clientKey = (await inNs(names.clientNs, ['wg', 'show', CLIENT_IF, 'public-key'])).trim();
    const serverDump = (await inNs(names.serverNs, ['wg', 'show', names.serverIf, 'dump'])).trim().split('\n').slice(1).map((l) => l.split('\t'));
    const peer = serverDump.find((p) => p[0] === clientKey)!;
    expect(peer[3]).toBe(`${address}/32`);
    expect(Number(peer[4])).toBeGreaterThan(0);
    // A TCP transfer of a known size to the node's tunnel address, received intact.
    const size = 256 * 1024;
    const sink = tunnelProcs.start(names.serverNs, [process.execPath, NETCHECK, 'sink', TUNNEL_NODE_ADDRESS, '5201']);
    await new Promise<void>((res) => lines(sink, (l) => l === 'listening' && res()));
    const result = JSON.parse(await inNs(names.clientNs, [process.execPath, NETCHECK, 'source', TUNNEL_NODE_ADDRESS, '5201', String(size)], 30_000)) as { sent: number; sha256: string; sink: unknown };
    expect(result.sent).toBe(size);
    expect(result.sink).toEqual({ bytes: size, sha256: result.sha256 });
    // The daemon metered this session's bytes (at least the transfer, from the client).
    await expect
      .poll(async () => {
        const v = (await (await fetch(`${exports.DVPN_DAEMON_URL}/session/${session}`)).json()) as { daemon: { bytes: { rx: string } } };
        return BigInt(v.daemon.bytes.rx) >= BigInt(size);
      }, LIVE)
      .toBe(true);
  });

  it('sees the session update live when the provider (its daemon) claims', async () => {
    await expect.poll(async () => Number(await user.getByTestId('session-claims').textContent()), LIVE).toBeGreaterThanOrEqual(1);
    expect(await user.getByTestId('session-claimed').textContent()).not.toBe('0 SOL');
    await expect.poll(() => user.getByTestId('session-feed').textContent(), LIVE).toContain('ChunkClaimed');
    const item = provider.locator(`[data-testid="provider-feed"] li[data-session="${session}"]`);
    await expect.poll(() => item.allTextContents().then((t) => t.join('\n')), LIVE).toContain('ChunkClaimed');
  });

  it('closes the session, sees the refund the API reports, and rates it', async () => {
    // Two minutes of use before closing (the CLI's time warp on the dev chain), so the session
    // pays the node more than the Config's minimum that earns a rating, however fast this machine ran.
    execFileSync(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'dev', 'warp', '2m', '--url', exports.SOLANA_RPC_URL], { cwd: REPO_ROOT, stdio: 'pipe' });
    await user.getByRole('button', { name: 'Close session' }).click();
    await expect.poll(() => user.getByTestId('session-state').textContent(), LIVE).toBe('CLOSED');
    const { session: s } = await gql<{ session: { refundedAmount: string; state: string } }>('query($s: Pubkey!) { session(pubkey: $s) { refundedAmount state } }', { s: session });
    expect(s.state).toBe('CLOSED');
    expect(BigInt(s.refundedAmount)).toBeGreaterThan(0n);
    const sol = (BigInt(s.refundedAmount) / 1_000_000_000n).toString();
    const frac = (BigInt(s.refundedAmount) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
    await expect.poll(() => user.getByTestId('session-refund').textContent(), LIVE).toBe(`${sol}${frac ? `.${frac}` : ''} SOL`);
    await expect.poll(() => provider.locator(`li[data-session="${session}"]`).allTextContents().then((t) => t.join('\n')), LIVE).toContain('SessionClosed');
    // The node's earnings (the API's node_utilisation) updated live with the claim and the close.
    const earned = provider.locator(`tr[data-node="${exports.DVPN_DEV_NODE}"]`).getByTestId('node-earned');
    await expect.poll(() => earned.textContent(), LIVE).toMatch(/^0\.\d+ SOL/);
    await provider.screenshot({ path: join(SHOTS, 'provider.png'), fullPage: true });

    await user.getByLabel('Rating').selectOption('5');
    await user.getByRole('button', { name: 'Rate' }).click();
    await expect.poll(() => user.getByText('Rated. Thank you.').count(), LIVE).toBe(1);
  });

  it('a USDC usage session: the page pays ticks while it is open, the daemon claims them, closing starts the settlement', async () => {
    // Dev USDC for the user's wallet, minted by the dev mint authority (what `dvpn dev mint` does).
    const owner = new PublicKey((await user.getByTestId('wallet-address').getAttribute('title'))!);
    const connection = new Connection(exports.SOLANA_RPC_URL, { commitment: 'confirmed', wsEndpoint: exports.SOLANA_WS_URL });
    const authority = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(join(dir, 'home', 'dev', 'mint-authority.json'), 'utf8')) as number[]));
    const mint = new PublicKey(exports.DVPN_DEV_MINT);
    const ata = await getOrCreateAssociatedTokenAccount(connection, authority, mint, owner);
    await mintTo(connection, authority, mint, ata.address, authority, 10_000_000n);

    const row = user.locator(`tr[data-node="${exports.DVPN_DEV_NODE}"]`);
    await row.getByRole('button', { name: /Choose node/ }).click();
    await user.getByLabel('USDC').check();
    await user.getByLabel('Usage (ticks)').check();
    await user.getByLabel('Ticks to escrow').fill('50');
    await expect.poll(() => user.getByTestId('escrow').textContent()).toMatch(/ USDC$/);
    await user.getByRole('button', { name: 'Open session' }).click();
    await expect.poll(() => user.locator('#session-h code').getAttribute('title').catch(() => null), LIVE).not.toBe(session);
    const usage = (await user.locator('#session-h code').getAttribute('title'))!;
    await expect.poll(() => user.getByTestId('session-state').textContent(), LIVE).toBe('ACTIVE');
    expect(await user.getByTestId('session-escrow').textContent()).toMatch(/ USDC$/);

    await user.getByRole('button', { name: 'Connect (get WireGuard config)' }).click();
    await user.getByLabel('WireGuard config').waitFor(LIVE);
    // Ticks paid from the page, verified by the daemon (its answer), then claimed on chain.
    await expect.poll(async () => Number(await user.getByTestId('ticks-paid').textContent()), LIVE).toBeGreaterThanOrEqual(3);
    await expect.poll(async () => Number((await user.getByTestId('ticks-claimed').textContent())!.split(' ')[0]), LIVE).toBeGreaterThanOrEqual(1);
    const daemonView = (await (await fetch(`${exports.DVPN_DAEMON_URL}/session/${usage}`)).json()) as { daemon: { mode: string; lastTickAt: string | null } };
    expect(daemonView.daemon.mode).toBe('usage');
    expect(daemonView.daemon.lastTickAt).not.toBeNull();

    await user.getByRole('button', { name: 'Close session' }).click();
    await expect.poll(() => user.getByTestId('session-state').textContent(), LIVE).toBe('CLOSING');
    const { session: s } = await gql<{ session: { state: string; currency: string; lastTick: string } }>('query($s: Pubkey!) { session(pubkey: $s) { state currency lastTick } }', { s: usage });
    expect(s).toMatchObject({ state: 'CLOSING', currency: 'TOKEN' });
    expect(Number(s.lastTick)).toBeGreaterThanOrEqual(1);
  });

  it("the analyst page's figures equal the API's, as charts and as tables with CSV", async () => {
    const analyst = await userCtx.newPage();
    await open(analyst, 'analyst');
    await analyst.getByTestId('stats').waitFor(LIVE);
    const { stats } = await gql<{ stats: { sessions: string; activeSessions: string; volumeLamports: string; feesLamports: string; providers: string } }>(
      '{ stats { sessions activeSessions volumeLamports feesLamports providers } }',
    );
    expect(Number(stats.sessions)).toBeGreaterThanOrEqual(1);
    expect(BigInt(stats.volumeLamports)).toBeGreaterThan(0n);
    const stat = (name: string) => analyst.locator(`[data-stat="${name}"]`);
    await expect.poll(() => stat('sessions').textContent(), LIVE).toBe(stats.sessions);
    expect(await stat('activeSessions').textContent()).toBe(stats.activeSessions);
    expect(await stat('providers').textContent()).toBe(stats.providers);
    expect(await stat('volumeLamports').getAttribute('data-raw')).toBe(stats.volumeLamports);
    expect(await stat('feesLamports').getAttribute('data-raw')).toBe(stats.feesLamports);
    await analyst.locator('.recharts-bar-rectangle').first().waitFor(LIVE);
    await analyst.screenshot({ path: join(SHOTS, 'analyst.png'), fullPage: true });

    await analyst.getByLabel('Show tables instead of charts').check();
    const regionTable = analyst.locator('section', { has: analyst.getByRole('heading', { name: 'Volume by region (SOL)' }) }).locator('table');
    await regionTable.waitFor(LIVE);
    expect(await regionTable.textContent()).toContain('local');
    const [csv] = await Promise.all([analyst.waitForEvent('download'), analyst.getByRole('button', { name: 'Export Volume by region (SOL) as CSV' }).click()]);
    const lines = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('region,volume,sessions,active');
    // The exported figures are the API's (SOL volume of the region, its sessions).
    const { stats: s2 } = await gql<{ stats: { byRegion: { region: string; volumeLamports: string; sessions: string; activeSessions: string }[] } }>(
      '{ stats { byRegion { region volumeLamports sessions activeSessions } } }',
    );
    const local = s2.byRegion.find((r) => r.region === 'local')!;
    expect(lines).toContain(`local,${Number(local.volumeLamports) / 1e9},${local.sessions},${local.activeSessions}`);
    const link = analyst.getByRole('link', { name: /GraphiQL/ });
    expect(await link.getAttribute('href')).toBe(exports.DVPN_GRAPHQL_URL);
    await analyst.close();
  });

  it('the API serves the same production build under /app/ (API_APP_DIR): the market view renders from it', async () => {
    const base = exports.DVPN_API_APP_URL;
    expect(base).toBe(`${exports.DVPN_REST_URL}/app/`);
    const index = await fetch(base);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(await index.text())![1];
    const js = await fetch(new URL(asset, base));
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const page = await userCtx.newPage();
    for (let attempt = 1; ; attempt++) {
      try {
        await page.goto(`${base}#/analyst`);
        await page.locator('header.top').waitFor({ timeout: 15_000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    const { stats } = await gql<{ stats: { sessions: string } }>('{ stats { sessions } }');
    await expect.poll(() => page.locator('[data-stat="sessions"]').textContent(), LIVE).toBe(stats.sessions);
    await page.close();
  });

  it('sends its queries as persisted operations over GET (ids from the manifest, cacheable), its subscriptions over graphql-ws', async () => {
    expect(apiRequests.length).toBeGreaterThan(0);
    const names = new Set<string>();
    for (const r of apiRequests) {
      expect(r.method, r.url).toBe('GET');
      const u = new URL(r.url);
      expect(u.searchParams.has('query'), r.url).toBe(false);
      const id = (JSON.parse(u.searchParams.get('extensions')!) as { persistedQuery: { version: number; sha256Hash: string } }).persistedQuery.sha256Hash;
      const op = MANIFEST.get(id);
      expect(op, `unknown id ${id}`).toBeDefined();
      expect(op!.type).toBe('query');
      expect(u.searchParams.get('operationName')).toBe(op!.name);
      names.add(op!.name);
    }
    // Every view's queries went that way.
    for (const n of ['AppConfig', 'AppNodes', 'AppSession', 'AppProvider', 'AppMarket']) expect(names).toContain(n);
    // The API answered them as a shared cache may keep them.
    expect(apiRequests.some((r) => r.cacheControl?.startsWith('public'))).toBe(true);
    expect(wsUrls).toContain(exports.DVPN_GRAPHQL_WS_URL);
  });

  it('works with the keyboard alone and on a phone-sized screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    await open(page, 'user');
    await page.getByRole('heading', { name: 'Nodes' }).waitFor(LIVE);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Tab to the dev wallet button and press Enter.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Use dev wallet (local/test clusters only)') break;
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('dev wallet — local/test clusters only').count()).toBe(1);
    // Nothing wider than the screen but the scrollable tables.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'user-phone.png'), fullPage: true });
    await phone.close();
  });
});

// The provider's forms, in the provider's browser context on the same stack (after the flows
// above: the dev node's authority is already imported into that page's dev wallet).
describe("the provider's forms: register and update a node, stake and unstake", () => {
  let connection: Connection;
  let providerPda: PublicKey;
  let nodesBefore: bigint;
  let node = '';
  const wgKey = (generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string).replace(/-/g, '+').replace(/_/g, '/') + '=';
  const nodeForm = () => provider.locator('section[aria-labelledby="node-h"]');
  const stakeForm = () => provider.locator('section[aria-labelledby="stake-h"]');
  const chainProvider = async () => decodeProvider((await connection.getAccountInfo(providerPda, 'confirmed'))!.data);
  const chainNode = async () => decodeNode((await connection.getAccountInfo(new PublicKey(node), 'confirmed'))!.data);

  beforeAll(async () => {
    connection = new Connection(exports.SOLANA_RPC_URL, { commitment: 'confirmed', wsEndpoint: exports.SOLANA_WS_URL });
    const authority = new PublicKey((await provider.getByTestId('wallet-address').getAttribute('title'))!);
    providerPda = findProviderPda(authority)[0];
    nodesBefore = (await chainProvider()).nodeCount;
  });

  it('invalid input (a bad endpoint, zero capacity) shows labelled errors and sends nothing', async () => {
    const form = nodeForm();
    await form.getByRole('heading', { name: 'Register a node' }).waitFor();
    await form.getByLabel('Endpoint (HOST:PORT)').fill('not an endpoint');
    await form.getByLabel('Region').fill('app-test');
    await form.getByLabel('Price per minute (SOL)').fill('0.000002');
    await form.getByLabel('Capacity (sessions)').fill('0');
    await form.getByLabel('WireGuard server public key').fill(wgKey);
    await form.getByRole('button', { name: 'Register node' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('Not sent: 2 fields need fixing.');
    // Each error is its field's description (read with the field by a screen reader) and marks it invalid.
    for (const [label, message] of [
      ['Endpoint (HOST:PORT)', 'endpoint "not an endpoint" is not HOST:PORT'],
      ['Capacity (sessions)', 'Capacity: a whole number of sessions from 1 to 65535'],
    ]) {
      const input = form.getByLabel(label);
      expect(await input.getAttribute('aria-invalid')).toBe('true');
      expect(await form.locator(`#${await input.getAttribute('aria-describedby')}`).textContent()).toContain(message);
    }
    expect(await form.getByLabel('Region').getAttribute('aria-invalid')).toBeNull();
    expect(await form.getByRole('status').count()).toBe(0);
    expect((await chainProvider()).nodeCount).toBe(nodesBefore);
  });

  it('registers a node through the form; it appears in "my nodes" live and on chain as the form said', async () => {
    const form = nodeForm();
    await form.getByLabel('Endpoint (HOST:PORT)').fill('198.51.100.20:51820');
    await form.getByLabel('Price per minute (USDC)').fill('0.01');
    await form.getByLabel('Price per tick (SOL)').fill('0.0000005');
    await form.getByLabel('Price per tick (USDC)').fill('0.002');
    await form.getByLabel('Capacity (sessions)').fill('7');
    expect(await form.getByRole('alert').count()).toBe(0);
    await form.getByRole('button', { name: 'Register node' }).click();
    await expect.poll(() => form.getByRole('status').textContent().catch(() => null), LIVE).toBe('Node registered.');
    // Exactly one node more: the refused attempt above sent nothing.
    expect((await chainProvider()).nodeCount).toBe(nodesBefore + 1n);
    node = findNodePda(providerPda, nodesBefore)[0].toBase58();
    const row = provider.locator(`tr[data-node="${node}"]`);
    await row.waitFor(LIVE);
    expect(await row.getByTestId('node-region').textContent()).toBe('app-test');
    expect(await row.getByTestId('node-capacity').textContent()).toBe('0 / 7');
    expect(await row.getByTestId('node-price').textContent()).toBe('0.000002 SOL');
    const n = await chainNode();
    expect(n.provider.toBase58()).toBe(providerPda.toBase58());
    expect({ endpoint: n.endpoint, region: n.region, maxCapacity: n.maxCapacity, isActive: n.isActive }).toEqual({ endpoint: '198.51.100.20:51820', region: 'app-test', maxCapacity: 7, isActive: true });
    expect([n.pricePerMinute, n.pricePerMinuteToken, n.pricePerTick, n.pricePerTickToken]).toEqual([2000n, 10_000n, 500n, 2000n]);
    expect(Buffer.from(n.wgServerPubkey).toString('base64')).toBe(wgKey);
  });

  it("updates the node's price and capacity; the change shows live and on chain", async () => {
    const form = nodeForm();
    await form.getByRole('combobox', { name: /^Node/ }).selectOption(node);
    await form.getByRole('heading', { name: 'Update a node' }).waitFor();
    expect(await form.getByLabel('Endpoint (HOST:PORT)').inputValue()).toBe('198.51.100.20:51820');
    await form.getByLabel('Price per minute (SOL)').fill('0.000003');
    await form.getByLabel('Capacity (sessions)').fill('12');
    await form.getByRole('button', { name: 'Update node' }).click();
    await expect.poll(() => form.getByRole('status').textContent().catch(() => null), LIVE).toBe('Node updated.');
    const row = provider.locator(`tr[data-node="${node}"]`);
    await expect.poll(() => row.getByTestId('node-capacity').textContent(), LIVE).toBe('0 / 12');
    expect(await row.getByTestId('node-price').textContent()).toBe('0.000003 SOL');
    const n = await chainNode();
    expect([n.pricePerMinute, n.pricePerMinuteToken, n.maxCapacity, n.endpoint, n.region]).toEqual([3000n, 10_000n, 12, '198.51.100.20:51820', 'app-test']);
  });

  it('stakes more, requests an unstake and shows the unbonding time; the chain holds what the form said', async () => {
    const form = stakeForm();
    const before = await chainProvider();
    await form.getByLabel('Amount (SOL)').fill('0.5');
    await form.getByRole('button', { name: 'Stake', exact: true }).click();
    await expect.poll(() => form.getByRole('status').textContent().catch(() => null), LIVE).toBe('Staked.');
    expect((await chainProvider()).stakeLamports).toBe(before.stakeLamports + 500_000_000n);
    const sol = (l: bigint) => `${l / 1_000_000_000n}${l % 1_000_000_000n ? `.${(l % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '')}` : ''} SOL`;
    await expect.poll(() => form.getByTestId('stake').textContent(), LIVE).toBe(sol(before.stakeLamports + 500_000_000n));

    const { config } = await gql<{ config: { unbondingSeconds: string } }>('{ config { unbondingSeconds } }');
    const unbonding = form.getByTestId('unbonding');
    const shownUnbonding = (await unbonding.textContent())!;
    expect(shownUnbonding).not.toBe('…');
    await form.getByLabel('Amount (SOL)').fill('0.2');
    await form.getByRole('button', { name: 'Request unstake' }).click();
    await expect.poll(() => form.getByRole('status').textContent().catch(() => null), LIVE).toBe(`Unstake requested: withdrawable after ${shownUnbonding}.`);
    const after = await chainProvider();
    expect(after.stakeLamports).toBe(before.stakeLamports + 300_000_000n);
    expect(after.unstakingLamports).toBe(before.unstakingLamports + 200_000_000n);
    await expect.poll(() => form.getByTestId('unstaking').textContent(), LIVE).toBe(sol(after.unstakingLamports));
    // The withdrawal date shown is the chain's unstake_at, which is the request's time plus the Config's unbonding time.
    const at = new Date(Number(after.unstakeAt) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    await expect.poll(() => form.getByTestId('unstake-at').textContent(), LIVE).toBe(at);
    expect(Number(config.unbondingSeconds)).toBeGreaterThan(0);
    // Not withdrawable before the unbonding time has passed.
    expect(await form.getByRole('button', { name: /^Withdraw/ }).isDisabled()).toBe(true);
    await provider.screenshot({ path: join(SHOTS, 'provider-forms.png'), fullPage: true });
  });

  it("withdraws once the unbonding time has passed by the chain's clock", async () => {
    const form = stakeForm();
    const { config } = await gql<{ config: { unbondingSeconds: string } }>('{ config { unbondingSeconds } }');
    const before = await chainProvider();
    expect(before.unstakingLamports).toBeGreaterThan(0n);
    // The dev chain's clock moves past unstake_at (the CLI's time warp); the browser's does not,
    // so the button follows the chain's clock.
    const minutes = Math.ceil(Number(config.unbondingSeconds) / 60) + 1;
    execFileSync(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'dev', 'warp', `${minutes}m`, '--url', exports.SOLANA_RPC_URL], { cwd: REPO_ROOT, stdio: 'pipe' });
    const withdraw = form.getByRole('button', { name: /^Withdraw/ });
    await expect.poll(() => withdraw.isEnabled(), LIVE).toBe(true);
    await withdraw.click();
    await expect.poll(() => form.getByRole('status').textContent().catch(() => null), LIVE).toBe('Withdrawn.');
    const after = await chainProvider();
    expect(after.unstakingLamports).toBe(0n);
    expect(after.stakeLamports).toBe(before.stakeLamports);
    await expect.poll(() => form.getByTestId('unstaking').textContent(), LIVE).toBe('0 SOL');
  });
});

// The wallet-standard path: a TEST WALLET (tests/app/test-wallet.js: a labelled test wallet, not a
// real one) registered in the page the way browser wallets register, holding a real Ed25519 keypair
// made here; the app finds it through @wallet-standard/app, connects it, has it sign the session's
// transaction and the daemon's auth message, and the chain and the daemon accept both signatures.
describe('a wallet-standard wallet (a test wallet registered in the page)', () => {
  const NAME = 'DVPN test wallet (tests only)';
  let ctx: BrowserContext;
  let page: Page;
  let owner: PublicKey;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const publicKey = Buffer.from(jwk.x!, 'base64url');
    owner = new PublicKey(publicKey);
    ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const script = readFileSync(join(REPO_ROOT, 'tests', 'app', 'test-wallet.js'), 'utf8');
    const opts = { name: NAME, address: owner.toBase58(), publicKey: [...publicKey], jwk, chains: ['solana:localnet'] };
    await ctx.addInitScript({ content: `${script}\nregisterTestWallet(${JSON.stringify(opts)});` });
    page = await ctx.newPage();
    // Its SOL from the dev chain's faucet (the app's airdrop button is the dev wallet's).
    const connection = new Connection(exports.SOLANA_RPC_URL, 'confirmed');
    const sig = await connection.requestAirdrop(owner, 2_000_000_000);
    await connection.confirmTransaction({ signature: sig, ...(await connection.getLatestBlockhash()) }, 'confirmed');
  });

  afterAll(async () => {
    await ctx?.close().catch(() => undefined);
  });

  it('is offered, connects, signs the session it opens and the auth message the daemon checks', async () => {
    await open(page, 'user');
    await page.getByRole('button', { name: `Connect ${NAME}` }).click();
    await expect.poll(() => page.getByTestId('wallet-address').getAttribute('title').catch(() => null), LIVE).toBe(owner.toBase58());
    expect(await page.getByText('dev wallet — local/test clusters only').count()).toBe(0);
    await expect.poll(() => page.getByTestId('wallet-balance').textContent(), LIVE).toBe('2 SOL');

    const row = page.locator(`tr[data-node="${exports.DVPN_DEV_NODE}"]`);
    await row.waitFor(LIVE);
    await row.getByRole('button', { name: /Choose node/ }).click();
    await page.getByLabel('Minutes').fill('10');
    await page.getByRole('button', { name: 'Open session' }).click();
    await expect.poll(() => page.getByTestId('session-state').textContent().catch(() => null), LIVE).toBe('ACTIVE');
    const opened = (await page.locator('#session-h code').getAttribute('title'))!;
    // On chain: the session is this wallet's (it signed and paid for the opening).
    const { session: s } = await gql<{ session: { user: string; state: string } }>('query($s: Pubkey!) { session(pubkey: $s) { user state } }', { s: opened });
    expect(s).toEqual({ user: owner.toBase58(), state: 'ACTIVE' });

    await page.getByRole('button', { name: 'Connect (get WireGuard config)' }).click();
    const text = (await page.getByLabel('WireGuard config').textContent({ timeout: LIVE.timeout }))!;
    const priv = /PrivateKey = (\S+)/.exec(text)![1];
    // The daemon verified the wallet's signature over the auth message and admitted the page's key.
    const daemonView = (await (await fetch(`${exports.DVPN_DAEMON_URL}/session/${opened}`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(daemonView)).toContain(wgPublicKey(priv));
    const calls = (await page.evaluate(() => (window as unknown as { __dvpnTestWallet: { calls: Record<string, number> } }).__dvpnTestWallet.calls)) as Record<string, number>;
    expect(calls.connect).toBe(1);
    expect(calls.signTransaction).toBeGreaterThanOrEqual(1);
    expect(calls.signMessage).toBe(1);

    await page.getByRole('button', { name: 'Close session' }).click();
    await expect.poll(() => page.getByTestId('session-state').textContent(), LIVE).toBe('CLOSED');
    await page.screenshot({ path: join(SHOTS, 'user-wallet-standard.png'), fullPage: true });
  });
});
