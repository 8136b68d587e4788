// The client side of a full tunnel, as wg-quick does it without resolvconf,
// plus a kill switch: policy routing (wireguard-go's own UDP carries a fwmark
// and skips the tunnel's table; `suppress_prefixlength 0` lets the main
// table's specific routes win over its default), the node's DNS written into
// resolv.conf, and an nftables table that lets nothing out but the tunnel and
// the node itself. Every change is recorded in a state file BEFORE it is made,
// so `dvpn connect --down` can undo it after a crash or SIGKILL.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { dirname, join } from 'node:path';
import { CliError } from './errors.js';
import { dvpnHome } from './state.js';

/** Routing table and fwmark of the tunnel (wg-quick's default number). */
export const DEFAULT_TABLE = 51820;

export interface TunnelState {
  version: 1;
  iface: string;
  /** The `dvpn connect` process that owns the tunnel. */
  ownerPid: number;
  /** wireguard-go serving the interface. */
  wireguardGoPid: number | null;
  /** Policy routing table = fwmark (null: split tunnel, no policy routing). */
  table: number | null;
  /** `ip route` arguments of the main-table routes that keep the node outside the tunnel. */
  bypassRoutes: string[][];
  /** resolv.conf as it was (null: not touched). */
  resolv: { path: string; content: string | null; symlink: string | null } | null;
  /** The kill switch's nftables table (inet family), null when none. */
  killSwitch: string | null;
  /** net.ipv4.conf.all.src_valid_mark before (null: not touched). */
  srcValidMark: string | null;
}

export const tunnelStatePath = (iface: string, env?: NodeJS.ProcessEnv) => join(dvpnHome(env), 'tunnels', `${iface}.json`);

export function readTunnelState(iface: string): TunnelState | null {
  const path = tunnelStatePath(iface);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TunnelState;
  } catch (err) {
    throw new CliError(`tunnel state ${path} is unreadable (${(err as Error).message}); remove it after cleaning up by hand`);
  }
}

/** Writes the state atomically enough for our purpose (small file, rewritten whole, 0600). */
export function writeTunnelState(s: TunnelState): void {
  const path = tunnelStatePath(s.iface);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  // rename is atomic: a SIGKILL leaves the old or the new file, never half of one.
  renameSync(`${path}.tmp`, path);
}

export function run(bin: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { shell: false, timeout: opts.timeoutMs ?? 10_000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new CliError(`${bin} ${args.join(' ')} failed: ${String(stderr || err.message).trim()}`));
      else resolve(String(stdout));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** nft table name of the kill switch of one interface. */
export const killSwitchTable = (iface: string) => `dvpn_ks_${iface.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * The kill switch: in the output hook, only loopback, the tunnel interface and
 * the node itself (its WireGuard UDP port, its API's TCP port) get out; the
 * rest is rejected at once (ICMP admin-prohibited, so applications fail fast —
 * IPv6 too, which the IPv4-only tunnel does not carry: no silent black hole).
 * DHCP and IPv6 neighbour discovery stay allowed so the link itself keeps working.
 */
export function killSwitchRuleset(p: { iface: string; node: Array<{ ip: string; proto: 'udp' | 'tcp'; port: number }> }): string {
  const t = killSwitchTable(p.iface);
  const allow = p.node.map((n) => {
    if (!isIPv4(n.ip) || !Number.isInteger(n.port) || n.port < 1 || n.port > 65535) throw new CliError(`kill switch: bad node address ${n.ip}:${n.port}`);
    return `    ip daddr ${n.ip} ${n.proto} dport ${n.port} accept`;
  });
  return [
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    '  chain output {',
    '    type filter hook output priority filter - 5; policy accept;',
    '    oifname "lo" accept',
    `    oifname "${p.iface}" accept`,
    ...allow,
    '    udp sport 68 udp dport 67 accept',
    '    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept',
    '    counter reject with icmpx type admin-prohibited',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** `ip route get` → the arguments that pin the same path for one host in the main table. */
export function bypassRouteArgs(ip: string, routeGet: string): string[] {
  const via = /\bvia (\S+)/.exec(routeGet)?.[1];
  const dev = /\bdev (\S+)/.exec(routeGet)?.[1];
  if (!dev) throw new CliError(`no route to the node at ${ip} outside the tunnel (${routeGet.trim()})`);
  return [`${ip}/32`, ...(via ? ['via', via] : []), 'dev', dev, 'table', 'main'];
}

export function resolvConfText(servers: string[]): string {
  return `# written by dvpn connect (restored by it, or by dvpn connect --down)\n${servers.map((s) => `nameserver ${s}`).join('\n')}\n`;
}

