// `dvpn connect` before it pays (issue 14): it asks the node's daemon first and
// opens nothing when the daemon does not answer or serves another node; when it
// reuses a session it says so and which options it ignored. The real daemon in
// process (in-memory WireGuard, as api.test.ts) on loopback; no tunnel (no --apply).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, type NodeCtx } from '../../tests/harness/fixtures.js';
import { startInProcess, type InProc } from './helpers/inproc.js';
import { REPO } from './helpers/netns.js';

const CONNECT = resolve(REPO, 'daemon/test/helpers/dvpn-connect.ts');

let chain: Chain;
let nodeCtx: NodeCtx;
let other: NodeCtx;
let d: InProc;
let dir: string;

function connect(args: string[], keypair: string): Promise<{ code: number | null; events: Array<Record<string, any>>; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CONNECT, '--url', chain.rpcUrl, '--ws-url', chain.wsUrl, '--keypair', keypair, '--json', 'connect', ...args], {
      cwd: REPO,
      env: { ...process.env, DVPN_HOME: join(dir, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) =>
      res({
        code,
        stderr,
        events: out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      }),
    );
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('dvpn connect asks the daemon before paying', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-connect-probe-'));
    chain = await startChain();
    await initConfig(chain);
    nodeCtx = await createProviderWithNode(chain, { maxCapacity: 4 });
    other = await createProviderWithNode(chain, { maxCapacity: 4 });
    d = await startInProcess(chain, nodeCtx);
  }, 60_000);

  afterAll(async () => {
    await d?.close();
    chain?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens no session when the daemon does not answer, or answers for another node', async () => {
    const user = await chain.fundedKeypair(5);
    const kp = join(dir, 'user1.json');
    saveKeypair(kp, user);
    const before = await chain.lamports(user.publicKey);
    const down = await connect([nodeCtx.node.toBase58(), '--sol', '--minutes', '5', '--api', `http://127.0.0.1:${await closedPort()}`], kp);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/does not answer .*nothing was paid/);
    expect(down.events.some((e) => e.event === 'session')).toBe(false);
    // The daemon of `nodeCtx` is not the daemon of `other`.
    const wrong = await connect([other.node.toBase58(), '--sol', '--minutes', '5', '--api', `http://127.0.0.1:${d.tcp.port}`], kp);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`serves node ${nodeCtx.node.toBase58()}, not ${other.node.toBase58()}; nothing was paid`);
    expect(await chain.lamports(user.publicKey)).toBe(before);
  }, 60_000);

  it('says when it reuses a session and that --sol --minutes are ignored', async () => {
    const s = await openTimeSession(chain, nodeCtx, 30);
    const kp = join(dir, 'user2.json');
    saveKeypair(kp, s.user);
    const before = await chain.lamports(s.user.publicKey);
    const r = await connect([nodeCtx.node.toBase58(), '--sol', '--minutes', '5', '--api', `http://127.0.0.1:${d.tcp.port}`, '--out', join(dir, 'reuse.conf')], kp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events[0]).toMatchObject({ event: 'session', session: s.session.toBase58(), opened: false, reused: true, ignoredOptions: ['--sol', '--minutes'] });
    expect(r.events.some((e) => e.event === 'connected')).toBe(true);
    expect(await chain.lamports(s.user.publicKey)).toBe(before); // nothing paid again
  }, 60_000);
});
