// What the `dvpn node` subcommands share.
import type { PublicKey } from '@solana/web3.js';
import { parseEndpoint, type NodeAccount } from '@dvpn/sdk';
import { listNodes } from '../../accounts.js';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { base64, formatSol, formatUnits, isoTime } from '../../format.js';

/** Token formatting for the Config mint (falls back to base units when there is no Config yet). */
export async function tokenFormat(ctx: Context): Promise<{ decimals: number; format: (v: bigint) => string }> {
  try {
    const config = await ctx.config();
    const decimals = await ctx.mintDecimals(config.tokenMint);
    return { decimals, format: (v) => `${formatUnits(v, decimals)} USDC` };
  } catch {
    return { decimals: 0, format: (v) => `${v} token base units` };
  }
}

/** The endpoint must be HOST:PORT (a WireGuard client dials it); the SDK says what is wrong. */
export function checkEndpoint(value: string): string {
  try {
    parseEndpoint(value);
  } catch (err) {
    throw new CliError(`--endpoint: ${err instanceof Error ? err.message : String(err)}`);
  }
  return value;
}

/**
 * One WireGuard key per node of a provider: a second node with the same key
 * would hand the same server identity to two endpoints (clients could not tell
 * them apart, and the daemon gives a key to one session). Checked against the
 * provider's other nodes before anything is sent.
 */
export async function checkWgKeyUnique(ctx: Context, provider: PublicKey, key: Uint8Array, except?: PublicKey): Promise<void> {
  const taken = (await listNodes(ctx, { provider })).find(
    (n) => !(except && n.address.equals(except)) && Buffer.from(n.account.wgServerPubkey).equals(Buffer.from(key)),
  );
  if (taken) {
    throw new CliError(
      `--wg-pubkey ${base64(key)} is already the key of your node ${taken.account.nodeId} (${taken.address.toBase58()}); each node needs its own WireGuard key (wg genkey | wg pubkey)`,
    );
  }
}

/** Prices in the Config token need the Config (its mint's decimals): say so instead of a decimals error. */
export async function needConfigFor(ctx: Context, o: NodeOpts): Promise<void> {
  const nonZero = (v?: string) => v !== undefined && !/^0*\.?0*$/.test(v.trim());
  if (nonZero(o.priceUsdc) || nonZero(o.tickPriceUsdc)) await ctx.config();
}

export function checkText(value: string, max: number, what: string) {
  const len = Buffer.byteLength(value, 'utf8');
  if (len < 1 || len > max) throw new CliError(`${what}: 1..${max} bytes (got ${len})`);
  return value;
}

export function nodeJson(address: PublicKey, n: NodeAccount) {
  return { address, ...n, wgServerPubkey: base64(n.wgServerPubkey) };
}

export async function printNode(ctx: Context, address: PublicKey, n: NodeAccount, title: string, extra: Record<string, unknown> = {}) {
  const token = await tokenFormat(ctx);
  ctx.printRows({ ...extra, ...nodeJson(address, n) }, title, [
    ['provider', n.provider],
    ['node id', n.nodeId],
    ['endpoint', n.endpoint],
    ['region', n.region],
    ['wireguard key', base64(n.wgServerPubkey)],
    ['price / minute', `${formatSol(n.pricePerMinute)}${n.pricePerMinuteToken > 0n ? `, ${token.format(n.pricePerMinuteToken)}` : ' (no token payments)'}`],
    [
      'price / tick',
      n.pricePerTick === 0n && n.pricePerTickToken === 0n
        ? 'no usage sessions'
        : `${n.pricePerTick > 0n ? formatSol(n.pricePerTick) : 'no SOL usage sessions'}, ${n.pricePerTickToken > 0n ? token.format(n.pricePerTickToken) : 'no token usage sessions'}`,
    ],
    ['sessions', `${n.activeSessions} active / ${n.maxCapacity} capacity (${n.totalSessions} total)`],
    ['accepting', n.isActive],
    ['uptime', `${n.totalUptimeSeconds} s`],
    ['created', isoTime(n.createdAt)],
    ...(typeof extra.signature === 'string' ? ([['signature', extra.signature]] as [string, unknown][]) : []),
  ]);
}

export interface NodeOpts {
  endpoint?: string;
  region?: string;
  priceSol?: string;
  priceUsdc?: string;
  tickPriceSol?: string;
  tickPriceUsdc?: string;
  capacity?: string;
  wgPubkey?: string;
  active?: boolean;
  inactive?: boolean;
}
