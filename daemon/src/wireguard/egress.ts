// Node egress: the daemon's own nftables table, loaded with `nft -f -` from a
// generated ruleset, plus IPv4 forwarding. The table holds everything the
// daemon adds (NAT of the pool out of one interface, peers kept apart from
// each other and from the node's services), so teardown deletes exactly that
// table and a restart replaces it atomically (one nft transaction).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { assertInterfaceName, assertIpv4, assertPort } from './keys.js';

export interface EgressPlan {
  /** The WireGuard interface the pool lives on. */
  wgInterface: string;
  /** Where the pool's traffic leaves the node (masqueraded to its address). */
  egressInterface: string;
  /** The pool, e.g. 10.77.0.0/24. */
  pool: string;
  /** The pool's server address (the node inside the tunnel). */
  serverAddress: string;
  /** The daemon's HTTP port: the one service of the node peers may reach. */
  httpPort: number;
  /** The address the API binds to when it is one IPv4 address (peers may reach the API there too). */
  httpHost?: string | null;
  /** The resolvers announced to clients (DVPN_WG_DNS): reachable on port 53 even in a blocked range. */
  dns?: string[];
  /** Let peers reach private, link-local and other non-internet ranges (default: dropped). */
  allowPrivate?: boolean;
}

/**
 * Destinations that are not the internet: this host, the provider's own networks (RFC 1918,
 * carrier-grade NAT — Alibaba's metadata service is 100.100.100.200), link-local (the cloud
 * instance metadata service at 169.254.169.254, which hands out the machine's credentials to
 * whoever asks from it, and masquerade makes a peer's request the machine's), multicast and
 * reserved. A peer of a public VPN reaches none of them.
 */
export const NON_INTERNET_IPV4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'];

/** nft table name of a daemon: one per WireGuard interface, so two daemons on one host never touch each other's rules. */
export function egressTableName(wgInterface: string): string {
  return `dvpn_${assertInterfaceName(wgInterface).replace(/[^A-Za-z0-9_]/g, '_')}`;
}

const POOL = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/**
 * The ruleset (`nft -f -` input). The first two lines make it idempotent: the
 * table is created if missing, then deleted, then declared whole — all in one
 * transaction, so a restart never leaves a moment without the rules nor
 * duplicates them.
 */
export function egressRuleset(p: EgressPlan): string {
  const wg = assertInterfaceName(p.wgInterface);
  const out = assertInterfaceName(p.egressInterface);
  const m = POOL.exec(p.pool);
  if (!m || Number(m[2]) > 32) throw new TypeError(`invalid IPv4 pool: ${p.pool}`);
  assertIpv4(m[1]);
  const server = assertIpv4(p.serverAddress);
  const port = assertPort(p.httpPort);
  const apiAddrs = [server];
  if (p.httpHost && p.httpHost !== server) apiAddrs.push(assertIpv4(p.httpHost));
  // A wildcard bind: the API answers on every local address, so allow its port on any of them.
  const apiMatch = p.httpHost === '0.0.0.0' ? 'fib daddr type local' : `ip daddr { ${apiAddrs.join(', ')} }`;
  const resolvers = (p.dns ?? []).filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a)).map((a) => assertIpv4(a));
  const nonInternet = p.allowPrivate
    ? []
    : [
        ...(resolvers.length > 0 ? [`    iifname "${wg}" oifname "${out}" ip daddr { ${resolvers.join(', ')} } meta l4proto { tcp, udp } th dport 53 accept comment "the announced resolvers"`] : []),
        `    iifname "${wg}" ip daddr { ${NON_INTERNET_IPV4.join(', ')} } drop comment "no private, link-local (cloud metadata) or reserved destinations"`,
      ];
  const t = egressTableName(wg);
  return [
    `table inet ${t}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    '  chain forward {',
    // Before a distribution's default filter (priority 0): our drops are final whatever it says.
    '    type filter hook forward priority filter - 5; policy accept;',
    `    iifname "${wg}" oifname "${wg}" drop comment "peers never reach each other"`,
    `    iifname "${wg}" ip saddr != ${p.pool} drop comment "only pool addresses leave"`,
    ...nonInternet,
    `    iifname "${wg}" oifname "${out}" accept`,
    `    iifname "${out}" oifname "${wg}" ct state established,related accept`,
    `    iifname "${wg}" drop comment "nowhere else from the tunnel"`,
    `    oifname "${wg}" drop comment "nothing unsolicited into the tunnel"`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter - 5; policy accept;',
    `    iifname "${wg}" ct state established,related accept`,
    `    iifname "${wg}" ${apiMatch} tcp dport ${port} accept comment "the daemon's API (tunnel probe)"`,
    `    iifname "${wg}" ip daddr ${server} icmp type echo-request accept`,
    `    iifname "${wg}" drop comment "no other service of the node"`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${out}" ip saddr ${p.pool} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export interface EgressOptions {
  nftBin?: string;
  ipBin?: string;
  /** Where the forwarding setting found before the daemon changed it is kept (survives a crash). */
  stateDir: string;
  /** /proc/sys/net/ipv4/ip_forward, overridable for tests. */
  forwardPath?: string;
  timeoutMs?: number;
  log?: Logger;
}

function exec(bin: string, args: string[], input: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { shell: false, timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${String(stderr || err.message).trim()}`));
      else resolve(String(stdout));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Sets up and tears down the node's egress (DVPN_EGRESS=nat). */
