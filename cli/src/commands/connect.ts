// `dvpn connect <NODE>`: open (or reuse) a session on a node, generate a
// WireGuard key, authenticate with the node's daemon (wallet signature over
// the SDK auth message), write the client config, optionally bring the tunnel
// up here (wireguard-go + wg setconf + ip), and in usage mode pay ticks
// (hash-chain preimages) while the tunnel serves — and stop paying when it
// does not.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { PublicKey } from '@solana/web3.js';
import {
  SessionMode,
  SessionState,
  authRequestBody,
  generateWgKeypair,
  isValidInterfaceName,
  isValidWgKey,
  wgQuickConfig,
  type AuthAnswer,
  type HashChain,
  type NodeAccount,
  type PaymentView,
  type TickAnswer,
  type SessionAccount,
} from '@dvpn/sdk';
import { listSessions, loadSession, resolveNode } from '../accounts.js';
import { out, type Context } from '../context.js';
import { CliError } from '../errors.js';
import { hex, parseInteger, parseSol, parseUnits, toPlain } from '../format.js';
import { checkDuration, openSessionOnNode } from '../open-session.js';
import { withContext } from '../run.js';
import { chainFromState, dvpnHome, readSessionState } from '../state.js';
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
  tunnelStatePath,
  type TunnelState,
} from '../full-tunnel.js';

export interface ConnectOptions {
  session?: string;
  new?: boolean;
  sol?: boolean;
  usdc?: boolean;
  minutes?: string;
  usage?: boolean;
  ticks?: string;
  tickAmount?: string;
  api?: string;
  out?: string;
  apply?: boolean;
  interface?: string;
  wireguardGo: string;
  handshakeTimeout: string;
  down?: boolean;
  /** --no-kill-switch sets false. */
  killSwitch: boolean;
  /** --no-dns sets false. */
  dns: boolean;
  resolvConf: string;
}

/** A handshake older than this means the tunnel is not serving (WireGuard's REJECT_AFTER_TIME). */
const HANDSHAKE_FRESH_SECONDS = 180;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- WireGuard helpers (execFile, never a shell) ---------------------------------


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
class LocalTunnel {
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

/** Seconds since the newest handshake on the interface (Infinity when none or unreadable). */
export async function handshakeAge(iface: string): Promise<number> {
  try {
    const text = await run('wg', ['show', iface, 'latest-handshakes'], { timeoutMs: 5000 });
    const latest = Math.max(0, ...text.split('\n').map((l) => Number(l.split('\t')[1] ?? 0) || 0));
    return latest === 0 ? Infinity : Math.floor(Date.now() / 1000) - latest;
  } catch {
    return Infinity;
  }
}

/** Whether the node answers through the tunnel (any HTTP answer counts). */
export async function probeTunnel(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The tick to pay now: one ahead of what the node says is owed, within the chain, only while the tunnel serves. */
export function tickToPay(p: { paid: bigint; owed: bigint; maxTicks: bigint; serving: boolean }): bigint | null {
  if (!p.serving) return null;
  let target = p.owed + 1n;
  if (target > p.maxTicks) target = p.maxTicks;
  return target > p.paid ? target : null;
}

// --- node API --------------------------------------------------------------

class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(`node daemon: ${message} (${status} ${code})`, { status, code });
  }
}

async function api<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new CliError(`cannot reach the node daemon at ${base}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? text.slice(0, 200), json);
  }
  return json as T;
}

/** http://HOST:PORT of the node's endpoint: the daemon serves its API on the WireGuard port number over TCP. */
export function defaultApiUrl(endpoint: string): string {
  if (!/^[A-Za-z0-9.\-:[\]]+:\d{1,5}$/.test(endpoint)) throw new CliError(`node endpoint "${endpoint}" is not HOST:PORT; pass --api URL`);
  return `http://${endpoint}`;
}

// --- sessions --------------------------------------------------------------

interface Chosen {
  address: PublicKey;
  account: SessionAccount;
  hashChain: HashChain | null;
  opened: boolean;
}

