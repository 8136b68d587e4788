// `dvpn connect --apply`: the tunnel brought up here (wireguard-go + wg setconf
// + ip; execFile, never a shell) and taken down again.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthAnswer } from '@dvpn/sdk';
import { CliError } from '../../errors.js';
import {
  backupResolvConf,
  bypassRouteArgs,
  freeTable,
  killSwitchRuleset,
  killSwitchTable,
  readTunnelState,
  resolvConfText,
  run,
  tearDown,
  writeResolvConf,
  writeTunnelState,
  type TunnelState,
} from '../../full-tunnel.js';
import { sleep } from './shared.js';

/** The SDK's wg-quick file without Address/DNS/MTU: what `wg setconf` reads. */
function wgSetconfText(answer: AuthAnswer, privateKey: string): string {
  const p = answer.wireguard.peer;
  const lines = ['[Interface]', `PrivateKey = ${privateKey}`, '', '[Peer]', `PublicKey = ${p.publicKey}`, `Endpoint = ${p.endpoint}`, `AllowedIPs = ${p.allowedIps.join(', ')}`];
  if (p.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}

/** host and port of HOST:PORT / [V6]:PORT. */
function splitHostPort(hp: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hp);
  if (!m) throw new CliError(`"${hp}" is not HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

async function ipv4Of(host: string, what: string): Promise<string> {
  if (isIPv4(host)) return host;
  if (isIP(host) === 6) throw new CliError(`${what} ${host} is IPv6: a full tunnel here keeps IPv4 endpoints only`);
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (err) {
    throw new CliError(`cannot resolve ${what} ${host}: ${(err as Error).message}`);
  }
}

export interface TunnelOptions {
  /** nftables kill switch for a full tunnel (default on). */
  killSwitch: boolean;
  /** Write the node's DNS into resolv.conf for a full tunnel (default on). */
  dns: boolean;
  resolvConf: string;
  /** The daemon's API URL: its host stays reachable outside the tunnel. */
  apiUrl: string;
  note: (line: string) => void;
}

/**
 * A tunnel brought up by this process: wireguard-go in the foreground as our
 * child. With 0.0.0.0/0 in AllowedIPs it is a full tunnel (see full-tunnel.ts):
 * policy routing, the node's DNS and a kill switch, recorded in a state file.
 */
export class LocalTunnel {
  private child: ChildProcess | null = null;
  private state: TunnelState | null = null;

  constructor(
    readonly iface: string,
    private readonly wireguardGo: string,
    private readonly opts: TunnelOptions,
  ) {}

  private save(): void {
    if (this.state) writeTunnelState(this.state);
  }

  async up(answer: AuthAnswer, privateKey: string): Promise<void> {
    const leftover = readTunnelState(this.iface);
    if (leftover) {
      // A run killed before it could clean up (tearDown refuses while that run still lives).
      for (const line of await tearDown(leftover)) this.opts.note(`cleaned up a previous run: ${line}`);
    }
    if (existsSync(`/var/run/wireguard/${this.iface}.sock`)) {
      throw new CliError(`interface ${this.iface} already exists (its wireguard-go socket is present); choose another with --interface`);
    }
    const w = answer.wireguard;
    const full = w.peer.allowedIps.includes('0.0.0.0/0');
    const state: TunnelState = { version: 1, iface: this.iface, ownerPid: process.pid, wireguardGoPid: null, table: null, bypassRoutes: [], resolv: null, killSwitch: null, srcValidMark: null };
    let bypass: string[][] = [];
    let allowNode: Array<{ ip: string; proto: 'udp' | 'tcp'; port: number }> = [];
    let table = 0;
    if (full) {
      // Everything about the path outside the tunnel is read before any route changes it.
      const ep = splitHostPort(w.peer.endpoint);
      const epIp = await ipv4Of(ep.host, 'endpoint');
      const api = new URL(this.opts.apiUrl);
      const apiIp = await ipv4Of(api.hostname.replace(/^\[|\]$/g, ''), 'node API host');
      const apiPort = Number(api.port || (api.protocol === 'https:' ? 443 : 80));
      allowNode = [
        { ip: epIp, proto: 'udp', port: ep.port },
        { ip: apiIp, proto: 'tcp', port: apiPort },
      ];
      for (const ip of new Set([epIp, apiIp])) bypass.push(bypassRouteArgs(ip, await run('ip', ['-4', 'route', 'get', ip])));
      table = await freeTable();
    }
    this.state = state;
    this.save();

    this.child = spawn(this.wireguardGo, ['-f', this.iface], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } });
    state.wireguardGoPid = this.child.pid ?? null;
    this.save();
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    this.child.once('error', (err) => {
      stderr += err.message;
    });
    const exited = new Promise<number | null>((resolve) => this.child!.once('exit', (code) => resolve(code)));
    for (let i = 0; ; i++) {
      if (existsSync(`/var/run/wireguard/${this.iface}.sock`)) break;
      const done = await Promise.race([exited, sleep(50).then(() => undefined)]);
      if (done !== undefined) throw new CliError(`wireguard-go exited (${done}): ${stderr.trim()}`);
      if (i > 200) throw new CliError('wireguard-go did not create its interface within 10 s');
    }
    const dir = join(tmpdir(), `dvpn-${process.pid}-${Date.now()}`);
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'setconf.conf');
    try {
      writeFileSync(file, wgSetconfText(answer, privateKey), { mode: 0o600 });
      await run('wg', ['setconf', this.iface, file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // wireguard-go's own UDP carries the mark, so it skips the tunnel's table (the endpoint stays outside).
    if (full) await run('wg', ['set', this.iface, 'fwmark', String(table)]);
    if (full && this.opts.killSwitch) {
      state.killSwitch = killSwitchTable(this.iface);
      this.save();
      await run('nft', ['-f', '-'], { input: killSwitchRuleset({ iface: this.iface, node: allowNode }) });
    }
    await run('ip', ['address', 'add', w.interface.address, 'dev', this.iface]);
    if (w.interface.mtu) await run('ip', ['link', 'set', 'dev', this.iface, 'mtu', String(w.interface.mtu)]);
    await run('ip', ['link', 'set', 'dev', this.iface, 'up']);
    for (const cidr of w.peer.allowedIps) {
      if (cidr.endsWith('/0')) continue; // the default route goes through policy routing below
      await run('ip', ['route', 'replace', cidr, 'dev', this.iface]);
    }
    if (full) {
      // The node's own addresses (WireGuard endpoint, API) keep their path outside the tunnel.
      state.bypassRoutes = bypass;
      this.save();
      for (const r of bypass) await run('ip', ['-4', 'route', 'replace', ...r]);
      state.table = table;
      this.save();
      const t = String(table);
      await run('ip', ['-4', 'route', 'replace', '0.0.0.0/0', 'dev', this.iface, 'table', t]);
      await run('ip', ['-4', 'rule', 'add', 'not', 'fwmark', t, 'table', t]);
      await run('ip', ['-4', 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0']);
      // Answers to the marked endpoint traffic must pass reverse-path checks (as wg-quick does).
      const svm = '/proc/sys/net/ipv4/conf/all/src_valid_mark';
      try {
        state.srcValidMark = readFileSync(svm, 'utf8').trim();
        this.save();
        if (state.srcValidMark !== '1') writeFileSync(svm, '1\n');
      } catch {
        state.srcValidMark = null;
      }
      if (this.opts.dns && w.interface.dns.length > 0) {
        state.resolv = backupResolvConf(this.opts.resolvConf);
        this.save();
        writeResolvConf(this.opts.resolvConf, resolvConfText(w.interface.dns));
      }
    }
    // The node's tunnel address (where the probe answers) always goes through the tunnel.
    const probeHost = answer.probe ? new URL(answer.probe).hostname : null;
    if (probeHost && /^\d{1,3}(\.\d{1,3}){3}$/.test(probeHost)) await run('ip', ['route', 'replace', `${probeHost}/32`, 'dev', this.iface]);
  }

  /** Whether this tunnel routes everything (and so has a kill switch, DNS, policy routing). */
  get full(): boolean {
    return this.state?.table != null;
  }

  async down(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const state = this.state;
    this.state = null;
    if (state) await tearDown(state, { ignoreOwner: true });
  }
}
