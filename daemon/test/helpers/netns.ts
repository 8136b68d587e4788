// What the real-tunnel tests share: the prerequisites check (skip with the
// reason, or fail when CI sets DVPN_REQUIRE_TUNNEL_TESTS=1), commands in
// network namespaces, and the child processes a test starts (killed by pid).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FORWARD = resolve(REPO, 'daemon/test/helpers/forward.mjs');

export function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What this machine lacks for a real-tunnel test (empty: it can run). Prints
 * the reason when it cannot; with DVPN_REQUIRE_TUNNEL_TESTS=1 (CI) the caller
 * must fail instead of skipping (see `requireTunnel`).
 */
export function tunnelPrerequisites(name: string, bins: string[]): { skip: boolean; missing: string[]; required: boolean } {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not running as root');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun is missing');
  for (const bin of bins) if (!onPath(bin)) missing.push(`${bin} not installed`);
  if (!existsSync(resolve(REPO, 'target/deploy/dvpn.so'))) missing.push('target/deploy/dvpn.so not built (make program)');
  const required = process.env.DVPN_REQUIRE_TUNNEL_TESTS === '1';
  if (missing.length > 0) {
    console.warn(`[${name}] ${required ? 'CANNOT RUN (DVPN_REQUIRE_TUNNEL_TESTS=1: failing)' : 'skipped'}: ${missing.join('; ')}`);
  }
  return { skip: missing.length > 0, missing, required };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const run = (bin: string, args: string[], timeoutMs = 20_000, input?: string) =>
  new Promise<string>((res, rej) => {
    const child = execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? rej(new Error(`${bin} ${args.join(' ')}: ${stderr || err.message}`)) : res(String(stdout)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });

export const inNs = (ns: string, args: string[], timeoutMs?: number, input?: string) => run('ip', ['netns', 'exec', ns, ...args], timeoutMs, input);

/** Child processes a test started, stopped by pid at the end. */
export class Procs {
  readonly children: ChildProcess[] = [];

  start(ns: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; log?: string; cwd?: string } = {}): ChildProcess {
    const out = opts.log ? openSync(opts.log, 'a') : 'ignore';
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', opts.log ? out : 'pipe', opts.log ? out : 'pipe'],
    });
    this.children.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    for (const child of [...this.children].reverse()) await stop(child);
  }
}

export function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

export async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

/** Kills whatever still runs in the namespaces (all started by the test) and deletes them. */
export async function removeNamespaces(names: string[]): Promise<void> {
  for (const ns of names) {
    const pids = await run('ip', ['netns', 'pids', ns]).catch(() => '');
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// Shared set-up of the real-tunnel runs (daemon/test/tunnel.test.ts, the dev stack's
// DVPN_DEV_TUNNEL=wireguard node used by the browser test).

export interface NamespacePair {
  server: string;
  client: string;
  serverIp: string;
  clientIp: string;
}

/**
 * Two network namespaces joined by a veth pair (server `serverIp`/24, client `clientIp`/24),
 * loopback up in both. Nothing is added to the host's own namespace.
 */
export async function createNamespacePair(p: NamespacePair & { vethServer: string; vethClient: string }): Promise<void> {
  await run('ip', ['netns', 'add', p.server]);
  await run('ip', ['netns', 'add', p.client]);
  await run('ip', ['-n', p.server, 'link', 'add', p.vethServer, 'type', 'veth', 'peer', 'name', p.vethClient, 'netns', p.client]);
  await run('ip', ['-n', p.server, 'address', 'add', `${p.serverIp}/24`, 'dev', p.vethServer]);
  await run('ip', ['-n', p.client, 'address', 'add', `${p.clientIp}/24`, 'dev', p.vethClient]);
  for (const [ns, dev] of [
    [p.server, p.vethServer],
    [p.client, p.vethClient],
    [p.server, 'lo'],
    [p.client, 'lo'],
  ]) {
    await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }
}

/** Pipes each accepted connection to a new connection made by `connect`. */
export function pipeServer(connect: () => net.Socket): net.Server {
  return net.createServer((sock) => {
    const up = connect();
    const kill = () => {
      sock.destroy();
      up.destroy();
    };
    sock.pipe(up);
    up.pipe(sock);
    for (const s of [sock, up]) {
      s.on('error', kill);
      s.on('close', kill);
    }
  });
}

/**
 * Host TCP services (e.g. the embedded chain's RPC and websocket on loopback) reachable in
 * namespaces at the same 127.0.0.1:port there: a Unix socket per port in `dir` on the host, and
 * forward.mjs in each namespace (no route from a namespace to the host's interfaces). Returns the
 * host-side servers (close them at the end; the forwarders are in `procs`).
 */
export async function forwardIntoNamespaces(procs: Procs, dir: string, namespaces: string[], ports: { hostPort: number; nsPort: number }[]): Promise<net.Server[]> {
  const servers: net.Server[] = [];
  const maps: string[] = [];
  for (const { hostPort, nsPort } of ports) {
    const path = join(dir, `fwd-${hostPort}.sock`);
    const server = pipeServer(() => net.connect(hostPort, '127.0.0.1'));
    await new Promise<void>((r) => server.listen(path, () => r()));
    servers.push(server);
    maps.push(`127.0.0.1:${nsPort}=${path}`);
  }
  for (const ns of namespaces) {
    const fwd = procs.start(ns, [process.execPath, FORWARD, ...maps]);
    await new Promise<void>((res, rej) => {
      lines(fwd, (l) => l === 'ready' && res());
      fwd.once('exit', (c) => rej(new Error(`forwarder in ${ns} exited ${c}`)));
    });
  }
  return servers;
}

/** A host TCP listener on host:port that reaches a Unix socket (a namespaced daemon's API socket). */
export async function tcpToUnix(host: string, port: number, socketPath: string): Promise<net.Server> {
  const server = pipeServer(() => net.connect(socketPath));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => res());
  });
  return server;
}