async function chooseSession(ctx: Context, node: PublicKey, nodeAcc: NodeAccount, o: ConnectOptions): Promise<Chosen> {
  const user = ctx.signer.publicKey;
  const now = await ctx.clockNow();
  const usable = (s: SessionAccount) => s.state === SessionState.Active && s.endTs > now && s.remainingBalance > 0n;
  const secret = (address: PublicKey, s: SessionAccount): HashChain | null => {
    if (s.mode !== SessionMode.Usage) return null;
    const state = readSessionState(address.toBase58());
    return state ? chainFromState(state) : null;
  };
  if (o.session) {
    const { address, account } = await loadSession(ctx, o.session);
    if (!account.user.equals(user)) throw new CliError(`session ${address.toBase58()} belongs to ${account.user.toBase58()}, not to your keypair`);
    if (!account.node.equals(node)) throw new CliError(`session ${address.toBase58()} is on node ${account.node.toBase58()}, not ${node.toBase58()}`);
    if (!usable(account)) throw new CliError(`session ${address.toBase58()} is not usable (state ${SessionState[account.state]}, ends ${account.endTs}, now ${now})`);
    const hashChain = secret(address, account);
    if (account.mode === SessionMode.Usage && !hashChain) throw new CliError(`no local hash-chain secret for usage session ${address.toBase58()}`);
    return { address, account, hashChain, opened: false };
  }
  if (!o.new) {
    const mine = (await listSessions(ctx, { user, node }))
      .filter(({ account }) => usable(account))
      .filter(({ address, account }) => account.mode === SessionMode.Time || secret(address, account) !== null)
      .sort((a, b) => (a.account.startTs > b.account.startTs ? -1 : 1));
    if (mine.length > 0) {
      const { address, account } = mine[0];
      return { address, account, hashChain: secret(address, account), opened: false };
    }
  }
  return openSession(ctx, node, nodeAcc, o);
}

async function openSession(ctx: Context, node: PublicKey, nodeAcc: NodeAccount, o: ConnectOptions): Promise<Chosen> {
  if (!o.sol && !o.usdc) throw new CliError('no usable session on this node: to open one, choose how to pay (--sol or --usdc) and --minutes');
  if (!o.minutes) throw new CliError('--minutes is required to open a session');
  const durationMinutes = Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn));
  if (o.usage && !o.ticks) throw new CliError('--usage needs --ticks N');
  checkDuration(durationMinutes, !!o.usage);
  const config = o.usdc ? await ctx.config() : undefined;
  const decimals = config ? await ctx.mintDecimals(config.tokenMint) : 9;
  let usage: { maxTicks: bigint; tickAmount?: bigint } | undefined;
  if (o.usage) {
    const maxTicks = parseInteger(o.ticks!, '--ticks', 1n, BigInt(Number.MAX_SAFE_INTEGER));
    const tickAmount =
      o.tickAmount === undefined ? undefined : config ? parseUnits(o.tickAmount, decimals, '--tick-amount') : parseSol(o.tickAmount, '--tick-amount');
    usage = { maxTicks, tickAmount };
  }
  const { plan } = await openSessionOnNode(ctx, { node, durationMinutes, config, decimals, usage }, nodeAcc);
  const { session, hashChain } = plan;
  const { account } = await loadSession(ctx, session.toBase58());
  return { address: session, account, hashChain, opened: true };
}

// --- the command --------------------------------------------------------------

function emit(ctx: Context, event: string, value: Record<string, unknown>, human: string): void {
  if (ctx.json) process.stdout.write(`${JSON.stringify(toPlain({ event, ...value }))}\n`);
  else out(human);
}

/** `dvpn connect --down`: undo what a killed `connect --apply` left (routes, rules, resolv.conf, kill switch). */
export async function connectDown(ctx: Context, o: ConnectOptions): Promise<void> {
  const iface = o.interface ?? 'dvpn0';
  const state = readTunnelState(iface);
  if (!state) {
    emit(ctx, 'down', { interface: iface, cleaned: [] }, `Nothing to clean up for ${iface} (no state file ${tunnelStatePath(iface)})`);
    return;
  }
  const cleaned = await tearDown(state);
  emit(ctx, 'down', { interface: iface, cleaned }, [`Cleaned up ${iface}:`, ...cleaned.map((l) => `  ${l}`)].join('\n'));
}

