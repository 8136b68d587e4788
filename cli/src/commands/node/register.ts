// `dvpn node register`: Register a WireGuard node under your provider (needs the minimum stake); ids go 0, 1, 2, ...
import { Command } from 'commander';
import { MAX_ENDPOINT_LEN, MAX_REGION_LEN, fetchNode, findNodePda, ix } from '@dvpn/sdk';
import { resolveProvider } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { formatSol, parseInteger, parseSol, parseUnits, parseWgKey } from '../../format.js';
import { withContext } from '../../run.js';
import { tokenFormat, checkEndpoint, checkWgKeyUnique, needConfigFor, checkText, printNode, type NodeOpts } from './shared.js';

export function nodeRegisterCommand(): Command {
  return new Command('register')
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
}