/** Starts wireguard-go for `iface` in `ns` (foreground, in `procs`) and waits for its UAPI socket. */
export async function startWireguardGo(procs: Procs, ns: string, iface: string, log?: string): Promise<ChildProcess> {
  const child = procs.start(ns, ['wireguard-go', '-f', iface], { log });
  const deadline = Date.now() + 10_000;
  while (!existsSync(`/var/run/wireguard/${iface}.sock`)) {
    if (child.exitCode !== null) throw new Error(`wireguard-go ${iface} exited ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`wireguard-go ${iface}: no UAPI socket after 10 s`);
    await sleep(50);
  }
  return child;
}

// The keys `wg setconf` takes; wg-quick's own ones (Address, DNS, MTU, Table, Pre/PostUp...) are
// applied with ip below (or not at all: DNS would rewrite the host's resolv.conf).
const WG_KEYS = new Set(['privatekey', 'listenport', 'fwmark', 'publickey', 'presharedkey', 'allowedips', 'endpoint', 'persistentkeepalive']);

/**
 * Brings up a wg-quick file in `ns` the way wg-quick would, on wireguard-go: the interface, the
 * `wg setconf` part, its Address(es), and a route per IPv4 AllowedIPs. Returns the parsed address.
 */
export async function wgQuickUp(procs: Procs, ns: string, iface: string, conf: string, dir: string): Promise<{ address: string; allowedIps: string[] }> {
  const keep: string[] = [];
  const addresses: string[] = [];
  const allowed: string[] = [];
  for (const raw of conf.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[') || line === '') {
      keep.push(line);
      continue;
    }
    const m = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a wg-quick line: ${line}`);
    const key = m[1]!.toLowerCase();
    const values = m[2]!.split(',').map((v) => v.trim()).filter(Boolean);
    if (key === 'address') addresses.push(...values);
    if (key === 'allowedips') allowed.push(...values);
    if (WG_KEYS.has(key)) keep.push(line);
  }
  if (addresses.length === 0) throw new Error('the config has no Address');
  const stripped = join(dir, `${iface}.wg.conf`);
  writeFileSync(stripped, `${keep.join('\n')}\n`, { mode: 0o600 });
  await startWireguardGo(procs, ns, iface, join(dir, `wireguard-go-${iface}.log`));
  await inNs(ns, ['wg', 'setconf', iface, stripped]);
  for (const a of addresses) await inNs(ns, ['ip', 'address', 'add', a, 'dev', iface]);
  await inNs(ns, ['ip', 'link', 'set', 'dev', iface, 'up']);
  for (const cidr of allowed.filter((c) => !c.includes(':'))) await inNs(ns, ['ip', 'route', 'replace', cidr, 'dev', iface]);
  return { address: addresses[0]!.split('/')[0]!, allowedIps: allowed };
}