/** Is the node's daemon there (and serving this node)? Asked before any session is opened or paid. */
async function probeDaemon(base: string, node: PublicKey): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL('/node', base), { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CliError(`the node daemon at ${base} does not answer (${(err as Error).cause ?? (err as Error).message}); nothing was paid. Is the node up? (--api URL to point elsewhere)`);
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(`the node daemon at ${base} answered GET /node with ${res.status}: ${text.slice(0, 200)}; nothing was paid`);
  let served: string | undefined;
  try {
    served = (JSON.parse(text) as { node?: string }).node;
  } catch {
    /* not JSON: below */
  }
  if (served !== node.toBase58()) {
    throw new CliError(`${base} serves node ${served ?? '(not a dvpn daemon)'}, not ${node.toBase58()}; nothing was paid`);
  }
}

export async function connect(ctx: Context, nodeArg: string | undefined, o: ConnectOptions): Promise<void> {
  if (o.interface !== undefined && !isValidInterfaceName(o.interface)) throw new CliError(`--interface: "${o.interface}" is not an interface name`);
  if (o.down) return connectDown(ctx, o);
  if (!nodeArg) throw new CliError('missing NODE (or pass --down to clean up a tunnel)');
  const iface = o.interface ?? (o.apply ? 'dvpn0' : undefined);
  const needsInterface = 'usage sessions pay while the tunnel serves: pass --apply, or --interface NAME of the tunnel you bring up with the written config';
  if (o.usage && !iface) throw new CliError(needsInterface);
  // What can be refused locally is refused before any network call (the probe included).
  if (o.minutes) checkDuration(Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn)), !!o.usage);
  const { address: node, account: nodeAcc } = await resolveNode(ctx, nodeArg);
  const base = o.api ?? defaultApiUrl(nodeAcc.endpoint);
  await probeDaemon(base, node);
  const chosen = await chooseSession(ctx, node, nodeAcc, o);
  const session = chosen.address.toBase58();
  const usageMode = chosen.account.mode === SessionMode.Usage;
  if (usageMode && !iface) throw new CliError(needsInterface);
  const ignored = chosen.opened ? [] : (['sol', 'usdc', 'minutes', 'usage', 'ticks', 'tickAmount'] as const).filter((k) => o[k] !== undefined);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  emit(
    ctx,
    'session',
    { session, opened: chosen.opened, reused: !chosen.opened, mode: usageMode ? 'usage' : 'time', endTs: chosen.account.endTs, ignoredOptions: ignored.map(flag) },
    chosen.opened
      ? `Opened session ${session} (${usageMode ? 'usage' : 'time'})`
      : `Reusing your session ${session} (${usageMode ? 'usage' : 'time'}, ends ${new Date(Number(chosen.account.endTs) * 1000).toISOString()}, ${chosen.account.remainingBalance} left in escrow)` +
          (ignored.length > 0 ? `: ${ignored.map(flag).join(' ')} ignored, nothing paid; pass --new to open another session` : ''),
  );

  const keys = generateWgKeypair();
  let lastTimestamp = 0;
  const authenticate = () => {
    // A new message every time (a repeated one would be refused as a replay).
    const timestamp = Math.max(Math.floor(Date.now() / 1000), lastTimestamp + 1);
    lastTimestamp = timestamp;
    return api<AuthAnswer>(base, 'POST', '/session/auth', authRequestBody({ sessionPda: session, clientWgPubkey: keys.publicKey, timestamp }, ctx.signer));
  };
  let answer: AuthAnswer;
  try {
    answer = await authenticate();
  } catch (err) {
    // Cut earlier for not paying: settle what the node says is owed, then come back.
    const owed = (err instanceof ApiError && err.code === 'payment_required' && (err.body as { error?: { details?: { owedTick?: string } } })?.error?.details?.owedTick) || null;
    if (!owed || !chosen.hashChain) throw err;
    const tick = BigInt(owed);
    if (tick > BigInt(chosen.hashChain.length)) throw err;
    await api(base, 'POST', `/session/${session}/ticks`, { tick: Number(tick), preimage: hex(chosen.hashChain.preimage(tick)) });
    emit(ctx, 'tick', { session, tick, owed: tick }, `Paid the ${tick} ticks owed from before`);
    answer = await authenticate();
  }

  // The daemon's server key must be the one the node announces on chain.
  const chainKey = Buffer.from(nodeAcc.wgServerPubkey).toString('base64');
  if (answer.wireguard.peer.publicKey !== chainKey || !isValidWgKey(answer.wireguard.peer.publicKey)) {
    throw new CliError(`the node daemon answered server key ${answer.wireguard.peer.publicKey}, but the node announces ${chainKey} on chain: refusing`);
  }
  const configPath = o.out ?? join(dvpnHome(), 'wireguard', `${session}.conf`);
  mkdirSync(dirname(configPath), { recursive: true, mode: 0o700 });
  writeFileSync(configPath, wgQuickConfig(answer.wireguard, keys.privateKey), { mode: 0o600 });
  chmodSync(configPath, 0o600);

  let tunnel: LocalTunnel | null = null;
  if (o.apply) {
    tunnel = new LocalTunnel(iface!, o.wireguardGo, {
      killSwitch: o.killSwitch !== false,
      dns: o.dns !== false,
      resolvConf: o.resolvConf,
      apiUrl: base,
      note: (line) => emit(ctx, 'note', { message: line }, line),
    });
    try {
      await tunnel.up(answer, keys.privateKey);
    } catch (err) {
      await tunnel.down();
      throw err;
    }
  }
  emit(
    ctx,
    'connected',
    {
      session,
      address: answer.wireguard.interface.address,
      serverPublicKey: answer.wireguard.peer.publicKey,
      endpoint: answer.wireguard.peer.endpoint,
      clientPublicKey: keys.publicKey,
      config: configPath,
      interface: o.apply ? iface : null,
      fullTunnel: tunnel?.full ?? false,
      killSwitch: (tunnel?.full ?? false) && o.killSwitch !== false,
      payment: answer.payment,
    },
    `Connected: ${answer.wireguard.interface.address} via ${answer.wireguard.peer.endpoint}\n  config written to ${configPath}${
      o.apply
        ? `\n  interface ${iface} is up${tunnel?.full ? `: all IPv4 traffic goes through it${o.killSwitch !== false ? ', kill switch on (nothing leaves outside the tunnel)' : ''}${o.dns !== false && answer.wireguard.interface.dns.length > 0 ? `, DNS ${answer.wireguard.interface.dns.join(', ')}` : ''}` : ''}\n  if this process is killed, restore with: dvpn connect --down --interface ${iface}`
        : `\n  bring it up with: wg-quick up ${configPath}`
    }`,
  );

  // A time session without --apply: the config is written; there is nothing to pay or watch here.
  if (!usageMode && !o.apply) return;

  let stop = false;
  let reason = 'interrupted';
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    reason = await serve(ctx, { base, session, answer, chain: chosen.hashChain, iface: iface!, o, stopped: () => stop });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await tunnel?.down();
  }
  emit(ctx, 'disconnected', { session, reason }, `Disconnected (${reason})`);
}

