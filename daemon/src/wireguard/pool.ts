// Client address pool (IPv4). A key's address is deterministic: sha256(key)
// picks a start slot, and linear probing skips taken addresses, so the same
// key gets the same address again whenever it is free, and two keys that
// collide both get one. The network, broadcast and server addresses are never
// handed out.
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

export class PoolExhaustedError extends Error {
  constructor(readonly size: number) {
    super(`address pool exhausted: all ${size} client addresses are in use`);
    this.name = 'PoolExhaustedError';
  }
}

export const ipv4ToInt = (ip: string): number => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
export const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export class AddressPool {
  readonly network: number;
  readonly prefix: number;
  readonly serverAddress: string;
  /** Host addresses (excluding network, broadcast, server). */
  readonly size: number;
  private readonly first: number;
  private readonly last: number;
  private readonly server: number;

  constructor(cidr: string, serverAddress?: string) {
    const [ip, bits] = cidr.split('/');
    const prefix = Number(bits);
    if (!ip || !isIPv4(ip) || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
      throw new RangeError(`address pool must be an IPv4 CIDR between /8 and /30, got ${cidr}`);
    }
    const hostBits = 32 - prefix;
    const span = 2 ** hostBits;
    this.prefix = prefix;
    this.network = ipv4ToInt(ip) - (ipv4ToInt(ip) % span);
    this.first = this.network + 1;
    this.last = this.network + span - 2;
    this.server = serverAddress ? ipv4ToInt(serverAddress) : this.first;
    if (serverAddress && (!isIPv4(serverAddress) || this.server < this.first || this.server > this.last)) {
      throw new RangeError(`server address ${serverAddress} is not a host address of ${cidr}`);
    }
    this.serverAddress = intToIpv4(this.server);
    this.size = this.last - this.first; // hosts minus the server
  }

  get cidr(): string {
    return `${intToIpv4(this.network)}/${this.prefix}`;
  }

  contains(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const n = ipv4ToInt(ip);
    return n >= this.network && n <= this.last + 1;
  }

  /** Whether an address may be given to a client. */
  isClientAddress(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const n = ipv4ToInt(ip);
    return n >= this.first && n <= this.last && n !== this.server;
  }

  /** The preferred address of a key (ignoring what is taken). */
  preferred(key: string): string {
    return this.allocate(key, () => false);
  }

  /**
   * The key's address: its hashed slot, or the next free one after it.
   * `taken(ip)` says whether an address is in use by someone else.
   */
  allocate(key: string, taken: (ip: string) => boolean): string {
    const hosts = this.last - this.first + 1;
    const digest = createHash('sha256').update(key).digest();
    const start = digest.readUInt32BE(0) % hosts;
    for (let i = 0; i < hosts; i++) {
      const n = this.first + ((start + i) % hosts);
      if (n === this.server) continue;
      const ip = intToIpv4(n);
      if (!taken(ip)) return ip;
    }
    throw new PoolExhaustedError(this.size);
  }
}
