import { Command } from 'commander';
import type { PublicKey } from '@solana/web3.js';
import { MAX_ENDPOINT_LEN, MAX_REGION_LEN, fetchNode, findNodePda, ix, parseEndpoint, type NodeAccount } from '@dvpn/sdk';
import { listNodes, resolveNode, resolveProvider } from '../accounts.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { base64, formatSol, formatTable, formatUnits, isoTime, parseInteger, parseSol, parseUnits, parseWgKey } from '../format.js';
import { withContext } from '../run.js';

/** Token formatting for the Config mint (falls back to base units when there is no Config yet). */
async function tokenFormat(ctx: Context): Promise<{ decimals: number; format: (v: bigint) => string }> {
  try {
    const config = await ctx.config();
    const decimals = await ctx.mintDecimals(config.tokenMint);
    return { decimals, format: (v) => `${formatUnits(v, decimals)} USDC` };
  } catch {
    return { decimals: 0, format: (v) => `${v} token base units` };
  }
}

/** The endpoint must be HOST:PORT (a WireGuard client dials it); the SDK says what is wrong. */
function checkEndpoint(value: string): string {
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
async function checkWgKeyUnique(ctx: Context, provider: PublicKey, key: Uint8Array, except?: PublicKey): Promise<void> {
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
async function needConfigFor(ctx: Context, o: NodeOpts): Promise<void> {
  const nonZero = (v?: string) => v !== undefined && !/^0*\.?0*$/.test(v.trim());
  if (nonZero(o.priceUsdc) || nonZero(o.tickPriceUsdc)) await ctx.config();
}

function checkText(value: string, max: number, what: string) {
  const len = Buffer.byteLength(value, 'utf8');
  if (len < 1 || len > max) throw new CliError(`${what}: 1..${max} bytes (got ${len})`);
  return value;
}

function nodeJson(address: PublicKey, n: NodeAccount) {
  return { address, ...n, wgServerPubkey: base64(n.wgServerPubkey) };
}

async function printNode(ctx: Context, address: PublicKey, n: NodeAccount, title: string, extra: Record<string, unknown> = {}) {
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

interface NodeOpts {
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

export function nodeCommand(): Command {
  const cmd = new Command('node').description('VPN nodes of a provider: register, update, inspect, browse')
    .addHelpText('after', '\nExamples:\n  $ dvpn node register --endpoint vpn.example.net:51820 --region eu-west --price-sol 0.0001 --capacity 20 --wg-pubkey <KEY>\n  $ dvpn node list --available\n  $ dvpn node update 0 --inactive');

  cmd
    .command('register')
    .description('Register a WireGuard node under your provider (needs the minimum stake); ids go 0, 1, 2, ...')
    .requiredOption('--endpoint <HOST:PORT>', `public WireGuard endpoint (1..${MAX_ENDPOINT_LEN} bytes)`)
    .requiredOption('--region <REGION>', `region label, e.g. eu-west (1..${MAX_REGION_LEN} bytes)`)
    .requiredOption('--price-sol <SOL>', 'price per minute in SOL (0 = no SOL time sessions)')
    .option('--price-usdc <USDC>', 'price per minute in the Config token (0 or absent = no token sessions)', '0')
    .option('--tick-price-sol <SOL>', 'usage sessions: price per hash-chain tick in SOL (0 or absent = no SOL usage sessions)', '0')
    .option('--tick-price-usdc <USDC>', 'usage sessions: price per tick in the Config token (0 or absent = no token usage sessions)', '0')
    .requiredOption('--capacity <N>', 'maximum concurrent sessions')
    .requiredOption('--wg-pubkey <KEY>', 'WireGuard server public key (base64 as `wg pubkey` prints it, or hex)')
    .addHelpText(
      'after',
      `
Examples:
  $ dvpn node register --endpoint vpn1.example.net:51820 --region eu-west \\
      --price-sol 0.0001 --price-usdc 0.01 --tick-price-sol 0.00001 --tick-price-usdc 0.001 \\
      --capacity 50 --wg-pubkey "$(wg pubkey < server.key)"
  $ dvpn node register --endpoint 203.0.113.7:51820 --region us-east --price-sol 0.0002 --capacity 10 \\
      --wg-pubkey aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28= --json`,
    )
    .action(
      withContext(async (ctx, o: NodeOpts) => {
        const endpoint = checkEndpoint(o.endpoint!);
        const region = checkText(o.region!, MAX_REGION_LEN, '--region');
        const wgServerPubkey = parseWgKey(o.wgPubkey!);
        const { address: provider, account } = await resolveProvider(ctx);
        await needConfigFor(ctx, o);
        const config = await ctx.config().catch(() => null);
        if (config && account.stakeLamports < config.minProviderStake) {
          throw new CliError(
            `InsufficientStake — your stake ${formatSol(account.stakeLamports)} is below the limit: the Config's minimum provider stake is ${formatSol(config.minProviderStake)} (dvpn provider stake <SOL>)`,
          );
        }
        await checkWgKeyUnique(ctx, provider, wgServerPubkey);
        const pricePerMinute = parseSol(o.priceSol!, '--price-sol');
        const token = await tokenFormat(ctx);
        const pricePerMinuteToken = parseUnits(o.priceUsdc ?? '0', token.decimals, '--price-usdc');
        const pricePerTick = parseSol(o.tickPriceSol ?? '0', '--tick-price-sol');
        const pricePerTickToken = parseUnits(o.tickPriceUsdc ?? '0', token.decimals, '--tick-price-usdc');
        const maxCapacity = Number(parseInteger(o.capacity!, '--capacity', 1n, 0xffff_ffffn));
        const nodeId = account.nodeCount;
        const res = await ctx.send([
          ix.registerNode({
            authority: ctx.signer.publicKey,
            nodeId,
            endpoint,
            region,
            pricePerMinute,
            pricePerMinuteToken,
            pricePerTick,
            pricePerTickToken,
            wgServerPubkey,
            maxCapacity,
          }),
        ]);
        const [node] = findNodePda(provider, nodeId);
        const n = await fetchNode(ctx.connection, node);
        if (!n) throw new CliError(`node ${node.toBase58()} not found after registration`);
        await printNode(ctx, node, n, `Node ${node.toBase58()} registered`, { signature: res.signature, events: res.events });
      }),
    );

  cmd
    .command('update')
    .argument('<NODE>', 'Node address, or the node id (0, 1, ...) of your provider')
    .description('Change a node you own; unspecified fields are kept')
    .option('--endpoint <HOST:PORT>', 'new endpoint')
    .option('--region <REGION>', 'new region')
    .option('--price-sol <SOL>', 'new SOL price per minute')
    .option('--price-usdc <USDC>', 'new token price per minute (0 disables token sessions)')
    .option('--tick-price-sol <SOL>', 'new SOL price per usage tick (0 disables SOL usage sessions)')
    .option('--tick-price-usdc <USDC>', 'new token price per usage tick (0 disables token usage sessions)')
    .option('--capacity <N>', 'new maximum concurrent sessions (may be below the active count)')
    .option('--wg-pubkey <KEY>', 'new WireGuard server public key')
    .option('--active', 'accept new sessions')
    .option('--inactive', 'stop accepting new sessions (running sessions continue)')
    .addHelpText(
      'after',
      `
Examples:
  $ dvpn node update 0 --price-sol 0.0002 --capacity 100
  $ dvpn node update 0 --tick-price-sol 0.00002 --tick-price-usdc 0.002
  $ dvpn node update 5Fh3...Xk --inactive
  $ dvpn node update 0 --active --region eu-central --json`,
    )
    .action(
      withContext(async (ctx, nodeArg: string, o: NodeOpts) => {
        if (o.active && o.inactive) throw new CliError('--active and --inactive exclude each other');
        if (o.endpoint !== undefined) checkEndpoint(o.endpoint);
        const { address, account: current } = await resolveNode(ctx, nodeArg);
        if (o.wgPubkey !== undefined) await checkWgKeyUnique(ctx, current.provider, parseWgKey(o.wgPubkey), address);
        await needConfigFor(ctx, o);
        const needsToken = o.priceUsdc !== undefined || o.tickPriceUsdc !== undefined;
        const token = needsToken ? await tokenFormat(ctx) : { decimals: 0 };
        const params = {
          authority: ctx.signer.publicKey,
          node: address,
          endpoint: o.endpoint !== undefined ? checkEndpoint(o.endpoint) : null,
          region: o.region !== undefined ? checkText(o.region, MAX_REGION_LEN, '--region') : null,
          pricePerMinute: o.priceSol !== undefined ? parseSol(o.priceSol, '--price-sol') : null,
          pricePerMinuteToken: o.priceUsdc !== undefined ? parseUnits(o.priceUsdc, token.decimals, '--price-usdc') : null,
          pricePerTick: o.tickPriceSol !== undefined ? parseSol(o.tickPriceSol, '--tick-price-sol') : null,
          pricePerTickToken: o.tickPriceUsdc !== undefined ? parseUnits(o.tickPriceUsdc, token.decimals, '--tick-price-usdc') : null,
          maxCapacity: o.capacity !== undefined ? Number(parseInteger(o.capacity, '--capacity', 0n, 0xffff_ffffn)) : null,
          wgServerPubkey: o.wgPubkey !== undefined ? parseWgKey(o.wgPubkey) : null,
          isActive: o.active ? true : o.inactive ? false : null,
        };
        if (Object.entries(params).every(([k, v]) => k === 'authority' || k === 'node' || v === null)) {
          throw new CliError('nothing to update: give at least one of --endpoint --region --price-sol --price-usdc --tick-price-sol --tick-price-usdc --capacity --wg-pubkey --active --inactive');
        }
        const res = await ctx.send([ix.updateNode(params)]);
        const { account } = await resolveNode(ctx, address.toBase58());
        await printNode(ctx, address, account, `Node ${address.toBase58()} updated`, { signature: res.signature, events: res.events });
      }),
    );

  cmd
    .command('show')
    .argument('<NODE>', 'Node address, or the node id (0, 1, ...) of your provider')
    .description('Show a node: endpoint, prices, capacity, totals')
    .addHelpText('after', '\nExamples:\n  $ dvpn node show 5Fh3...Xk\n  $ dvpn node show 0 --keypair provider.json --json')
    .action(
      withContext(async (ctx, nodeArg: string) => {
        const { address, account } = await resolveNode(ctx, nodeArg);
        await printNode(ctx, address, account, `Node ${address.toBase58()}`);
      }),
    );

  cmd
    .command('list')
    .description('List nodes (all providers unless --provider), cheapest first')
    .option('--provider <PUBKEY>', 'only this provider (authority wallet or Provider account)')
    .option('--region <REGION>', 'only this region')
    .option('--active', 'only nodes accepting sessions')
    .option('--available', 'only active nodes with free capacity')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dvpn node list --available --region eu-west\n  $ dvpn node list --provider 7xKX...9fQ --json | jq ".[].address"',
    )
    .action(
      withContext(async (ctx, o: { provider?: string; region?: string; active?: boolean; available?: boolean }) => {
        const provider = o.provider ? (await resolveProvider(ctx, o.provider)).address : undefined;
        let nodes = await listNodes(ctx, { provider });
        if (o.region) nodes = nodes.filter((n) => n.account.region === o.region);
        if (o.active || o.available) nodes = nodes.filter((n) => n.account.isActive);
        if (o.available) nodes = nodes.filter((n) => n.account.activeSessions < n.account.maxCapacity);
        nodes.sort((a, b) =>
          a.account.pricePerMinute === b.account.pricePerMinute
            ? a.address.toBase58().localeCompare(b.address.toBase58())
            : a.account.pricePerMinute < b.account.pricePerMinute ? -1 : 1,
        );
        const token = await tokenFormat(ctx);
        const human =
          nodes.length === 0
            ? 'No nodes found.'
            : formatTable(
                ['NODE', 'ID', 'REGION', 'ENDPOINT', 'SOL/MIN', 'USDC/MIN', 'SOL/TICK', 'USDC/TICK', 'SESSIONS', 'ACTIVE'],
                nodes.map(({ address, account: n }) => [
                  address.toBase58(),
                  n.nodeId.toString(),
                  n.region,
                  n.endpoint,
                  formatSol(n.pricePerMinute).replace(' SOL', ''),
                  n.pricePerMinuteToken > 0n ? token.format(n.pricePerMinuteToken).replace(' USDC', '') : '-',
                  n.pricePerTick > 0n ? formatSol(n.pricePerTick).replace(' SOL', '') : '-',
                  n.pricePerTickToken > 0n ? token.format(n.pricePerTickToken).replace(' USDC', '') : '-',
                  `${n.activeSessions}/${n.maxCapacity}`,
                  n.isActive ? 'yes' : 'no',
                ]),
              );
        ctx.print(nodes.map(({ address, account }) => nodeJson(address, account)), human);
      }),
    );
  return cmd;
}