/** Keeps the session going: usage ticks while the tunnel serves; returns why it stopped. */
async function serve(
  ctx: Context,
  p: { base: string; session: string; answer: AuthAnswer; chain: HashChain | null; iface: string; o: ConnectOptions; stopped: () => boolean },
): Promise<string> {
  const usage = p.answer.payment.mode === 'usage' && p.chain !== null;
  const intervalMs = Math.max(1, p.answer.payment.tickIntervalSeconds ?? 10) * 1000;
  const handshakeLimit = Number(parseInteger(p.o.handshakeTimeout, '--handshake-timeout', 1n, 3600n));
  let paid = BigInt(p.answer.payment.paidTick ?? '0');
  let owed = BigInt(p.answer.payment.owedTick ?? '0');
  const maxTicks = BigInt(p.answer.payment.maxTicks ?? '0');
  let wasServing: boolean | null = null;
  let lastStatusAt = 0;
  const connectedAt = Date.now();
  while (!p.stopped()) {
    // Serving: the node answers through the tunnel (its probe), else at least a fresh handshake.
    const age = await handshakeAge(p.iface);
    const serving = p.answer.probe ? await probeTunnel(p.answer.probe) : age <= HANDSHAKE_FRESH_SECONDS;
    if (!serving && wasServing === null && Date.now() - connectedAt > handshakeLimit * 1000) {
      return 'the tunnel never came up';
    }
    if (wasServing !== serving && (serving || wasServing !== null)) {
      emit(ctx, serving ? 'serving' : 'not-serving', { session: p.session, handshakeAgeSeconds: Number.isFinite(age) ? age : null }, serving ? 'Tunnel is serving' : 'Tunnel is not serving: not paying');
      wasServing = serving;
    }
    if (usage) {
      const target = tickToPay({ paid, owed, maxTicks, serving });
      if (target !== null) {
        try {
          const r = await api<TickAnswer>(p.base, 'POST', `/session/${p.session}/ticks`, {
            tick: Number(target),
            preimage: hex(p.chain!.preimage(target)),
          });
          paid = BigInt(r.paidTick);
          owed = BigInt(r.owedTick);
          emit(ctx, 'tick', { session: p.session, tick: paid, owed }, `Paid through tick ${paid}`);
          if (r.phase !== 'active') return `session ${r.phase}`;
          if (!r.peerActive) return 'peer removed by the node';
        } catch (err) {
          if (err instanceof ApiError) {
            const details = (err.body as { error?: { details?: { paidTick?: string } } })?.error?.details;
            if (err.code === 'stale_tick' && details?.paidTick) paid = BigInt(details.paidTick);
            else if (err.status === 410 || err.status === 404) return `node refused ticks: ${err.code}`;
            else emit(ctx, 'warning', { session: p.session, error: err.message }, `warning: ${err.message}`);
          } else emit(ctx, 'warning', { session: p.session, error: (err as Error).message }, `warning: ${(err as Error).message}`);
        }
      }
    }
    // Refresh the node's view now and then: how much is owed, and whether the session is over.
    if (Date.now() - lastStatusAt >= Math.min(intervalMs * 3, 30_000)) {
      lastStatusAt = Date.now();
      try {
        const v = await api<{ daemon: { phase: string; payment: PaymentView; peer: { publicKey: string } | null; peerRemoved: { reason: string } | null } | null }>(
          p.base,
          'GET',
          `/session/${p.session}`,
        );
        if (v.daemon) {
          if (v.daemon.phase !== 'active') return `session ${v.daemon.phase}`;
          if (v.daemon.peer?.publicKey !== p.answer.clientPublicKey) {
            return `peer removed by the node (${v.daemon.peerRemoved?.reason ?? 'replaced'})`;
          }
          if (v.daemon.payment.owedTick) owed = BigInt(v.daemon.payment.owedTick);
          if (v.daemon.payment.paidTick && BigInt(v.daemon.payment.paidTick) > paid) paid = BigInt(v.daemon.payment.paidTick);
          if (usage && paid >= maxTicks && owed >= maxTicks) return 'all ticks used';
        }
      } catch {
        /* the node may be restarting: keep going */
      }
    }
    for (let waited = 0; waited < intervalMs && !p.stopped(); waited += 100) await sleep(100);
  }
  return 'interrupted';
}