/** Replaces resolv.conf in place (it may be a bind mount, e.g. /etc/netns/<ns>/resolv.conf), or a symlink by a file. */
export function writeResolvConf(path: string, text: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    /* missing: created */
  }
  if (isLink) unlinkSync(path);
  writeFileSync(path, text);
}

export function backupResolvConf(path: string): NonNullable<TunnelState['resolv']> {
  try {
    if (lstatSync(path).isSymbolicLink()) return { path, content: null, symlink: readlinkSync(path) };
    return { path, content: readFileSync(path, 'utf8'), symlink: null };
  } catch {
    return { path, content: null, symlink: null };
  }
}

function restoreResolvConf(r: NonNullable<TunnelState['resolv']>): void {
  if (r.symlink !== null) {
    try {
      unlinkSync(r.path);
    } catch {
      /* already gone */
    }
    symlinkSync(r.symlink, r.path);
  } else if (r.content !== null) writeFileSync(r.path, r.content);
  else rmSync(r.path, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Undoes everything the state records, each step tolerant of what is already
 * gone, then removes the state file. Returns what it did (for the user).
 */
export async function tearDown(s: TunnelState, opts: { ignoreOwner?: boolean } = {}): Promise<string[]> {
  const done: string[] = [];
  if (!opts.ignoreOwner && s.ownerPid !== process.pid && alive(s.ownerPid) && cmdline(s.ownerPid).includes('connect')) {
    throw new CliError(`dvpn connect (pid ${s.ownerPid}) still runs the tunnel on ${s.iface}: stop it (Ctrl-C, or kill ${s.ownerPid}); it cleans up on exit`);
  }
  const quiet = (p: Promise<unknown>) => p.then(() => true).catch(() => false);
  if (s.wireguardGoPid && alive(s.wireguardGoPid) && cmdline(s.wireguardGoPid).includes('wireguard-go')) {
    process.kill(s.wireguardGoPid, 'SIGTERM');
    for (let i = 0; i < 30 && alive(s.wireguardGoPid); i++) await sleep(100);
    if (alive(s.wireguardGoPid)) process.kill(s.wireguardGoPid, 'SIGKILL');
    done.push(`stopped wireguard-go (pid ${s.wireguardGoPid})`);
  }
  if (await quiet(run('ip', ['link', 'del', 'dev', s.iface]))) done.push(`deleted interface ${s.iface}`);
  rmSync(`/var/run/wireguard/${s.iface}.sock`, { force: true });
  if (s.table !== null) {
    const t = String(s.table);
    // Delete every copy (a rule added twice is listed twice).
    while (await quiet(run('ip', ['-4', 'rule', 'del', 'not', 'fwmark', t, 'table', t]))) done.push(`removed rule "not fwmark ${t} table ${t}"`);
    while (await quiet(run('ip', ['-4', 'rule', 'del', 'table', 'main', 'suppress_prefixlength', '0']))) done.push('removed rule "table main suppress_prefixlength 0"');
    await quiet(run('ip', ['-4', 'route', 'flush', 'table', t]));
  }
  for (const r of s.bypassRoutes) if (await quiet(run('ip', ['-4', 'route', 'del', ...r]))) done.push(`removed route ${r[0]}`);
  if (s.resolv) {
    restoreResolvConf(s.resolv);
    done.push(`restored ${s.resolv.path}`);
  }
  if (s.killSwitch && (await quiet(run('nft', ['delete', 'table', 'inet', s.killSwitch])))) done.push(`removed kill switch (nft table inet ${s.killSwitch})`);
  if (s.srcValidMark !== null && /^[01]$/.test(s.srcValidMark)) {
    await quiet(Promise.resolve().then(() => writeFileSync('/proc/sys/net/ipv4/conf/all/src_valid_mark', `${s.srcValidMark}\n`)));
  }
  rmSync(tunnelStatePath(s.iface), { force: true });
  return done;
}

/** The tunnel's table number: DEFAULT_TABLE, or the next one with no routes and no rules (as wg-quick picks). */
export async function freeTable(): Promise<number> {
  const rules = await run('ip', ['-4', 'rule', 'show']).catch(() => '');
  for (let t = DEFAULT_TABLE; t < DEFAULT_TABLE + 100; t++) {
    const routes = await run('ip', ['-4', 'route', 'show', 'table', String(t)]).catch(() => '');
    if (routes.trim() === '' && !new RegExp(`lookup ${t}\\b`).test(rules)) return t;
  }
  throw new CliError('no free routing table between 51820 and 51919');
}