export class Egress {
  readonly table: string;
  private readonly nft: string;
  private readonly ip: string;
  private readonly forwardPath: string;
  private readonly savedPath: string;
  private readonly timeoutMs: number;
  private active = false;

  constructor(
    readonly plan: EgressPlan,
    private readonly opts: EgressOptions,
  ) {
    this.table = egressTableName(plan.wgInterface);
    this.nft = opts.nftBin ?? 'nft';
    this.ip = opts.ipBin ?? 'ip';
    this.forwardPath = opts.forwardPath ?? '/proc/sys/net/ipv4/ip_forward';
    this.savedPath = join(opts.stateDir, 'egress-forwarding.before');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Checks what the setup needs, with errors an operator can act on. */
  async check(): Promise<void> {
    const out = this.plan.egressInterface;
    try {
      await exec(this.ip, ['link', 'show', 'dev', assertInterfaceName(out)], undefined, this.timeoutMs);
    } catch {
      throw new ConfigError(`egress interface ${out} (DVPN_EGRESS_INTERFACE) does not exist here (ip link show dev ${out})`);
    }
    if (out === this.plan.wgInterface) throw new ConfigError('DVPN_EGRESS_INTERFACE must not be the WireGuard interface itself');
    try {
      await exec(this.nft, ['--version'], undefined, this.timeoutMs);
    } catch (err) {
      throw new ConfigError(`DVPN_EGRESS=nat needs nftables (${this.nft}): ${(err as Error).message} — install the nftables package or set DVPN_NFT_BIN`);
    }
    try {
      // Parses and checks the ruleset against the kernel without changing anything.
      await exec(this.nft, ['--check', '-f', '-'], egressRuleset(this.plan), this.timeoutMs);
    } catch (err) {
      throw new ConfigError(`DVPN_EGRESS=nat: nftables refused the egress ruleset (root / CAP_NET_ADMIN needed): ${(err as Error).message}`);
    }
    if (!existsSync(this.forwardPath)) throw new ConfigError(`DVPN_EGRESS=nat: ${this.forwardPath} is missing (no IPv4 forwarding control)`);
  }

  async up(): Promise<void> {
    await this.check();
    await exec(this.nft, ['-f', '-'], egressRuleset(this.plan), this.timeoutMs);
    const now = readFileSync(this.forwardPath, 'utf8').trim();
    // Keep the value found before the first setup: after a crash, the restart sees our own '1'.
    if (!existsSync(this.savedPath)) writeFileSync(this.savedPath, `${now}\n`, { mode: 0o600 });
    if (now !== '1') writeFileSync(this.forwardPath, '1\n');
    this.active = true;
    this.opts.log?.info({ table: `inet ${this.table}`, egress: this.plan.egressInterface, pool: this.plan.pool }, 'egress up: forwarding, NAT and peer isolation');
  }

  /** Deletes the daemon's table and puts IPv4 forwarding back as it was found. */
  async down(): Promise<void> {
    await exec(this.nft, ['delete', 'table', 'inet', this.table], undefined, this.timeoutMs).catch((err: Error) => {
      if (!/No such file or directory/.test(err.message)) throw err;
    });
    if (existsSync(this.savedPath)) {
      const before = readFileSync(this.savedPath, 'utf8').trim();
      if (before === '0' || before === '1') writeFileSync(this.forwardPath, `${before}\n`);
      rmSync(this.savedPath, { force: true });
    }
    if (this.active) this.opts.log?.info({ table: `inet ${this.table}` }, 'egress down');
    this.active = false;
  }
}

/**
 * With DVPN_EGRESS=off the daemon sets no rules, so what peers reach is the
 * host's own routing: with IPv4 forwarding on (a router, a Docker host), peers
 * reach each other and whatever the host routes. Said at start, not silently.
 */
export function unisolatedWarning(mode: 'off' | 'nat', ipForward: string | null): string | null {
  if (mode !== 'off' || ipForward?.trim() !== '1') return null;
  return 'DVPN_EGRESS=off but IPv4 forwarding is on (net.ipv4.ip_forward=1): the daemon sets no rules, so peers can reach each other and whatever this host routes; set DVPN_EGRESS=nat (isolation and NAT by the daemon) or firewall the WireGuard interface yourself';
}