export function connectCommand(): Command {
  return new Command('connect')
    .argument('[NODE]', 'Node address (or the node id of your own provider); not with --down')
    .description('Connect to a node: open or reuse a session, authenticate with its daemon, write (and --apply) the WireGuard config; usage sessions pay ticks while the tunnel serves')
    .option('--session <SESSION>', 'use this session (default: your newest usable session on the node, else open one)')
    .option('--new', 'always open a new session')
    .addOption(new Option('--sol', 'open the session paying SOL').conflicts('usdc'))
    .addOption(new Option('--usdc', 'open the session paying the Config token (USDC)').conflicts('sol'))
    .option('--minutes <N>', 'new session: minutes bought (time) or maximum duration (usage)')
    .option('--usage', "new session: pay per tick through a hash chain at the node's price per tick (needs --ticks)")
    .option('--ticks <N>', 'new usage session: ticks escrowed (hash chain length)')
    .option('--tick-amount <AMOUNT>', "new usage session: the price per tick you expect (SOL or USDC); refused unless it is the node's")
    .option('--api <URL>', "node daemon API (default: http://<node endpoint>, the daemon's TCP port equals WireGuard's UDP port)")
    .option('--out <PATH>', 'where to write the WireGuard config (default: $DVPN_HOME/wireguard/<session>.conf, mode 0600)')
    .option(
      '--apply',
      "bring the tunnel up in this network namespace (root): wireguard-go + wg + ip; with the node's 0.0.0.0/0 a full tunnel (policy routing, the node's DNS, kill switch); undone on exit",
    )
    .option('--down', 'undo what a killed `connect --apply` left on --interface (routes, rules, resolv.conf, kill switch, wireguard-go) from its state file')
    .option('--no-kill-switch', 'full tunnel without the nftables kill switch (traffic leaks outside if the tunnel drops)')
    .option('--no-dns', "full tunnel: leave resolv.conf alone (the node's DNS is not used)")
    .option('--resolv-conf <PATH>', 'the resolv.conf a full tunnel rewrites (restored on exit)', '/etc/resolv.conf')
    .option('--interface <NAME>', 'interface name (--apply: created, default dvpn0; otherwise the tunnel you brought up, watched before paying)')
    .option('--wireguard-go <PATH>', 'wireguard-go binary for --apply', 'wireguard-go')
    .option('--handshake-timeout <SECONDS>', 'give up when the tunnel does not serve within this many seconds of connecting', '60')
    .addHelpText(
      'after',
      `
The node's daemon checks the session on chain and your wallet signature, adds
your WireGuard key as a peer and answers the tunnel config; the server key is
checked against the node's key on chain. Usage sessions pay one tick ahead of
what the node says is owed, only while the node answers through the tunnel
(its probe address, else a fresh handshake): stop the command (Ctrl-C) or lose
the tunnel and payments stop. Cut for not paying? Run it again with --session:
it pays what is owed and reconnects.

Examples:
  $ dvpn connect 5Fh3...Xk --sol --minutes 30 --out wg-dvpn.conf && wg-quick up ./wg-dvpn.conf
  $ sudo dvpn connect 5Fh3...Xk --sol --usage --ticks 1000 --minutes 120 --apply
  $ sudo dvpn connect 5Fh3...Xk --session 9qW2...Lm --apply --interface dvpn1 --json
  $ sudo dvpn connect --down --interface dvpn1     # after the command above was killed

A full tunnel (the node's AllowedIPs hold 0.0.0.0/0) routes everything but the
node itself through the tunnel as wg-quick does (fwmark + table 51820 +
suppress_prefixlength rule), writes the node's DNS into resolv.conf and loads
an nftables kill switch (table inet dvpn_ks_<iface>): only the tunnel, loopback
and the node's WireGuard/API ports get out, everything else (IPv6 included:
the tunnel is IPv4) is rejected, also when the tunnel drops. All of it is
recorded in $DVPN_HOME/tunnels/<iface>.json first and undone on exit.`,
    )
    .action(withContext(async (ctx, nodeArg: string | undefined, o: ConnectOptions) => connect(ctx, nodeArg, o)));
}

/** Adds `connect` to the `dvpn` program (the CLI main calls this, like the other commands' factories). */
export function registerConnect(program: Command, _ctx?: unknown): Command {
  program.addCommand(connectCommand());
  return program;
}
