// The daemon as operators run it: the compiled single file
// (scripts/build-daemon.mjs → daemon/dist/dvpn-daemon.mjs, run by plain
// `node`, no tsx) in the no-tunnel mode (DVPN_TUNNEL=none, no root, no
// interface) against the real embedded chain: it starts, says it carries no
// traffic, admits a correctly signed session and refuses a forged one,
// serves prom-client metrics, and stops cleanly on SIGTERM.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, type NodeCtx } from '../../tests/harness/fixtures.js';
import { http, type Target } from './helpers/http.js';
import { authBody, waitFor } from './helpers/inproc.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const BUNDLE = join(REPO, 'daemon/dist/dvpn-daemon.mjs');

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

let chain: Chain;
let nodeCtx: NodeCtx;
let dir: string;
let daemon: ChildProcess;
let target: Target;
let output = '';

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO, 'scripts/build-daemon.mjs')], { cwd: REPO, stdio: 'pipe' });
  chain = await startChain();
  await initConfig(chain);
  nodeCtx = await createProviderWithNode(chain, { maxCapacity: 4, endpoint: '192.0.2.1:51820' });
  dir = mkdtempSync(join(tmpdir(), 'dvpn-pkg-'));
  const keyPath = join(dir, 'authority.json');
  saveKeypair(keyPath, nodeCtx.owner.authority);
  const port = await freePort();
  target = { host: '127.0.0.1', port };
  daemon = spawn(process.execPath, [BUNDLE], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      DVPN_TUNNEL: 'none',
      DVPN_RPC_URL: chain.rpcUrl,
      DVPN_AUTHORITY_KEYPAIR: keyPath,
      DVPN_NODE: nodeCtx.node.toBase58(),
      DVPN_HTTP_HOST: '127.0.0.1',
      DVPN_HTTP_PORT: String(port),
      DVPN_HTTP_TUNNEL_PROBE: 'false',
      DVPN_STATE_DIR: join(dir, 'state'),
      DVPN_POLL_INTERVAL_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  daemon.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    async () => (await http(target, 'GET', '/healthz').catch(() => null))?.status === 200 || (daemon.exitCode !== null ? Promise.reject(new Error(output)) : false),
    'the compiled daemon to become healthy',
    60_000,
    200,
  );
}, 180_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  await chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compiled daemon, no-tunnel mode', () => {
  it('runs without tsx and says it carries no traffic', async () => {
    const node = await http(target, 'GET', '/node');
    expect(node.status).toBe(200);
    expect(node.json.tunnel).toBe('none');
    expect(node.json.node).toBe(nodeCtx.node.toBase58());
    expect(node.json.wireguard.publicKey).toBe(Buffer.from(nodeCtx.wgServerPubkey).toString('base64'));
    expect((await http(target, 'GET', '/healthz')).json.tunnel).toBe('none');
    expect(output).toContain('no-tunnel mode');
    expect(output).not.toMatch(/tsx/);
  });

  it('checks signatures and sessions for real', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const forged = await http(target, 'POST', '/session/auth', { ...authBody(s.session, Keypair.generate()), user: s.user.publicKey.toBase58() });
    expect(forged.status).toBe(401);
    const ok = await http(target, 'POST', '/session/auth', authBody(s.session, s.user));
    expect(ok.status).toBe(200);
    expect(ok.json.tunnel).toBe('none');
    const address = (ok.json.wireguard.interface.address as string).split('/')[0];
    const view = await http(target, 'GET', `/session/${s.session.toBase58()}`);
    expect(view.status).toBe(200);
    expect(view.json.daemon.peer.address).toBe(address);
  });

  it('serves prom-client metrics with build info', async () => {
    const m = await http(target, 'GET', '/metrics');
    expect(m.text).toMatch(/^dvpn_peers 1$/m);
    expect(m.text).toMatch(/^dvpn_auth_total\{result="ok"\} 1$/m);
    expect(m.text).toMatch(/^dvpn_daemon_build_info\{[^}]*version="/m);
    expect(m.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(m.text).toMatch(/^dvpn_state_disk_free_bytes [1-9]\d*/m);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((ok) => daemon.once('exit', (code) => ok(code)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
