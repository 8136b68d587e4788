// WireGuard through `wg` and `ip`, by execFile with argument arrays (never a
// shell), every argument validated first. Works the same with kernel
// WireGuard and with wireguard-go: `wg` finds either (netlink, or the UAPI
// socket in /var/run/wireguard/<iface>.sock). When the interface has a UAPI
// socket (wireguard-go), peer changes and dumps go to it directly, with no
// `wg` process (see uapi.ts).
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { assertInterfaceName, assertIpv4, assertPort, assertWgKey } from './keys.js';
import { parseUapiGet, uapiRequest, uapiSetRequest, uapiSocketPath, UAPI_DIR, type PeerChange } from './uapi.js';

export interface WgPeerStats {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds, 0 = never. */
  latestHandshake: number;
  /** Bytes received from the peer / sent to it, since the peer was added. */
  rxBytes: bigint;
  txBytes: bigint;
}

export interface WgDump {
  publicKey: string;
  listenPort: number;
  peers: WgPeerStats[];
}

/** What the daemon needs from WireGuard (tests substitute an in-memory one). */
export interface WgDriver {
  readonly iface: string;
  /** The interface's public key. */
  publicKey(): Promise<string>;
  dump(): Promise<WgDump>;
  /** Adds or updates a peer with exactly one allowed IP (/32). */
  setPeer(publicKey: string, address: string): Promise<void>;
  removePeer(publicKey: string): Promise<void>;
  /** Private key, listen port, address and link up (idempotent). */
  configure(opts: { privateKeyPath: string; listenPort: number; address: string; prefix: number; mtu?: number }): Promise<void>;
}

export class WgCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | string | null,
  ) {
    super(`${command} ${args[0] ?? ''} failed (${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'WgCommandError';
  }
}

/** Parses `wg show <iface> dump` (tab separated; first line is the interface). */
export function parseDump(text: string): WgDump {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) throw new Error('empty wg dump');
  const head = lines[0].split('\t');
  if (head.length < 4) throw new Error(`unexpected wg dump interface line (${head.length} fields)`);
  const peers: WgPeerStats[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    if (f.length < 8) throw new Error(`unexpected wg dump peer line (${f.length} fields)`);
    peers.push({
      publicKey: f[0],
      endpoint: f[2] === '(none)' ? null : f[2],
      allowedIps: f[3] === '(none)' ? [] : f[3].split(','),
      latestHandshake: Number(f[4]) || 0,
      rxBytes: BigInt(/^\d+$/.test(f[5]) ? f[5] : '0'),
      txBytes: BigInt(/^\d+$/.test(f[6]) ? f[6] : '0'),
    });
  }
  return { publicKey: head[1], listenPort: Number(head[2]) || 0, peers };
}

export interface WireGuardOptions {
  iface: string;
  wgBin?: string;
  ipBin?: string;
  timeoutMs?: number;
  log?: Logger;
  /** auto: use the interface's UAPI socket when it has one (wireguard-go), else `wg`; off: always `wg`. */
  uapi?: 'auto' | 'off';
  /** Where UAPI sockets live (tests). */
  uapiDir?: string;
}

export class WireGuard implements WgDriver {
  readonly iface: string;
  private readonly wgBin: string;
  private readonly ipBin: string;
  private readonly timeoutMs: number;
  private readonly log?: Logger;
  private readonly uapi: 'auto' | 'off';
  private readonly uapiDir: string;
  private readonly queue: Array<{ change: PeerChange; resolve: () => void; reject: (err: unknown) => void }> = [];
  private draining = false;
  static readonly BATCH = 200;

  constructor(opts: WireGuardOptions) {
    this.iface = assertInterfaceName(opts.iface);
    this.wgBin = opts.wgBin ?? 'wg';
    this.ipBin = opts.ipBin ?? 'ip';
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.log = opts.log;
    this.uapi = opts.uapi ?? 'auto';
    this.uapiDir = opts.uapiDir ?? UAPI_DIR;
  }

  /** The UAPI socket to use now, or null for `wg` (looked up each time: the interface may be recreated). */
  private socket(): string | null {
    return this.uapi === 'auto' ? uapiSocketPath(this.iface, this.uapiDir) : null;
  }

  private run(bin: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      // No shell: each element is one argv entry, whatever characters it holds.
      execFile(
        bin,
        args,
        { shell: false, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
        (err, stdout, stderr) => {
          if (err) {
            const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
            reject(new WgCommandError(bin, args, String(stderr || err.message), code));
            return;
          }
          resolve(String(stdout));
        },
      );
    });
  }

  async publicKey(): Promise<string> {
    const out = (await this.run(this.wgBin, ['show', this.iface, 'public-key'])).trim();
    return assertWgKey(out, 'interface public key');
  }

  async dump(): Promise<WgDump> {
    const sock = this.socket();
    if (sock) return parseUapiGet(await uapiRequest(sock, 'get', 'get=1\n\n', this.timeoutMs));
    return parseDump(await this.run(this.wgBin, ['show', this.iface, 'dump']));
  }

  /**
   * Peer changes requested in the same tick of the event loop go out as one
   * `wg set <iface> peer A ... peer B ...` (at most BATCH peers per command),
   * in request order: one process instead of hundreds under an auth burst
   * (one UAPI `set=1` write, and no process, when the interface has a socket).
   */
  private enqueue(change: PeerChange): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, WireGuard.BATCH);
      try {
        const changes = batch.map((b) => b.change);
        const sock = this.socket();
        if (sock) await uapiRequest(sock, 'set', uapiSetRequest(changes), this.timeoutMs);
        else await this.run(this.wgBin, ['set', this.iface, ...changes.flatMap(wgSetArgs)]);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.draining = false;
  }

  async setPeer(publicKey: string, address: string): Promise<void> {
    const key = assertWgKey(publicKey, 'peer public key');
    const ip = assertIpv4(address);
    await this.enqueue({ publicKey: key, address: ip });
    this.log?.debug({ peer: key, address: ip }, 'peer set');
  }

  async removePeer(publicKey: string): Promise<void> {
    const key = assertWgKey(publicKey, 'peer public key');
    await this.enqueue({ publicKey: key, remove: true });
    this.log?.debug({ peer: key }, 'peer removed');
  }

  async configure(opts: { privateKeyPath: string; listenPort: number; address: string; prefix: number; mtu?: number }): Promise<void> {
    const port = assertPort(opts.listenPort);
    const ip = assertIpv4(opts.address);
    if (!Number.isInteger(opts.prefix) || opts.prefix < 0 || opts.prefix > 32) throw new TypeError('invalid prefix');
    if (typeof opts.privateKeyPath !== 'string' || opts.privateKeyPath.length === 0 || opts.privateKeyPath.startsWith('-')) {
      throw new TypeError('invalid private key path');
    }
    await this.run(this.wgBin, ['set', this.iface, 'listen-port', String(port), 'private-key', opts.privateKeyPath]);
    await this.run(this.ipBin, ['address', 'replace', `${ip}/${opts.prefix}`, 'dev', this.iface]);
    if (opts.mtu !== undefined) await this.run(this.ipBin, ['link', 'set', 'dev', this.iface, 'mtu', String(assertPort(opts.mtu))]);
    await this.run(this.ipBin, ['link', 'set', 'dev', this.iface, 'up']);
  }
}

/** `wg set` arguments for one peer change. */
function wgSetArgs(c: PeerChange): string[] {
  return 'remove' in c ? ['peer', c.publicKey, 'remove'] : ['peer', c.publicKey, 'allowed-ips', `${c.address}/32`];
}
